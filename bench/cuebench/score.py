"""Replay landmark sequences through the real live session and score its cues.

No rendering, no MediaPipe: this module takes recorded landmarks (``.npz``, written once
per clip by ``bench/cues.py landmarks``) and the clip's true angles, drives
:class:`twistcoach.session.LiveSession` (the desktop and browser coach's own code) frame
by frame, and scores the cues against the labelled faults. ``tests/test_cues.py`` uses it
on the committed CI set.

Faults and their cues (a cue within :data:`RECALL_WINDOW_S` of the fault's onset is a
hit; latency is the cue's time minus the onset):

========== ======================================================= ===================
fault      onset, from the true angles                             right cue
========== ======================================================= ===================
fast       the true speed first over the coach's limit (20 deg/s)   ``slow_down``
bounce     the coach's own bounce rule met by the true drop         ``no_bouncing``
shoulder   the true shoulder roll first over its limit (15 deg)     ``shoulders_open``
cap        the true drop first past the cap                         ``stay_here`` or
                                                                    ``ease_back``
wrong_side the true drop first 10 deg to the side not asked for     ``other_side``
early      the true drop back under 6 deg before the hold is done   ``hold_ended_early``
                                                                    (an event)
lost       the first blanked frame                                  ``paused_tracking_lost``
========== ======================================================= ===================

For the cap the score is also how far the true drop was past the cap when the coach first
said a cap cue (negative: said before the cap). A safety cue outside every fault's window
is a false alarm, except "stay here" said where the coach should intervene (the true drop
at its stay-here point, :func:`hold_zone_deg`): that is its intended hold cue (kept apart,
``ClipScore.hold_cues``). Calm time is the time the coach spent entering, holding or
returning outside the fault windows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twistcoach.checks import BounceCounter
from twistcoach.coaching import Cue, Event, build_coach_plan, load_coaching_rules
from twistcoach.landmarks import NUM_LANDMARKS, Landmark, Skeleton
from twistcoach.metrics import BodyType
from twistcoach.session import LiveSession
from twistcoach.tracking import TwistTracker

FloatArray = NDArray[np.float64]

#: "Stay here" is the coach's hold cue where it should intervene: from its stay-here point
#: less this much (degrees of true drop) for the camera reading a drop long (3 deg, as
#: tests/test_cues.py has checked since commit ce5ba55).
HOLD_CUE_TOLERANCE_DEG = 3.0
#: A cue this long after a fault's onset still counts as the right cue (issue 22: 1 s).
RECALL_WINDOW_S = 1.0
#: ... and this long before it (the measured angles can cross a limit a frame early).
EARLY_S = 0.5
#: The plan every clip is coached with (degrees, seconds; ``cuebench.plan``'s, repeated
#: here so this module imports without the generator: ``bench.recognition`` uses it), but
#: the long calm practice's cap (``cuebench.plan.plan_cap_deg``: 55 deg, so its drops stay
#: below "stay here"; ``replay``'s ``cap_deg``).
CAP_DEG = 45.0
HOLD_S = 5.0
#: The cues that speak for safety and form: any of them outside a fault is a false alarm.
SAFETY_CUES = (
    "slow_down",
    "slow_return",
    "no_bouncing",
    "shoulders_open",
    "ease_back",
    "stay_here",
    "other_side",
)
#: The right cue(s) for each fault.
RIGHT_CUES: dict[str, tuple[str, ...]] = {
    "fast": ("slow_down", "slow_return"),
    "bounce": ("no_bouncing",),
    "shoulder": ("shoulders_open",),
    "cap": ("stay_here", "ease_back"),
    "wrong_side": ("other_side",),
    "early": ("hold_ended_early",),
    "lost": ("paused_tracking_lost",),
}
#: Which fault each clip kind holds (calm and jump hold none).
KIND_FAULT = {
    "fast": "fast",
    "bounce": "bounce",
    "shoulder": "shoulder",
    "past_cap": "cap",
    "wrong_side": "wrong_side",
    "early_return": "early",
    "lost": "lost",
}
#: Cues that would be wrong for a fault, whenever they come (a wrong-side drop is never
#: "stay here" nor a hold).
FORBIDDEN: dict[str, tuple[str, ...]] = {"wrong_side": ("stay_here", "hold", "hold_started")}
_ACTIVE_STATES = ("entering", "holding", "returning")


# --------------------------------------------------------------------------- landmarks


@dataclass
class Landmarks:
    """A clip's recorded landmarks (MediaPipe, once per clip).

    Attributes
    ----------
    t
        Shape (n,), seconds.
    found
        Shape (n,), bool: a person was found.
    image_xy, image_z, world_xyz, visibility
        Shapes (n, 33, 2), (n, 33), (n, 33, 3), (n, 33); zeros where not found.
    size
        (width, height) of the frames in pixels.
    """

    t: FloatArray
    found: NDArray[np.bool_]
    image_xy: FloatArray
    image_z: FloatArray
    world_xyz: FloatArray
    visibility: FloatArray
    size: tuple[int, int]

    @classmethod
    def from_skeletons(
        cls, times: Sequence[float], skeletons: Sequence[Skeleton | None], size: tuple[int, int]
    ) -> Landmarks:
        """Pack a recording (``None``: nobody found); values stored as float32."""
        n = len(times)
        out = cls(
            np.asarray(times, dtype=np.float64),
            np.zeros(n, dtype=bool),
            np.zeros((n, NUM_LANDMARKS, 2)),
            np.zeros((n, NUM_LANDMARKS)),
            np.zeros((n, NUM_LANDMARKS, 3)),
            np.zeros((n, NUM_LANDMARKS)),
            size,
        )
        for i, s in enumerate(skeletons):
            if s is None:
                continue
            out.found[i] = True
            out.image_xy[i], out.image_z[i] = s.image_xy, s.image_z
            out.world_xyz[i], out.visibility[i] = s.world_xyz, s.visibility
        return out.rounded()

    def rounded(self) -> Landmarks:
        """The same values through float32 (what the files hold), so a replay from memory
        and one from a file are the same replay."""
        for name in ("image_xy", "image_z", "world_xyz", "visibility"):
            setattr(self, name, getattr(self, name).astype(np.float32).astype(np.float64))
        return self

    def save(self, path: Path, *, image_only: bool = False) -> None:
        """Write a compressed ``.npz``; ``image_only`` leaves out MediaPipe's depth and
        world landmarks (the CI set: the measuring never reads them, and a replay without
        them gives the same cues, checked on the demo clip)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {
            "t": self.t,
            "found": self.found,
            "image_xy": self.image_xy.astype(np.float32),
            "visibility": self.visibility.astype(np.float32),
            "size": np.array(self.size),
        }
        if not image_only:
            arrays["image_z"] = self.image_z.astype(np.float32)
            arrays["world_xyz"] = self.world_xyz.astype(np.float32)
        np.savez_compressed(path, allow_pickle=False, **arrays)

    @classmethod
    def load(cls, path: Path) -> Landmarks:
        """Read a file written by :meth:`save`."""
        with np.load(path) as d:
            w, h = (int(v) for v in d["size"])
            n = len(d["t"])
            return cls(
                d["t"].astype(np.float64),
                d["found"].astype(bool),
                d["image_xy"].astype(np.float64),
                d["image_z"].astype(np.float64) if "image_z" in d else np.zeros((n, NUM_LANDMARKS)),
                d["world_xyz"].astype(np.float64)
                if "world_xyz" in d
                else np.zeros((n, NUM_LANDMARKS, 3)),
                d["visibility"].astype(np.float64),
                (w, h),
            )

    def skeleton(self, i: int) -> Skeleton | None:
        """Frame ``i``'s skeleton (None: nobody found)."""
        if not self.found[i]:
            return None
        return Skeleton(
            float(self.t[i]),
            self.image_xy[i].copy(),
            self.image_z[i].copy(),
            self.world_xyz[i].copy(),
            self.visibility[i].copy(),
            self.size,
        )

    def cut(self, end_s: float) -> Landmarks:
        """A copy of the frames up to ``end_s`` seconds (all of them when it is longer)."""
        keep = self.t <= end_s
        out = Landmarks(
            **{k: np.copy(v[keep]) for k, v in self.__dict__.items() if k != "size"},
            size=self.size,
        )
        return out

    def blanked(self, start_s: float, end_s: float) -> Landmarks:
        """A copy with nobody found from ``start_s`` to ``end_s`` (tracking lost)."""
        out = Landmarks(
            **{k: np.copy(v) for k, v in self.__dict__.items() if k != "size"}, size=self.size
        )
        out.found[(out.t >= start_s) & (out.t < end_s)] = False
        return out

    def jumped(self, times_s: Iterable[float], shift_frac: float = 0.12) -> Landmarks:
        """A copy where, at the frames nearest ``times_s``, both knees and ankles jump
        sideways by ``shift_frac`` of the image width for one frame (a landmark glitch)."""
        out = Landmarks(
            **{k: np.copy(v) for k, v in self.__dict__.items() if k != "size"}, size=self.size
        )
        joints = [
            Landmark.LEFT_KNEE,
            Landmark.RIGHT_KNEE,
            Landmark.LEFT_ANKLE,
            Landmark.RIGHT_ANKLE,
        ]
        for when in times_s:
            i = int(np.argmin(np.abs(out.t - when)))
            for j in joints:
                out.image_xy[i, int(j), 0] += shift_frac * self.size[0]
        return out


