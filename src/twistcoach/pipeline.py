"""Wires frame sources, the pose estimator and the pure core into analyses of files.

source -> estimator -> (in order) tracker -> results for the report and overlay sinks.

Speed, and why the numbers do not depend on it
----------------------------------------------
On a 2-core machine MediaPipe's ``process`` takes about 12 ms a frame on one core and holds
the GIL (two threads were measured no faster than one), while decoding takes about 1 ms.
Overlapping decode with inference can therefore gain at most ~5 %. What does pay is using
the second core: a video is cut into :data:`CHUNKS` contiguous chunks at a position that
depends only on the frame count from the file's header (:func:`plan_chunks`), and each chunk
is estimated by its own fresh tracking-mode estimator, the first in this process and the
others in worker processes. Every chunk after the first starts :data:`WARMUP_FRAMES` frames
early so MediaPipe's tracker has settled before the chunk's own first frame; those warm-up
results are thrown away. Workers stream their frames back in small batches, and this
process runs the tracker (kinematics, smoothing, recognition) over them, in frame order, as
they arrive, so almost nothing is left to do once the last worker ends; the cut is placed
so that every process does the same work. The cut never depends on timing or on how many
workers run, so ``workers=1`` (chunks estimated one after the other here) gives
bit-identical numbers to ``workers=2``.

The price: MediaPipe's tracking is path-dependent, so frames after the cut, tracked from a
fresh start, differ by a few pixels from what one unbroken run would give (median under
2 px on the shared clip; ``bench/speed.py`` measures it every run and ``bench/RESULTS.md``
records it). Frames before the cut are identical to the plain loop.

Worker processes are started once per :class:`Analyzer` (by the standard library's
:class:`~concurrent.futures.ProcessPoolExecutor`) and reused for every input. They are never
forked from this process: once it has built a MediaPipe graph (a photo or a shorter clip
analysed first, a plain loop), a fork would copy the graph's threads' locks mid-use and the
worker would die (issue 16, item 11). They are forked instead from multiprocessing's fork
server, a fresh interpreter that has imported mediapipe and this module
(``twistcoach._worker_preload``) and never builds a graph, so a worker starts without paying
the imports again; where there is no fork server they are spawned.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.queues
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

import numpy as np
from numpy.typing import NDArray

from twistcoach import photo
from twistcoach.checks import (
    MIN_FRAME_RATE,
    median_gap_s,
    time_median_gap_s,
    too_sparse_to_follow,
)
from twistcoach.estimator import (
    LIVE_MODEL,
    RECORDED_MODEL,
    PoseEstimator,
    make_mediapipe_estimator,
)
from twistcoach.i18n import t
from twistcoach.landmarks import Skeleton
from twistcoach.metrics import Observation
from twistcoach.photo import ImageAnalysis, PhotoCalibration
from twistcoach.sources import VideoSource

if TYPE_CHECKING:
    from twistcoach.metrics import BodyType
    from twistcoach.tracking import Calibrator

#: Chunks a video is cut into for parallel estimation (fixed, so results never depend on
#: the number of cores or workers).
CHUNKS = 2
#: Videos shorter than this are estimated in one chunk (a second process would not pay).
MIN_FRAMES_TO_SPLIT = 120
#: Frames estimated before a later chunk's start and discarded, to let tracking settle.
#: Measured on the shared clip looped 4 times (landmark differences against one unbroken
#: tracking run after the cut; the cut moves a little with the warm-up): 20 frames ->
#: median 1.8 px, 30 -> 1.4 px, 50 -> 1.8 px, the knee drop within 2.4 deg in all three;
#: on the clip looped twice 0 frames gave 5.6 px and 10 gave 3.7 px. MediaPipe's tracking is
#: path-dependent, so the difference never reaches zero.
WARMUP_FRAMES = 30
#: A worker's start-up and the cost of sending its results back, counted in frames of
#: estimation. The worker is started when the analysis begins (:meth:`Analyzer.prestart`)
#: from the fork server, which imports mediapipe while this process does the same, so a
#: worker starts estimating shortly after this process does: its warm-up began 0.2-0.25 s
#: after this process's first frame (15-18 frames), both then at 13.7-13.9 ms a frame
#: (timed on the 2-core machine with forked workers; a spawned worker, the fallback, starts
#: ~1 s later). Timed with the full model; the heavy one that recorded videos now use costs
#: about 36 ms a frame, so the same 0.2-0.25 s is nearer 7 frames: the 13 frames' difference
#: moves the cut of an 800-frame video by 6 frames (about 0.1 s of its 17 s), left as timed.
WORKER_START_FRAMES = 20
#: The tracker's work per frame (kinematics, smoothing, recognition), which only this
#: process does, as a fraction of a frame's estimation: about 0.4 ms against 13.8 ms a
#: frame with both cores busy (2-core machine, the shared clip looped 4 times, timed by the
#: analyser's progress calls; bench/RESULTS.md).
CORE_PER_FRAME = 0.03


class Tracker(Protocol):
    """The per-frame entry point of the pure core (``twistcoach.tracking.TwistTracker``)."""

    def update(self, timestamp_s: float, skeleton: Skeleton | None) -> Observation:
        """Feed one frame's skeleton (None when nobody was found) in time order."""
        ...


