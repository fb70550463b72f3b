"""Synthetic landmarks: a jointed 3D stick body posed in many exercises, photographed from
random cameras (numpy only; no renderer, no MediaPipe).

These teach the classifier the twists and the orientations that the real training
photographs (``free-exercise-db``, gym and stretching exercises shot from the side) rarely
show: supine twists seen from anywhere above the mat, top-down pictures in any image
orientation (head up, down or sideways in the picture), seated and standing twists, and the
non-twist poses the issue names (bridge, fish, legs up the wall, side-lying, reclined hero
and bound angle, happy baby, half moon, dancer, easy pose, lotus, staff, boat, cobra,
sphinx, all fours, kneeling, inversions).

Body frame (metres): ``l`` the person's left, ``u`` from mid-hip towards the head, ``f``
the way the front of the body faces; ``l x u = f``. World: Z up, the floor at Z = 0.

Each pose is a function ``rng -> Pose`` that draws its angles (degrees) from ranges; a
sample is the 13 landmarks of :data:`twistcoach.recognition.FEATURE_LANDMARKS` in pixels.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# Fine classes the training uses; recognition.FINE_TO_FAMILY maps them to PoseFamily.
SUPINE_TWIST, SUPINE, SEATED_TWIST, SEATED, STANDING_TWIST, STANDING = range(6)
PRONE, KNEELING, INVERSION, SIDE_LYING = range(6, 10)


def _rot(axis: FloatArray, deg: float) -> FloatArray:
    """Rotation matrix (3, 3) about the unit ``axis`` by ``deg`` degrees (right hand)."""
    a = np.asarray(axis, dtype=np.float64)
    a = a / np.linalg.norm(a)
    t = math.radians(deg)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + math.sin(t) * k + (1 - math.cos(t)) * (k @ k)


X, Y, Z = np.eye(3)


@dataclass
class Pose:
    """Angles of one posed body (degrees) and its placement.

    ``orient`` is the pelvis frame (columns l, u, f in world coordinates). Hip angles are
    in the pelvis frame: ``flex`` swings the thigh from straight down (0) forwards (90 =
    thigh along f, 180 = along u); ``abd`` swings it out to its own side; ``rot`` turns the
    knee outwards; ``knee`` bends the shank behind the thigh (0 straight). Spine: the chest
    turns ``twist`` about u (positive towards the person's left), bends ``flex`` forwards
    and ``side`` to the left. Arms likewise in the chest frame (``flex`` forwards from
    hanging, ``abd`` out to the side, ``elbow`` bend).
    """

    label: int
    orient: FloatArray
    hip_flex: tuple[float, float] = (0.0, 0.0)
    hip_abd: tuple[float, float] = (5.0, 5.0)
    hip_rot: tuple[float, float] = (0.0, 0.0)
    knee: tuple[float, float] = (0.0, 0.0)
    spine_twist: float = 0.0
    spine_flex: float = 0.0
    spine_side: float = 0.0
    arm_flex: tuple[float, float] = (0.0, 0.0)
    arm_abd: tuple[float, float] = (10.0, 10.0)
    elbow: tuple[float, float] = (10.0, 10.0)
    head_flex: float = 0.0
    lying: bool = False
    extra: dict[str, float] = field(default_factory=dict)


def _frame(left: FloatArray, u: FloatArray) -> FloatArray:
    """Rotation matrix with columns (left, up along the spine, front)."""
    lv = left / np.linalg.norm(left)
    u = u - (u @ lv) * lv
    u = u / np.linalg.norm(u)
    return np.stack([lv, u, np.cross(lv, u)], axis=1)


UPRIGHT = _frame(-X, Z)  # facing +Y
SUPINE_FRAME = _frame(X, Y)  # on the back, head towards +Y, front up
PRONE_FRAME = _frame(-X, Y)  # face down, head towards +Y


@dataclass(frozen=True)
class Segments:
    """The directions of a posed body's parts (unit vectors, the frame of ``orient``).

    ``chest``: the chest frame (3, 3), columns left, up, front; ``head_up`` and
    ``head_front``: the head's; per side (left first): ``thigh`` (hip to knee), ``knee_front``
    (the way the knee bends the shank away from: the thigh's front), ``shank`` (knee to
    ankle), ``upper_arm`` (shoulder to elbow), ``arm_front`` (the way the elbow bends the
    forearm towards) and ``forearm`` (elbow to wrist).
    """

    chest: FloatArray
    head_up: FloatArray
    head_front: FloatArray
    thigh: tuple[FloatArray, FloatArray]
    knee_front: tuple[FloatArray, FloatArray]
    shank: tuple[FloatArray, FloatArray]
    upper_arm: tuple[FloatArray, FloatArray]
    arm_front: tuple[FloatArray, FloatArray]
    forearm: tuple[FloatArray, FloatArray]


def segments(p: Pose, r: FloatArray) -> Segments:
    """The part directions of pose ``p`` with its pelvis frame ``r`` (3, 3) (columns l, u,
    f): ``p.orient`` for the world, the identity for the pelvis's own frame."""
    lv, u, f = r[:, 0], r[:, 1], r[:, 2]
    # Chest frame.
    rc = _rot(u, p.spine_twist) @ r
    # Bend forwards: u towards f (about l by +flex; the sign was the other way round until
    # 2026-12-06, which bent every forward fold backwards and every backbend forwards).
    rc = _rot(rc[:, 0], p.spine_flex) @ rc
    rc = _rot(rc[:, 2], -p.spine_side) @ rc  # bend to the left: u towards lv
    lc, uc, fc = rc[:, 0], rc[:, 1], rc[:, 2]
    head = _rot(lc, p.head_flex)  # forwards, as the spine (same sign fix)
    legs: list[tuple[FloatArray, FloatArray, FloatArray]] = []
    arms: list[tuple[FloatArray, FloatArray, FloatArray]] = []
    for side, sign in ((0, 1.0), (1, -1.0)):
        # Leg: thigh down, then flex about lv (down -> f), abduct outwards about f.
        down = -u
        rf = _rot(lv, -p.hip_flex[side])  # rotating -u towards f about lv is negative
        if (rf @ down) @ f < 0 and p.hip_flex[side] > 0:
            rf = _rot(lv, p.hip_flex[side])
        ra = _rot(rf @ f, sign * p.hip_abd[side])
        d_t = ra @ rf @ down
        k_dir = ra @ rf @ f
        k_dir = _rot(d_t, -sign * p.hip_rot[side]) @ k_dir
        kb = math.radians(p.knee[side])
        d_s = math.cos(kb) * d_t - math.sin(kb) * k_dir
        legs.append((d_t, k_dir, d_s))
        # Arm in the chest frame.
        down_c = -uc
        raf = _rot(lc, -p.arm_flex[side])
        if (raf @ down_c) @ fc < 0 and p.arm_flex[side] > 0:
            raf = _rot(lc, p.arm_flex[side])
        raa = _rot(raf @ fc, sign * p.arm_abd[side])
        d_a = raa @ raf @ down_c
        front = raa @ raf @ fc
        eb = math.radians(p.elbow[side])
        d_f = math.cos(eb) * d_a + math.sin(eb) * front
        arms.append((d_a, front, d_f))
    return Segments(
        chest=rc,
        head_up=head @ uc,
        head_front=head @ fc,
        thigh=(legs[0][0], legs[1][0]),
        knee_front=(legs[0][1], legs[1][1]),
        shank=(legs[0][2], legs[1][2]),
        upper_arm=(arms[0][0], arms[1][0]),
        arm_front=(arms[0][1], arms[1][1]),
        forearm=(arms[0][2], arms[1][2]),
    )


def skeleton_3d(p: Pose, rng: np.random.Generator) -> FloatArray:
    """The 13 landmarks (nose, shoulders, elbows, wrists, hips, knees, ankles; left first),
    world metres, shape (13, 3)."""
    size = rng.uniform(0.85, 1.15)
    hip_w = 0.24 * size * rng.uniform(0.85, 1.15)
    sh_w = 0.36 * size * rng.uniform(0.88, 1.12)
    torso = 0.50 * size * rng.uniform(0.92, 1.08)
    thigh = 0.44 * size * rng.uniform(0.92, 1.08)
    shank = 0.42 * size * rng.uniform(0.92, 1.08)
    upper = 0.29 * size * rng.uniform(0.92, 1.08)
    fore = 0.26 * size * rng.uniform(0.92, 1.08)
    seg = segments(p, p.orient)
    lc, uc = seg.chest[:, 0], seg.chest[:, 1]
    pts = np.zeros((13, 3))
    pts[7], pts[8] = hip_w / 2 * p.orient[:, 0], -hip_w / 2 * p.orient[:, 0]
    ms = torso * uc
    pts[1], pts[2] = ms + sh_w / 2 * lc, ms - sh_w / 2 * lc
    pts[0] = ms + 0.2 * size * seg.head_up + 0.09 * size * seg.head_front
    for side in (0, 1):
        knee_pt = pts[7 + side] + thigh * seg.thigh[side]
        pts[9 + side] = knee_pt
        pts[11 + side] = knee_pt + shank * seg.shank[side]
        pts[3 + side] = pts[1 + side] + upper * seg.upper_arm[side]
        pts[5 + side] = pts[3 + side] + fore * seg.forearm[side]
    pts = pts + rng.normal(0.0, 0.012, pts.shape)
    pts[:, 2] -= pts[:, 2].min()  # resting on the floor
    return pts


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _pair(
    rng: np.random.Generator, lo: float, hi: float, spread: float = 10.0
) -> tuple[float, float]:
    a = _u(rng, lo, hi)
    return a, float(np.clip(a + rng.normal(0, spread), lo - spread, hi + spread))


def _sided(rng: np.random.Generator, a: tuple[float, float]) -> tuple[float, float]:
    """A (left, right) pair as given: the classifier reads each picture and its mirror
    image alike, so one side is enough (``rng`` kept for the call sites' symmetry)."""
    return a


def _arms(rng: np.random.Generator, kind: str) -> dict[str, tuple[float, float]]:
    if kind == "side":  # by the sides
        return {
            "arm_flex": _pair(rng, -10, 20),
            "arm_abd": _pair(rng, 5, 30),
            "elbow": _pair(rng, 0, 30),
        }
    if kind == "t":  # out in a T
        return {
            "arm_flex": _pair(rng, -10, 20),
            "arm_abd": _pair(rng, 70, 100),
            "elbow": _pair(rng, 0, 25),
        }
    if kind == "up":  # overhead
        return {
            "arm_flex": _pair(rng, 150, 180),
            "arm_abd": _pair(rng, 0, 25),
            "elbow": _pair(rng, 0, 25),
        }
    if kind == "front":  # forwards
        return {
            "arm_flex": _pair(rng, 60, 100),
            "arm_abd": _pair(rng, 0, 30),
            "elbow": _pair(rng, 0, 60),
        }
    if kind == "knees":  # hands on the knees / lap
        return {
            "arm_flex": _pair(rng, 20, 60),
            "arm_abd": _pair(rng, 10, 35),
            "elbow": _pair(rng, 30, 90),
        }
    return {
        "arm_flex": _pair(rng, -20, 180, 60),
        "arm_abd": _pair(rng, 0, 100, 40),
        "elbow": _pair(rng, 0, 120, 40),
    }


def _pick(rng: np.random.Generator, *kinds: str) -> dict[str, tuple[float, float]]:
    return _arms(rng, kinds[int(rng.integers(len(kinds)))])


# ------------------------------------------------------------------ lying on the back


def supine_flat(rng: np.random.Generator) -> Pose:
    return Pose(
        SUPINE,
        SUPINE_FRAME,
        hip_flex=_pair(rng, 0, 12, 4),
        hip_abd=_pair(rng, 0, 20),
        knee=_pair(rng, 0, 15, 5),
        lying=True,
        **_pick(rng, "side", "t", "up"),
    )


def supine_knees_up(rng: np.random.Generator) -> Pose:
    return Pose(
        SUPINE,
        SUPINE_FRAME,
        hip_flex=_pair(rng, 35, 70, 5),
        hip_abd=_pair(rng, -5, 12, 4),
        knee=_pair(rng, 70, 120, 8),
        spine_twist=_u(rng, -8, 8),
        lying=True,
        **_pick(rng, "side", "t", "up"),
    )


def knees_to_chest(rng: np.random.Generator) -> Pose:
    return Pose(
        SUPINE,
        SUPINE_FRAME,
        hip_flex=_pair(rng, 100, 135, 8),
        hip_abd=_pair(rng, 0, 20),
        knee=_pair(rng, 90, 140, 10),
        lying=True,
        **_pick(rng, "front", "knees"),
    )


def one_knee_to_chest(rng: np.random.Generator) -> Pose:
    return Pose(
        SUPINE,
        SUPINE_FRAME,
        hip_flex=_sided(rng, (_u(rng, 100, 130), _u(rng, 0, 10))),
        knee=_sided(rng, (_u(rng, 90, 130), _u(rng, 0, 10))),
        lying=True,
        **_pick(rng, "front", "side"),
    )


def happy_baby(rng: np.random.Generator) -> Pose:
    return Pose(
        SUPINE,
        SUPINE_FRAME,
        hip_flex=_pair(rng, 100, 130, 5),
        hip_abd=_pair(rng, 30, 55),
        knee=_pair(rng, 80, 100, 8),
        hip_rot=_pair(rng, 10, 40),
        lying=True,
        arm_flex=_pair(rng, 80, 110),
        arm_abd=_pair(rng, 10, 30),
        elbow=_pair(rng, 0, 20),
    )


def reclined_bound_angle(rng: np.random.Generator) -> Pose:
    return Pose(
        SUPINE,
        SUPINE_FRAME,
        hip_flex=_pair(rng, 30, 60, 4),
        hip_abd=_pair(rng, 45, 75, 6),
        hip_rot=_pair(rng, 70, 100),
        knee=_pair(rng, 100, 140, 8),
        lying=True,
        **_pick(rng, "side", "t", "up"),
    )


def legs_up_the_wall(rng: np.random.Generator) -> Pose:
    return Pose(
        SUPINE,
        SUPINE_FRAME,
        hip_flex=_pair(rng, 80, 100, 5),
        hip_abd=_pair(rng, 0, 25),
        knee=_pair(rng, 0, 20, 5),
        lying=True,
        **_pick(rng, "side", "t"),
    )


def bridge(rng: np.random.Generator) -> Pose:
    lift = _u(rng, 15, 35)
    orient = _rot(X, -lift) @ SUPINE_FRAME  # hips raised: head end lower
    return Pose(
        SUPINE,
        orient,
        hip_flex=_pair(rng, 20, 45, 4),
        hip_abd=_pair(rng, 0, 12, 4),
        knee=_pair(rng, 80, 120, 6),
        spine_flex=-_u(rng, 0, 15),
        lying=True,
        **_pick(rng, "side"),
    )


def fish(rng: np.random.Generator) -> Pose:
    orient = _rot(X, _u(rng, 10, 30)) @ SUPINE_FRAME  # chest raised
    return Pose(
        SUPINE,
        orient,
        hip_flex=_pair(rng, -10, 10, 4),
        hip_abd=_pair(rng, 0, 10),
        knee=_pair(rng, 0, 10, 4),
        spine_flex=-_u(rng, 10, 35),
        head_flex=-_u(rng, 30, 70),
        lying=True,
        **_pick(rng, "side"),
    )


def reclined_hero(rng: np.random.Generator) -> Pose:
    return Pose(
        SUPINE,
        SUPINE_FRAME,
        hip_flex=_pair(rng, -20, 0, 4),
        hip_abd=_pair(rng, 0, 15),
        knee=_pair(rng, 150, 170, 5),
        lying=True,
        **_pick(rng, "side", "up"),
    )


def supine_twist(rng: np.random.Generator) -> Pose:
    """Knees together dropped to one side, pelvis rolled with them, shoulders flat."""
    drop = _u(rng, 30, 90) * (1 if rng.random() < 0.5 else -1)
    orient = _rot(Y, drop) @ SUPINE_FRAME  # pelvis rolls about the long axis
    return Pose(
        SUPINE_TWIST,
        orient,
        hip_flex=_pair(rng, 40, 80, 8),
        hip_abd=_pair(rng, -10, 10, 5),
        knee=_pair(rng, 70, 120, 10),
        spine_twist=-drop * _u(rng, 0.7, 1.0),
        lying=True,
        head_flex=_u(rng, -10, 10),
        **_pick(rng, "t", "t", "side", "up"),
    )


def supine_twist_one_knee(rng: np.random.Generator) -> Pose:
    """One knee bent and dropped across the body, the other leg straight."""
    drop = _u(rng, 30, 80) * (1 if rng.random() < 0.5 else -1)
    orient = _rot(Y, drop) @ SUPINE_FRAME
    top = 0 if drop > 0 else 1  # the upper (crossing) leg
    flex, knee = [0.0, 0.0], [0.0, 0.0]
    flex[top], knee[top] = _u(rng, 60, 100), _u(rng, 60, 110)
    flex[1 - top], knee[1 - top] = _u(rng, 0, 15), _u(rng, 0, 15)
    abd = [0.0, 0.0]
    abd[top] = -_u(rng, 10, 40)  # adducted across the body
    return Pose(
        SUPINE_TWIST,
        orient,
        hip_flex=(flex[0], flex[1]),
        hip_abd=(abd[0], abd[1]),
        knee=(knee[0], knee[1]),
        spine_twist=-drop * _u(rng, 0.6, 1.0),
        lying=True,
        **_pick(rng, "t", "side", "t"),
    )


def supine_twist_straight(rng: np.random.Generator) -> Pose:
    """A straight leg swung across the body (a strap or a hand holding it)."""
    drop = _u(rng, 30, 80) * (1 if rng.random() < 0.5 else -1)
    orient = _rot(Y, drop) @ SUPINE_FRAME
    top = 0 if drop > 0 else 1
    flex, abd = [_u(rng, 0, 10)] * 2, [0.0, 0.0]
    flex[top], abd[top] = _u(rng, 50, 95), -_u(rng, 20, 50)
    return Pose(
        SUPINE_TWIST,
        orient,
        hip_flex=(flex[0], flex[1]),
        hip_abd=(abd[0], abd[1]),
        knee=_pair(rng, 0, 20, 5),
        spine_twist=-drop * _u(rng, 0.6, 1.0),
        lying=True,
        **_pick(rng, "t", "side"),
    )


# ------------------------------------------------------------------ sitting


def _seated_orient(rng: np.random.Generator, lean: float) -> FloatArray:
    return _rot(X, lean) @ UPRIGHT  # lean > 0: backwards (u towards -Y... about X)


def easy_pose(rng: np.random.Generator, twist: float = 0.0, label: int = SEATED) -> Pose:
    return Pose(
        label,
        _seated_orient(rng, _u(rng, -5, 10)),
        hip_flex=_pair(rng, 70, 100, 6),
        hip_abd=_pair(rng, 35, 60, 6),
        hip_rot=_pair(rng, 75, 105),
        knee=_pair(rng, 120, 160, 6),
        spine_twist=twist,
        spine_flex=_u(rng, -5, 15),
        **_pick(rng, "knees", "side", "up", "front"),
    )


def staff(rng: np.random.Generator, twist: float = 0.0, label: int = SEATED) -> Pose:
    return Pose(
        label,
        _seated_orient(rng, _u(rng, -5, 20)),
        hip_flex=_pair(rng, 80, 100, 4),
        hip_abd=_pair(rng, 0, 15, 4),
        knee=_pair(rng, 0, 15, 4),
        spine_twist=twist,
        **_pick(rng, "side", "front", "up"),
    )


def seated_forward_fold(rng: np.random.Generator) -> Pose:
    return Pose(
        SEATED,
        _seated_orient(rng, -_u(rng, 20, 50)),
        hip_flex=_pair(rng, 90, 120, 5),
        hip_abd=_pair(rng, 0, 15),
        knee=_pair(rng, 0, 15, 4),
        spine_flex=_u(rng, 20, 50),
        arm_flex=_pair(rng, 60, 110),
        arm_abd=_pair(rng, 0, 15),
        elbow=_pair(rng, 0, 40),
    )


def bound_angle(rng: np.random.Generator) -> Pose:
    return Pose(
        SEATED,
        _seated_orient(rng, _u(rng, -10, 10)),
        hip_flex=_pair(rng, 60, 90, 5),
        hip_abd=_pair(rng, 45, 70, 6),
        hip_rot=_pair(rng, 75, 105),
        knee=_pair(rng, 120, 150, 6),
        **_pick(rng, "knees", "front"),
    )


def boat(rng: np.random.Generator, twist: float = 0.0, label: int = SEATED) -> Pose:
    lean = _u(rng, 25, 50)
    flex = (110.0, 150.0)
    if rng.random() < 0.35:
        # Low boat (the development photograph ``suraj_boat_pose``, called prone or
        # side-lying before): the torso only 15-40 degrees above the floor, the legs 15-45;
        # a leg's elevation is hip flexion - 90 + lean, so the hips flex by the two
        # elevations' sum.
        torso, legs = _u(rng, 15, 40), _u(rng, 15, 45)
        lean, flex = 90.0 - torso, (torso + legs - 5.0, torso + legs + 5.0)
    return Pose(
        label,
        _seated_orient(rng, lean),
        hip_flex=_pair(rng, flex[0], flex[1], 6),
        hip_abd=_pair(rng, 0, 12, 4),
        knee=_pair(rng, 0, 100, 15),
        spine_twist=twist,
        **_pick(rng, "front", "knees"),
    )


def chair_sit(rng: np.random.Generator, twist: float = 0.0, label: int = SEATED) -> Pose:
    return Pose(
        label,
        _seated_orient(rng, _u(rng, -5, 10)),
        hip_flex=_pair(rng, 80, 100, 5),
        hip_abd=_pair(rng, 5, 20),
        knee=_pair(rng, 75, 100, 6),
        spine_twist=twist,
        **_pick(rng, "knees", "side", "front"),
    )


def _twist_angle(rng: np.random.Generator) -> float:
    """A seated or standing twist's chest turn (degrees, either way): from 20, the gentle
    twists the coach asks of people with a sore back, as the rendered people's labels count
    a twist (``rendered.py``). It started at 35 until 2026-12-06, leaving 20-35 deg to the
    rendered people alone."""
    return _u(rng, 20, 90) * (1 if rng.random() < 0.5 else -1)


def seated_twist_cross(rng: np.random.Generator) -> Pose:
    """Half lord of the fishes / marichyasana: one knee up, chest turned towards it."""
    t = _twist_angle(rng)
    up = 0 if t > 0 else 1  # the knee the chest turns towards
    flex, knee, abd = [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]
    flex[up], knee[up], abd[up] = _u(rng, 100, 135), _u(rng, 110, 150), -_u(rng, 0, 25)
    straight = rng.random() < 0.5
    flex[1 - up] = _u(rng, 80, 100)
    knee[1 - up] = _u(rng, 0, 15) if straight else _u(rng, 130, 160)
    abd[1 - up] = _u(rng, 0, 15) if straight else _u(rng, 30, 55)
    rot = [0.0, 0.0]
    rot[1 - up] = 0.0 if straight else _u(rng, 75, 105)
    arm = [
        (_u(rng, -40, 20), _u(rng, 10, 40), _u(rng, 0, 40)),
        (_u(rng, 40, 110), _u(rng, 0, 40), _u(rng, 30, 110)),
    ]
    if up == 1:
        arm = arm[::-1]
    return Pose(
        SEATED_TWIST,
        _seated_orient(rng, _u(rng, -5, 10)),
        hip_flex=(flex[0], flex[1]),
        hip_abd=(abd[0], abd[1]),
        knee=(knee[0], knee[1]),
        spine_twist=t,
        hip_rot=(rot[0], rot[1]),
        spine_flex=_u(rng, -5, 10),
        arm_flex=(arm[0][0], arm[1][0]),
        arm_abd=(arm[0][1], arm[1][1]),
        elbow=(arm[0][2], arm[1][2]),
        head_flex=_u(rng, -10, 10),
    )


def seated_twist_easy(rng: np.random.Generator) -> Pose:
    p = easy_pose(rng, _twist_angle(rng), SEATED_TWIST)
    p.arm_flex, p.arm_abd, p.elbow = (
        _pair(rng, 20, 80, 30),
        _pair(rng, 0, 40, 20),
        _pair(rng, 20, 100, 30),
    )
    return p


def seated_twist_other(rng: np.random.Generator) -> Pose:
    kind = rng.integers(3)
    t = _twist_angle(rng)
    if kind == 0:
        return staff(rng, t, SEATED_TWIST)
    if kind == 1:
        return chair_sit(rng, t, SEATED_TWIST)
    return boat(rng, t, SEATED_TWIST)


# ------------------------------------------------------------------ standing


def _lunge_legs(rng: np.random.Generator) -> dict[str, tuple[float, float]]:
    front = _u(rng, 40, 90)
    return {
        "hip_flex": _sided(rng, (front, -_u(rng, 10, 35))),
        "knee": _sided(rng, (_u(rng, 40, 100), _u(rng, 0, 30))),
        "hip_abd": _pair(rng, 0, 10),
    }


def standing(rng: np.random.Generator) -> Pose:
    return Pose(
        STANDING,
        _rot(X, _u(rng, -5, 5)) @ UPRIGHT,
        hip_flex=_pair(rng, -5, 10, 4),
        hip_abd=_pair(rng, 0, 20),
        knee=_pair(rng, 0, 15, 5),
        spine_side=_u(rng, -8, 8),
        **_pick(rng, "side", "up", "t", "front", "any"),
    )


def tree(rng: np.random.Generator) -> Pose:
    bent = _u(rng, 40, 80)
    return Pose(
        STANDING,
        UPRIGHT,
        hip_flex=_sided(rng, (bent, 0.0)),
        hip_abd=_sided(rng, (_u(rng, 40, 70), 5.0)),
        hip_rot=_sided(rng, (_u(rng, 40, 80), 0.0)),
        knee=_sided(rng, (_u(rng, 120, 150), _u(rng, 0, 8))),
        **_pick(rng, "up", "front", "knees"),
    )


def warrior(rng: np.random.Generator) -> Pose:
    return Pose(
        STANDING,
        UPRIGHT,
        spine_side=_u(rng, -10, 10),
        spine_flex=_u(rng, -10, 15),
        # chest and pelvis within 12 deg: clear of the twists' 20 (it was 20 when they
        # started at 35)
        spine_twist=_u(rng, -12, 12),
        **_lunge_legs(rng),
        **_pick(rng, "t", "up", "front"),
    )


def wide_legged(rng: np.random.Generator) -> Pose:
    """Triangle, side angle, goddess, wide-legged forward bend: legs wide apart."""
    side = _u(rng, 0, 60) * (1 if rng.random() < 0.5 else -1)
    return Pose(
        STANDING,
        UPRIGHT,
        hip_abd=_pair(rng, 20, 45),
        hip_rot=_pair(rng, 0, 50),
        knee=_pair(rng, 0, 90, 30),
        spine_side=side,
        spine_flex=_u(rng, 0, 30),
        **_pick(rng, "t", "up", "knees", "side"),
    )


def half_moon(rng: np.random.Generator) -> Pose:
    tilt = _u(rng, 60, 95) * (1 if rng.random() < 0.5 else -1)
    orient = _rot(Y, tilt) @ UPRIGHT  # body tipped sideways over the standing leg
    lift = 0 if tilt > 0 else 1
    abd = [0.0, 0.0]
    abd[lift] = -_u(rng, 60, 95)
    return Pose(
        STANDING, orient, hip_abd=(abd[0], abd[1]), knee=_pair(rng, 0, 10, 3), **_pick(rng, "t")
    )


def dancer(rng: np.random.Generator) -> Pose:
    return Pose(
        STANDING,
        _rot(X, -_u(rng, 10, 50)) @ UPRIGHT,
        hip_flex=_sided(rng, (-_u(rng, 30, 70), _u(rng, 0, 10))),
        knee=_sided(rng, (_u(rng, 90, 140), 0.0)),
        arm_flex=_sided(rng, (_u(rng, 120, 170), -_u(rng, 20, 60))),
        arm_abd=_pair(rng, 0, 20),
        elbow=_pair(rng, 0, 20),
    )


def forward_fold(rng: np.random.Generator) -> Pose:
    if rng.random() < 0.4:
        # Deep fold, the head at the shins (the development photograph
        # ``siva_padahasthasana``, called a supine twist before): the pelvis tipped
        # 100-140 degrees and the spine flexed 20-50 more, the hips flexed as much as the
        # pelvis is tipped, so the legs stay near vertical.
        lean = _u(rng, 100, 140)
        return Pose(
            STANDING,
            _rot(X, -lean) @ UPRIGHT,
            hip_flex=_pair(rng, lean - 20, lean + 5, 5),
            hip_abd=_pair(rng, 0, 15),
            knee=_pair(rng, 0, 15, 5),
            spine_flex=_u(rng, 20, 50),
            arm_flex=_pair(rng, 90, 180, 20),
            arm_abd=_pair(rng, 0, 30),
            elbow=_pair(rng, 0, 90, 20),
        )
    return Pose(
        STANDING,
        _rot(X, -_u(rng, 60, 110)) @ UPRIGHT,
        hip_flex=_pair(rng, 60, 110, 5),
        hip_abd=_pair(rng, 0, 25),
        knee=_pair(rng, 0, 25, 5),
        spine_flex=_u(rng, 10, 40),
        arm_flex=_pair(rng, 60, 120),
        arm_abd=_pair(rng, 0, 20),
        elbow=_pair(rng, 0, 40),
    )


def chair_pose(rng: np.random.Generator, twist: float = 0.0, label: int = STANDING) -> Pose:
    lean = -_u(rng, 15, 45)
    return Pose(
        label,
        _rot(X, lean) @ UPRIGHT,
        hip_flex=_pair(rng, 40 - lean * 0.5, 90, 5),
        knee=_pair(rng, 60, 100, 5),
        hip_abd=_pair(rng, 0, 10),
        spine_twist=twist,
        **_pick(rng, "up", "front"),
    )


def standing_twist(rng: np.random.Generator) -> Pose:
    kind = rng.integers(4)
    t = _twist_angle(rng)
    if kind == 0:  # revolved triangle / revolved side angle: folded forwards, chest turned
        p = Pose(
            STANDING_TWIST,
            _rot(X, -_u(rng, 45, 90)) @ UPRIGHT,
            spine_twist=t,
            spine_flex=_u(rng, 0, 20),
            **_lunge_legs(rng),
        )
        p.arm_abd, p.arm_flex, p.elbow = (
            _pair(rng, 60, 100, 10),
            _pair(rng, -10, 20),
            _pair(rng, 0, 30),
        )
        return p
    if kind == 1:  # revolved chair
        p = chair_pose(rng, t, STANDING_TWIST)
        p.arm_flex, p.arm_abd, p.elbow = _pair(rng, 30, 90), _pair(rng, 0, 30), _pair(rng, 60, 120)
        return p
    if kind == 2:  # standing rotation, upright (hands on hips, arms out or forwards)
        return Pose(
            STANDING_TWIST,
            UPRIGHT,
            hip_abd=_pair(rng, 5, 25),
            knee=_pair(rng, 0, 20),
            spine_twist=t,
            **_pick(rng, "front", "t", "knees"),
        )
    return Pose(
        STANDING_TWIST,
        UPRIGHT,
        spine_twist=t,
        spine_flex=_u(rng, 0, 30),
        **_lunge_legs(rng),
        **_pick(rng, "t", "front", "knees"),
    )


def revolved_triangle(rng: np.random.Generator) -> Pose:
    """Revolved triangle (parivrtta trikonasana): both legs straight, one forwards and one
    back, the trunk folded forwards over the front leg and turned towards it, so the hand
    of the back leg's side reaches to the floor by the front foot and the other to the sky.

    ``standing_twist`` folds the trunk over a bent front knee only (revolved side angle);
    the development photograph ``suraj_revolved_triangle_pose`` read as standing. In two
    dimensions this is the triangle's outline with the other hand down: the classifier
    has to learn which hand is down relative to the front leg. The front leg is the left
    (mirror images cover the right); a positive twist turns the chest towards the left.
    """
    # The pelvis tipped forwards; with the spine's flexion the trunk lies between about 10
    # deg below level and 40 above.
    lean = _u(rng, 55, 100)
    front, back = _u(rng, 20, 40), _u(rng, 15, 35)  # each leg's angle from vertical
    p = Pose(
        STANDING_TWIST,
        _rot(X, -lean) @ UPRIGHT,
        # hip flexion equal to the pelvis's tip keeps a thigh vertical
        hip_flex=(lean + front, lean - back),
        hip_abd=_pair(rng, 0, 8, 3),
        knee=_pair(rng, 0, 10, 3),
        spine_twist=_u(rng, 50, 95),
        spine_flex=_u(rng, -5, 15),
    )
    if rng.random() < 0.7:  # one hand to the floor, the other up: a T in the chest
        p.arm_flex, p.arm_abd, p.elbow = (
            _pair(rng, -15, 20),
            _pair(rng, 65, 100, 8),
            _pair(rng, 0, 20),
        )
    else:  # hands in prayer at the chest, or the lower hand on the shin
        p.arm_flex, p.arm_abd, p.elbow = (
            _pair(rng, 20, 80, 20),
            _pair(rng, 10, 70, 25),
            _pair(rng, 40, 140, 30),
        )
    return p


def chair_twist_fold(rng: np.random.Generator) -> Pose:
    """Seated twist on a chair, leaning forwards: the pelvis tipped 5-35 deg and the spine
    flexed 15-45 more over the thighs, the chest turned, the elbows at the knees (the
    development photograph ``fedb_spinal_stretch_1`` read as standing:
    ``seated_twist_other``'s chair twist sits upright only)."""
    lean = _u(rng, 5, 35)
    return Pose(
        SEATED_TWIST,
        _seated_orient(rng, -lean),
        # thighs level: flexion of 90 plus the pelvis's forward tip
        hip_flex=_pair(rng, 80 + lean, 100 + lean, 5),
        hip_abd=_pair(rng, 5, 25),
        knee=_pair(rng, 75, 100, 6),
        spine_twist=_twist_angle(rng),
        spine_flex=_u(rng, 15, 45),
        arm_flex=_pair(rng, 30, 90, 20),
        arm_abd=_pair(rng, 0, 40, 15),
        elbow=_pair(rng, 50, 130, 25),
        head_flex=_u(rng, 0, 30),
    )


# ------------------------------------------------------------------ the rest


def prone(rng: np.random.Generator) -> Pose:
    """Face down: flat, cobra, sphinx, locust, bow-ish."""
    lift = _u(rng, 0, 45)
    orient = _rot(X, lift) @ PRONE_FRAME  # chest raised off the floor
    kind = rng.integers(3)
    arms = (
        {"arm_flex": _pair(rng, -10, 40), "arm_abd": _pair(rng, 0, 30), "elbow": _pair(rng, 0, 100)}
        if kind
        else _arms(rng, "up")
    )
    return Pose(
        PRONE,
        orient,
        hip_flex=_pair(rng, -25, 5, 5),
        hip_abd=_pair(rng, 0, 20),
        knee=_pair(rng, 0, 60 if kind == 2 else 15, 5),
        spine_flex=-_u(rng, 0, 30),
        head_flex=-_u(rng, 0, 30),
        lying=True,
        **arms,
    )


def all_fours(rng: np.random.Generator) -> Pose:
    """Table, cat-cow, plank, bird dog."""
    plank = rng.random() < 0.35
    orient = _rot(X, _u(rng, -15, 15) if not plank else _u(rng, 5, 25)) @ PRONE_FRAME
    p = Pose(
        KNEELING,
        orient,
        hip_flex=_pair(rng, 80, 100, 5) if not plank else _pair(rng, -5, 10, 3),
        hip_abd=_pair(rng, 0, 15),
        knee=_pair(rng, 80, 100, 5) if not plank else _pair(rng, 0, 10, 3),
        spine_flex=_u(rng, -20, 20),
        arm_flex=_pair(rng, 80, 100, 5),
        arm_abd=_pair(rng, 0, 15),
        elbow=_pair(rng, 0, 15 if not plank else 100, 5),
    )
    if rng.random() < 0.3:  # bird dog: one arm and the other leg raised
        p.hip_flex, p.knee = (
            _sided(rng, (p.hip_flex[0], -_u(rng, 0, 10))),
            _sided(rng, (p.knee[0], 0.0)),
        )
        p.arm_flex = _sided(rng, (p.arm_flex[0], _u(rng, 150, 180)))
    return p


def kneeling(rng: np.random.Generator) -> Pose:
    """Kneeling upright or sitting on the heels (hero), kneeling lunge, camel, child's pose."""
    kind = rng.integers(4)
    if kind == 0:  # hero / thunderbolt: sitting on the heels
        return Pose(
            KNEELING,
            UPRIGHT,
            hip_flex=_pair(rng, 75, 100, 5),
            hip_abd=_pair(rng, 0, 12),
            knee=_pair(rng, 150, 170, 4),
            **_pick(rng, "knees", "up", "side"),
        )
    if kind == 1:  # kneeling lunge (hip flexor stretch)
        return Pose(
            KNEELING,
            _rot(X, _u(rng, -15, 10)) @ UPRIGHT,
            hip_flex=_sided(rng, (_u(rng, 70, 100), -_u(rng, 10, 40))),
            knee=_sided(rng, (_u(rng, 70, 100), _u(rng, 80, 110))),
            hip_abd=_pair(rng, 0, 10),
            spine_flex=_u(rng, -20, 10),
            **_pick(rng, "knees", "up", "side"),
        )
    if kind == 2:  # child's pose
        return Pose(
            KNEELING,
            _rot(X, -_u(rng, 60, 90)) @ UPRIGHT,
            hip_flex=_pair(rng, 120, 150, 5),
            hip_abd=_pair(rng, 0, 30),
            knee=_pair(rng, 150, 170, 4),
            spine_flex=_u(rng, 10, 40),
            **_pick(rng, "up", "side"),
        )
    return Pose(
        KNEELING,
        _rot(X, _u(rng, 0, 30)) @ UPRIGHT,
        hip_flex=_pair(rng, -10, 10, 4),  # upright kneel / camel
        knee=_pair(rng, 80, 100, 4),
        hip_abd=_pair(rng, 0, 12),
        spine_flex=-_u(rng, 0, 40),
        **_pick(rng, "side", "up", "knees"),
    )


def inversion(rng: np.random.Generator) -> Pose:
    """Shoulder stand, plough, headstand, handstand, downward dog."""
    kind = rng.integers(4)
    if kind == 0:  # shoulder stand / plough: shoulders on the floor, hips up
        tilt = _u(rng, 60, 110)
        plough = rng.random() < 0.4
        return Pose(
            INVERSION,
            _rot(X, -tilt) @ SUPINE_FRAME,
            hip_flex=_pair(rng, 120, 170, 5) if plough else _pair(rng, -10, 30, 5),
            knee=_pair(rng, 0, 20, 5),
            hip_abd=_pair(rng, 0, 15),
            elbow=_pair(rng, 60, 110),
            arm_flex=_pair(rng, -40, 10),
            arm_abd=_pair(rng, 0, 20),
        )
    if kind == 1:  # headstand / handstand
        return Pose(
            INVERSION,
            _rot(Y, 180 + _u(rng, -10, 10)) @ UPRIGHT,
            hip_flex=_pair(rng, -5, 40, 5),
            knee=_pair(rng, 0, 30, 5),
            hip_abd=_pair(rng, 0, 20),
            **_pick(rng, "up"),
        )
    # downward dog
    return Pose(
        INVERSION,
        _rot(X, -_u(rng, 100, 135)) @ UPRIGHT,
        hip_flex=_pair(rng, 70, 110, 5),
        hip_abd=_pair(rng, 0, 15),
        knee=_pair(rng, 0, 20, 5),
        arm_flex=_pair(rng, 160, 185, 4),
        arm_abd=_pair(rng, 0, 15),
        elbow=_pair(rng, 0, 10),
    )


def side_lying(rng: np.random.Generator) -> Pose:
    side = 1 if rng.random() < 0.5 else -1
    orient = _rot(Y, side * _u(rng, 80, 100)) @ SUPINE_FRAME  # rolled fully onto a side
    return Pose(
        SIDE_LYING,
        orient,
        hip_flex=_pair(rng, 0, 90, 20),
        hip_abd=_pair(rng, 0, 40, 15),
        knee=_pair(rng, 0, 110, 20),
        spine_twist=_u(rng, -20, 20),
        lying=True,
        **_pick(rng, "up", "side", "front", "any"),
    )


POSES: dict[str, Callable[[np.random.Generator], Pose]] = {
    "supine_flat": supine_flat,
    "supine_knees_up": supine_knees_up,
    "knees_to_chest": knees_to_chest,
    "one_knee_to_chest": one_knee_to_chest,
    "happy_baby": happy_baby,
    "reclined_bound_angle": reclined_bound_angle,
    "legs_up_the_wall": legs_up_the_wall,
    "bridge": bridge,
    "fish": fish,
    "reclined_hero": reclined_hero,
    "supine_twist": supine_twist,
    "supine_twist_one_knee": supine_twist_one_knee,
    "supine_twist_straight": supine_twist_straight,
    "easy_pose": easy_pose,
    "staff": staff,
    "seated_forward_fold": seated_forward_fold,
    "bound_angle": bound_angle,
    "boat": boat,
    "chair_sit": chair_sit,
    "seated_twist_cross": seated_twist_cross,
    "seated_twist_easy": seated_twist_easy,
    "seated_twist_other": seated_twist_other,
    "standing": standing,
    "tree": tree,
    "warrior": warrior,
    "wide_legged": wide_legged,
    "half_moon": half_moon,
    "dancer": dancer,
    "forward_fold": forward_fold,
    "chair_pose": chair_pose,
    "standing_twist": standing_twist,
    "prone": prone,
    "all_fours": all_fours,
    "kneeling": kneeling,
    "inversion": inversion,
    "side_lying": side_lying,
    # Added after the first posed renders (their pictures keep their seeds: posed.py seeds
    # by a pose's place in this table).
    "revolved_triangle": revolved_triangle,
    "chair_twist_fold": chair_twist_fold,
}


def camera_elevation(rng: np.random.Generator, lying: bool) -> float:
    """A random camera's elevation above the body (degrees): lying bodies from anywhere above
    the floor (often from high up), others from near eye level."""
    if lying:
        return float(rng.uniform(3, 90) if rng.random() < 0.7 else rng.uniform(55, 90))
    return float(rng.uniform(-10, 40) if rng.random() < 0.85 else rng.uniform(40, 70))


def camera_roll(
    rng: np.random.Generator, lying: bool, elevation_deg: float, side_roll_share: float = 0.15
) -> float:
    """A random camera's roll (degrees): upright within 12 degrees, but any angle for a
    lying body seen from more than 50 degrees above (a top-down picture has no "up") and,
    with probability ``side_roll_share``, for a lower view of one (see :func:`photograph`)."""
    roll = float(rng.uniform(-12, 12))
    if lying and (elevation_deg > 50 or rng.random() < side_roll_share):
        roll = float(rng.uniform(-180, 180))
    return roll


def photograph(
    pts: FloatArray,
    rng: np.random.Generator,
    lying: bool,
    *,
    side_roll_share: float = 0.15,
    elevation_deg: tuple[float, float] | None = None,
) -> FloatArray:
    """Project world points (13, 3) through a random pinhole camera looking at the body;
    pixels (13, 2), x right, y down.

    Lying bodies are seen from anywhere above the floor, others from near eye level,
    upright (rolled by up to 12 degrees). A picture taken from more than 50 degrees above
    a lying body has no "up": it is rolled by any angle; so is a lower one of a lying body
    with probability ``side_roll_share`` (a side view of a person lying, turned by 90
    degrees, is the side view of a person standing: 0 keeps the picture's up). With
    ``elevation_deg`` (lo, hi) the camera's elevation is drawn from that range (degrees).
    """
    centre = pts.mean(axis=0)
    az = rng.uniform(0, 2 * math.pi)
    el_deg = (
        float(rng.uniform(*elevation_deg))
        if elevation_deg is not None
        else camera_elevation(rng, lying)
    )
    el = math.radians(el_deg)
    dist = rng.uniform(2.5, 6.0)
    eye = centre + dist * np.array(
        [math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)]
    )
    fwd = centre - eye
    fwd /= np.linalg.norm(fwd)
    ref = (
        Z if abs(fwd[2]) < 0.95 else np.array([math.cos(az + math.pi), math.sin(az + math.pi), 0.0])
    )
    right = np.cross(fwd, ref)
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    roll = camera_roll(rng, lying, el_deg, side_roll_share)
    c, s = math.cos(math.radians(roll)), math.sin(math.radians(roll))
    right, down = c * right + s * down, -s * right + c * down
    rel = pts - eye
    depth = rel @ fwd
    focal = rng.uniform(800, 1600)
    xy = np.stack([rel @ right, rel @ down], axis=1) * (focal / depth[:, None])
    return np.asarray(xy + 500.0)