# --------------------------------------------------------------------------- truth


@dataclass(frozen=True)
class Truth:
    """A clip's true angles per frame (``bench/cuebench/render.py``'s labels).

    Attributes
    ----------
    t, drop_deg, speed_deg_s, shoulder_roll_deg
        Shape (n,): seconds; true knee drop (+ = right), its gradient; shoulder roll.
    kind
        The clip's kind (``cuebench.plan.KINDS``, or ``lost``/``jump`` made from calm).
    plan_side
        The side the coach's plan asks for.
    plan_reps
        How many times the plan asks for it (the practice clips repeat the side).
    """

    t: FloatArray
    drop_deg: FloatArray
    speed_deg_s: FloatArray
    shoulder_roll_deg: FloatArray
    kind: str
    plan_side: str
    plan_reps: int = 1

    @classmethod
    def from_labels(cls, data: dict[str, Any], kind: str | None = None) -> Truth:
        """From a ``labels.json`` document."""
        frames = data["frames"]
        return cls(
            np.array([f["t"] for f in frames]),
            np.array([f["knee_drop_deg"] for f in frames]),
            np.array([f["speed_deg_s"] for f in frames]),
            np.array([f["shoulder_roll_deg"] for f in frames]),
            kind or str(data["kind"]),
            str(data["plan_side"]),
            int(data.get("plan_reps", 1)),
        )

    def at(self, t: float) -> float:
        """The true knee drop at ``t`` (degrees), interpolated."""
        return float(np.interp(t, self.t, self.drop_deg))


