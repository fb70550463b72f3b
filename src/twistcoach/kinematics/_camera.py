"""The pinhole camera: rotations, :class:`Camera` projection and ray casting.

Rotation vectors (axis times angle, radians) convert to and from matrices
(:func:`rotvec_to_matrix`, :func:`matrix_to_rotvec`); :func:`look_at` points a camera;
:func:`default_focal` is the focal length assumed for an unknown camera (about the image
size); :func:`_floor_hit` casts a pixel's ray onto a horizontal plane.

Pure core: standard library and numpy only; no clocks, no I/O.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from twistcoach.kinematics._angles import FloatArray, _unit, _unit_vec


def rotvec_to_matrix(rotvec: FloatArray) -> FloatArray:
    """Rodrigues' formula, batched.

    Parameters
    ----------
    rotvec
        Shape ``B + (3,)``, axis times angle in radians.

    Returns
    -------
    ndarray
        Shape ``B + (3, 3)`` rotation matrices.
    """
    r = np.asarray(rotvec, dtype=np.float64)
    angle = np.linalg.norm(r, axis=-1)
    safe = np.where(angle < 1e-12, 1.0, angle)
    k = r / safe[..., None]
    kx, ky, kz = k[..., 0], k[..., 1], k[..., 2]
    zero = np.zeros_like(kx)
    kmat = np.stack(
        [
            np.stack([zero, -kz, ky], axis=-1),
            np.stack([kz, zero, -kx], axis=-1),
            np.stack([-ky, kx, zero], axis=-1),
        ],
        axis=-2,
    )
    s = np.sin(angle)[..., None, None]
    c = (1 - np.cos(angle))[..., None, None]
    eye = np.broadcast_to(np.eye(3), kmat.shape)
    return np.asarray(eye + s * kmat + c * (kmat @ kmat), dtype=np.float64)


def matrix_to_rotvec(matrix: FloatArray) -> FloatArray:
    """Inverse of :func:`rotvec_to_matrix` for one matrix, shape (3, 3) -> (3,)."""
    m = np.asarray(matrix, dtype=np.float64)
    cos = float(np.clip((np.trace(m) - 1) / 2, -1.0, 1.0))
    angle = math.acos(cos)
    if angle < 1e-9:
        return np.zeros(3)
    if math.pi - angle < 1e-6:
        # Near 180 degrees the antisymmetric part vanishes: take the axis from m + I.
        col = int(np.argmax(np.diag(m)))
        axis = (m[:, col] + np.eye(3)[:, col]) / math.sqrt(2 * (1 + m[col, col]))
        return np.asarray(_unit(axis, "rotation axis") * angle, dtype=np.float64)
    axis = np.array([m[2, 1] - m[1, 2], m[0, 2] - m[2, 0], m[1, 0] - m[0, 1]])
    return np.asarray(axis / (2 * math.sin(angle)) * angle, dtype=np.float64)


def look_at(centre: FloatArray, target: FloatArray) -> FloatArray:
    """World -> camera rotation for a camera at ``centre`` looking at ``target``.

    The camera frame is OpenCV's: x right, y down, z forward; the image's "up" is the
    world's +z where possible, else the model's +y (head direction).

    Returns
    -------
    ndarray
        Shape (3, 3); rows are the camera axes in world coordinates.
    """
    z = _unit(
        np.asarray(target, dtype=np.float64) - np.asarray(centre, dtype=np.float64),
        "camera direction",
    )
    ref = np.array([0.0, 0.0, 1.0]) if abs(z[2]) < 0.99 else np.array([0.0, 1.0, 0.0])
    x = _unit(np.cross(z, ref), "camera x axis")
    y = np.cross(z, x)
    return np.stack([x, y, z])


@dataclass(frozen=True, eq=False)
class Camera:
    """A pinhole camera in the model frame.

    Attributes
    ----------
    rotation
        Shape (3, 3), world -> camera (rows: camera x right, y down, z forward).
    centre
        Shape (3,), the camera's position, metres in the model frame.
    focal_px
        Focal length in pixels.
    principal
        Shape (2,), principal point in pixels.
    """

    rotation: FloatArray
    centre: FloatArray
    focal_px: float
    principal: FloatArray

    def project(self, points: FloatArray) -> FloatArray:
        """Pixel positions of 3D points, shape ``B + (3,)`` -> ``B + (2,)``.

        Points behind the camera get a tiny positive depth, so they land far away.
        """
        points = np.asarray(points)
        # As rows of one matrix: numpy's matmul broadcasts a stack of small matrices about
        # twice as slowly (46 against 26 us for the knee search's 972 points).
        cam = (points.reshape(-1, 3) - self.centre) @ self.rotation.T
        depth = np.maximum(cam[:, 2], 1e-6)
        px = self.focal_px * cam[:, :2] / depth[:, None] + self.principal
        return np.asarray(px.reshape(*points.shape[:-1], 2), dtype=np.float64)

    @functools.cached_property
    def matrix(self) -> FloatArray:
        """The projection matrix, shape (3, 4): ``K [R | -R c]`` for homogeneous points."""
        k = np.array(
            [
                [self.focal_px, 0.0, self.principal[0]],
                [0.0, self.focal_px, self.principal[1]],
                [0.0, 0.0, 1.0],
            ]
        )
        rt = np.concatenate([self.rotation, -(self.rotation @ self.centre)[:, None]], axis=1)
        return np.asarray(k @ rt, dtype=np.float64)

    def project_homogeneous(self, points: FloatArray) -> FloatArray:
        """:meth:`project` for homogeneous points, shape (N, 4) (last column 1) -> (N, 2).

        The searches keep their model points so: one matrix product and a division, about
        half the time of :meth:`project` (13 against 25 us for the knee grid's 972 points),
        the same to about 1e-12 pixels.
        """
        h = points @ self.matrix.T
        return np.asarray(h[:, :2] / np.maximum(h[:, 2:], 1e-6), dtype=np.float64)

    def ray(self, pixel: FloatArray) -> FloatArray:
        """Unit direction (world, shape (3,)) of the ray through one pixel (shape (2,))."""
        d = np.array([*((np.asarray(pixel) - self.principal) / self.focal_px), 1.0])
        return _unit(self.rotation.T @ d, "ray")

    @property
    def elevation_deg(self) -> float:
        """Angle of the optical axis below the horizontal (90 = looking straight down)."""
        return math.degrees(math.asin(float(np.clip(-self.rotation[2, 2], -1.0, 1.0))))


def default_focal(image_size: tuple[int, int]) -> float:
    """Assumed focal length in pixels: about the image's larger side (a 53-degree view)."""
    return float(max(image_size))


def _floor_hit(cam: Camera, pixel: FloatArray, height: float) -> FloatArray | None:
    """Where the ray through ``pixel`` meets the plane ``height`` metres above the floor
    (shape (3,)), or None for a ray that meets it at a grazing angle or not at all."""
    # Plain floats (:meth:`Camera.ray` in numpy costs about 5 us a call, twice a frame).
    (r0, r1, r2) = cam.rotation.tolist()
    (cx, cy), (px, py) = cam.principal.tolist(), np.asarray(pixel).tolist()
    u, v = (px - cx) / cam.focal_px, (py - cy) / cam.focal_px
    d = _unit_vec(
        (
            r0[0] * u + r1[0] * v + r2[0],
            r0[1] * u + r1[1] * v + r2[1],
            r0[2] * u + r1[2] * v + r2[2],
        ),
        "ray",
    )
    if d[2] > -0.2:
        return None
    c = cam.centre.tolist()
    t = (height - c[2]) / d[2]
    return np.array([c[0] + t * d[0], c[1] + t * d[1], c[2] + t * d[2]])