def sample(
    n_per_pose: int,
    seed: int,
    *,
    side_roll_share: float = 0.15,
    top_down: bool = False,
    noise: float = 0.015,
) -> tuple[FloatArray, NDArray[np.int64], list[str]]:
    """``n_per_pose`` photographs of each pose in :data:`POSES`: landmarks (N, 13, 2) in
    pixels, fine labels (N,), pose names (N,).

    ``side_roll_share`` as in :func:`photograph`; ``noise``: the landmarks' Gaussian
    jitter (standard deviation) as a fraction of the picture's larger extent. With
    ``top_down`` only the lying poses, photographed from 60-90 degrees above the body
    (pictures with no "up"; the orientation test turns them by 0, 90, 180 and 270
    degrees)."""
    rng = np.random.default_rng(seed)
    xs, ys, names = [], [], []
    for name, make in POSES.items():
        for _ in range(n_per_pose):
            p = make(rng)
            if top_down and not p.lying:
                break
            xy = photograph(
                skeleton_3d(p, rng),
                rng,
                p.lying,
                side_roll_share=side_roll_share,
                elevation_deg=(60.0, 90.0) if top_down else None,
            )
            if rng.random() < 0.04:  # MediaPipe sometimes swaps a limb's sides
                pair = [(3, 4), (5, 6), (9, 10), (11, 12)][int(rng.integers(4))]
                xy[list(pair)] = xy[list(pair[::-1])]
            span = float(np.ptp(xy, axis=0).max())
            xy = xy + rng.normal(0, noise * span, xy.shape)
            xs.append(xy)
            ys.append(p.label)
            names.append(name)
    return np.stack(xs), np.array(ys, dtype=np.int64), names
