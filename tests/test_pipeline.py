"""Tests for twistcoach.pipeline: chunk plans, ordering, and parallel == sequential numbers."""

from __future__ import annotations

import pickle
import subprocess
import sys
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from twistcoach.estimator import ReplayEstimator
from twistcoach.landmarks import NUM_LANDMARKS, Skeleton
from twistcoach.metrics import BodyType, Observation, PoseFamily, View
from twistcoach.photo import FlatPhotoError
from twistcoach.pipeline import (
    WARMUP_FRAMES,
    Analyzer,
    Chunk,
    Estimated,
    VideoAnalysis,
    plan_chunks,
    run_tracker,
)

FELUNA = Path("videos") / "supine_twist" / "feluna_reclining_twist.mp4"


@pytest.fixture(scope="module")
def sequential_feluna(shared_data: Path) -> VideoAnalysis:
    """The shared reclining twist analysed in this process alone (one worker): what every
    parallel analysis must equal (made once: about 12 s of MediaPipe)."""
    with Analyzer(workers=1) as one:
        return one.analyze_video(shared_data / FELUNA)


class RecordingTracker:
    """A tracker that remembers what it was fed (the real one is tested elsewhere)."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, bool]] = []

    def update(self, timestamp_s: float, skeleton: Skeleton | None) -> Observation:
        self.calls.append((timestamp_s, skeleton is not None))
        return Observation(timestamp_s, None, PoseFamily.OTHER, 0.0, View.UNKNOWN, False)


def _skeleton(x: float) -> Skeleton:
    return Skeleton(
        0.0,
        np.full((NUM_LANDMARKS, 2), x),
        np.zeros(NUM_LANDMARKS),
        np.zeros((NUM_LANDMARKS, 3)),
        np.ones(NUM_LANDMARKS),
        (64, 48),
    )


def test_plan_chunks_depends_only_on_the_header_count() -> None:
    # Balanced work: 122 frames here plus tracking all 199 (0.03 x 199 = 6 frames' worth);
    # in the worker 199 - 122 = 77 own + 30 warm-up frames + 20 frames' worth of start-up.
    assert plan_chunks(199) == (Chunk(0, 122, 0), Chunk(122, None, 92))
    kw = {"start_lag": 0, "core_per_frame": 0.0}
    assert plan_chunks(199, warmup=10, **kw) == (Chunk(0, 104, 0), Chunk(104, None, 94))
    # Tracking 1000 frames is worth 100 here, so this process estimates 100 fewer.
    assert plan_chunks(1000, warmup=0, start_lag=0, core_per_frame=0.1) == (
        Chunk(0, 450, 0),
        Chunk(450, None, 450),
    )
    assert plan_chunks(300, chunks=3, warmup=5, **kw) == (
        Chunk(0, 103, 0),
        Chunk(103, 202, 98),
        Chunk(202, None, 197),
    )
    assert plan_chunks(119) == (Chunk(0, None, 0),)  # too short to split
    assert plan_chunks(150, warmup=200) == (Chunk(0, None, 0),)  # warm-up longer than a share
    assert plan_chunks(None) == (Chunk(0, None, 0),)  # unknown length
    assert plan_chunks(0) == (Chunk(0, None, 0),)
    assert plan_chunks(1000, chunks=1) == (Chunk(0, None, 0),)


def test_tracker_gets_frames_in_order() -> None:
    tracker = RecordingTracker()
    estimated = [
        Estimated(2, 0.2, None),
        Estimated(0, 0.0, _skeleton(1.0)),
        Estimated(1, 0.1, _skeleton(2.0)),
    ]
    results = run_tracker(estimated, tracker)
    assert [r.index for r in results] == [0, 1, 2]
    assert tracker.calls == [(0.0, True), (0.1, True), (0.2, False)]


def test_analyze_video_with_a_replayed_recording(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        for i in range(6):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts, frame.time_base = i * 100, Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    recording = [_skeleton(1.0), None, _skeleton(3.0), _skeleton(4.0), None, _skeleton(6.0)]
    tracker = RecordingTracker()
    progress: list[int] = []
    with Analyzer(
        workers=2,  # a replay cannot go to another process: everything runs here
        tracker_factory=lambda: tracker,
        video_estimator=lambda: ReplayEstimator(recording),
    ) as analyzer:
        # A plain string names the file as well as a Path does.
        analysis = analyzer.analyze_video(str(path), progress.append)
    assert analysis.path == path
    assert analysis.image_size == (64, 48)
    assert [f.index for f in analysis.frames] == list(range(6))
    assert [f.timestamp_s for f in analysis.frames] == pytest.approx([0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert [f.skeleton is not None for f in analysis.frames] == [1, 0, 1, 1, 0, 1]
    skeleton = analysis.frames[2].skeleton
    assert skeleton is not None and skeleton.timestamp_s == pytest.approx(0.2)
    assert [t for t, _ in tracker.calls] == pytest.approx([0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert [seen for _, seen in tracker.calls] == [True, False, True, True, False, True]
    assert sum(progress) == 6


@pytest.mark.slow
def test_two_workers_give_the_same_numbers_as_one(
    shared_data: Path, sequential_feluna: VideoAnalysis
) -> None:
    path = shared_data / FELUNA
    sequential = sequential_feluna
    with Analyzer(workers=2) as two:
        parallel = two.analyze_video(path)
    assert sequential.chunks == parallel.chunks == plan_chunks(199)
    assert len(sequential.frames) == len(parallel.frames) == 199
    # Only the first chunk ran here: the other ran in the worker.
    assert parallel.times.local_frames == plan_chunks(199)[0].stop == 122
    assert sequential.times.local_frames == 199 + WARMUP_FRAMES  # both chunks, plus warm-up
    for a, b in zip(sequential.frames, parallel.frames, strict=True):
        assert a.index == b.index and a.timestamp_s == b.timestamp_s
        assert (a.skeleton is None) == (b.skeleton is None)
        if a.skeleton is not None and b.skeleton is not None:
            assert np.array_equal(a.skeleton.image_xy, b.skeleton.image_xy)
            assert np.array_equal(a.skeleton.visibility, b.skeleton.visibility)
        assert a.observation == b.observation


#: Run in a fresh interpreter: the worker comes from the fork server (never forked from here).
FRESH_PROCESS_ANALYSIS = """
import pickle, sys
from pathlib import Path
from twistcoach import estimator, pipeline
assert not estimator.graph_started()
with pipeline.Analyzer(workers=2) as two:
    two.prestart()
    method = two._pool._mp_context.get_start_method()
    result = two.analyze_video(Path(sys.argv[1]))
