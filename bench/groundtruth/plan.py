"""What the generator renders: bodies, rooms, cameras, stills and sequences.

Pure data (no torch): deterministic from a seed, so a cache on disk stays valid.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

from groundtruth.body import BodySpec
from groundtruth.scene import CameraSpec, Room

SKINS = ((0.87, 0.70, 0.58), (0.76, 0.57, 0.45), (0.55, 0.38, 0.28), (0.36, 0.24, 0.17))
SHIRTS = ((0.20, 0.40, 0.70), (0.75, 0.25, 0.25), (0.90, 0.90, 0.88), (0.25, 0.55, 0.35))
TROUSERS = ((0.12, 0.12, 0.15), (0.15, 0.18, 0.35), (0.40, 0.40, 0.42), (0.30, 0.22, 0.40))
HAIRS = ((0.10, 0.08, 0.06), (0.35, 0.22, 0.12), (0.75, 0.75, 0.72), (0.55, 0.40, 0.20))
#: More clothing for the wider set (issue 17): pale, dark, bright and skin-like tops and
#: trousers, so MediaPipe does not learn one contrast.
SHIRTS_WIDE = (
    *SHIRTS,
    (0.10, 0.10, 0.12), (0.95, 0.80, 0.30), (0.80, 0.62, 0.52), (0.55, 0.55, 0.58),
    (0.60, 0.30, 0.60), (0.20, 0.65, 0.70),
)  # fmt: skip
TROUSERS_WIDE = (
    *TROUSERS,
    (0.70, 0.65, 0.55), (0.85, 0.85, 0.85), (0.10, 0.25, 0.20), (0.55, 0.15, 0.15),
)  # fmt: skip

# (name, gender 0=woman 1=man, age, weight, muscle: anny's 0-1 scales, stature in metres).
# Adults are about age 0.77 (25 years) to 0.87 (75 years), GROUNDTRUTH.md.
_PHENOTYPES = (
    ("woman25_slim", 0.0, 0.77, 0.25, 0.40, 1.66),
    ("woman50_average", 0.0, 0.82, 0.55, 0.50, 1.63),
    ("woman75_heavy", 0.0, 0.87, 0.85, 0.30, 1.58),
    ("man25_average", 1.0, 0.77, 0.45, 0.60, 1.80),
    ("man50_heavy", 1.0, 0.82, 0.85, 0.50, 1.76),
    ("man70_slim", 1.0, 0.86, 0.30, 0.35, 1.72),
)

# The wider set (issue 17): (name, gender, age, weight, muscle, stature m, proportions).
# Statures 1.45-1.95 m, slim (weight 0.1) to heavy (0.95), anny's proportions 0-1, ages
# 25-80 (0.77-0.88). The name starts with the sex (``evaluate.body_type_of`` reads it) and
# ends with the stature in centimetres.
_WIDE_TUNING = (
    ("woman30_slim_152", 0.0, 0.78, 0.15, 0.35, 1.52, 0.30),
    ("woman40_heavy_170", 0.0, 0.80, 0.90, 0.45, 1.70, 0.70),
    ("woman65_average_156", 0.0, 0.85, 0.55, 0.30, 1.56, 0.50),
    ("woman35_muscular_178", 0.0, 0.79, 0.45, 0.80, 1.78, 0.90),
    ("woman80_slim_148", 0.0, 0.88, 0.30, 0.20, 1.48, 0.20),
    ("man30_slim_168", 1.0, 0.78, 0.15, 0.40, 1.68, 0.10),
    ("man45_heavy_185", 1.0, 0.81, 0.95, 0.55, 1.85, 0.60),
    ("man60_average_162", 1.0, 0.84, 0.50, 0.40, 1.62, 0.80),
    ("man35_muscular_195", 1.0, 0.79, 0.50, 0.90, 1.95, 0.40),
    ("man80_heavy_170", 1.0, 0.88, 0.80, 0.25, 1.70, 0.00),
)
#: The held-out third: never looked at while tuning anything (report them apart).
_WIDE_HELD_OUT = (
    ("woman28_slim_150", 0.0, 0.775, 0.20, 0.40, 1.50, 0.15),
    ("woman55_heavy_160", 0.0, 0.83, 0.95, 0.30, 1.60, 0.60),
    ("woman45_average_175", 0.0, 0.81, 0.50, 0.55, 1.75, 1.00),
    ("woman75_average_145", 0.0, 0.87, 0.60, 0.25, 1.45, 0.80),
    ("man25_slim_190", 1.0, 0.77, 0.10, 0.50, 1.90, 0.90),
    ("man55_average_175", 1.0, 0.83, 0.60, 0.50, 1.75, 0.00),
    ("man70_heavy_165", 1.0, 0.86, 0.90, 0.40, 1.65, 0.35),
    ("man40_muscular_182", 1.0, 0.80, 0.35, 0.85, 1.82, 0.70),
)
#: Names of the held-out bodies (8 of 24).
HELD_OUT = frozenset(p[0] for p in _WIDE_HELD_OUT)
#: Names of the wider set's bodies (rendered from :data:`STILL_CAMERAS` only).
WIDE = frozenset(p[0] for p in _WIDE_TUNING + _WIDE_HELD_OUT)


def split_of(body: str) -> str:
    """``held_out`` for the held-out third, else ``tuning``."""
    return "held_out" if body in HELD_OUT else "tuning"


def bodies(seed: int = 6) -> list[BodySpec]:
    """24 people: the six tuning bodies first, then the wider set (tuning, held out).

    The first six keep their colours (same seed); the wider set draws skin, clothing and
    hair from its own generator.
    """
    rng = random.Random(seed)
    out = []
    for i, (name, gender, age, weight, muscle, stature) in enumerate(_PHENOTYPES):
        out.append(
            BodySpec(
                name,
                gender,
                age,
                weight,
                muscle,
                stature,
                skin=SKINS[(i + rng.randrange(2)) % len(SKINS)],
                shirt=SHIRTS[i % len(SHIRTS)],
                trousers=TROUSERS[(i + 1) % len(TROUSERS)],
                hair=HAIRS[(i * 3) % len(HAIRS)],
            )
        )
    wide = random.Random(seed + 17)
    for name, gender, age, weight, muscle, stature, proportions in _WIDE_TUNING + _WIDE_HELD_OUT:
        out.append(
            BodySpec(
                name,
                gender,
                age,
                weight,
                muscle,
                stature,
                skin=wide.choice(SKINS),
                shirt=wide.choice(SHIRTS_WIDE),
                trousers=wide.choice(TROUSERS_WIDE),
                hair=wide.choice(HAIRS),
                proportions=proportions,
            )
        )
    return out


def rooms(seed: int = 6) -> list[Room]:
    """Floors, mats and lighting; each body gets one (by index): the first six as before,
    then one drawn per body of the wider set (more floors and mats, dim to bright)."""
    rng = random.Random(seed + 1)
    floors = ((0.62, 0.52, 0.40), (0.70, 0.70, 0.72), (0.45, 0.33, 0.24), (0.80, 0.78, 0.70))
    mats = ((0.30, 0.55, 0.45), (0.55, 0.30, 0.55), (0.20, 0.30, 0.55), (0.60, 0.20, 0.25))
    out = []
    for i in range(len(_PHENOTYPES)):
        out.append(
            Room(
                floor=floors[i % len(floors)],
                mat=mats[(i + 1) % len(mats)],
                light_intensity=round(rng.uniform(2.2, 3.6), 2),
                light_azimuth_deg=round(rng.uniform(-150, 150), 1),
                ambient=round(rng.uniform(0.25, 0.45), 2),
            )
        )
    floors_wide = (*floors, (0.30, 0.22, 0.16), (0.90, 0.90, 0.90), (0.52, 0.55, 0.50))
    mats_wide = (*mats, (0.10, 0.10, 0.12), (0.75, 0.70, 0.60), (0.35, 0.60, 0.75))
    wide = random.Random(seed + 18)
    for _ in range(len(_WIDE_TUNING) + len(_WIDE_HELD_OUT)):
        out.append(
            Room(
                floor=wide.choice(floors_wide),
                mat=wide.choice(mats_wide),
                light_intensity=round(wide.uniform(1.6, 4.0), 2),
                light_azimuth_deg=round(wide.uniform(-170, 170), 1),
                ambient=round(wide.uniform(0.2, 0.5), 2),
            )
        )
    return out


#: The cameras the stills are rendered from since the wider set (issue 17): the recommended
#: place (five), the other raised diagonals, the overhead, the head end, the sides and the
#: feet end. Until 2026-12-07 (rendering time on a shared 2-core machine) only the first
#: eleven; the other eight were added so that the coach's margins cover every place a
#: person might put the camera (the app's own earlier advice, a lens 1 m high, had read a
#: first-wave woman's 60-degree drop 23 short).
STILL_CAMERAS = (
    "diag_r50_e40",
    "diag_r55_e35",
    "diag_r60_e45",
    "diag_l55_e35",
    "diag_l60_e45",
    "diag_r35_e45",
    "diag_l35_e45",
    "top_down",
    "head_end",
    "side_l_low",
    "feet_low",
    "diag_l50_e30",
    "diag_r25_e55",
    "diag_r40_h1m",
    "diag_l40_h1m",
    "diag_r65_e35",
    "diag_l65_e40",
    "side_r_mid",
    "feet_high",
)


def cameras(seed: int = 6) -> list[CameraSpec]:
    """The views a person would really use, each with a small random roll.

    ``view`` is what the app should recognise: ``oblique`` is the raised diagonal that
    DESIGN.md recommends; feet_end_low is expected to be refused.
    """
    rng = random.Random(seed + 2)

    def roll() -> float:
        return round(rng.uniform(-4.0, 4.0), 1)

    return [
        CameraSpec("diag_r35_e45", "oblique", -35, 45, 2.8, roll()),
        CameraSpec("diag_l35_e45", "oblique", 35, 45, 2.8, roll()),
        CameraSpec("diag_r55_e35", "oblique", -55, 35, 3.1, roll()),
        CameraSpec("diag_l50_e30", "oblique", 50, 30, 3.3, roll()),
        CameraSpec("diag_r25_e55", "oblique", -25, 55, 2.5, roll()),
        CameraSpec("side_l_low", "side", 90, 8, 2.6, roll()),
        CameraSpec("side_r_mid", "side", -90, 20, 2.8, roll()),
        CameraSpec("feet_low", "feet_end", 0, 8, 3.0, roll()),  # lens about 0.55 m high
        CameraSpec("feet_high", "feet_end", 0, 27, 3.0, roll()),  # about 1.5 m high
        CameraSpec("head_end", "head_end", 180, 25, 2.8, roll()),
        CameraSpec("top_down", "top_down", 0, 88, 2.9, roll()),
        # Appended (earlier cameras keep their rolls): the app's own advice, "about 1 m up,
        # off the corner by your feet" (lens 1.0 m high, 2.2 m away along the floor).
        CameraSpec("diag_r40_h1m", "oblique", -40, 21, 2.4, roll()),
        CameraSpec("diag_l40_h1m", "oblique", 40, 21, 2.4, roll()),
        # Appended: diagonals nearer the side, around the best of the first set (r55_e35),
        # to choose the recommended placement and see how exact it has to be.
        CameraSpec("diag_l55_e35", "oblique", 55, 35, 3.1, roll()),
        CameraSpec("diag_r60_e45", "oblique", -60, 45, 2.8, roll()),
        CameraSpec("diag_l60_e45", "oblique", 60, 45, 2.8, roll()),
        CameraSpec("diag_r65_e35", "oblique", -65, 35, 3.0, roll()),
        CameraSpec("diag_r50_e40", "oblique", -50, 40, 2.6, roll()),
        CameraSpec("diag_l65_e40", "oblique", 65, 40, 3.2, roll()),
    ]


#: Commanded rotations of the stills, degrees (labels come out a few degrees smaller: 75
#: gives 70.3-75.5, past the targets' 70-degree range, so 70 (65.7-70) covers its top).
STILL_THETAS = (
    -75.0, -70.0, -60.0, -45.0, -30.0, -15.0, 0.0, 15.0, 30.0, 45.0, 60.0, 70.0, 75.0
)  # fmt: skip


@dataclass(frozen=True)
class Keyframe:
    """Commanded state at a time: rotation (deg) and the shoulder-follow fraction."""

    t: float
    theta: float
    follow: float = 0.0


@dataclass(frozen=True)
class SequenceSpec:
    """A rendered clip: body, camera, room and a commanded path over time."""

    name: str
    body: str
    camera: str
    fps: float
    keys: tuple[Keyframe, ...]
    #: Extra oscillation (deg amplitude, Hz) added between two times (bouncing).
    bounce: tuple[float, float, float, float] | None = None

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.keys[-1].t

    def state(self, t: float) -> tuple[float, float]:
        """Commanded (theta, shoulder follow) at time ``t``; smooth (cosine) between keys."""
        keys = self.keys
        if t <= keys[0].t:
            return keys[0].theta, keys[0].follow
        theta, follow = keys[-1].theta, keys[-1].follow
        for a, b in itertools.pairwise(keys):
            if a.t <= t <= b.t:
                u = 0.0 if b.t == a.t else (t - a.t) / (b.t - a.t)
                s = (1 - math.cos(math.pi * u)) / 2  # slow in, slow out
                theta = a.theta + s * (b.theta - a.theta)
                follow = a.follow + s * (b.follow - a.follow)
                break
        if self.bounce is not None:
            amp, hz, start, end = self.bounce
            if start <= t <= end:
                theta += amp * math.sin(2 * math.pi * hz * (t - start)) * (1 if theta >= 0 else -1)
        return theta, follow


def session(theta: float = 60.0) -> tuple[Keyframe, ...]:
    """A whole calm session: flat, knees up, right side, hold, return, left side, return."""
    k = Keyframe
    return (
        k(0.0, 0.0),
        k(3.0, 0.0),  # lying flat, knees up: the app calibrates here
        k(7.0, theta),  # a slow drop to the right (about 15 deg/s)
        k(11.0, theta),  # hold
        k(14.0, 0.0),  # return
        k(16.0, 0.0),
        k(20.0, -theta),  # the other side
        k(24.0, -theta),
        k(27.0, 0.0),
        k(28.0, 0.0),
    )


def demo_session(theta: float = 40.0) -> tuple[Keyframe, ...]:
    """The demo clip's session (34 s): long enough flat for the live coach to calibrate
    (about 6 s), drops at a calm speed (peak about 16 deg/s, under the coach's 20), short
    holds, and a rest at centre between the sides."""
    k = Keyframe
    return (
        k(0.0, 0.0),
        k(6.5, 0.0),
        k(11.0, theta),
        k(15.0, theta),
        k(18.0, 0.0),
        k(22.0, 0.0),
        k(26.5, -theta),
        k(30.5, -theta),
        k(33.5, 0.0),
        k(34.0, 0.0),
    )


def sequences() -> list[SequenceSpec]:
    """Calm sessions from several views, and the faults the coach must catch."""
    k = Keyframe
    fault_keys_fast = (k(0.0, 0.0), k(3.0, 0.0), k(3.7, 55.0), k(7.0, 55.0), k(9.0, 0.0))
    fault_keys_shoulder = (
        k(0.0, 0.0),
        k(3.0, 0.0),
        k(6.0, 50.0),
        k(8.0, 50.0),
        k(10.0, 50.0, 0.35),  # the spine stops unwinding: the far shoulder lifts
        k(12.0, 50.0, 0.35),
        k(14.0, 0.0),
    )
    fault_keys_cap = (k(0.0, 0.0), k(3.0, 0.0), k(8.0, 85.0), k(10.0, 85.0), k(13.0, 0.0))
    fault_keys_bounce = (k(0.0, 0.0), k(3.0, 0.0), k(6.0, 45.0), k(10.0, 45.0), k(12.0, 0.0))
    out = [
        SequenceSpec("session_woman50_diag_r35", "woman50_average", "diag_r35_e45", 10, session()),
        SequenceSpec("session_man50_diag_l35", "man50_heavy", "diag_l35_e45", 10, session()),
        SequenceSpec("session_man25_side_l", "man25_average", "side_l_low", 10, session()),
        SequenceSpec("session_woman25_feet_low", "woman25_slim", "feet_low", 10, session()),
        SequenceSpec("fault_fast_drop", "man70_slim", "diag_r35_e45", 10, fault_keys_fast),
        SequenceSpec(
            "fault_lifting_shoulder", "woman75_heavy", "diag_r35_e45", 10, fault_keys_shoulder
        ),
        SequenceSpec("fault_past_cap", "woman25_slim", "diag_l35_e45", 10, fault_keys_cap),
        SequenceSpec(
            "fault_bouncing",
            "man25_average",
            "diag_r35_e45",
            10,
            fault_keys_bounce,
            bounce=(8.0, 1.5, 6.0, 10.0),
        ),
        # Appended: sessions and a fault from the recommended placement (chosen from the
        # stills: a raised diagonal 50-60 degrees round from the feet).
        SequenceSpec("session_woman50_diag_r55", "woman50_average", "diag_r55_e35", 10, session()),
        SequenceSpec("session_man50_diag_l55", "man50_heavy", "diag_l55_e35", 10, session()),
        SequenceSpec("fault_past_cap_diag_r60", "woman25_slim", "diag_r60_e45", 10, fault_keys_cap),
    ]
    return out + wide_sequences()


#: Mean drop speeds of the wider set's clips, deg/s (the cosine ease peaks at pi/2 of it:
#: 14-28 deg/s, the calm to brisk speeds of the shared real clips; the coach asks to slow
#: down above 20).
WIDE_SPEEDS = (9.0, 12.0, 15.0, 18.0)


def near_drop(theta: float, speed: float) -> tuple[Keyframe, ...]:
    """A drop towards the camera in two steps (a 1 s hold at 45 deg, then ``theta`` held
    2 s), at a mean ``speed`` deg/s, after 3.5 s lying flat (the tracker calibrates
    there). No return: the clip ends in the hold (12-15 s, to keep rendering short)."""
    k = Keyframe
    sign = 1.0 if theta > 0 else -1.0
    t1 = 3.5 + 45.0 / speed
    t2 = t1 + 1.0
    t3 = t2 + (abs(theta) - 45.0) / speed
    return (
        k(0.0, 0.0),
        k(3.5, 0.0),
        k(round(t1, 2), 45.0 * sign),
        k(round(t2, 2), 45.0 * sign),
        k(round(t3, 2), theta),
        k(round(t3 + 2.0, 2), theta),
    )


def wide_sequences() -> list[SequenceSpec]:
    """Each wider-set body drops towards the camera on each side (right from
    ``diag_r55_e35``, left from ``diag_l55_e35``: the recommended place) to 75 deg, at one
    of :data:`WIDE_SPEEDS`; held-out bodies first (they are rendered first)."""
    out = []
    names = [p[0] for p in _WIDE_HELD_OUT] + [p[0] for p in _WIDE_TUNING]
    for i, name in enumerate(names):
        for j, (side, camera, theta) in enumerate(
            (("right", "diag_r55_e35", 75.0), ("left", "diag_l55_e35", -75.0))
        ):
            speed = WIDE_SPEEDS[(i + 2 * j) % len(WIDE_SPEEDS)]
            out.append(
                SequenceSpec(f"drop_{side}_{name}", name, camera, 10, near_drop(theta, speed))
            )
    return out
