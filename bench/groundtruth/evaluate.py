"""Run the real twistcoach pipeline on rendered ground truth and score it.

No torch here: this module reads rendered images, videos and their ``labels.json`` and
needs only the product's own dependencies, so the CI tests (tests/test_groundtruth.py)
and the benchmark (bench/accuracy.py) share it.

Three ways of measuring, all through the product's public code:

``photo``
    ``Analyzer.analyze_image``: one photograph, no calibration (``twistcoach analyze
    photo.jpg``).
``calibrated``
    A session's use: the flat, knees-up still of the same person and camera calibrates
    (``kinematics.calibrate``), then each still goes through a ``TwistTracker`` holding
    that calibration (the tracker decides whether the view is measurable).
``video``
    ``Analyzer.analyze_video`` on a rendered clip (``twistcoach analyze clip.mp4``): the
    tracker calibrates itself on the first seconds of lying flat.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: Metrics scored: (name in the labels, attribute of TwistMetrics).
METRICS: tuple[tuple[str, str], ...] = (
    ("knee_drop_deg", "knee_drop"),
    ("pelvis_roll_deg", "pelvis_roll"),
    ("shoulder_roll_deg", "shoulder_roll"),
    ("twist_deg", "twist"),
    ("knee_flexion_deg", "knee_flexion"),
)

#: The cameras inside the placement the app recommends (recognition.ADVICE_RECOMMENDED):
#: raised diagonals 50-60 degrees round from the feet, 35-45 degrees up, chosen from the
#: stills of every diagonal (bench/ACCURACY.md, "by camera").
RECOMMENDED_CAMERAS = (
    "diag_r50_e40",
    "diag_r55_e35",
    "diag_r60_e45",
    "diag_l55_e35",
    "diag_l60_e45",
)
#: Views the app is expected to refuse ("can't measure from here"), by camera name.
EXPECTED_REFUSED = ("side_l_low", "side_r_mid", "feet_low")


@dataclass
class Result:
    """One image or frame through the pipeline, with its truth."""

    source: str  # image path or clip name + frame index
    body: str
    camera: str
    view: str  # the camera's intended view (the plan's)
    mode: str
    labels: dict[str, Any]
    detected: bool = False
    measurable: bool = False
    recognized_view: str = "unknown"
    advice: str = ""
    calibrated: bool = False
    measured: dict[str, float | None] = field(default_factory=dict)
    #: The template body the calibration started from (``metrics.BodyType``): neutral
    #: when the person does not say, else the rendered body's own.
    body_type: str = "neutral"

    def error(self, label: str) -> float | None:
        """Measured minus true, degrees; None when not measured."""
        value = self.measured.get(label)
        if value is None or not self.measurable:
            return None
        return float(value) - float(self.labels[label])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dict(self.__dict__)


def _fill(result: Result, metrics: Any) -> None:
    if metrics is None:
        return
    for label, attr in METRICS:
        result.measured[label] = getattr(metrics, attr).value
    result.measured["speed_deg_s"] = metrics.speed.value
    result.measured["side"] = None if metrics.drop_side is None else str(metrics.drop_side)  # type: ignore[assignment]


#: How each measuring is done: with the neutral template body (the person did not say),
#: and with the rendered body's own (the person said female or male).
BODY_MODES = ("neutral", "stated")


def body_type_of(body: str, mode: str = "stated") -> str:
    """The ``metrics.BodyType`` value to measure a rendered body with: its own sex
    (named first in every body's name, ``plan.bodies``) when ``mode`` is ``stated``."""
    if mode == "neutral":
        return "neutral"
    if mode != "stated":
        raise ValueError(f"unknown body mode {mode!r}: use one of {BODY_MODES}")
    for prefix, body_type in (("woman", "female"), ("man", "male")):
        if body.startswith(prefix):
            return body_type
    raise ValueError(f"cannot tell the body type of {body!r}")


def load_stills(root: Path) -> list[dict[str, Any]]:
    """The still records of a rendered set (``root/labels.json``)."""
    data = json.loads((root / "labels.json").read_text())
    records: list[dict[str, Any]] = data["stills"]
    return records


#: File (inside a rendered set) caching MediaPipe's skeletons of its stills, by image.
SKELETON_CACHE = "skeletons.npz"


def estimate_stills(
    root: Path,
    records: Sequence[dict[str, Any]],
    cache: bool = False,
    model: int | None = None,
) -> dict[str, Any]:
    """MediaPipe's skeleton (static image mode) of every still, by image; None if nobody.

    ``model`` is the landmark model's complexity (``estimator.FULL_MODEL`` or
    ``HEAVY_MODEL``; by default the photographs' one, ``estimator.LIVE_MODEL``). With
    ``cache`` (the benchmark's render cache, never the committed CI set) they are kept in
    ``root/skeletons.npz`` by image name, file size, modification time and model, so a
    rerun of the benchmark with changed kinematics does not estimate again (MediaPipe is
    most of its time: about 0.2 s a still on one core).
    """
    from twistcoach.estimator import LIVE_MODEL, make_mediapipe_estimator
    from twistcoach.landmarks import Skeleton
    from twistcoach.sources import read_image

    model = LIVE_MODEL if model is None else model

    cache_path = root / SKELETON_CACHE
    cached: dict[str, np.ndarray] = {}
    if cache and cache_path.exists():
        with np.load(cache_path) as data:
            cached = {k: data[k] for k in data.files}
    out: dict[str, Any] = {}
    fresh = 0

    def stamp(rec: dict[str, Any]) -> str:
        st = (root / rec["image"]).stat()
        return f"{rec['image']}|{st.st_size}|{st.st_mtime_ns}|model {model}"

    with make_mediapipe_estimator(static_image_mode=True, model_complexity=model) as estimator:
        for rec in records:
            key = stamp(rec)
            if key + "|none" in cached:
                out[rec["image"]] = None
                continue
            if key + "|xy" in cached:
                out[rec["image"]] = Skeleton(
                    0.0,
                    cached[key + "|xy"],
                    cached[key + "|z"],
                    cached[key + "|w"],
                    cached[key + "|v"],
                    (int(cached[key + "|size"][0]), int(cached[key + "|size"][1])),
                )
                continue
            skeleton = estimator.estimate(read_image(root / rec["image"]), 0.0)
            out[rec["image"]] = skeleton
            fresh += 1
            if skeleton is None:
                cached[key + "|none"] = np.zeros(1)
            else:
                cached[key + "|xy"] = skeleton.image_xy
                cached[key + "|z"] = skeleton.image_z
                cached[key + "|w"] = skeleton.world_xyz
                cached[key + "|v"] = skeleton.visibility
                cached[key + "|size"] = np.array(skeleton.image_size)
    if cache and fresh:
        np.savez(cache_path, **cached)  # type: ignore[arg-type]
    return out


def run_photos(
    root: Path, records: Sequence[dict[str, Any]], skeletons: dict[str, Any] | None = None
) -> list[Result]:
    """Each still as a lone photograph, uncalibrated: what ``Analyzer.analyze_image``
    does (``recognition.recognize``, then ``kinematics.measure`` with no calibration; a
    view that cannot be measured gives no view-dependent number), on the skeletons of
    :func:`estimate_stills`."""
    from twistcoach.kinematics import measure
    from twistcoach.recognition import recognize

    skeletons = skeletons if skeletons is not None else estimate_stills(root, records)
    out = []
    for rec in records:
        skeleton = skeletons[rec["image"]]
        r = Result(rec["image"], rec["body"], rec["camera"], rec["view"], "photo", rec["labels"])
        r.detected = skeleton is not None
        if skeleton is not None:
            rec_ = recognize(skeleton)
            metrics = measure(skeleton, None)
            r.measurable = bool(rec_.measurable)
            r.recognized_view = str(rec_.view)
            r.advice = rec_.advice
            _fill(r, metrics if rec_.measurable else metrics.unmeasured())
        out.append(r)
    return out


def run_calibrated(
    root: Path,
    records: Sequence[dict[str, Any]],
    modes: Sequence[str] = ("neutral",),
    skeletons: dict[str, Any] | None = None,
) -> list[Result]:
    """Stills measured as in a session: calibrated on the same camera's flat still.

    Stills are estimated in static mode (they are separate renders, not a stream). When
    the flat still gives no person or no calibration, every still of that camera counts
    as refused (the app would ask to move the camera), never as measured. Each of
    ``modes`` (:data:`BODY_MODES`) measures every still once, from one estimation.
    """
    from twistcoach.kinematics import CalibrationError, calibrate, calibrate_for
    from twistcoach.metrics import BodyType
    from twistcoach.tracking import LOST_ADVICE, TwistTracker

    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rec in records:
        groups.setdefault((rec["body"], rec["camera"]), []).append(rec)
    out = []
    estimated = skeletons if skeletons is not None else estimate_stills(root, records)
    for group in groups.values():
        group_sk = {rec["image"]: estimated[rec["image"]] for rec in group}
        flat = [r for r in group if r["theta_cmd_deg"] == 0.0]
        for mode in modes:
            body_type = BodyType(body_type_of(group[0]["body"], mode))
            cal = None
            advice = ""
            if flat and group_sk[flat[0]["image"]] is not None:
                try:
                    # As a session calibrates: the template of the body type said, a
                    # short thigh's when none is (kinematics.calibrate_for).
                    flat_sk = group_sk[flat[0]["image"]]
                    cal = calibrate_for(body_type, lambda m, sk=flat_sk: calibrate([sk], model=m))
                except CalibrationError as err:
                    advice = str(err)
            for rec in group:
                r = Result(
                    rec["image"],
                    rec["body"],
                    rec["camera"],
                    rec["view"],
                    "calibrated",
                    rec["labels"],
                    body_type=str(body_type),
                )
                skeleton = group_sk[rec["image"]]
                r.detected = skeleton is not None
                r.calibrated = cal is not None
                if skeleton is not None and cal is not None:
                    obs = TwistTracker(calibration=cal).update(0.0, skeleton)
                    r.measurable = obs.view_measurable and obs.metrics is not None
                    r.recognized_view = str(obs.view)
                    r.advice = obs.view_advice
                    _fill(r, obs.metrics)
                else:
                    # What the app says then: the calibration's reason, or nobody seen.
                    r.advice = advice or LOST_ADVICE
                out.append(r)
    return out


def _estimated_cache(video: Path, model: int) -> Path:
    return video.parent / f"{video.stem}.estimated-model{model}.npz"


def _load_estimated(video: Path, model: int) -> list[Any] | None:
    """The clip's cached estimation (:func:`run_video`), if made from this video file with
    the estimator's present settings for ``model`` (``estimator.tracking_settings``)."""
    from twistcoach.estimator import tracking_settings
    from twistcoach.landmarks import Skeleton
    from twistcoach.pipeline import Estimated

    path = _estimated_cache(video, model)
    if not path.exists():
        return None
    with np.load(path) as d:
        if int(d["video_mtime_ns"]) != video.stat().st_mtime_ns:
            return None
        if "settings" not in d.files or str(d["settings"]) != tracking_settings(model):
            return None
        size = (int(d["size"][0]), int(d["size"][1]))
        return [
            Estimated(
                int(i),
                float(t),
                Skeleton(float(t), d["xy"][n], d["z"][n], d["w"][n], d["v"][n], size)
                if found
                else None,
            )
            for n, (i, t, found) in enumerate(zip(d["index"], d["t"], d["found"], strict=True))
        ]


def _save_estimated(video: Path, estimated: Sequence[Any], model: int) -> None:
    from twistcoach.estimator import tracking_settings

    n = len(estimated)
    arrays: dict[str, Any] = {
        k: np.zeros(shape) for k, shape in (("xy", (n, 33, 2)), ("z", (n, 33)))
    }
    arrays["w"], arrays["v"] = np.zeros((n, 33, 3)), np.zeros((n, 33))
    size = (0, 0)
    for k, e in enumerate(estimated):
        if e.skeleton is not None:
            sk = e.skeleton
            arrays["xy"][k], arrays["z"][k] = sk.image_xy, sk.image_z
            arrays["w"][k], arrays["v"][k] = sk.world_xyz, sk.visibility
            size = sk.image_size
    np.savez(
        _estimated_cache(video, model),
        index=np.array([e.index for e in estimated]),
        t=np.array([e.timestamp_s for e in estimated]),
        found=np.array([e.skeleton is not None for e in estimated]),
        size=np.array(size),
        video_mtime_ns=np.array(video.stat().st_mtime_ns),
        settings=np.array(tracking_settings(model)),
        **arrays,
    )


def run_video(
    video: Path,
    labels: dict[str, Any],
    name: str,
    modes: Sequence[str] = ("neutral",),
    cache: bool = False,
    model: int | None = None,
) -> list[Result]:
    """A rendered clip through ``Analyzer.analyze_video`` (tracking mode, self-calibrating).

    ``model`` is the landmark model's complexity: by default a recorded video's
    (``estimator.RECORDED_MODEL``, what ``twistcoach analyze`` uses, tracked as it tracks a
    recording); the live coach's (``estimator.LIVE_MODEL``) measures the same clip as the
    browser would see it.

    The first of ``modes`` (:data:`BODY_MODES`) is the analysis itself; each further one
    tracks the same estimated frames again with its template body
    (``pipeline.run_tracker``, what ``analyze_video`` does after estimating). With
    ``cache`` (the benchmark's render cache, never the committed CI set) the estimation
    is kept beside the video (``<video>.estimated-model<N>.npz``, one per landmark model)
    and a rerun tracks the cached frames with every mode.
    """
    from twistcoach.estimator import RECORDED_MODEL, make_mediapipe_estimator
    from twistcoach.metrics import BodyType
    from twistcoach.pipeline import Analyzer, Estimated, run_tracker
    from twistcoach.tracking import TwistTracker

    model = RECORDED_MODEL if model is None else model

    def tracker(mode: str) -> TwistTracker:
        # As `twistcoach analyze` tracks a recording (a second calibration once the
        # landmarks settled), or as the live coach tracks its camera.
        return TwistTracker(
            body=BodyType(body_type_of(labels["body"], mode)),
            refine_calibration=model == RECORDED_MODEL,
        )

    def estimator() -> Any:
        return make_mediapipe_estimator(static_image_mode=False, model_complexity=model)

    estimated = _load_estimated(video, model) if cache else None
    runs: list[tuple[str, Any]] = []
    if estimated is None:
        with Analyzer(
            workers=1, tracker_factory=lambda: tracker(modes[0]), video_estimator=estimator
        ) as analyzer:
            analysis = analyzer.analyze_video(video)
        runs.append((modes[0], analysis.frames))
        estimated = [Estimated(f.index, f.timestamp_s, f.skeleton) for f in analysis.frames]
        if cache:
            _save_estimated(video, estimated, model)
    runs += [(mode, run_tracker(estimated, tracker(mode))) for mode in modes[len(runs) :]]
    out = []
    for mode, results in runs:
        out += _video_results(results, labels, name, body_type_of(labels["body"], mode))
    return out


def _video_results(
    analysed: Sequence[Any], labels: dict[str, Any], name: str, body_type: str
) -> list[Result]:
    frames = labels["frames"]
    out = []
    for fr in analysed:
        if fr.index >= len(frames):
            break
        truth = frames[fr.index]
        obs = fr.observation
        r = Result(
            f"{name}#{fr.index}",
            labels["body"],
            labels["camera"],
            labels["view"],
            "video",
            truth["labels"],
            body_type=body_type,
        )
        r.detected = fr.skeleton is not None
        r.measurable = obs.view_measurable and obs.metrics is not None
        r.recognized_view = str(obs.view)
        r.advice = obs.view_advice
        _fill(r, obs.metrics)
        r.measured["t"] = fr.timestamp_s
        out.append(r)
    return out


@dataclass(frozen=True)
class Stats:
    """Error statistics of one metric over a set of results (degrees)."""

    n: int
    detection_rate: float
    measured_rate: float
    mae: float | None
    bias: float | None
    p95: float | None
    worst: float | None
    side_correct: float | None

    def row(self) -> list[str]:
        """Formatted cells for a markdown table."""

        def f(x: float | None, pct: bool = False) -> str:
            if x is None:
                return "-"
            return f"{100 * x:.0f}%" if pct else f"{x:.1f}"

        return [
            str(self.n),
            f(self.detection_rate, True),
            f(self.measured_rate, True),
            f(self.mae),
            f(self.bias),
            f(self.p95),
            f(self.worst),
            f(self.side_correct, True),
        ]


_OTHER_SIDE = {"left": "right", "right": "left", "centre": ""}


def stats(results: Iterable[Result], label: str, max_abs_deg: float | None = 70.0) -> Stats:
    """Detection, measured share and errors of ``label`` over ``results``.

    Only results whose true knee drop is within ``max_abs_deg`` count (the thresholds
    hold "up to 70 degrees"). The side is right unless the measurement names the other
    side, over measured results whose true drop is at least 10 degrees.
    """
    rs = [
        r
        for r in results
        if max_abs_deg is None or abs(float(r.labels["knee_drop_deg"])) <= max_abs_deg
    ]
    if not rs:
        return Stats(0, 0.0, 0.0, None, None, None, None, None)
    detected = sum(r.detected for r in rs)
    errs = np.array([e for r in rs if (e := r.error(label)) is not None])
    # The side is wrong when the measurement names the other side; "centre" for a small true
    # drop is an error of size (counted in the MAE), not of side.
    sides = [
        str(r.measured.get("side")) != _OTHER_SIDE[str(r.labels["side"])]
        for r in rs
        if r.measurable
        and r.measured.get("knee_drop_deg") is not None
        and abs(float(r.labels["knee_drop_deg"])) >= 10.0
    ]
    if len(errs) == 0:
        return Stats(len(rs), detected / len(rs), 0.0, None, None, None, None, None)
    abs_err = np.abs(errs)
    return Stats(
        n=len(rs),
        detection_rate=detected / len(rs),
        measured_rate=len(errs) / len(rs),
        mae=float(abs_err.mean()),
        bias=float(errs.mean()),
        p95=float(np.percentile(abs_err, 95)),
        worst=float(abs_err.max()),
        side_correct=(sum(sides) / len(sides)) if sides else None,
    )


def refusal_rate(results: Iterable[Result]) -> float | None:
    """Share of detected-or-not results where the app did not measure the knee drop."""
    rs = list(results)
    if not rs:
        return None
    refused = [not (r.measurable and r.measured.get("knee_drop_deg") is not None) for r in rs]
    return sum(refused) / len(rs)


#: Width of the true-drop bands of :func:`under_read_rows`, degrees.
UNDER_READ_BAND_DEG = 5.0


def _session_key(r: Result) -> str:
    """What shares one calibration: a clip (its name) or a (mode, body, camera) still group,
    measured with one template body."""
    group = r.source.split("#")[0] if "#" in r.source else f"{r.mode}:{r.body}:{r.camera}"
    return f"{r.body_type}:{group}"


def _neutral_readings(results: Sequence[Result]) -> dict[str, float]:
    """The coach's zero for each clip or (body, camera) group of stills: the median knee
    drop measured over its first frames lying flat (true |drop| < 1 degree), 0 if none."""
    first: dict[str, list[float]] = {}
    started: set[str] = set()
    for r in results:
        key = _session_key(r)
        if abs(float(r.labels["knee_drop_deg"])) >= 1.0:
            started.add(key)
            continue
        value = r.error("knee_drop_deg")
        if key not in started and value is not None:
            first.setdefault(key, []).append(float(r.measured["knee_drop_deg"]))  # type: ignore[arg-type]
    return {key: float(np.median(v)) for key, v in first.items()}


def under_read_rows(
    results: Sequence[Result], cameras: Iterable[str] = RECOMMENDED_CAMERAS
) -> list[tuple[float, int, float, float]]:
    """The worst knee-drop under- and over-read by true drop from ``cameras`` (the
    recommended ones by default), as the coach sees them.

    Returns (band's upper end, count, worst under-read, worst over-read) per 5-degree band
    of true |knee drop| from 10 degrees (where a side is defined) up, over measured results
    from those cameras. The coach measures from its zero, the reading lying flat
    (``coaching.Coach.baseline_deg``), so each clip's or still group's reading lying flat
    is taken off first. Under-read = true minus that measured in the drop's direction
    (positive: read short); over-read its negation. The coach's "stay here" margins
    (``under_read`` in ``rules/coaching.yaml``) must cover the under-reads.
    """
    chosen = frozenset(cameras)
    zero = _neutral_readings(results)
    bands: dict[float, list[float]] = {}
    for r in results:
        if r.camera not in chosen or r.error("knee_drop_deg") is None:
            continue
        true = float(r.labels["knee_drop_deg"])
        if abs(true) < 10.0:
            continue
        zero_deg = zero.get(_session_key(r), 0.0)
        measured = float(r.measured["knee_drop_deg"]) - zero_deg  # type: ignore[arg-type]
        under = abs(true) - measured * (1.0 if true > 0 else -1.0)
        upper = UNDER_READ_BAND_DEG * (abs(true) // UNDER_READ_BAND_DEG + 1)
        bands.setdefault(upper, []).append(under)
    return [(up, len(u), max(u), -min(u)) for up, u in sorted(bands.items())]


def band_margin(stay_margin: Callable[[float], float], upper: float) -> float:
    """The coach's "stay here" margin (``coaching.CoachingRules.stay_margin``) for any cap
    in the :func:`under_read_rows` band ending at ``upper`` degrees: its smallest there."""
    return min(stay_margin(upper - UNDER_READ_BAND_DEG + 0.01), stay_margin(upper))