@dataclass(frozen=True)
class Fault:
    """A labelled moment: what, when the rule is first met (``onset_s``), until when cues
    belong to it, and from when (``start_s``: the motion that makes it, e.g. the first
    bounce; None: the onset)."""

    what: str
    onset_s: float
    end_s: float
    start_s: float | None = None

    @property
    def window(self) -> tuple[float, float]:
        """Cues within this span belong to the fault (never false alarms)."""
        first = self.onset_s if self.start_s is None else min(self.start_s, self.onset_s)
        return first - EARLY_S, self.end_s + RECALL_WINDOW_S


def faults(truth: Truth, blank: tuple[float, float] | None = None) -> list[Fault]:
    """The labelled faults of a clip, from its true angles (see the module docs)."""
    rules = load_coaching_rules()
    th = rules.thresholds
    t, drop = truth.t, truth.drop_deg
    zero = float(np.median(drop[t < 3.0]))
    rel = drop - zero
    what = KIND_FAULT.get(truth.kind)
    out: list[Fault] = []
    last = float(t[-1])
    if what == "bounce":
        counter = BounceCounter(th.check_limits())
        onset, first = last, None
        for ti, d in zip(t, rel, strict=True):
            before = list(counter._reversals)
            if counter.update(float(ti), float(d)):
                onset, first = float(ti), (before[0] if before else float(ti))
                break
        moving = np.abs(truth.speed_deg_s) > th.still_speed_deg_s
        end = float(t[np.nonzero(moving)[0][-1]])
        # Cues from the first bounce on belong to it (the first reversal, less a half
        # period for the swing that led to it).
        out.append(Fault(what, onset, end, None if first is None else first - 0.5))
    elif what == "shoulder":
        over = np.abs(truth.shoulder_roll_deg) > th.shoulder_roll_limit_deg
        idx = np.nonzero(over)[0]
        out.append(Fault(what, float(t[idx[0]]), float(t[idx[-1]])))
    elif what == "cap":
        over = np.abs(rel) > CAP_DEG
        idx = np.nonzero(over)[0]
        out.append(Fault(what, float(t[idx[0]]), float(t[idx[-1]])))
    elif what == "wrong_side":
        sign = 1.0 if truth.plan_side == "right" else -1.0
        wrong = -sign * rel >= th.min_hold_drop_deg
        idx = np.nonzero(wrong)[0]
        out.append(Fault(what, float(t[idx[0]]), float(t[idx[-1]])))
    elif what == "early":
        peak = int(np.argmax(np.abs(rel)))
        back = np.nonzero(np.abs(rel[peak:]) < th.hold_exit_deg)[0]
        onset = float(t[peak + back[0]]) if len(back) else last
        out.append(Fault(what, onset, onset))
    elif what == "lost" and blank is not None:
        out.append(Fault(what, blank[0], blank[1]))
    # Every stretch where the true speed is over the limit is a fast fault, in any clip
    # (the past-the-cap clip's return is one), except inside a bounce (its own fault).
    bounce = [f.window for f in out if f.what == "bounce"]
    fast = np.abs(truth.speed_deg_s) > th.speed_limit_deg_s
    i = 0
    while i < len(t):
        if not fast[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(t) and fast[j + 1]:
            j += 1
        if not any(a <= t[i] <= b for a, b in bounce):
            out.append(Fault("fast", float(t[i]), float(t[j])))
        i = j + 1
    return sorted(out, key=lambda f: f.onset_s)


# --------------------------------------------------------------------------- replay


@dataclass
class Replay:
    """What the live session did on one clip.

    Attributes
    ----------
    cues
        (time, cue id) in order.
    events
        (time, event kind) in order.
    coach_drop
        Shape (n,): the coach's knee drop from its zero (NaN: not measured).
    states
        The coach's state after each frame.
    """

    cues: list[tuple[float, str]] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)
    coach_drop: list[float] = field(default_factory=list)
    states: list[str] = field(default_factory=list)