TrackerFactory = Callable[[], Tracker]
EstimatorFactory = Callable[[], PoseEstimator]
#: Called with the number of frames just finished.
ProgressCallback = Callable[[int], None]


def default_tracker_factory(body: str = "neutral", calibrator: Calibrator | None = None) -> Tracker:
    """A fresh :class:`twistcoach.tracking.TwistTracker` with its default settings, for a
    person of body type ``body`` (``metrics.BodyType``: neutral when not said), whose
    calibration ``calibrator`` fits (:data:`twistcoach.tracking.Calibrator`; default: in
    this thread).

    Raises
    ------
    ValueError
        For a body type that is not one of ``metrics.BodyType``.
    """
    from twistcoach.metrics import BodyType
    from twistcoach.tracking import TwistTracker, calibrate_here

    tracker: Tracker = TwistTracker(
        body=BodyType.parse(body), calibrator=calibrator or calibrate_here
    )
    return tracker


def video_estimator_factory() -> PoseEstimator:
    """A tracking-mode MediaPipe estimator for recorded videos (the heavy model,
    ``estimator.RECORDED_MODEL``)."""
    return make_mediapipe_estimator(static_image_mode=False, model_complexity=RECORDED_MODEL)


def image_estimator_factory() -> PoseEstimator:
    """A static-mode MediaPipe estimator for unrelated photographs (the full model,
    ``estimator.LIVE_MODEL``, whose landmarks the pose-family classifier learned from)."""
    return make_mediapipe_estimator(static_image_mode=True, model_complexity=LIVE_MODEL)


def calibrated_image_estimator_factory() -> PoseEstimator:
    """A static-mode MediaPipe estimator for photographs measured with a calibration made
    on a flat photograph from the same place (``analyze --flat``): the heavy model, as a
    recorded video's, whose calibrated stills ``bench/ACCURACY.md`` measures (held out,
    body type given, recommended place: knee drop MAE 1.9 deg against the full model's
    2.2, worst 8.5 against 15.9, stills and clips together)."""
    return make_mediapipe_estimator(static_image_mode=True, model_complexity=RECORDED_MODEL)


@dataclass(frozen=True)
class Chunk:
    """A contiguous run of frames estimated by one fresh estimator.

    Attributes
    ----------
    start, stop
        Frame indices ``[start, stop)``; ``stop`` None means to the end of the file.
    warmup_start
        First frame fed to the estimator (``start`` minus the warm-up, at least 0).
    """

    start: int
    stop: int | None
    warmup_start: int


