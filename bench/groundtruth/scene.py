"""Cameras, rooms and the offscreen renderer (pyrender with OSMesa).

Cameras are placed around the person's mid-hip in the world frame of
:mod:`groundtruth.body` (z up, y towards the head, x towards the person's left):

azimuth_deg
    Direction from the body to the camera, seen from above: 0 = at the feet end, 90 = at
    the person's left side, -90 = the right side, 180 = at the head end.
elevation_deg
    Angle above the floor of the line from the target to the camera (90 = top-down).
roll_deg
    Rotation of the camera about its optical axis (a tilted phone).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from groundtruth.body import Posed
from twistcoach.landmarks import Landmark

FloatArray = NDArray[np.float64]

_LH, _RH = Landmark.LEFT_HIP, Landmark.RIGHT_HIP
_LS, _RS = Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER


@dataclass(frozen=True)
class CameraSpec:
    """A pinhole camera looking at the body (angles in degrees, distance in metres)."""

    name: str
    view: str  # the app's View value that this camera should be recognised as
    azimuth_deg: float
    elevation_deg: float
    distance_m: float
    roll_deg: float = 0.0
    yfov_deg: float = 40.0  # a phone in landscape: about 65 degrees across
    target_height_m: float = 0.15

    def pose_matrix(self, target: FloatArray) -> FloatArray:
        """Camera-to-world 4x4 (OpenGL convention: the camera looks along its -z)."""
        az, el = math.radians(self.azimuth_deg), math.radians(self.elevation_deg)
        # Feet end is towards -y (the head is +y).
        direction = np.array(
            [math.sin(az) * math.cos(el), -math.cos(az) * math.cos(el), math.sin(el)]
        )
        centre = target + np.array([0.0, 0.0, self.target_height_m])
        eye = centre + self.distance_m * direction
        back = direction  # camera +z points away from the scene
        world_up = np.array([0.0, 0.0, 1.0]) if abs(direction[2]) < 0.99 else np.array([0, 1.0, 0])
        right = np.cross(world_up, back)
        right /= np.linalg.norm(right)
        up = np.cross(back, right)
        r = math.radians(self.roll_deg)
        right, up = (
            math.cos(r) * right + math.sin(r) * up,
            -math.sin(r) * right + math.cos(r) * up,
        )
        m = np.eye(4)
        m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = right, up, back, eye
        return m

    def project(self, points: FloatArray, target: FloatArray, size: tuple[int, int]) -> FloatArray:
        """Pixel positions (x right, y down) of world points, shape (N, 3) -> (N, 2)."""
        width, height = size
        m = self.pose_matrix(target)
        cam = (np.asarray(points) - m[:3, 3]) @ m[:3, :3]  # world -> camera axes
        f = (height / 2) / math.tan(math.radians(self.yfov_deg) / 2)
        x = width / 2 + f * cam[:, 0] / -cam[:, 2]
        y = height / 2 - f * cam[:, 1] / -cam[:, 2]
        return np.stack([x, y], axis=1)


@dataclass(frozen=True)
class Room:
    """Floor, mat and light (colours RGB in [0, 1])."""

    floor: tuple[float, float, float]
    mat: tuple[float, float, float]
    light_intensity: float
    light_azimuth_deg: float
    ambient: float


#: Renders before the OSMesa context is made afresh. With a new scene each render, pyrender
#: on OSMesa kept 9-12 MB a render that it never gave back (a 640x360 cue frame rendered at
#: 960x540: RSS 677 -> 1185 MB over 40 renders), so the cue benchmark's clips grew the
#: renderer to 24 GB and swapped the machine; made afresh every 10 renders it stayed at
#: 850-876 MB (2026-12-07). The same body rendered again differs in a few edge pixels
#: either way (2 of 230,400, by 14 of 255).
RENEW_EVERY = 10


class Renderer:
    """Renders posed bodies offscreen; ``supersample`` > 1 anti-aliases by downscaling."""

    def __init__(self, size: tuple[int, int], supersample: float = 1.5) -> None:
        import pyrender

        self.size = size
        self.supersample = supersample
        self._viewport = tuple(round(s * supersample) for s in size)
        self._pyrender = pyrender
        self._renderer = pyrender.OffscreenRenderer(*self._viewport)
        self._renders = 0

    def render(
        self, posed: Posed, camera: CameraSpec, room: Room, target: FloatArray | None = None
    ) -> NDArray[np.uint8]:
        """An RGB image, shape (height, width, 3), contiguous uint8; the camera looks at
        ``target`` (world metres, shape (3,)) raised by its ``target_height_m``, by default
        the mid-hip."""
        import cv2
        import pyrender
        import trimesh

        scene = pyrender.Scene(
            bg_color=np.array([*room.floor, 1.0]) * 0.8,
            ambient_light=np.full(3, room.ambient),
        )
        body = trimesh.Trimesh(
            posed.vertices, posed.faces, vertex_colors=posed.colors, process=False
        )
        # No explicit material: pyrender would then drop the vertex colours (GROUNDTRUTH.md).
        scene.add(pyrender.Mesh.from_trimesh(body, smooth=True))
        mid_hip = (posed.keypoints[_LH] + posed.keypoints[_RH]) / 2
        floor = trimesh.creation.box(extents=(8.0, 8.0, 0.02))
        floor.apply_translation((mid_hip[0], mid_hip[1], -0.011))
        floor.visual.vertex_colors = np.array([*room.floor, 1.0])
        scene.add(pyrender.Mesh.from_trimesh(floor, smooth=False))
        mat = trimesh.creation.box(extents=(0.65, 1.85, 0.006))
        mid_sh = (posed.keypoints[_LS] + posed.keypoints[_RS]) / 2
        centre = (mid_hip + mid_sh) / 2
        mat.apply_translation((centre[0], centre[1] - 0.15, -0.002))
        mat.visual.vertex_colors = np.array([*room.mat, 1.0])
        scene.add(pyrender.Mesh.from_trimesh(mat, smooth=False))
        w, h = self._renderer.viewport_width, self._renderer.viewport_height
        cam = pyrender.PerspectiveCamera(yfov=math.radians(camera.yfov_deg), aspectRatio=w / h)
        aim = mid_hip if target is None else np.asarray(target, dtype=np.float64)
        scene.add(cam, pose=camera.pose_matrix(aim))
        light_dir = CameraSpec("light", "", room.light_azimuth_deg, 60.0, 3.0)
        scene.add(
            pyrender.DirectionalLight(color=np.ones(3), intensity=room.light_intensity),
            pose=light_dir.pose_matrix(mid_hip),
        )
        scene.add(
            pyrender.DirectionalLight(color=np.ones(3), intensity=room.light_intensity * 0.4),
            pose=camera.pose_matrix(aim),
        )
        if self._renders and self._renders % RENEW_EVERY == 0:
            self._renderer.delete()
            self._renderer = pyrender.OffscreenRenderer(*self._viewport)
        self._renders += 1
        color, _ = self._renderer.render(scene)
        image = np.asarray(color[:, :, :3])
        if self.supersample != 1:
            image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(image, dtype=np.uint8)
