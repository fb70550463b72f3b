"""Tests for twistcoach.pipeline: chunk plans, ordering, and parallel == sequential numbers."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from twistcoach.estimator import ReplayEstimator
from twistcoach.landmarks import NUM_LANDMARKS, Skeleton
from twistcoach.metrics import Observation, PoseFamily, View
from twistcoach.pipeline import Analyzer, Chunk, Estimated, plan_chunks, run_tracker

FELUNA = Path("videos") / "supine_twist" / "feluna_reclining_twist.mp4"


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
    # Balanced work: 144 frames here; in the worker 199 - 144 = 55 own + 50 warm-up frames
    # + 40 frames' worth of start-up.
    assert plan_chunks(199) == (Chunk(0, 144, 0), Chunk(144, None, 94))
    assert plan_chunks(199, warmup=10, start_lag=0) == (Chunk(0, 104, 0), Chunk(104, None, 94))
    assert plan_chunks(300, chunks=3, warmup=5, start_lag=0) == (
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
        analysis = analyzer.analyze_video(path, progress.append)
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
def test_two_workers_give_the_same_numbers_as_one(shared_data: Path) -> None:
    path = shared_data / FELUNA
    with Analyzer(workers=1) as one:
        sequential = one.analyze_video(path)
    with Analyzer(workers=2) as two:
        parallel = two.analyze_video(path)
    assert sequential.chunks == parallel.chunks == plan_chunks(199)
    assert len(sequential.frames) == len(parallel.frames) == 199
    assert parallel.times.local_frames == 144  # the other chunk ran in the worker
    assert sequential.times.local_frames == 199 + 50  # both chunks here, plus warm-up
    for a, b in zip(sequential.frames, parallel.frames, strict=True):
        assert a.index == b.index and a.timestamp_s == b.timestamp_s
        assert (a.skeleton is None) == (b.skeleton is None)
        if a.skeleton is not None and b.skeleton is not None:
            assert np.array_equal(a.skeleton.image_xy, b.skeleton.image_xy)
            assert np.array_equal(a.skeleton.visibility, b.skeleton.visibility)
        assert a.observation == b.observation