def coach_plan(side: str, reps: int = 1, cap_deg: float = CAP_DEG) -> Any:
    """The benchmark's plan: the supine twist, cap ``cap_deg`` (:data:`CAP_DEG` but for
    the long calm practice), one side ``reps`` times (the coach rests
    :attr:`switch_rest_s` at the centre between repetitions)."""
    return build_coach_plan(
        variant_id="supine_twist_full",
        family="supine_twist",
        status="allowed",
        max_knee_drop_deg=cap_deg,
        hold_s=HOLD_S,
        sides=[side] * reps,
    )


def replay(
    marks: Landmarks,
    side: str,
    body: BodyType = BodyType.NEUTRAL,
    reps: int = 1,
    cap_deg: float = CAP_DEG,
) -> Replay:
    """Drive a fresh :class:`LiveSession` with the recorded landmarks, frame by frame
    (the plan asks for ``side``, ``reps`` times, cap ``cap_deg`` degrees:
    ``plan_cap_deg(kind)`` for a rendered clip)."""
    live = LiveSession.create(
        coach_plan(side, reps, cap_deg), tracker=TwistTracker(body=body), start_pain=0, body=body
    )
    out = Replay()
    for i, t in enumerate(marks.t):
        for o in live.frame(float(t), marks.skeleton(i)):
            if isinstance(o, Cue):
                out.cues.append((o.t, o.id))
            elif isinstance(o, Event):
                out.events.append((o.t, o.id))
        d = live.coach.last_drop_deg
        out.coach_drop.append(float("nan") if d is None else d)
        out.states.append(live.coach.state.value)
    return out


