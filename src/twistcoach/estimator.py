"""Pose estimators: frames in, :class:`~twistcoach.landmarks.Skeleton` out.

This is the only module that imports mediapipe (lazily, inside the factory), so the rest of
twistcoach and its tests can run on recorded skeletons through :class:`ReplayEstimator`.

Conventions
-----------
Frames are RGB ``uint8`` arrays of shape (H, W, 3). Every call carries an explicit
timestamp in seconds; estimators never read a clock. The returned skeleton holds image
landmarks in pixels (x right, y down), MediaPipe's relative depth scaled like x, the
metric world landmarks in metres and the per-landmark visibility (see ``landmarks``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
from numpy.typing import NDArray

import twistcoach.errors as _errors
from twistcoach.landmarks import NUM_LANDMARKS, Skeleton

#: MediaPipe's BlazePose landmark models twistcoach uses, both on this machine with no
#: download: full (1), in the mediapipe 0.10.14 wheel; heavy (2), the same file the pinned
#: npm package ``@mediapipe/pose`` 0.5.1675469404 ships (its full model is byte for byte
#: the wheel's), which ``make setup`` copies beside the full one (:func:`heavy_model_path`).
FULL_MODEL = 1
HEAVY_MODEL = 2
#: Their names, as reports and summaries give them (``landmark_model``).
MODEL_NAMES = {FULL_MODEL: "full", HEAVY_MODEL: "heavy"}

#: The model for live streams (the browser coach, ``twistcoach coach``) and photographs:
#: full. It runs at the camera's rate on a phone (11 ms a 640x360 frame on one core here,
#: against the heavy model's 34), the coach's cues and margins were measured with it
#: (bench/CUES.md, bench/ACCURACY_LIVE.md) and the pose-family classifier learned from its
#: landmarks (with heavy landmarks the shipped classifier reads 37 of the 43 development
#: photographs right, 12 of 15 twists and one false twist, a plough; with full ones 39, 13
#: and 0; read from the images, 2026-12-06).
LIVE_MODEL = FULL_MODEL

#: The model for recorded videos of a supine twist (``twistcoach analyze``, batches,
#: reports; seated and standing twists: :data:`ROTATION_MODEL`): heavy. On the
#: rendered stills and 32 clips from the recommended place (true drops up to 70 deg, the
#: body type given) its knee drop reads worst 10.2 deg off on the held-out bodies and 10.0
#: on the tuning ones, against 15.8 and 17.3 with the full model (no body type said: 10.2
#: and 9.6 against 17.3 and 17.3; bench/ACCURACY.md, ACCURACY_LIVE.md), at three times the
#: cost, which a recording can afford. Its pelvis roll reads the slimmest small women worse
#: (docs/accuracy.md).
RECORDED_MODEL = HEAVY_MODEL

#: The model for seated and standing twists in recorded videos (trunk rotation): full. On
#: the rendered seated and standing twists from the recommended place (calibrated, true
#: rotations up to 47 deg, static mode; bench/ACCURACY_SEATED.md) the heavy model read the
#: rotation worse: held out, seated 3.6 / worst 11.2 deg against 2.7 / 8.8, standing 2.5 /
#: 9.2 against 2.5 / 8.3 (tuning: 3.4 / 10.7 against 2.3 / 6.0, 2.2 / 9.1 against 1.6 /
#: 7.5). ``twistcoach analyze`` estimates such a video with this model (again, when it
#: first took it for a supine twist).
ROTATION_MODEL = FULL_MODEL

#: The SHA-256 of ``pose_landmark_heavy.tflite`` (the npm package's; checked before use,
#: so a stray or truncated file is refused rather than measured with).
HEAVY_MODEL_SHA256 = "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"

#: MediaPipe's own landmark smoothing in tracking mode (``smooth_landmarks``; the browser's
#: ``smoothLandmarks`` is given this value by the practice page): on. Off, it measured
#: better on the 32 rendered clips (held-out bodies, body type given: knee drop 2.10 /
#: worst 15.8 -> 1.87 / 14.3 deg, pelvis roll 6.9 -> 6.2, twist 7.4 -> 6.6: the filter lags
#: moving knees), but real footage jitters where renders do not: on the shared reclining
#: twist clip every frame of the twist read unknown (the drop's side flipping between
#: frames) where smoothed landmarks read about -40 deg, and the cue benchmark's tuning body
#: heard 4 false "slowly" and an early "shoulders open" (bench/groundtruth/README.md,
#: 2026-12-06). Kept on.
SMOOTH_LANDMARKS = True

#: MediaPipe's thresholds (in [0, 1]) for finding a person and for keeping track of one,
#: its own defaults; the browser's are given these too.
MIN_DETECTION_CONFIDENCE = 0.5
MIN_TRACKING_CONFIDENCE = 0.5


def tracking_settings(model_complexity: int) -> str:
    """What the landmarks of a stream depend on besides the frames, for a model: benchmark
    caches of estimated streams are stale when it changes."""
    return (
        f"mediapipe 0.10.14, model complexity {model_complexity}, "
        f"landmark smoothing {'on' if SMOOTH_LANDMARKS else 'off'}"
    )


class EstimatorError(_errors.EstimatorError):
    """The estimator could not be built or was misused (closed, bad frame shape)."""


@runtime_checkable
class PoseEstimator(Protocol):
    """Anything that turns one RGB frame into a skeleton (or None when nobody is found)."""

    def estimate(self, frame_rgb: NDArray[np.uint8], timestamp_s: float) -> Skeleton | None:
        """Estimate the pose in one frame.

        Parameters
        ----------
        frame_rgb
            Shape (H, W, 3), uint8, RGB channel order.
        timestamp_s
            Seconds from the start of the stream; copied into the skeleton.

        Returns
        -------
        Skeleton or None
            None when no person was found.
        """
        ...

    def close(self) -> None:
        """Release the model's resources; the estimator is unusable afterwards."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for a moment.

    MediaPipe's C++ side prints TensorFlow Lite and absl start-up chatter ("Created
    TensorFlow Lite XNNPACK delegate", "Feedback manager requires ...") straight to fd 2
    when the graph is built and first run; no setting turns it off in 0.10.14, and it would
    garble the command line's progress bar. Python-level errors are not affected: they are
    raised, not printed, inside this block.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (e.g. some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _ignore_protobuf_deprecation() -> None:
    """Hide the one deprecation warning mediapipe 0.10.14's protobuf code raises per frame."""
    warnings.filterwarnings(
        "ignore",
        message=r"SymbolDatabase\.GetPrototype\(\) is deprecated",
        category=UserWarning,
    )


def _check_frame(frame_rgb: NDArray[np.uint8]) -> None:
    if frame_rgb.ndim != 3 or frame_rgb.shape[2] != 3 or frame_rgb.dtype != np.uint8:
        raise EstimatorError(
            f"frames must be uint8 arrays of shape (H, W, 3); got {frame_rgb.dtype} "
            f"{frame_rgb.shape}"
        )


class MediaPipePoseEstimator:
    """MediaPipe 0.10.14 ``solutions.pose`` (BlazePose full, bundled; nothing downloaded).

    Build it with :func:`make_mediapipe_estimator`.

    Parameters
    ----------
    pose
        A constructed ``mediapipe.solutions.pose.Pose`` object.
    """

    def __init__(self, pose: Any) -> None:
        self._pose: Any = pose
        self._started = False

    def estimate(self, frame_rgb: NDArray[np.uint8], timestamp_s: float) -> Skeleton | None:
        """See :meth:`PoseEstimator.estimate`."""
        if self._pose is None:
            raise EstimatorError("the MediaPipe estimator is closed")
        _check_frame(frame_rgb)
        height, width = frame_rgb.shape[:2]
        # MediaPipe may keep a reference while processing; a contiguous array avoids copies
        # of strided views (e.g. rotated frames).
        with warnings.catch_warnings():
            _ignore_protobuf_deprecation()
            if self._started:
                result = self._pose.process(np.ascontiguousarray(frame_rgb))
            else:
                # The landmark model (and its chatter) starts only once a person is detected.
                with _native_stderr_silenced():
                    result = self._pose.process(np.ascontiguousarray(frame_rgb))
                self._started = result.pose_landmarks is not None
        if result.pose_landmarks is None:
            return None
        xyzv = np.array(
            [(lm.x, lm.y, lm.z, lm.visibility) for lm in result.pose_landmarks.landmark],
            dtype=np.float64,
        )
        world: NDArray[np.float64] | None = None
        if result.pose_world_landmarks is not None:
            world = np.array(
                [(lm.x, lm.y, lm.z) for lm in result.pose_world_landmarks.landmark],
                dtype=np.float64,
            )
        if xyzv.shape != (NUM_LANDMARKS, 4):
            return None
        return Skeleton.from_normalized(timestamp_s, xyzv, (width, height), world)

    def close(self) -> None:
        """Release MediaPipe's graph."""
        if self._pose is not None:
            self._pose.close()
            self._pose = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


#: Set once this process has built a MediaPipe graph (its calculator threads then exist).
_graph_started = False


def graph_started() -> bool:
    """Whether this process has ever built a MediaPipe graph.

    A process that has must never be forked: the child would inherit the graph's locks and
    threads half-way. Before that, forking is safe and lets a worker skip the imports.
    """
    return _graph_started


#: mediapipe's ``solutions`` package imports its landmark-drawing helpers, and they import
#: ``matplotlib.pyplot``: 0.39 s of the 0.54 s that importing mediapipe took on the 2-core
#: machine (``python -X importtime``), paid by every process that estimates (the coach, each
#: ``analyze`` and each batch worker). twistcoach draws its own overlay, so they are left out
#: while the pose solution loads (empty placeholders stand in), and a later import of them
#: loads the real modules.
_DRAWING_MODULES = (
    "mediapipe.python.solutions.drawing_styles",
    "mediapipe.python.solutions.drawing_utils",
)


@contextmanager
def _without_drawing_helpers() -> Iterator[None]:
    placeholders = {
        name: ModuleType(name, "left out by twistcoach while mediapipe loads")
        for name in _DRAWING_MODULES
        if name not in sys.modules
    }
    sys.modules.update(placeholders)
    try:
        yield
    finally:
        package = sys.modules.get("mediapipe.python.solutions")
        for name, placeholder in placeholders.items():
            if sys.modules.get(name) is placeholder:
                del sys.modules[name]
            attribute = name.rpartition(".")[2]
            if package is not None and getattr(package, attribute, None) is placeholder:
                delattr(package, attribute)


def _import_pose_solution() -> Any:
    with warnings.catch_warnings(), _without_drawing_helpers():
        # mediapipe 0.10.14's generated protobuf code warns about deprecated APIs on import.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        try:
            from mediapipe.python.solutions import pose as mp_pose
        except ImportError as err:  # pragma: no cover - mediapipe is a pinned dependency
            raise EstimatorError(f"mediapipe is not installed: {err}") from err
    return mp_pose


def preload_mediapipe() -> None:
    """Import mediapipe's pose solution (about 0.15 s) without building a graph.

    Raises
    ------
    EstimatorError
        When mediapipe cannot be imported.
    """
    _import_pose_solution()


def heavy_model_path() -> Path:
    """Where MediaPipe looks for the heavy landmark model: beside the wheel's full one
    (``mediapipe/modules/pose_landmark``), found without importing mediapipe.

    Raises
    ------
    EstimatorError
        When mediapipe is not installed.
    """
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or spec.origin is None:
        raise EstimatorError("mediapipe is not installed")
    return Path(spec.origin).parent / "modules" / "pose_landmark" / "pose_landmark_heavy.tflite"


@functools.cache
def _sha256_of(path: Path, size: int, mtime_ns: int) -> str:
    """A file's SHA-256, once per process for each (path, size, modification time)."""
    del size, mtime_ns  # part of the cache key only
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_heavy_model() -> None:
    """Make sure the heavy model is installed and is the pinned file.

    MediaPipe's solution would download a missing model from the internet; twistcoach
    never does, so a missing or different file is refused here, before MediaPipe sees it.

    Raises
    ------
    EstimatorError
        When the file is missing or its SHA-256 is not :data:`HEAVY_MODEL_SHA256`.
    """
    path = heavy_model_path()
    if not path.is_file():
        raise EstimatorError(
            f"the heavy pose model is not installed at {path}; run `make setup`, which copies "
            "it from the pinned npm package (twistcoach never downloads models)"
        )
    stat = path.stat()
    if _sha256_of(path, stat.st_size, stat.st_mtime_ns) != HEAVY_MODEL_SHA256:
        raise EstimatorError(
            f"{path} is not the pinned heavy pose model (SHA-256 differs); run `make setup`"
        )


def make_mediapipe_estimator(
    *,
    static_image_mode: bool,
    model_complexity: int = LIVE_MODEL,
    min_detection_confidence: float = MIN_DETECTION_CONFIDENCE,
    min_tracking_confidence: float = MIN_TRACKING_CONFIDENCE,
) -> MediaPipePoseEstimator:
    """Build a MediaPipe pose estimator.

    Parameters
    ----------
    static_image_mode
        True for unrelated photos (detect on every image); False for streams and videos
        (tracking mode: the detector runs only when tracking is lost, so results depend on
        the previous frames, which is why a video is always fed in order).
    model_complexity
        :data:`FULL_MODEL` (the default, :data:`LIVE_MODEL`) or :data:`HEAVY_MODEL`
        (:data:`RECORDED_MODEL`); the lite model (0) is not installed and is refused.
    min_detection_confidence, min_tracking_confidence
        MediaPipe's thresholds in [0, 1].

    Raises
    ------
    EstimatorError
        When mediapipe cannot be imported or the model is not installed (it would need a
        download).
    """
    global _graph_started  # a process-wide fact, see graph_started()
    if model_complexity not in (FULL_MODEL, HEAVY_MODEL):
        raise EstimatorError(
            f"model_complexity {model_complexity} is not installed and twistcoach never "
            f"downloads models; use {FULL_MODEL} (full) or {HEAVY_MODEL} (heavy)"
        )
    if model_complexity == HEAVY_MODEL:
        check_heavy_model()
    mp_pose = _import_pose_solution()
    _graph_started = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        with _native_stderr_silenced():
            pose = mp_pose.Pose(
                static_image_mode=static_image_mode,
                model_complexity=model_complexity,
                smooth_landmarks=SMOOTH_LANDMARKS and not static_image_mode,
                enable_segmentation=False,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )
            # The graph's calculators open in background threads and print as they do; one
            # blank frame (nobody in it, so no tracking state is kept) waits for that here.
            pose.process(np.zeros((64, 64, 3), dtype=np.uint8))
    return MediaPipePoseEstimator(pose)


class ReplayEstimator:
    """Feeds recorded skeletons back, one per call, for tests and replays.

    Parameters
    ----------
    skeletons
        The recorded sequence; ``None`` entries mean "nobody found" on that frame.
        Each returned skeleton gets the timestamp passed to :meth:`estimate` (the
        recording's own timestamps are replaced, so replays follow the frame source).
    loop
        When True, start again from the first skeleton after the last one; otherwise
        return None once the recording is exhausted.
    """

    def __init__(self, skeletons: Sequence[Skeleton | None], *, loop: bool = False) -> None:
        self._skeletons = list(skeletons)
        self._loop = loop
        self._next = 0
        self._closed = False

    @classmethod
    def from_jsonl(cls, path: Path, *, loop: bool = False) -> ReplayEstimator:
        """Load a recording: one ``Skeleton.to_dict()`` JSON object per line, or ``null``.

        Raises
        ------
        EstimatorError
            Naming the file and line when the file is missing or a line is not a skeleton.
        """
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise EstimatorError(f"cannot read skeleton recording {path}: {err}") from None
        skeletons: list[Skeleton | None] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                skeletons.append(None if data is None else Skeleton.from_dict(data))
            except (ValueError, TypeError) as err:
                raise EstimatorError(f"{path}, line {number}: not a skeleton ({err})") from None
        return cls(skeletons, loop=loop)

    @staticmethod
    def write_jsonl(path: Path, skeletons: Iterable[Skeleton | None]) -> None:
        """Write a recording readable by :meth:`from_jsonl`."""
        with path.open("w", encoding="utf-8") as out:
            for skeleton in skeletons:
                out.write(json.dumps(None if skeleton is None else skeleton.to_dict()) + "\n")

    @property
    def remaining(self) -> int:
        """Skeletons left before the recording is exhausted (ignores looping)."""
        return max(0, len(self._skeletons) - self._next)

    def estimate(self, frame_rgb: NDArray[np.uint8], timestamp_s: float) -> Skeleton | None:
        """Return the next recorded skeleton at ``timestamp_s`` (the frame is only checked)."""
        if self._closed:
            raise EstimatorError("the replay estimator is closed")
        _check_frame(frame_rgb)
        if self._next >= len(self._skeletons):
            if not self._loop or not self._skeletons:
                return None
            self._next = 0
        skeleton = self._skeletons[self._next]
        self._next += 1
        return None if skeleton is None else skeleton.with_timestamp(timestamp_s)

    def close(self) -> None:
        """Mark the replay closed."""
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
