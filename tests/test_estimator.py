"""Tests for twistcoach.estimator: MediaPipe on real photographs, and the replay estimator."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import twistcoach.estimator as estimator_module
from twistcoach.estimator import (
    HEAVY_MODEL,
    EstimatorError,
    MediaPipePoseEstimator,
    PoseEstimator,
    ReplayEstimator,
    check_heavy_model,
    make_mediapipe_estimator,
)
from twistcoach.landmarks import NUM_LANDMARKS, Landmark, Skeleton
from twistcoach.sources import read_image

L = Landmark
STANDING_LABELS = {"tree", "warrior2", "goddess", "triangle", "standing_twist"}


def _labelled(shared_data: Path) -> list[dict[str, str]]:
    with (shared_data / "images.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _skeleton(t: float, shift: float = 0.0) -> Skeleton:
    xy = np.arange(NUM_LANDMARKS * 2, dtype=np.float64).reshape(NUM_LANDMARKS, 2) + shift
    return Skeleton(
        timestamp_s=t,
        image_xy=xy,
        image_z=np.zeros(NUM_LANDMARKS),
        world_xyz=np.full((NUM_LANDMARKS, 3), 0.25),
        visibility=np.full(NUM_LANDMARKS, 0.5),
        image_size=(640, 480),
    )


@pytest.fixture(scope="module")
def static_estimator() -> Iterator[MediaPipePoseEstimator]:
    estimator = make_mediapipe_estimator(static_image_mode=True)
    yield estimator
    estimator.close()


@pytest.mark.slow
def test_a_person_is_found_on_every_labelled_photo(
    shared_data: Path, static_estimator: MediaPipePoseEstimator
) -> None:
    rows = _labelled(shared_data)
    assert len(rows) >= 40
    for row in rows:
        rgb = read_image(shared_data / "images" / row["file"])
        skeleton = static_estimator.estimate(rgb, 2.5)
        assert skeleton is not None, row["file"]
        assert skeleton.timestamp_s == 2.5
        assert skeleton.image_size == (int(row["width"]), int(row["height"])), row["file"]
        # The hips of every person are inside the frame, in pixels.
        for hip in (L.LEFT_HIP, L.RIGHT_HIP):
            x, y = skeleton.xy(hip)
            assert 0 <= x <= int(row["width"]) and 0 <= y <= int(row["height"]), row["file"]
        assert skeleton.visibility.min() >= 0.0 and skeleton.visibility.max() <= 1.0
        # World landmarks are metres around the mid-hip: a body fits in a 2.5 m box.
        assert np.abs(skeleton.world_xyz).max() < 2.5, row["file"]
        if row["label"] in STANDING_LABELS:
            # Standing people have their head above their hips (image y grows down).
            hips_y = (skeleton.xy(L.LEFT_HIP)[1] + skeleton.xy(L.RIGHT_HIP)[1]) / 2
            assert skeleton.xy(L.NOSE)[1] < hips_y, row["file"]


def test_supine_twist_photo_gives_lying_landmarks(
    shared_data: Path, static_estimator: MediaPipePoseEstimator
) -> None:
    path = shared_data / "images" / "supine_twist" / "suraj_easy_lower_back_twist.jpg"
    skeleton = static_estimator.estimate(read_image(path), 0.0)
    assert skeleton is not None
    assert isinstance(static_estimator, PoseEstimator)
    assert skeleton.image_size == (504, 432)
    # Lying down: the body is far wider than tall in the image (head left, feet right).
    shoulders = (skeleton.xy(L.LEFT_SHOULDER) + skeleton.xy(L.RIGHT_SHOULDER)) / 2
    ankles = (skeleton.xy(L.LEFT_ANKLE) + skeleton.xy(L.RIGHT_ANKLE)) / 2
    assert abs(ankles[0] - shoulders[0]) > 2 * abs(ankles[1] - shoulders[1])
    assert skeleton.vis(L.LEFT_HIP) > 0.9 and skeleton.vis(L.RIGHT_HIP) > 0.9


def test_blank_frame_finds_nobody(static_estimator: MediaPipePoseEstimator) -> None:
    assert static_estimator.estimate(np.full((240, 320, 3), 128, np.uint8), 0.0) is None


def test_bad_frames_and_closed_estimator_are_refused() -> None:
    estimator = make_mediapipe_estimator(static_image_mode=False)
    with pytest.raises(EstimatorError, match=r"\(H, W, 3\)"):
        estimator.estimate(np.zeros((10, 10), np.uint8), 0.0)
    with pytest.raises(EstimatorError, match="uint8"):
        estimator.estimate(np.zeros((10, 10, 3), np.float32), 0.0)
    with estimator:
        pass
    with pytest.raises(EstimatorError, match="closed"):
        estimator.estimate(np.zeros((10, 10, 3), np.uint8), 0.0)


def test_only_the_installed_models_are_used() -> None:
    with pytest.raises(EstimatorError, match="never downloads"):
        make_mediapipe_estimator(static_image_mode=True, model_complexity=0)


def test_the_heavy_model_is_the_pinned_file_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_heavy_model()  # make setup installed it
    fake = tmp_path / "pose_landmark_heavy.tflite"
    monkeypatch.setattr(estimator_module, "heavy_model_path", lambda: fake)
    with pytest.raises(EstimatorError, match=r"not installed.*never downloads"):
        make_mediapipe_estimator(static_image_mode=False, model_complexity=HEAVY_MODEL)
    fake.write_bytes(b"not a model")
    with pytest.raises(EstimatorError, match="not the pinned"):
        check_heavy_model()


def test_replay_feeds_recorded_skeletons_at_the_callers_timestamps() -> None:
    frame = np.zeros((4, 4, 3), np.uint8)
    replay = ReplayEstimator([_skeleton(9.0), None, _skeleton(9.0, shift=1.0)])
    assert isinstance(replay, PoseEstimator)
    first = replay.estimate(frame, 0.1)
    assert first is not None and first.timestamp_s == 0.1
    assert first.image_xy[1].tolist() == [2.0, 3.0]
    assert replay.estimate(frame, 0.2) is None
    third = replay.estimate(frame, 0.3)
    assert third is not None and third.image_xy[0].tolist() == [1.0, 2.0]
    assert replay.remaining == 0
    assert replay.estimate(frame, 0.4) is None


def test_replay_loops_when_asked() -> None:
    frame = np.zeros((4, 4, 3), np.uint8)
    replay = ReplayEstimator([_skeleton(0.0), _skeleton(0.0, shift=5.0)], loop=True)
    xs = []
    for i in range(5):
        skeleton = replay.estimate(frame, float(i))
        assert skeleton is not None
        xs.append(skeleton.image_xy[0, 0])
    assert xs == [0.0, 5.0, 0.0, 5.0, 0.0]


def test_replay_jsonl_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    ReplayEstimator.write_jsonl(path, [_skeleton(0.0), None, _skeleton(0.04, shift=0.5)])
    assert path.read_text().splitlines()[1] == "null"
    replay = ReplayEstimator.from_jsonl(path)
    frame = np.zeros((2, 2, 3), np.uint8)
    a, b, c = (replay.estimate(frame, t) for t in (1.0, 2.0, 3.0))
    assert a is not None and c is not None and b is None
    assert c.image_xy[0].tolist() == [0.5, 1.5]
    assert c.world_xyz[0].tolist() == [0.25, 0.25, 0.25]
    assert c.image_size == (640, 480) and c.timestamp_s == 3.0
    with replay:
        pass
    with pytest.raises(EstimatorError, match="closed"):
        replay.estimate(frame, 4.0)


def test_replay_jsonl_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('null\n{"timestamp_s": 0}\n')
    with pytest.raises(EstimatorError, match=r"bad\.jsonl, line 2"):
        ReplayEstimator.from_jsonl(path)
    with pytest.raises(EstimatorError, match=r"missing\.jsonl"):
        ReplayEstimator.from_jsonl(tmp_path / "missing.jsonl")


def test_loading_mediapipe_leaves_its_drawing_helpers_for_later() -> None:
    # In a fresh interpreter: the pose solution loads without matplotlib (mediapipe's drawing
    # helpers pull in pyplot, most of its import time), and the helpers still import later.
    code = (
        "import sys\n"
        "from twistcoach.estimator import preload_mediapipe\n"
        "preload_mediapipe()\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
        "assert 'mediapipe.python.solutions.drawing_utils' not in sys.modules\n"
        "from mediapipe.python.solutions import drawing_utils\n"
        "import mediapipe\n"
        "assert mediapipe.solutions.drawing_utils is drawing_utils\n"
        "print(drawing_utils.DrawingSpec().thickness)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"