def plan_chunks(
    header_frames: int | None,
    *,
    chunks: int = CHUNKS,
    min_frames: int = MIN_FRAMES_TO_SPLIT,
    warmup: int = WARMUP_FRAMES,
    start_lag: int = WORKER_START_FRAMES,
    core_per_frame: float = CORE_PER_FRAME,
) -> tuple[Chunk, ...]:
    """Cut a video into contiguous chunks, from its header's frame count alone.

    The cuts balance the work so the processes finish together. This process estimates
    the first chunk and runs the tracker over every frame (the workers' frames as they
    stream in); each worker starts up, estimates its warm-up frames and then its own chunk.
    With ``c0`` frames here and ``c`` in each worker of an ``N``-frame video,
    ``c0 + core_per_frame * N = start_lag + warmup + c``. The cuts depend on nothing but the
    arguments (never on timing), so results are reproducible.

    Parameters
    ----------
    header_frames
        Frame count N the container declares (None or 0 when unknown: one chunk).
    chunks
        Number of chunks wanted.
    min_frames
        Shorter videos get one chunk.
    warmup
        Frames a later chunk's estimator sees before its own first frame.
    start_lag
        A worker's start-up cost counted in frames of estimation.
    core_per_frame
        The tracker's cost per frame as a fraction of one frame's estimation.

    Returns
    -------
    tuple of Chunk
        In frame order; the last one runs to the end of the file whatever its real length.
    """
    if not header_frames or header_frames < max(min_frames, chunks) or chunks <= 1:
        return (Chunk(0, None, 0),)
    # A worker's work beyond its own frames, less the tracking only this process does.
    offset = warmup + start_lag - core_per_frame * header_frames
    first = (header_frames + (chunks - 1) * offset) / chunks
    own = first - offset  # each worker's own frames
    if own < 1 or first < 1:
        return (Chunk(0, None, 0),)
    cuts = [0] + [round(first + i * own) for i in range(chunks - 1)]
    planned = []
    for i, start in enumerate(cuts):
        stop = cuts[i + 1] if i + 1 < chunks else None
        planned.append(Chunk(start, stop, max(0, start - warmup)))
    return tuple(planned)


@dataclass(frozen=True)
class Estimated:
    """One frame's estimation result."""

    index: int
    timestamp_s: float
    skeleton: Skeleton | None


@dataclass
class StageTimes:
    """Seconds spent per stage (decode and inference are those of this process's chunks).

    Attributes
    ----------
    decode_s, inference_s
        Decoding and MediaPipe time measured in this process.
    local_frames
        Frames decoded and estimated in this process (including warm-up frames).
    core_s
        Kinematics, smoothing and recognition (the tracker) over all frames.
    wall_s
        Whole analysis, start to finish.
    """

    decode_s: float = 0.0
    inference_s: float = 0.0
    local_frames: int = 0
    core_s: float = 0.0
    wall_s: float = 0.0


@dataclass(frozen=True)
class FrameResult:
    """One video frame through the whole pipeline."""

    index: int
    timestamp_s: float
    skeleton: Skeleton | None
    observation: Observation


@dataclass(frozen=True)
class VideoAnalysis:
    """A video, analysed.

    Attributes
    ----------
    path
        The input file.
    frames
        Every decoded frame in order.
    image_size
        (width, height) in pixels after rotation.
    chunks
        How the video was cut for estimation.
    times
        Stage timings.
    warnings
        Plain sentences about the file that did not stop the analysis (a file cut short:
        fewer frames decoded than its header declares; a file with several video streams).
    mirrored
        True when every frame was flipped left to right before estimation
        (:class:`~twistcoach.sources.VideoSource`'s ``mirrored``): the skeletons' image
        coordinates are the flipped frames'.
    """

    path: Path
    frames: tuple[FrameResult, ...]
    image_size: tuple[int, int]
    chunks: tuple[Chunk, ...]
    times: StageTimes = field(compare=False)
    warnings: tuple[str, ...] = ()
    mirrored: bool = False