# --------------------------------------------------------------------------- scoring


@dataclass
class FaultScore:
    """One labelled fault and what the coach said about it."""

    clip: str
    split: str
    what: str
    onset_s: float
    hit: bool
    latency_s: float | None
    #: For the cap: true degrees past the cap at the first cap cue (None: never said).
    past_cap_deg: float | None = None
    forbidden: list[str] = field(default_factory=list)


@dataclass
class ClipScore:
    """A clip's faults, false alarms and calm time."""

    clip: str
    split: str
    kind: str
    faults: list[FaultScore]
    false_alarms: list[tuple[float, str]]
    calm_s: float
    ready_s: float | None  # when the coach first asked for the drop (None: never)
    pauses: int
    #: "Stay here" outside every fault said where the coach should intervene (the true drop
    #: within the coach's stay margin of the cap, less :data:`HOLD_CUE_TOLERANCE_DEG`): the
    #: coach's intended hold cue, not a false alarm (time, cue id).
    hold_cues: list[tuple[float, str]] = field(default_factory=list)


def hold_zone_deg(cap_deg: float, body: BodyType = BodyType.NEUTRAL) -> float:
    """The true knee drop (degrees from lying flat) from which the coach should say "that's
    enough, stay here" under a cap of ``cap_deg``: its stay-here point (the cap less
    ``CoachingRules.stay_margin``, the camera's measured under-read there) less
    :data:`HOLD_CUE_TOLERANCE_DEG` for the camera reading long."""
    margin = load_coaching_rules().stay_margin(cap_deg, body.value)
    return cap_deg - margin - HOLD_CUE_TOLERANCE_DEG


def score(
    name: str,
    split: str,
    truth: Truth,
    rep: Replay,
    blank: tuple[float, float] | None = None,
    cap_deg: float = CAP_DEG,
    body: BodyType = BodyType.NEUTRAL,
) -> ClipScore:
    """Score one replay (coached with a cap of ``cap_deg`` degrees and the template
    ``body``) against its clip's labelled faults."""
    found = faults(truth, blank)
    windows = [f.window for f in found]
    if any(f.what == "lost" for f in found):
        # The session is paused for a moment after the blank ends.
        windows = [(a, b + 2.0) for a, b in windows]
    said = rep.cues + [(t, k) for t, k in rep.events if k == "hold_ended_early"]
    scores: list[FaultScore] = []
    for f in found:
        right = RIGHT_CUES[f.what]
        hits = [t for t, c in said if c in right and f.onset_s - EARLY_S <= t]
        first = min(hits) if hits else None
        limit = RECALL_WINDOW_S + (1.0 if f.what == "lost" else 0.0)
        hit = first is not None and first <= f.onset_s + limit
        fs = FaultScore(
            name, split, f.what, f.onset_s, hit, None if first is None else first - f.onset_s
        )
        if f.what == "cap":
            cap_cues = [t for t, c in said if c in right]
            zero = float(np.median(truth.drop_deg[truth.t < 3.0]))
            if cap_cues:
                fs.past_cap_deg = abs(truth.at(min(cap_cues)) - zero) - CAP_DEG
            hit = bool(cap_cues) and min(cap_cues) <= f.onset_s + RECALL_WINDOW_S
            fs.hit = hit
            fs.latency_s = None if not cap_cues else min(cap_cues) - f.onset_s
        bad = FORBIDDEN.get(f.what, ())
        fs.forbidden = [c for _, c in rep.cues + rep.events if c in bad]
        scores.append(fs)
    outside = [
        (t, c) for t, c in rep.cues if c in SAFETY_CUES and not any(a <= t <= b for a, b in windows)
    ]
    zero = float(np.median(truth.drop_deg[truth.t < 3.0]))
    floor = hold_zone_deg(cap_deg, body)
    hold_cues = [
        (t, c) for t, c in outside if c == "stay_here" and abs(truth.at(t) - zero) >= floor
    ]
    false_alarms = [x for x in outside if x not in hold_cues]
    dt = float(np.median(np.diff(truth.t))) if len(truth.t) > 1 else 0.0
    calm = 0.0
    for t, state in zip(truth.t, rep.states, strict=False):
        if state in _ACTIVE_STATES and not any(a <= t <= b for a, b in windows):
            calm += dt
    ready = next((t for t, c in rep.cues if c == "enter_side"), None)
    pauses = sum(1 for _, c in rep.cues if c.startswith("paused"))
    return ClipScore(name, split, truth.kind, scores, false_alarms, calm, ready, pauses, hold_cues)


