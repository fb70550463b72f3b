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


def bodies(seed: int = 6) -> list[BodySpec]:
    """Six people: women and men, 25-75 years, slim to heavy, with clothing colours."""
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
    return out


def rooms(seed: int = 6) -> list[Room]:
    """Floors, mats and lighting; each body gets one (by index)."""
    rng = random.Random(seed + 1)
    floors = ((0.62, 0.52, 0.40), (0.70, 0.70, 0.72), (0.45, 0.33, 0.24), (0.80, 0.78, 0.70))
    mats = ((0.30, 0.55, 0.45), (0.55, 0.30, 0.55), (0.20, 0.30, 0.55), (0.60, 0.20, 0.25))
    out = []
    for i in range(6):
        out.append(
            Room(
                floor=floors[i % len(floors)],
                mat=mats[(i + 1) % len(mats)],
                light_intensity=round(rng.uniform(2.2, 3.6), 2),
                light_azimuth_deg=round(rng.uniform(-150, 150), 1),
                ambient=round(rng.uniform(0.25, 0.45), 2),
            )
        )
    return out


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
    return out
