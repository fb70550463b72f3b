"""A video's pose family: the most frequent one, or its twist when that is common or
sustained."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from twistcoach.metrics import Observation, PoseFamily
from twistcoach.pipeline import VideoAnalysis

#: Pose family shares at or above this make a video count as the twist of that posture.
TWIST_SHARE = 0.25
#: A video also counts as the twist of its posture when it holds one sustained twist
#: segment: consecutive frames with a person recognised as that twist (no gap between
#: them over :data:`TWIST_SEGMENT_GAP_S`) spanning at least this many seconds, at a mean
#: family confidence of at least :data:`TWIST_SEGMENT_MIN_CONFIDENCE`. A twist clip that
#: spends most of its time getting into and out of the pose never reaches
#: :data:`TWIST_SHARE`: the shared clip ``feluna_reclining_twist.mp4`` drops the knees only
#: in its last 1.5 s of 7.9 (bench/RECOGNITION.md gives its segment), while a second of
#: the twist is more than the tracker's 0.5 s family hysteresis can make of a flicker.
TWIST_SEGMENT_S = 1.0
#: Largest gap (seconds) between two frames of one twist segment (a frame or two without a
#: person at 25-30 frames a second).
TWIST_SEGMENT_GAP_S = 0.2
#: Mean family confidence a sustained twist segment needs.
TWIST_SEGMENT_MIN_CONFIDENCE = 0.5

#: The twist of each neutral posture (the family a video of that posture may count as).
TWIST_OF = {
    PoseFamily.SUPINE: PoseFamily.SUPINE_TWIST,
    PoseFamily.SEATED: PoseFamily.SEATED_TWIST,
    PoseFamily.STANDING: PoseFamily.STANDING_TWIST,
}


def twist_segment(
    observations: Sequence[Observation], twist: PoseFamily
) -> tuple[float, float, float]:
    """The longest run of consecutive frames recognised as ``twist``.

    Parameters
    ----------
    observations
        The frames with a person, in time order.
    twist
        The twist family looked for.

    Returns
    -------
    tuple of float
        (start, end, mean family confidence) of the longest run, seconds from the video's
        start; frames further apart than :data:`TWIST_SEGMENT_GAP_S` end a run. (0, 0, 0)
        when no frame is the twist.
    """
    best = (0.0, 0.0, 0.0)
    best_len = -1.0
    run: list[Observation] = []
    for o in [*observations, None]:
        if (
            o is not None
            and o.family is twist
            and (not run or o.timestamp_s - run[-1].timestamp_s <= TWIST_SEGMENT_GAP_S)
        ):
            run.append(o)
            continue
        if run and run[-1].timestamp_s - run[0].timestamp_s > best_len:
            best_len = run[-1].timestamp_s - run[0].timestamp_s
            conf = float(np.mean([r.family_confidence for r in run]))
            best = (run[0].timestamp_s, run[-1].timestamp_s, conf)
        run = [o] if o is not None and o.family is twist else []
    return best


def video_family(
    observations: Sequence[Observation],
) -> tuple[PoseFamily, float, dict[str, float]]:
    """The video's pose family: the most frequent one, or its twist when that is common or
    sustained.

    A twist video starts and ends in the neutral posture, so "supine" often outnumbers
    "supine_twist"; the video counts as the twist when the twist holds at least
    :data:`TWIST_SHARE` of the frames with a person, or when one twist segment lasts
    :data:`TWIST_SEGMENT_S` at a mean confidence of :data:`TWIST_SEGMENT_MIN_CONFIDENCE`
    (:func:`twist_segment`). Confidence: the chosen family's mean per-frame confidence
    times its share of frames (a sustained segment: at least its mean confidence times
    :data:`TWIST_SHARE`).
    """
    if not observations:
        return PoseFamily.OTHER, 0.0, {}
    counts = Counter(o.family for o in observations)
    total = len(observations)
    shares = {str(f): round(c / total, 3) for f, c in counts.most_common()}
    family = counts.most_common(1)[0][0]
    twist = TWIST_OF.get(family)
    floor = 0.0
    if twist is not None and counts.get(twist, 0) / total >= TWIST_SHARE:
        family = twist
    elif twist is not None:
        start, end, conf = twist_segment(observations, twist)
        if end - start >= TWIST_SEGMENT_S and conf >= TWIST_SEGMENT_MIN_CONFIDENCE:
            family, floor = twist, conf * TWIST_SHARE
    confs = [o.family_confidence for o in observations if o.family == family]
    confidence = max(float(np.mean(confs)) * len(confs) / total, floor)
    return family, round(confidence, 3), shares


def video_summary_family(analysis: VideoAnalysis) -> PoseFamily:
    """The video's pose family as its summary gives it (:func:`video_family` over the
    frames with a person)."""
    seen = [f.observation for f in analysis.frames if f.skeleton is not None]
    return video_family(seen)[0]