frames = [(f.index, None if f.skeleton is None else f.skeleton.image_xy, f.observation)
          for f in result.frames]
Path(sys.argv[2]).write_bytes(pickle.dumps((method, result.times.local_frames, frames)))
"""


@pytest.mark.slow
def test_a_fork_server_worker_in_a_fresh_process_gives_the_same_numbers(
    shared_data: Path, tmp_path: Path, sequential_feluna: VideoAnalysis
) -> None:
    path = shared_data / FELUNA
    out = tmp_path / "fresh.pickle"
    subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS_ANALYSIS, str(path), str(out)],
        check=True,
        capture_output=True,
    )
    method, local_frames, frames = pickle.loads(out.read_bytes())
    assert method == "forkserver"
    assert local_frames == plan_chunks(199)[0].stop == 122
    sequential = sequential_feluna
    assert len(frames) == len(sequential.frames) == 199
    for (index, image_xy, observation), expected in zip(frames, sequential.frames, strict=True):
        assert index == expected.index
        assert (image_xy is None) == (expected.skeleton is None)
        if image_xy is not None and expected.skeleton is not None:
            assert np.array_equal(image_xy, expected.skeleton.image_xy)
        assert observation == expected.observation


def _finished(error: BaseException | None = None) -> Future[int]:
    future: Future[int] = Future()
    if error is None:
        future.set_result(0)
    else:
        future.set_exception(error)
    return future


def test_a_worker_that_died_or_failed_is_reported(tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    analyzer = Analyzer(workers=2)
    with pytest.raises(RuntimeError, match=r"v\.mp4: a worker process stopped unexpectedly"):
        analyzer._raise_worker_error(video, _finished(BrokenProcessPool()))
    with pytest.raises(ValueError, match="bad frame"):  # a worker's own error, unchanged
        analyzer._raise_worker_error(video, _finished(ValueError("bad frame")))
    analyzer._raise_worker_error(video, _finished())  # finished cleanly: nothing to raise
    with pytest.raises(RuntimeError, match="results never arrived"):
        analyzer._raise_worker_error(video, _finished(), lost=True)


GROUNDTRUTH_STILLS = Path(__file__).resolve().parent / "groundtruth" / "stills"


@pytest.mark.parametrize("place", ["woman28_slim_150/diag_l60_e45", "man25_slim_190/diag_l60_e45"])
def test_a_flat_photograph_is_judged_by_the_sessions_own_twist_rule(place: str) -> None:
    # Both knees-up stills are called a supine twist by their family (share of the twist
    # 0.68 and 0.36): refusing the family had stranded them, the session's rule
    # (tracking.looks_twisted) takes them; a 35-degree twist to either side is still refused.
    body = BodyType.NEUTRAL
    with Analyzer(workers=1) as analyzer:
        flat = analyzer.calibrate_on_photo(GROUNDTRUTH_STILLS / place / "theta_+000.jpg", body)
        assert flat.supine is not None and flat.trunk is None
        for twist in ("theta_+035.jpg", "theta_-035.jpg"):
            with pytest.raises(FlatPhotoError, match="looks like a twist"):
                analyzer.calibrate_on_photo(GROUNDTRUTH_STILLS / place / twist, body)


def test_a_flat_photo_from_a_place_no_knee_drop_is_measured_from_is_refused() -> None:
    """The red team's mirrored side photograph was taken as the zero (exit 0, every reading
    then unknown); docs/analyze.md says such a flat photograph is refused."""
    from synthetic import VIEWS, photograph, supine_twist_3d
    from twistcoach.photo import calibrate_on_photo

    side = photograph(supine_twist_3d(0.0), VIEWS["side"])
    still = GROUNDTRUTH_STILLS / "woman28_slim_150" / "diag_r55_e35" / "theta_+000.jpg"
    with pytest.raises(FlatPhotoError, match="cannot be measured from where"):
        calibrate_on_photo(still, BodyType.NEUTRAL, lambda rgb, static: side)
    # From a raised diagonal the same body calibrates.
    diagonal = photograph(supine_twist_3d(0.0), VIEWS["diagonal_right"])
    flat = calibrate_on_photo(still, BodyType.NEUTRAL, lambda rgb, static: diagonal)
    assert flat.supine is not None


def test_a_video_given_as_the_flat_photo_is_named_a_video(tmp_path: Path) -> None:
    from twistcoach.photo import calibrate_on_photo

    clip = Path(__file__).parent / "groundtruth" / "ci_drop_right.mp4"
    with pytest.raises(FlatPhotoError, match="this is a video"):
        calibrate_on_photo(clip, BodyType.NEUTRAL, lambda rgb, static: None)


def test_a_mirrored_analysis_is_placed_back_on_the_saved_frames() -> None:
    """``--mirrored`` estimates flipped frames; the annotated video draws on the frames as
    saved, so each landmark keeps its name and moves to x = width - x there."""
    from twistcoach.pipeline import FrameResult, StageTimes, as_saved

    obs = Observation(0.0, None, PoseFamily.OTHER, 0.0, View.UNKNOWN, False)
    frames = (FrameResult(0, 0.0, _skeleton(10.0), obs), FrameResult(1, 0.1, None, obs))
    flipped = VideoAnalysis(
        Path("clip.mp4"), frames, (64, 48), (Chunk(0, None, 0),), StageTimes(), (), True
    )
    saved = as_saved(flipped)
    assert not saved.mirrored and saved.frames[1].skeleton is None
    first = saved.frames[0].skeleton
    assert first is not None and np.array_equal(first.image_xy[:, 0], np.full(NUM_LANDMARKS, 54))
    assert np.array_equal(first.image_xy[:, 1], np.full(NUM_LANDMARKS, 10.0))
    assert saved.frames[0].observation is obs and frames[0].skeleton.image_xy[0, 0] == 10.0
    plain = VideoAnalysis(Path("clip.mp4"), frames, (64, 48), (Chunk(0, None, 0),), StageTimes())
    assert as_saved(plain) is plain
