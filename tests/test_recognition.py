"""Recognition of pose family and camera view: every labelled photograph in the shared
data (through MediaPipe skeletons stored in tests/fixtures/skeletons) and synthetic views."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from synthetic import VIEWS, photograph, supine_twist_3d
from twistcoach import report
from twistcoach.landmarks import Landmark, Skeleton
from twistcoach.metrics import Observation, PoseFamily, View
from twistcoach.recognition import (
    FEATURE_LANDMARKS,
    FINE_CLASSES,
    POSE_VECTOR_SIZE,
    _family,
    _view,
    family_probabilities,
    features,
    mirror_vector,
    pose_vector,
    recognize,
)
from twistcoach.tracking import TwistTracker

FIXTURES = Path(__file__).parent / "fixtures" / "skeletons"
F = PoseFamily

#: Accepted families per label of images.csv (tests/recognition/accepted_families.json, shared
#: with bench/recognition/bench.py). Where a label is not one of our families, or a single 2D
#: view honestly cannot decide, every reasonable answer is listed.
FAMILIES: dict[str, set[PoseFamily]] = {
    label: {PoseFamily(f) for f in families}
    for label, families in json.loads(
        (Path(__file__).parent / "recognition" / "accepted_families.json").read_text()
    )["accepted"].items()
}

SIDE_OR_OBLIQUE = {View.SIDE, View.OBLIQUE}
#: Camera views of the photographs of people lying down, judged by eye.
VIEWS_SEEN: dict[str, set[View]] = {
    "fedb_hug_knees_to_chest_0": SIDE_OR_OBLIQUE,  # low, from the side and the feet
    "fedb_knee_across_the_body_0": SIDE_OR_OBLIQUE,
    "fedb_knee_across_the_body_1": SIDE_OR_OBLIQUE,
    "fedb_it_band_glute_stretch_1": SIDE_OR_OBLIQUE,
    "feluna_corpse_gif_frame059": {View.SIDE},
    "feluna_reclining_twist_gif_frame000": {View.SIDE},
    "feluna_reclining_twist_gif_frame198": {View.SIDE},
    "rsclone_knee_to_chest_left": SIDE_OR_OBLIQUE,
    # Overhead, but the pelvis is rolled: the hips look as narrow as from a diagonal.
    "rsclone_lying_twist_stretch_left": {View.TOP_DOWN, View.OBLIQUE},
    "siva_matsyasana": {View.SIDE},
    "suraj_corpse_pose": SIDE_OR_OBLIQUE,
    "suraj_easy_bridge_pose_ii": {View.SIDE},
    "suraj_easy_gas_release_pose": {View.SIDE},
    "suraj_easy_lower_back_twist": {View.OBLIQUE},  # high three-quarter view
    "suraj_lower_back_twist": {View.OBLIQUE},
}


def _rows(shared_data: Path) -> list[dict[str, str]]:
    with (shared_data / "images.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def _fixture(name: str) -> tuple[Skeleton, dict[str, str]]:
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    return Skeleton.from_dict(data), data


CROSSVAL = Path(__file__).parents[1] / "bench" / "recognition" / "data" / "crossval.json"


def test_the_benchmark_s_cross_validation_is_of_the_shipped_model() -> None:
    """bench/RECOGNITION.md reports the real-photograph score from
    bench/recognition/data/crossval.json: it must belong to the shipped model (the model
    crossval.py trains on all the trainable data is the packaged file, byte for byte), and
    it must hold the scores stated here (a retrained model with a stale cross-validation,
    or a cross-validation that got worse, fails)."""
    import hashlib

    import twistcoach

    model = Path(twistcoach.__file__).parent / "recognition_model.json"
    sha = hashlib.sha256(model.read_bytes()).hexdigest()
    results = json.loads(CROSSVAL.read_text())["results"]
    mine = [r for r in results if r["model_sha256"] == sha]
    assert len(mine) >= 1
    cv = mine[0]["all"]
    assert cv["n"] == 43
    assert cv["right"] >= DEV_RIGHT_MIN
    assert cv["caught"] >= DEV_TWISTS_CAUGHT_MIN
    assert cv["false"] <= DEV_FALSE_TWISTS_MAX


def test_every_labelled_image_has_a_skeleton(shared_data: Path) -> None:
    rows = _rows(shared_data)
    assert len(rows) == 43
    for row in rows:
        _, data = _fixture(Path(row["file"]).stem)
        assert data["source"] == "images/" + row["file"]
        assert data["label"] == row["label"]
        assert row["label"] in FAMILIES


#: What the shipped recogniser gets on the 43 labelled photographs (bench/RECOGNITION.md;
#: the classifier never trained on them, the old rules were tuned on them and got all 43):
#: 39 right, 13 of 15 twists called a twist, 0 of 28 other poses called a twist (the
#: issue's targets, 90 %, 90 % and 5 %: the first and last met, the second not), measured
#: after the synthetic bodies gained the revolved triangle and the forward-leaning chair
#: twist and their seated and standing twists came to start at 20 deg (2026-12-06; seeds 1
#: and 2 of the same training: 38, 13, 0). The model before got 35, 10 and 1; before the
#: posed rendered pictures 34, 10 and 0; before the synthetic bodies' spine sign was fixed
#: 33, 11 and 3. Held here so that a change that makes it worse fails; the misses are listed there.
DEV_RIGHT_MIN = 39
DEV_TWISTS_CAUGHT_MIN = 13
DEV_FALSE_TWISTS_MAX = 0
TWIST_LABELS = {"supine_twist", "seated_twist", "chair_twist", "standing_twist"}


def test_family_and_view_of_the_labelled_images(shared_data: Path) -> None:
    right = caught = false = 0
    wrong_views = []
    for row in _rows(shared_data):
        name = Path(row["file"]).stem
        skeleton, _ = _fixture(name)
        rec = recognize(skeleton)
        right += rec.family in FAMILIES[row["label"]]
        is_twist = rec.family in TWISTS
        if row["label"] in TWIST_LABELS:
            caught += is_twist
        else:
            false += is_twist
        assert 0.0 < rec.family_confidence <= 1.0
        lying = rec.family in (F.SUPINE, F.SUPINE_TWIST)
        if lying and name in VIEWS_SEEN and rec.view not in VIEWS_SEEN[name]:
            wrong_views.append(f"{name}: view {rec.view}")
        if not lying:
            assert rec.view is View.UNKNOWN
            assert not rec.measurable
        if rec.view is View.SIDE:
            assert not rec.measurable
            assert "side view cannot tell which way the knees drop" in rec.advice.lower()
    assert wrong_views == []
    assert right >= DEV_RIGHT_MIN
    assert caught >= DEV_TWISTS_CAUGHT_MIN
    assert false <= DEV_FALSE_TWISTS_MAX


TWISTS = {F.SUPINE_TWIST, F.SEATED_TWIST, F.STANDING_TWIST}
COMMITTED = Path(__file__).parent / "recognition" / "committed_set.npz"
#: Measured on tests/recognition/committed_set.npz (bench/recognition/testset.py) with the
#: shipped model (2026-12-06: the revolved triangle and forward-leaning chair twist added to
#: the synthetic poses, their seated and standing twists from 20 deg, the posed pictures of
#: those poses rendered again): rendered 600/692 = 86.7 % right, 552/618 = 89.3 % of twists,
#: 16/74 = 21.6 % of the neutral poses called a twist, most of them supine knees-up stills;
#: synthetic 169/190 = 88.9 %, 41/45 = 91.1 %, 3/145 = 2.1 %; posed, every pose on the
#: held-out bodies read by MediaPipe: 510/598 = 85.3 %, 109/142 = 76.8 %, 21/456 = 4.6 %
#: (its twists now start at 20 deg: a harder set than before). The bounds leave about 2
#: points for a retrained model's noise, but the posed false-twist bound, which stays at
#: the issue's 5 %. The model before: rendered 89.2 %, 92.6 %, 27.0 % (its 20 deg seated
#: and standing twists called a twist on 45 of 62, now 34); posed, on the pictures before,
#: 86.9 %, 80.0 %, 3.5 %.
COMMITTED_BOUNDS = {
    # set: (right at least, twists called a twist at least, non-twists called a twist at most)
    "rendered": (0.85, 0.87, 0.25),
    "synthetic": (0.86, 0.88, 0.05),
    "posed": (0.83, 0.74, 0.05),
}


def _skeleton_13(points: np.ndarray) -> Skeleton:
    """A skeleton with the classifier's 13 landmarks; the others at the body's centre."""
    xy = np.repeat(points.mean(axis=0, keepdims=True), 33, axis=0).astype(np.float64)
    for i, m in enumerate(FEATURE_LANDMARKS):
        xy[int(m)] = points[i]
    xy = xy - xy.min(axis=0) + 50.0
    size = (int(xy[:, 0].max()) + 50, int(xy[:, 1].max()) + 50)
    return Skeleton(0.0, xy, np.zeros(33), np.zeros((33, 3)), np.ones(33), size)


@pytest.mark.parametrize("subset", ["rendered", "synthetic", "posed"])
def test_accuracy_on_the_committed_set(subset: str) -> None:
    """Pictures never used in training: rendered people (held-out bodies, supine stills from
    11 camera places, top-down included, and seated and standing twists), synthetic bodies
    from random cameras (any picture orientation when lying) and posed rendered people
    (every synthetic pose on the held-out bodies, random cameras, MediaPipe's landmarks)."""
    data = np.load(COMMITTED, allow_pickle=False)
    xy, truth = data[f"{subset}_xy"], data[f"{subset}_family"]
    assert len(xy) >= 100
    right = twists = caught = others = false = 0
    for points, label in zip(xy, truth, strict=True):
        got = recognize(_skeleton_13(points.astype(np.float64))).family
        want = F(str(label))
        right += got is want
        if want in TWISTS:
            twists += 1
            caught += got in TWISTS
        else:
            others += 1
            false += got in TWISTS
    lo_right, lo_caught, hi_false = COMMITTED_BOUNDS[subset]
    assert right / len(xy) >= lo_right
    assert caught / twists >= lo_caught
    assert false / others <= hi_false


#: Held-out rendered stills from straight above (44 pictures of the held-out bodies, 40
#: supine twists and 4 supine), each turned in the picture: measured with the shipped model
#: in bench/RECOGNITION.md ("Picture orientation on held-out pictures taken from above"):
#: lying read as lying 43-44 of 44 and right 43-44 of 44 at 0, 90, 180 and 270 degrees (the
#: model before the posed pictures: 44 and 43-44; before synth.py's spine fix: 43-44 and
#: 43-44; the single network before the ensemble: 40-44 and 40-42).
TURNED_BOUNDS = {
    # at every turn: lying read as lying at least, right at least
    "lying": 0.95,
    "right": 0.93,
}


@pytest.mark.parametrize("deg", [0.0, 90.0, 180.0, 270.0])
def test_a_picture_from_above_reads_the_same_at_any_turn(deg: float) -> None:
    """A picture taken from above has no up: a person lying down stays lying down with the
    head down or across the picture (issue 17)."""
    data = np.load(COMMITTED, allow_pickle=False)
    keep = data["rendered_camera"] == "top_down"
    xy, truth = data["rendered_xy"][keep], data["rendered_family"][keep]
    assert len(xy) >= 40
    t = np.radians(deg)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    lying = right = 0
    for points, label in zip(xy, truth, strict=True):
        got = recognize(_skeleton_13(points.astype(np.float64) @ rot.T)).family
        lying += got in (F.SUPINE, F.SUPINE_TWIST)
        right += got is F(str(label))
    assert all(F(str(label)) in (F.SUPINE, F.SUPINE_TWIST) for label in truth)
    assert lying / len(xy) >= TURNED_BOUNDS["lying"]
    assert right / len(xy) >= TURNED_BOUNDS["right"]


def test_a_picture_and_its_mirror_image_read_the_same(shared_data: Path) -> None:
    for row in _rows(shared_data):
        skeleton, _ = _fixture(Path(row["file"]).stem)
        xy = skeleton.image_xy.copy()
        xy[:, 0] = skeleton.image_size[0] - xy[:, 0]
        swap = np.arange(33)
        for m in Landmark:
            if m.name.startswith("LEFT_"):
                other = Landmark[m.name.replace("LEFT_", "RIGHT_")]
                swap[[int(m), int(other)]] = [int(other), int(m)]
        mirrored = Skeleton(
            0.0,
            xy[swap],
            skeleton.image_z[swap],
            skeleton.world_xyz[swap],
            skeleton.visibility[swap],
            skeleton.image_size,
        )
        p, q = family_probabilities(skeleton), family_probabilities(mirrored)
        assert all(p[f] == pytest.approx(q[f], abs=1e-9) for f in F)


def test_the_classifier_reads_its_own_picture_at_any_angle() -> None:
    """The pose vector does not change when the picture turns (only its orientation cue)."""
    skeleton, _ = _fixture("rsclone_lying_twist_stretch_left")
    points = skeleton.image_xy[[int(m) for m in FEATURE_LANDMARKS]]
    base = pose_vector(points)
    for deg in (90.0, 180.0, 270.0, 33.0):
        t = np.radians(deg)
        rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
        turned = pose_vector(points @ rot.T + 17.0)
        assert turned[:26] == pytest.approx(base[:26], abs=1e-9)  # the shape
        # lengths, angles, the knees' lean and the hips' roll
        assert turned[-15:] == pytest.approx(base[-15:], abs=1e-9)


def test_an_unsure_classifier_never_names_a_family_the_coach_acts_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fail safe: with no posture above half, the rules decide only with a confidence under
    the coach's threshold, or nothing is recognised."""
    import twistcoach.recognition as recognition

    flat = dict.fromkeys(F, 1.0 / len(F))
    monkeypatch.setattr(recognition, "family_probabilities", lambda _sk: flat)
    for row_name in ("siva_ardha_matsyendrasana", "feluna_reclining_twist_gif_frame198"):
        rec = recognize(_fixture(row_name)[0])
        assert rec.family_confidence < 0.6
        assert "unsure" in rec.reason
    # No posture the rules name is given a quarter: not recognised at all.
    only_other = dict.fromkeys(F, 0.0)
    only_other[F.OTHER] = 0.45
    only_other[F.SEATED] = 0.2
    only_other[F.STANDING] = 0.2
    only_other[F.SUPINE] = 0.15
    monkeypatch.setattr(recognition, "family_probabilities", lambda _sk: only_other)
    rec = recognize(_fixture("feluna_reclining_twist_gif_frame198")[0])
    assert rec.family is F.OTHER
    assert rec.family_confidence < 0.6
    assert rec.reason.startswith("not recognised")


def test_the_packaged_model_matches_the_code() -> None:
    from twistcoach.recognition import FINE_CLASSES, POSE_VECTOR_SIZE, _classifier

    model = _classifier()
    assert model.classes == FINE_CLASSES
    assert model.members >= 1
    assert model.layers[0][0].shape[0] == POSE_VECTOR_SIZE
    assert model.layers[-1][0].shape[1] == model.members * len(FINE_CLASSES)
    probs = model.probabilities(np.zeros((3, POSE_VECTOR_SIZE)))
    assert probs.shape == (3, len(FINE_CLASSES))
    assert probs.sum(axis=1) == pytest.approx(np.ones(3))


def test_the_fused_ensemble_is_the_mean_of_its_members() -> None:
    """The members run as one wide network: the same probabilities as each run alone."""
    from twistcoach.recognition import classifier_from_doc

    rng = np.random.default_rng(3)
    size = POSE_VECTOR_SIZE

    def member(hidden: int) -> dict[str, object]:
        shapes = [(size, hidden), (hidden, hidden), (hidden, 10)]
        return {
            "mean": rng.normal(0, 1, size).tolist(),
            "std": rng.uniform(0.5, 2, size).tolist(),
            "layers": [
                {"w": rng.normal(0, 0.3, sh).tolist(), "b": rng.normal(0, 0.3, sh[1]).tolist()}
                for sh in shapes
            ],
        }

    members = [member(8), member(5)]
    base = {"classes": list(FINE_CLASSES), "input_size": size}
    x = rng.normal(0, 1, (4, size))
    alone = [classifier_from_doc(base | {"members": [m]}).probabilities(x) for m in members]
    both = classifier_from_doc(base | {"members": members}).probabilities(x)
    assert both == pytest.approx((alone[0] + alone[1]) / 2, abs=1e-12)
    # One member by hand: normalise, two ReLU layers, softmax.
    m = members[0]
    h = (x - np.asarray(m["mean"])) / np.asarray(m["std"])
    for i, layer in enumerate(m["layers"]):
        h = h @ np.asarray(layer["w"]) + np.asarray(layer["b"])
        h = np.maximum(h, 0) if i < 2 else h
    e = np.exp(h - h.max(axis=1, keepdims=True))
    assert alone[0] == pytest.approx(e / e.sum(axis=1, keepdims=True), abs=1e-12)
    with pytest.raises(ValueError, match="does not match"):
        classifier_from_doc(base | {"input_size": size + 1, "members": members})


def test_the_mirror_vector_is_the_mirror_image_s_vector() -> None:
    """fine_probabilities derives the mirror image's vector by indexing: it must equal the
    vector computed from the mirrored landmarks."""
    rng = np.random.default_rng(5)
    for _ in range(50):
        points = rng.normal(300, 80, (13, 2))
        assert mirror_vector(pose_vector(points)) == pytest.approx(
            pose_vector(points, mirror=True), abs=1e-9
        )


@pytest.mark.parametrize(
    ("view", "expected", "measurable"),
    [
        ("side", View.SIDE, False),
        ("head_end", View.HEAD_END, True),
        ("diagonal_right", View.OBLIQUE, True),
        ("diagonal_wide", View.OBLIQUE, True),
    ],
)
def test_synthetic_views(view: str, expected: View, measurable: bool) -> None:
    rec = recognize(photograph(supine_twist_3d(0.0), VIEWS[view]))
    assert rec.family in (F.SUPINE, F.SUPINE_TWIST)
    assert rec.view is expected
    assert rec.measurable is measurable
    assert (rec.advice == "") is measurable


def test_low_feet_end_is_not_measurable() -> None:
    from synthetic import PinholeCamera

    low = PinholeCamera(0.0, 12.0, distance_m=2.2)
    rec = recognize(photograph(supine_twist_3d(0.0), low))
    f = features(photograph(supine_twist_3d(0.0), low))
    assert f.shoulder_ratio >= 1.3  # the torso is seen end-on, strongly foreshortened
    assert rec.view is View.FEET_END
    assert not rec.measurable
    assert "2 m up" in rec.advice


def test_features_literal() -> None:
    # A tiny stick figure lying across the image: hips at x=100, shoulders at x=200.
    xy = np.zeros((33, 2))
    pts = {
        Landmark.LEFT_HIP: (100, 95),
        Landmark.RIGHT_HIP: (100, 105),
        Landmark.LEFT_SHOULDER: (200, 90),
        Landmark.RIGHT_SHOULDER: (200, 110),
        Landmark.LEFT_KNEE: (50, 40),
        Landmark.RIGHT_KNEE: (50, 60),
        Landmark.LEFT_ANKLE: (10, 100),
        Landmark.RIGHT_ANKLE: (10, 100),
    }
    for lm, p in pts.items():
        xy[lm] = p
    sk = Skeleton(0.0, xy, np.zeros(33), np.zeros((33, 3)), np.ones(33), (300, 200))
    f = features(sk)
    assert f.torso_deg == pytest.approx(90.0)
    assert f.shoulder_ratio == pytest.approx(0.2)
    assert f.twist_ratio == pytest.approx(2.0)
    assert f.knee_up == pytest.approx((0.6, 0.4))
    assert f.knee_along == pytest.approx((-0.5, -0.5))
    # The rules (the fallback when the classifier is unsure) read it as lying, side-on. (The
    # classifier is not asked: arms, face and feet all at the image's corner are no body.)
    assert _family(f)[0] is F.SUPINE
    assert _view(f, F.SUPINE)[0] is View.SIDE


def test_invisible_torso_is_not_recognised() -> None:
    sk = photograph(supine_twist_3d(0.0), VIEWS["diagonal_right"], dropped=(Landmark.LEFT_HIP,))
    rec = recognize(sk)
    assert rec.family is F.OTHER
    assert rec.family_confidence < 0.2
    assert not rec.measurable
    assert "hips and shoulders" in rec.advice


def test_broken_landmarks_are_not_recognised() -> None:
    good = photograph(supine_twist_3d(0.0), VIEWS["diagonal_right"])
    xy = good.image_xy.copy()
    xy[Landmark.RIGHT_SHOULDER] = [np.nan, 10.0]
    broken = Skeleton(0.0, xy, good.image_z, good.world_xyz, good.visibility, good.image_size)
    rec = recognize(broken)
    assert rec.family is F.OTHER
    assert not rec.measurable


CLIPS = Path(__file__).parent / "recognition" / "clips"


def _clip_observations(name: str) -> list[Observation]:
    """The tracker's observations of a shared clip's cached MediaPipe landmarks (tracking
    mode, copied from bench/recognition/data/clips), the frames with a person."""
    with np.load(CLIPS / f"{name}.npz") as d:
        t, found = d["t"].astype(np.float64), d["found"].astype(bool)
        xy, vis = d["image_xy"].astype(np.float64), d["visibility"].astype(np.float64)
        size = (int(d["size"][0]), int(d["size"][1]))
    tracker = TwistTracker()
    out = []
    for i in range(len(t)):
        sk = (
            Skeleton(float(t[i]), xy[i], np.zeros(33), np.zeros((33, 3)), vis[i], size)
            if found[i]
            else None
        )
        obs = tracker.update(float(t[i]), sk)
        if sk is not None:
            out.append(obs)
    return out


def test_a_short_sustained_twist_makes_the_clip_a_twist() -> None:
    """feluna_reclining_twist.mp4 lies still with the legs crossed for 5 s and takes the
    knees over only from about 5.2 s (looked at frame by frame): one sustained segment at the
    end (measured: 5.44-7.92 s at a mean confidence of 0.76, 32 % of the frames; the model
    before the posed rendered pictures found 6.36-7.92 s at 0.53, 19 % of the frames, under
    report.TWIST_SHARE, so only the segment rule made the clip a twist)."""
    obs = _clip_observations("feluna_reclining_twist")
    twist_frames = sum(o.family is F.SUPINE_TWIST for o in obs)
    assert twist_frames / len(obs) < 0.5  # most of the clip is lying still
    start, end, conf = report.twist_segment(obs, F.SUPINE_TWIST)
    assert end - start >= report.TWIST_SEGMENT_S
    assert conf >= report.TWIST_SEGMENT_MIN_CONFIDENCE
    assert start >= 5.0  # the drop, not the lying still before it
    assert report.video_family(obs)[0] is F.SUPINE_TWIST


@pytest.mark.parametrize(
    ("name", "family"),
    [("feluna_corpse", F.SUPINE), ("karby_hamstring_named_kneeling_stretch", F.STANDING)],
)
def test_clips_without_a_twist_are_not_a_twist(name: str, family: PoseFamily) -> None:
    """Lying still and a kneeling stretch (read as standing: a 2.0 s 'standing twist'
    segment at its start at a mean confidence of 0.43, under the segment's 0.5)."""
    obs = _clip_observations(name)
    assert report.video_family(obs)[0] is family


def test_the_twist_segment_rule() -> None:
    """Consecutive twist frames make one segment; a gap longer than TWIST_SEGMENT_GAP_S or
    another family ends it; the longest segment is returned with its mean confidence."""

    def obs(t: float, fam: PoseFamily, conf: float) -> Observation:
        return Observation(t, None, fam, conf, View.SIDE, False)

    frames = [obs(0.1 * i, F.SUPINE, 0.9) for i in range(10)]
    frames += [obs(1.0 + 0.1 * i, F.SUPINE_TWIST, 0.6) for i in range(5)]  # 0.4 s
    frames += [obs(1.5, F.SUPINE, 0.9)]
    frames += [obs(1.6 + 0.1 * i, F.SUPINE_TWIST, 0.8) for i in range(8)]  # 0.7 s
    frames += [obs(2.6 + 0.1 * i, F.SUPINE_TWIST, 0.4) for i in range(6)]  # after a 0.3 s gap
    start, end, conf = report.twist_segment(frames, F.SUPINE_TWIST)
    assert (start, end, conf) == pytest.approx((1.6, 2.3, 0.8))
    assert report.video_family(frames)[0] is F.SUPINE_TWIST  # 19 of 30 frames by share
    calm = [obs(0.1 * i, F.SUPINE, 0.9) for i in range(100)]
    held = calm + [obs(10.0 + 0.05 * i, F.SUPINE_TWIST, 0.55) for i in range(22)]  # 1.05 s
    assert 22 / len(held) < report.TWIST_SHARE
    assert report.video_family(held)[0] is F.SUPINE_TWIST
    unsure = calm + [obs(10.0 + 0.05 * i, F.SUPINE_TWIST, 0.45) for i in range(22)]
    assert report.video_family(unsure)[0] is F.SUPINE
    brief = calm + [obs(10.0 + 0.05 * i, F.SUPINE_TWIST, 0.9) for i in range(19)]  # 0.9 s
    assert report.video_family(brief)[0] is F.SUPINE