def iter_chunk(
    path: Path,
    chunk: Chunk,
    estimator: PoseEstimator,
    times: StageTimes | None = None,
    *,
    mirrored: bool = False,
) -> Iterator[Estimated]:
    """Estimate one chunk of a video with a (fresh) estimator, yielding its own frames.

    Parameters
    ----------
    path
        Video file.
    chunk
        Which frames; the warm-up frames before ``chunk.start`` are estimated, not yielded.
    estimator
        Used in order on every frame from ``chunk.warmup_start``; its state is part of the
        result, so pass a fresh tracking-mode estimator for reproducible numbers.
    times
        Accumulates decode and inference seconds when given.
    mirrored
        Flip each frame left to right before estimation (a recording saved mirrored).
    """
    with VideoSource(
        path, start_frame=chunk.warmup_start, stop_frame=chunk.stop, mirrored=mirrored
    ) as source:
        frames = source.frames()
        while True:
            t0 = time.perf_counter()
            frame = next(frames, None)
            t1 = time.perf_counter()
            if frame is None:
                break
            skeleton = estimator.estimate(frame.rgb, frame.timestamp_s)
            t2 = time.perf_counter()
            if times is not None:
                times.decode_s += t1 - t0
                times.inference_s += t2 - t1
                times.local_frames += 1
            if frame.index >= chunk.start:
                yield Estimated(frame.index, frame.timestamp_s, skeleton)


#: In a worker process: where its estimates go (set by :func:`_worker_init`).
_results: multiprocessing.queues.Queue[tuple[int, list[Estimated] | None]] | None = None
#: Frames a worker sends back at a time: small enough that the main process tracks them
#: while the worker still estimates the rest, so only the last batch is a serial tail.
STREAM_BATCH = 16


def _worker_init(results: multiprocessing.queues.Queue[tuple[int, list[Estimated] | None]]) -> None:
    """Run once in each worker process: keep the results queue, silence native stderr.

    MediaPipe's C++ start-up chatter would otherwise land in the middle of the progress bar;
    a worker's real errors come back as exceptions through its future, not through stderr.
    """
    import os

    global _results  # the queue is inherited once per worker process
    _results = results
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def _worker_warm_up() -> bool:
    """Run in a worker process: build MediaPipe once so later chunks start fast."""
    make_mediapipe_estimator(static_image_mode=False, model_complexity=RECORDED_MODEL).close()
    return True


def _worker_estimate(
    path: str, chunk: Chunk, job: int, model: int = RECORDED_MODEL, mirrored: bool = False
) -> int:
    """Run in a worker process: estimate one chunk with a fresh MediaPipe tracker of the
    landmark model ``model`` (``estimator.RECORDED_MODEL`` or ``ROTATION_MODEL``), its
    frames flipped left to right when ``mirrored``.

    The frames go back through the results queue in batches tagged with ``job``, then
    ``(job, None)``; returns how many frames were sent.
    """
    assert _results is not None, "the worker was started without its results queue"
    sent = 0
    batch: list[Estimated] = []
    with make_mediapipe_estimator(static_image_mode=False, model_complexity=model) as estimator:
        for estimated in iter_chunk(Path(path), chunk, estimator, mirrored=mirrored):
            batch.append(estimated)
            if len(batch) >= STREAM_BATCH:
                _results.put((job, batch))
                sent += len(batch)
                batch = []
    if batch:
        _results.put((job, batch))
        sent += len(batch)
    _results.put((job, None))
    return sent


#: What the fork server imports before it forks any worker (see the module docs).
_FORKSERVER_PRELOAD = ["__main__", "twistcoach._worker_preload"]