@dataclass(frozen=True)
class Summary:
    """Per-fault recall and latency, false alarms per 10 minutes, the cap's overshoot."""

    recall: dict[str, tuple[int, int]]  # fault -> (hits, faults)
    median_latency_s: dict[str, float | None]
    false_alarms: int
    calm_s: float
    worst_past_cap_deg: float | None
    wrong_side_forbidden: int

    @property
    def false_per_10min(self) -> float:
        """False alarms per 10 minutes of calm practice."""
        return self.false_alarms / self.calm_s * 600.0 if self.calm_s > 0 else float("nan")


def summarise(clips: Sequence[ClipScore]) -> Summary:
    """Pool clip scores."""
    recall: dict[str, tuple[int, int]] = {}
    lat: dict[str, list[float]] = {}
    past: list[float] = []
    forbidden = 0
    for c in clips:
        for f in c.faults:
            h, n = recall.get(f.what, (0, 0))
            recall[f.what] = (h + int(f.hit), n + 1)
            if f.hit and f.latency_s is not None:
                lat.setdefault(f.what, []).append(f.latency_s)
            if f.what == "cap":
                past.append(f.past_cap_deg if f.past_cap_deg is not None else float("inf"))
            if f.what == "wrong_side":
                forbidden += len(f.forbidden)
    med = {k: (float(np.median(v)) if v else None) for k, v in lat.items()}
    for k in recall:
        med.setdefault(k, None)
    return Summary(
        recall,
        med,
        sum(len(c.false_alarms) for c in clips),
        sum(c.calm_s for c in clips),
        max(past) if past else None,
        forbidden,
    )


#: Blanked frames of the "lost" clips made from calm ones (seconds: during the hold, the
#: calm clips lying flat 7.5 s first, ``cuebench.plan``).
LOST_S = (16.0, 18.5)
#: One-frame landmark jumps of the "jump" clips made from calm ones (seconds).
JUMPS_S = (13.5, 16.5, 19.5, 23.0)


def variants(
    name: str, truth: Truth, marks: Landmarks
) -> list[tuple[str, Truth, Landmarks, tuple[float, float] | None]]:
    """The clip itself and, for a calm clip, its "lost" (frames blanked) and "jump" (one-
    frame landmark glitches) variants: (name, truth, landmarks, blanked span)."""
    out: list[tuple[str, Truth, Landmarks, tuple[float, float] | None]] = [
        (name, truth, marks, None)
    ]
    if truth.kind == "calm":
        for kind, m, blank in (
            ("lost", marks.blanked(*LOST_S), LOST_S),
            ("jump", marks.jumped(JUMPS_S), None),
        ):
            tr = Truth(
                truth.t,
                truth.drop_deg,
                truth.speed_deg_s,
                truth.shoulder_roll_deg,
                kind,
                truth.plan_side,
                truth.plan_reps,
            )
            out.append((name.replace("_calm", f"_{kind}"), tr, m, blank))
    return out


def load_truth(path: Path, kind: str | None = None) -> Truth:
    """A clip's truth from its ``labels.json``."""
    return Truth.from_labels(json.loads(path.read_text()), kind)
