"""Body landmarks and the skeleton type shared by every part of twistcoach.

Pure core: standard library and numpy only.

Coordinate conventions
----------------------
image_xy
    Pixels, origin at the top-left corner of the frame, x to the right, y down.
image_z
    MediaPipe's relative depth, scaled to pixels like x (``z * width``); smaller is
    nearer the camera; the origin is roughly the mid-hip depth. Unreliable; kept for
    completeness.
world_xyz
    MediaPipe's metric "world" coordinates in metres, origin at the mid-hip, x to the
    subject's left as seen by the camera, y down, z towards the camera. DESIGN.md
    records that they are useless for the supine twist; do not use them for angles.
visibility
    MediaPipe's per-landmark visibility in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


class Landmark(IntEnum):
    """The 33 BlazePose landmarks, by MediaPipe's index. LEFT/RIGHT are the person's."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


NUM_LANDMARKS = len(Landmark)

#: Bones drawn by overlays (a subset of MediaPipe's POSE_CONNECTIONS, without the face).
BONES: tuple[tuple[Landmark, Landmark], ...] = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
    (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
    (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.LEFT_KNEE),
    (Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE),
    (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL),
    (Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL),
    (Landmark.RIGHT_HEEL, Landmark.RIGHT_FOOT_INDEX),
)


def _checked(name: str, value: Any, shape: tuple[int, ...]) -> FloatArray:
    array = np.asarray(value, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"Skeleton.{name} must have shape {shape}, got {array.shape}")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Skeleton:
    """One detected person at one instant.

    Parameters
    ----------
    timestamp_s
        Time of the frame in seconds from the start of the stream (explicit; never a clock).
    image_xy
        Shape (33, 2), pixels, x right, y down.
    image_z
        Shape (33,), MediaPipe relative depth in pixel units (smaller = nearer).
    world_xyz
        Shape (33, 3), metres, MediaPipe world frame (see module docs). May be all zeros
        when the source has none (e.g. browser landmarks without world coordinates).
    visibility
        Shape (33,), in [0, 1].
    image_size
        (width, height) of the frame in pixels.
    """

    timestamp_s: float
    image_xy: FloatArray
    image_z: FloatArray
    world_xyz: FloatArray
    visibility: FloatArray
    image_size: tuple[int, int]

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "image_xy", _checked("image_xy", self.image_xy, (NUM_LANDMARKS, 2))
        )
        object.__setattr__(self, "image_z", _checked("image_z", self.image_z, (NUM_LANDMARKS,)))
        object.__setattr__(
            self, "world_xyz", _checked("world_xyz", self.world_xyz, (NUM_LANDMARKS, 3))
        )
        object.__setattr__(
            self, "visibility", _checked("visibility", self.visibility, (NUM_LANDMARKS,))
        )
        width, height = self.image_size
        if width <= 0 or height <= 0:
            raise ValueError(f"Skeleton.image_size must be positive, got {self.image_size}")

    def xy(self, landmark: Landmark) -> FloatArray:
        """Image position of one landmark, shape (2,), pixels."""
        return np.asarray(self.image_xy[int(landmark)], dtype=np.float64)

    def vis(self, landmark: Landmark) -> float:
        """Visibility of one landmark in [0, 1]."""
        return float(self.visibility[landmark])

    def with_timestamp(self, timestamp_s: float) -> Skeleton:
        """The same skeleton at another time (for replays)."""
        return Skeleton(
            timestamp_s,
            self.image_xy,
            self.image_z,
            self.world_xyz,
            self.visibility,
            self.image_size,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists of floats); inverse of :meth:`from_dict`."""
        return {
            "timestamp_s": self.timestamp_s,
            "image_size": list(self.image_size),
            "image_xy": self.image_xy.round(3).tolist(),
            "image_z": self.image_z.round(3).tolist(),
            "world_xyz": self.world_xyz.round(5).tolist(),
            "visibility": self.visibility.round(4).tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Skeleton:
        """Build a skeleton from :meth:`to_dict` output; raises ValueError on bad shapes."""
        try:
            size = data["image_size"]
            return cls(
                timestamp_s=float(data["timestamp_s"]),
                image_xy=np.asarray(data["image_xy"], dtype=np.float64),
                image_z=np.asarray(data.get("image_z", [0.0] * NUM_LANDMARKS), dtype=np.float64),
                world_xyz=np.asarray(
                    data.get("world_xyz", [[0.0, 0.0, 0.0]] * NUM_LANDMARKS), dtype=np.float64
                ),
                visibility=np.asarray(data["visibility"], dtype=np.float64),
                image_size=(int(size[0]), int(size[1])),
            )
        except KeyError as missing:
            raise ValueError(f"skeleton is missing the field {missing}") from None

    @classmethod
    def from_normalized(
        cls,
        timestamp_s: float,
        xyzv: FloatArray,
        image_size: tuple[int, int],
        world_xyz: FloatArray | None = None,
    ) -> Skeleton:
        """Build a skeleton from normalized landmarks (MediaPipe's or the browser's).

        Parameters
        ----------
        xyzv
            Shape (33, 4): x and y in [0, 1] of the frame's width and height, z in
            MediaPipe's normalized depth (same scale as x), visibility in [0, 1].
        image_size
            (width, height) in pixels.
        world_xyz
            Optional shape (33, 3) metres; zeros when absent.
        """
        arr = np.asarray(xyzv, dtype=np.float64)
        if arr.shape != (NUM_LANDMARKS, 4):
            raise ValueError(f"normalized landmarks must have shape (33, 4), got {arr.shape}")
        width, height = image_size
        image_xy = np.stack([arr[:, 0] * width, arr[:, 1] * height], axis=1)
        world = np.zeros((NUM_LANDMARKS, 3)) if world_xyz is None else world_xyz
        return cls(timestamp_s, image_xy, arr[:, 2] * width, world, arr[:, 3], image_size)
