"""The ground-truth generator still runs (needs the bench extra: run by `make bench-test`).

Not collected by `make test` (its testpaths are tests/), because torch and anny live only
in .venv-bench.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from groundtruth.env import configure

configure()

from groundtruth.body import BodyModel, PoseSpec  # noqa: E402
from groundtruth.plan import HELD_OUT, bodies, cameras, rooms, sequences  # noqa: E402
from groundtruth.scene import Renderer  # noqa: E402
from twistcoach.landmarks import Landmark  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.groundtruth]


@pytest.fixture(scope="module")
def model() -> BodyModel:
    return BodyModel()


def test_plan_has_24_bodies_a_held_out_third_and_the_views() -> None:
    names = [b.name for b in bodies()]
    assert len(set(names)) == 24
    assert {b.gender for b in bodies()} == {0.0, 1.0}
    assert all(0.76 <= b.age <= 0.88 for b in bodies())  # adults on anny's scale
    statures = [b.stature_m for b in bodies()]
    assert min(statures) <= 1.45 and max(statures) >= 1.95
    # A third held out, both sexes in it, and every held-out body has its clips.
    assert len(HELD_OUT) == 8 and set(names) >= HELD_OUT
    assert {b.gender for b in bodies() if b.name in HELD_OUT} == {0.0, 1.0}
    assert {s.body for s in sequences()} >= HELD_OUT
    views = {c.view for c in cameras()}
    assert views == {"oblique", "side", "feet_end", "head_end", "top_down"}
    assert cameras() == cameras()  # deterministic from the seed
    assert len(sequences()) >= 8


def test_flat_pose_is_flat_and_twist_drops_to_the_right(model: BodyModel) -> None:
    body = bodies()[1]
    flat = model.pose(body, PoseSpec(0.0))
    assert abs(flat.labels.knee_drop_deg) < 1.0
    assert abs(flat.labels.shoulder_roll_deg) < 1.0
    assert 80.0 < flat.labels.knee_flexion_deg < 115.0
    twisted = model.pose(body, PoseSpec(45.0))
    assert 38.0 < twisted.labels.knee_drop_deg < 50.0
    assert twisted.labels.side == "right"
    assert abs(twisted.labels.shoulder_roll_deg) < 3.0  # the spine unwinds the twist
    lifted = model.pose(body, PoseSpec(45.0, shoulder_follow=0.35))
    assert lifted.labels.shoulder_roll_deg > 10.0
    # Deterministic: the same pose gives the same labels exactly.
    assert model.pose(body, PoseSpec(45.0)).labels == twisted.labels


def test_legs_long_pose_lies_flat(model: BodyModel) -> None:
    # The legs-long calibration pose (bench/legs_long.py): knees nearly straight and at
    # about the hips' height above the floor, the pelvis flat (the knee drop is undefined
    # with the thighs along the body: its labels are not used).
    body = bodies()[1]
    posed = model.pose(body, PoseSpec(0.0, hip_flex_deg=0.0))
    assert abs(posed.labels.pelvis_roll_deg) < 1.0
    assert posed.labels.knee_flexion_deg < 15.0
    kp = posed.keypoints
    hip_z = (kp[Landmark.LEFT_HIP][2] + kp[Landmark.RIGHT_HIP][2]) / 2
    knee_z = (kp[Landmark.LEFT_KNEE][2] + kp[Landmark.RIGHT_KNEE][2]) / 2
    assert abs(knee_z - hip_z) < 0.04
    assert posed.vertices[:, 2].min() >= -0.01  # resting on the floor, not sunk into it


def test_body_rests_on_the_floor(model: BodyModel) -> None:
    for body in bodies():
        posed = model.pose(body, PoseSpec(0.0))
        z = posed.vertices[:, 2]
        # The trunk touches the floor; heels and hands sink at most a few millimetres.
        assert -0.004 <= z.min() <= 0.001
        for foot in (Landmark.LEFT_HEEL, Landmark.RIGHT_HEEL):
            assert -0.04 < posed.keypoints[foot][2] < 0.12
        assert posed.keypoints[Landmark.NOSE][2] < 0.3  # the head rests, not floats


def test_bodies_have_their_stature(model: BodyModel) -> None:
    # anny's height scale differs between genders; the generator solves it per body.
    for body in (bodies()[0], bodies()[3]):
        h = model.height_param(body)
        assert 0.0 < h < 1.0
        verts, _ = model._forward(body, None)
        assert abs(float(np.ptp(verts[:, 2])) - body.stature_m) < 0.01


def test_render_shows_a_person(model: BodyModel) -> None:
    body, room = bodies()[0], rooms()[0]
    posed = model.pose(body, PoseSpec(30.0))
    image = Renderer((320, 180)).render(posed, cameras()[0], room)
    assert image.shape == (180, 320, 3) and image.dtype == np.uint8
    assert image.flags["C_CONTIGUOUS"]
    # The person is not black (vertex colours kept) and covers a real part of the frame.
    centre = image[60:120, 110:210].reshape(-1, 3).astype(float)
    assert centre.std(axis=0).max() > 10.0
    assert image.mean() > 40.0


def test_rotation_helpers_of_the_posed_renders() -> None:
    from bench.recognition import posed

    x, y, z = np.eye(3)
    # The least rotation from x to y is a quarter turn about z.
    np.testing.assert_allclose(posed._least(x, y), [[0, -1, 0], [1, 0, 0], [0, 0, 1]], atol=1e-12)
    np.testing.assert_allclose(posed._least(x, -x) @ x, -x, atol=1e-12)  # half turn, any axis
    # Aligning a direction and its bending plane: x -> z with y -> x.
    r = posed._align(x, y, z, x)
    np.testing.assert_allclose(r @ x, z, atol=1e-12)
    np.testing.assert_allclose(r @ y, x, atol=1e-12)
    # A fifth of a turn, five times over, is the turn.
    turn = posed._least(x, (x + 2 * y + z) / np.sqrt(6))
    np.testing.assert_allclose(np.linalg.matrix_power(posed._share(turn, 5), 5), turn, atol=1e-9)


@pytest.mark.parametrize(
    "pose",
    [
        "supine_twist",
        "seated_twist_cross",
        "standing_twist",
        "prone",
        "revolved_triangle",
        "chair_twist_fold",
    ],
)
def test_posed_render_puts_the_parts_where_the_pose_says(model: BodyModel, pose: str) -> None:
    # anny posed from a synthetic pose (bench/recognition/posed.py): every limb and the
    # shoulder line point where synth.segments says, within the keypoint regressor's few
    # degrees (measured up to 6 on the first 36 poses); the body rests on the floor.
    from bench.recognition import posed, synth

    bodies_ = posed.PosedBodies()
    rng = np.random.default_rng(3)
    for _ in range(3):
        p = synth.POSES[pose](rng)
        body, kp = bodies_.pose(bodies()[5], p)
        seg = synth.segments(p, p.orient)

        def angle(a: str, b: str, want: np.ndarray, kp: dict[str, np.ndarray] = kp) -> float:
            d = kp[b] - kp[a]
            return float(np.degrees(np.arccos(np.clip(d @ want / np.linalg.norm(d), -1, 1))))

        for i, side in enumerate(("left", "right")):
            assert angle(f"{side}_hip", f"{side}_knee", seg.thigh[i]) < 8
            assert angle(f"{side}_knee", f"{side}_ankle", seg.shank[i]) < 8
            assert angle(f"{side}_shoulder", f"{side}_elbow", seg.upper_arm[i]) < 8
            assert angle(f"{side}_elbow", f"{side}_wrist", seg.forearm[i]) < 8
        assert angle("right_shoulder", "left_shoulder", seg.chest[:, 0]) < 8
        assert abs(float(body.vertices[:, 2].min())) < 1e-9


def test_revolved_triangle_turns_the_chest_over_the_front_leg() -> None:
    # The stick body (synth.skeleton_3d): the left leg forwards (+Y, the way the pelvis
    # faced upright), both legs near straight, the chest turned towards the left so the
    # right shoulder, the back leg's side, is the lower one and the shoulder line leans
    # more than 30 deg off level; the trunk no more than 45 deg above level.
    from bench.recognition import synth

    rng = np.random.default_rng(11)
    for _ in range(50):
        p = synth.revolved_triangle(rng)
        pts = synth.skeleton_3d(p, rng)
        assert p.label == synth.STANDING_TWIST
        assert pts[11, 1] > pts[12, 1] + 0.3  # left ankle ahead of the right, metres
        for hip, knee, ankle in ((7, 9, 11), (8, 10, 12)):
            thigh, shank = pts[knee] - pts[hip], pts[ankle] - pts[knee]
            cos = thigh @ shank / np.linalg.norm(thigh) / np.linalg.norm(shank)
            assert cos > np.cos(np.radians(25))  # near straight (jitter included)
        line = pts[1] - pts[2]
        assert line[2] > 0 and line[2] / np.linalg.norm(line) > np.sin(np.radians(30))
        trunk = (pts[1] + pts[2]) / 2 - (pts[7] + pts[8]) / 2
        assert trunk[2] / np.linalg.norm(trunk) < np.sin(np.radians(45))