def _worker_context() -> multiprocessing.context.BaseContext:
    """How to start workers: from the fork server where there is one, else ``spawn``.

    Never ``fork``: this process may hold a MediaPipe graph (or build one later, before the
    pool starts its worker), and a forked copy of its threads' locks hangs or kills the
    worker. The fork server is started with ``exec`` and imports mediapipe once (see
    ``twistcoach._worker_preload``); each worker forked from it skips those imports. A
    fork server that something else started first (without the preload) is still safe.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_FORKSERVER_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


#: Frames a video may come short of its header's count before it is called cut short
#: (a header's count can be off by a frame or two: an edit list, a last frame dropped).
CUT_SHORT_TOLERANCE = 2


#: Frames closer than this (the median gap, seconds) have broken times (FFmpeg's repeated
#: timestamps are spread 1 ms apart by the source): a real camera gives at most 1000 a
#: second, and nothing is measured before a calibration's 0.7 s of frames.
BROKEN_FRAME_GAP_S = 0.0015


def frame_timing_warnings(path: Path, times: Sequence[float]) -> tuple[str, ...]:
    """A warning when the frames' times cannot judge movement: too far apart (speeds and
    holds) or broken (repeated times: nothing is measured).

    Parameters
    ----------
    path
        The video, named in the warning.
    times
        The frames' timestamps, seconds, in order.
    """
    # Judged by the time its gaps cover, as the report and the live coach judge it (bursts
    # 0.05, 0.05, 0.4 s apart: a plain median of 0.05 s said nothing while the report said
    # speed was not checked).
    sparse = time_median_gap_s(times)
    if too_sparse_to_follow(sparse):  # the one rule the coach refuses such a video by
        gap = sparse
        return (
            t(
                "{path}: its frames are {gap} s apart, too far to judge speed (that needs at "
                "least {fps} frames a second): the angles are measured frame by frame, but the "
                'peak speed is left out, "too fast" is not checked, and holds are counted '
                "only where frames are close"
            ).format(path=path, gap=f"{gap:.1f}", fps=f"{MIN_FRAME_RATE:g}"),
        )
    if len(times) < 3:
        return ()
    if median_gap_s(times) < BROKEN_FRAME_GAP_S:
        return (
            f"{path}: its frames are less than 1.5 ms apart (many share one time, or the frame "
            "rate is wrong), so nothing can be timed or measured: save the video again with "
            "its real frame rate",
        )
    return ()


def cut_short_warnings(path: Path, header_frames: int | None, decoded: int) -> tuple[str, ...]:
    """A warning when fewer frames were decoded than the header declares (a truncated file).

    Parameters
    ----------
    path
        The video, named in the warning.
    header_frames
        The count the container's header declares (None when it says nothing).
    decoded
        Frames actually decoded.

    Returns
    -------
    tuple of str
        One sentence, or nothing when the counts agree within
        :data:`CUT_SHORT_TOLERANCE` frames or the header does not say.
    """
    if not header_frames or decoded >= header_frames - CUT_SHORT_TOLERANCE:
        return ()
    return (
        f"{path}: the video is cut short: {decoded} of the {header_frames} frames its header "
        "declares could be decoded (the file may be truncated); the results cover those only",
    )


def as_saved(analysis: VideoAnalysis) -> VideoAnalysis:
    """The analysis with its skeletons placed on the frames as the file stores them.

    A mirrored analysis (``mirrored``) estimated flipped frames: each landmark keeps its
    name (the person's true left knee stays the left knee) and moves to where the saved,
    unflipped frame shows it (x becomes the width less x), so an overlay drawn on the
    saved video sits on the person. Its numbers and sides are unchanged; anything else
    is returned as it is.
    """
    if not analysis.mirrored:
        return analysis

    def unflipped(skeleton: Skeleton | None) -> Skeleton | None:
        if skeleton is None:
            return None
        xy = np.array(skeleton.image_xy, dtype=float, copy=True)
        xy[:, 0] = skeleton.image_size[0] - xy[:, 0]
        return replace(skeleton, image_xy=xy)

    frames = tuple(replace(f, skeleton=unflipped(f.skeleton)) for f in analysis.frames)
    return replace(analysis, frames=frames, mirrored=False)


def retrack(analysis: VideoAnalysis, tracker: Tracker) -> VideoAnalysis:
    """The same video measured again by another tracker, from its estimated skeletons.

    The pose estimation (the costly part) is not repeated: every frame's skeleton is fed, in
    frame order, to ``tracker`` (e.g. a seated twist's
    :class:`~twistcoach.seated_tracking.RotationTracker` after the supine tracker's
    recognition said the video shows a seated twist). The tracker's time is added to the
    stage times' ``core_s``.

    Parameters
    ----------
    analysis
        A video analysed by :meth:`Analyzer.analyze_video`.
    tracker
        A fresh tracker (its state follows the frames).

    Returns
    -------
    VideoAnalysis
        The same frames, skeletons and timestamps with ``tracker``'s observations.
    """
    t0 = time.perf_counter()
    estimated = [Estimated(f.index, f.timestamp_s, f.skeleton) for f in analysis.frames]
    frames = tuple(run_tracker(estimated, tracker))
    times = replace(analysis.times)
    times.core_s += time.perf_counter() - t0
    return replace(analysis, frames=frames, times=times)


def run_tracker(estimated: Iterable[Estimated], tracker: Tracker) -> list[FrameResult]:
    """Feed skeletons to the tracker in frame order (the tracker's state needs the order)."""
    return [
        FrameResult(e.index, e.timestamp_s, e.skeleton, tracker.update(e.timestamp_s, e.skeleton))
        for e in sorted(estimated, key=lambda e: e.index)
    ]


class Analyzer:
    """Analyses photographs and videos; owns the MediaPipe estimators and worker processes.

    Parameters
    ----------
    workers
        Processes estimating video chunks at once (this one included): 1 runs every chunk
        here, one after the other; 2 (default) uses the second core. The numbers are the
        same either way (see the module docs).
    tracker_factory
        Builds a fresh tracker per video and per photo.
    video_estimator, image_estimator, calibrated_image_estimator
        Estimator factories (videos; lone photographs; photographs measured with a flat
        photograph's calibration); when ``video_estimator`` is not the default MediaPipe one
        (e.g. a replay in tests), every chunk runs in this process.
    chunks, warmup
        See :func:`plan_chunks`.
    """

    def __init__(
        self,
        *,
        workers: int = 2,
        tracker_factory: TrackerFactory = default_tracker_factory,
        video_estimator: EstimatorFactory = video_estimator_factory,
        image_estimator: EstimatorFactory = image_estimator_factory,
        calibrated_image_estimator: EstimatorFactory = calibrated_image_estimator_factory,
        chunks: int = CHUNKS,
        warmup: int = WARMUP_FRAMES,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self._workers = workers
        self._tracker_factory = tracker_factory
        self._video_estimator = video_estimator
        self._image_estimator_factory = image_estimator
        self._image_estimator: PoseEstimator | None = None
        self._calibrated_estimator_factory = calibrated_image_estimator
        self._calibrated_estimator: PoseEstimator | None = None
        self._chunks = chunks
        self._warmup = warmup
        self._pool: ProcessPoolExecutor | None = None
        self._warm: Future[bool] | None = None
        self._starting: threading.Thread | None = None
        self._results: multiprocessing.queues.Queue[tuple[int, list[Estimated] | None]] | None
        self._results = None
        self._jobs = 0

    @property
    def _parallel(self) -> bool:
        return self._workers > 1 and self._video_estimator is video_estimator_factory

    def _local_estimator(self, model: int) -> PoseEstimator:
        """This process's tracking estimator: MediaPipe with ``model``, or the factory
        given to the analyser (a replay in tests)."""
        if self._video_estimator is video_estimator_factory:
            return make_mediapipe_estimator(static_image_mode=False, model_complexity=model)
        return self._video_estimator()

    def prestart(self) -> None:
        """Start the worker processes now, in the background (they take about a second to
        load MediaPipe); returns at once."""
        if self._parallel and self._pool is None:
            context = _worker_context()
            self._results = context.Queue()
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers - 1,
                mp_context=context,
                initializer=_worker_init,
                initargs=(self._results,),
            )
            # Start the worker now (the pool starts workers on demand) so that its start-up
            # overlaps this process's own; it builds a graph once to load the model. Starting
            # a worker waits until the fork server has imported mediapipe (0.6-0.9 s on the
            # busy 2-core machine), so a thread waits for it while this process goes on
            # with its own imports; a chunk's submit waits on the pool's lock if needed.
            self._starting = threading.Thread(
                target=self._warm_up, args=(self._pool,), name="twistcoach-worker-start"
            )
            self._starting.start()

    def _warm_up(self, pool: ProcessPoolExecutor) -> None:
        """In a thread: start a worker with its warm-up (a failure shows at the next submit)."""
        # BrokenProcessPool: the worker died at start; RuntimeError: the pool was closed.
        with contextlib.suppress(BrokenProcessPool, RuntimeError):
            self._warm = pool.submit(_worker_warm_up)

    def _estimate_photo(self, rgb: NDArray[np.uint8], calibrated: bool) -> Skeleton | None:
        """A photograph's person (None when nobody was found): with the lone photographs'
        estimator, or (``calibrated``) the calibrated photographs' one
        (:data:`twistcoach.photo.PhotoEstimate`)."""
        if calibrated:
            if self._calibrated_estimator is None:
                self._calibrated_estimator = self._calibrated_estimator_factory()
            return self._calibrated_estimator.estimate(rgb, 0.0)
        if self._image_estimator is None:
            self._image_estimator = self._image_estimator_factory()
        return self._image_estimator.estimate(rgb, 0.0)

    def calibrate_on_photo(self, path: Path | str, body: BodyType) -> PhotoCalibration:
        """Calibrate the camera on a photograph of the person's neutral pose
        (:func:`twistcoach.photo.calibrate_on_photo`, with this analyzer's estimators).

        Raises
        ------
        twistcoach.sources.MediaError
            When the file is not a readable image.
        twistcoach.photo.FlatPhotoError
            When it shows nobody, or no pose or view a calibration can be made from (the
            reason says what to change).
        """
        return photo.calibrate_on_photo(path, body, self._estimate_photo)

    def analyze_image(
        self, path: Path | str, calibration: PhotoCalibration | None = None
    ) -> ImageAnalysis:
        """Estimate and measure one photograph, alone or against ``calibration`` (a flat
        photograph's from the same place: :func:`twistcoach.photo.analyze_photo`).

        Raises
        ------
        twistcoach.sources.MediaError
            When the file is not a readable image.
        """
        return photo.analyze_photo(path, calibration, self._estimate_photo)

    def analyze_video(
        self,
        path: Path | str,
        progress: ProgressCallback | None = None,
        *,
        model: int = RECORDED_MODEL,
        mirrored: bool = False,
    ) -> VideoAnalysis:
        """Estimate every frame of a video, then run the tracker over them in order.

        Parameters
        ----------
        path
            Video file (a :class:`~pathlib.Path` or a string).
        progress
            Called with the number of frames just finished (this process's frames as they
            go, the workers' frames when their chunk returns).
        model
            The landmark model (``estimator.RECORDED_MODEL``, the heavy one, for a supine
            twist; ``estimator.ROTATION_MODEL`` for a seated or standing one); ignored by
            an estimator factory given to the analyser (a replay).
        mirrored
            Flip every frame left to right before estimation: a recording the phone saved
            mirrored (``analyze --mirrored``), whose person's right side reads as their left.

        Raises
        ------
        twistcoach.sources.MediaError
            When the file is not a readable video or holds no frames.
        """
        path = Path(path)
        wall0 = time.perf_counter()
        times = StageTimes()
        with VideoSource(path, mirrored=mirrored) as probe:
            header_frames = probe.expected_frames
            source_warnings = probe.warnings
            # The first frame gives the upright size (rotation applied) and proves that
            # the file decodes before any worker is asked to.
            first = next(probe.frames())
            size = (int(first.rgb.shape[1]), int(first.rgb.shape[0]))
        plan = plan_chunks(header_frames, chunks=self._chunks, warmup=self._warmup)
        futures: list[tuple[int, Future[int]]] = []
        if self._parallel and len(plan) > 1:
            for chunk in plan[1:]:
                self._jobs += 1
                futures.append((self._jobs, self._submit(path, chunk, self._jobs, model, mirrored)))
            local = plan[:1]
        else:
            local = plan
        tracker = self._tracker_factory()
        results: list[FrameResult] = []
        last_index = -1
        arrived: dict[int, list[list[Estimated] | None]] = {job: [] for job, _ in futures}

        def track(part: Iterable[Estimated]) -> None:
            # Chunks are tracked in frame order (the local one is the first); the tracker's
            # state needs that order.
            nonlocal last_index
            t0 = time.perf_counter()
            for e in part:
                if e.index <= last_index:
                    raise RuntimeError(f"frame {e.index} arrived out of order")
                last_index = e.index
                obs = tracker.update(e.timestamp_s, e.skeleton)
                results.append(FrameResult(e.index, e.timestamp_s, e.skeleton, obs))
            times.core_s += time.perf_counter() - t0

        def collect(wait_s: float) -> bool:
            # One batch from the workers into ``arrived``, waiting up to ``wait_s`` (0: not
            # at all); False when none came in time.
            assert self._results is not None
            try:
                if wait_s <= 0:
                    job, batch = self._results.get_nowait()
                else:
                    job, batch = self._results.get(timeout=wait_s)
            except queue.Empty:
                return False
            if job in arrived:  # anything else is left over from an analysis that failed
                arrived[job].append(batch)
                if batch is not None and progress is not None:
                    progress(len(batch))
            return True

        for chunk in local:
            with self._local_estimator(model) as estimator:
                own: list[Estimated] = []
                for estimated in iter_chunk(path, chunk, estimator, times, mirrored=mirrored):
                    own.append(estimated)
                    if progress is not None:
                        progress(1)
                    if futures:
                        collect(0.0)  # keeps the progress bar honest about the workers
            track(own)
        for job, future in futures:
            # Track each batch as it arrives, so only the last one is left when the worker ends.
            while True:
                while arrived[job] and arrived[job][0] is not None:
                    batch = arrived[job].pop(0)
                    assert batch is not None
                    track(batch)
                if arrived[job]:  # the end marker
                    break
                if not collect(0.2) and future.done():
                    self._raise_worker_error(path, future)
                    # The worker finished cleanly: its last batches are still in the pipe.
                    if not collect(5.0):
                        self._raise_worker_error(path, future, lost=True)
            future.result()
        times.wall_s = time.perf_counter() - wall0
        warnings = source_warnings + cut_short_warnings(path, header_frames, len(results))
        warnings += frame_timing_warnings(path, [r.timestamp_s for r in results])
        return VideoAnalysis(path, tuple(results), size, plan, times, warnings, mirrored)

    def _submit(
        self, path: Path, chunk: Chunk, job: int, model: int, mirrored: bool = False
    ) -> Future[int]:
        """Give one chunk to a worker, starting the pool (again, if a worker had died)."""
        for attempt in (1, 2):
            self.prestart()
            assert self._pool is not None
            try:
                return self._pool.submit(_worker_estimate, str(path), chunk, job, model, mirrored)
            except BrokenProcessPool:
                # The warm-up's worker died before any chunk was asked of it: start afresh
                # once, then say so.
                self._drop_pool()
                if attempt == 2:
                    raise RuntimeError(f"{path}: the worker process could not start") from None
        raise AssertionError("unreachable")

    def _drop_pool(self) -> None:
        """Forget a pool whose worker died (its queue may hold half a message)."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        self._results = None
        self._warm = None

    def _raise_worker_error(self, path: Path, future: Future[int], *, lost: bool = False) -> None:
        """Raise what a finished worker raised (a dead worker's pool is dropped)."""
        try:
            future.result()
        except BrokenProcessPool:
            # A worker died (killed, out of memory), maybe half-way through writing to the
            # queue: start fresh workers and a fresh queue next time.
            self._drop_pool()
            raise RuntimeError(f"{path}: a worker process stopped unexpectedly") from None
        if lost:
            raise RuntimeError(f"{path}: a worker's results never arrived")

    def close(self) -> None:
        """Stop the workers and release the estimators."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._results is not None:
            self._results.close()
            self._results.join_thread()
            self._results = None
        for estimator in (self._image_estimator, self._calibrated_estimator):
            if estimator is not None:
                estimator.close()
        self._image_estimator = self._calibrated_estimator = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
