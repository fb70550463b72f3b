"""Where the camera stands relative to the body, and which views can measure a twist.

:func:`view_from_camera` names the view (head end, feet end, diagonal, side, top-down) from
the calibrated camera's elevation and azimuth; :func:`view_measurable` refuses the views
from which the direction of a knee drop cannot be told (low side views, a low feet-end
camera); :data:`PELVIS_ROLL_UNSEEN_FROM` names the views that cannot see the pelvis roll.
The thresholds are measured on the rendered stills (their comments give the numbers).

Pure core: standard library and numpy only; no clocks, no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twistcoach.metrics import View

if TYPE_CHECKING:
    from twistcoach.kinematics._calibration import Calibration


#: A camera beside the body lower than this (degrees above the floor) is a "side" view:
#: the direction of the drop cannot be told (DESIGN.md). Higher up, each frame's own
#: ambiguity test decides (see :class:`KneeFit`).
SIDE_MAX_ELEVATION_DEG = 15.0

#: Square to the side (azimuth within 15 degrees of 90) the camera must be higher than this
#: (calibrated elevations read 5-10 degrees high with MediaPipe landmarks: a rendered
#: camera 20 degrees up beside the body calibrates at 17-30).
SIDE_RAISED_MAX_ELEVATION_DEG = 35.0

#: A camera at the feet end must be at least this high (degrees above the floor, as
#: calibrated): on rendered bodies a 1.5 m-high feet-end camera calibrates at 33-38 degrees
#: and MediaPipe misplaces the knees there (13-31 % of the body's size; wrong side in 1 of 6
#: measured stills), so it is refused.
FEET_END_MIN_ELEVATION_DEG = 40.0


def view_from_camera(elevation_deg: float, azimuth_deg: float) -> View:
    """Name the view of a camera at this elevation and azimuth (see :class:`Calibration`)."""
    if elevation_deg >= 65.0:
        return View.TOP_DOWN
    az = abs(azimuth_deg)
    if az <= 25.0:
        return View.FEET_END
    if az >= 155.0:
        return View.HEAD_END
    if 65.0 <= az <= 115.0 and elevation_deg < SIDE_MAX_ELEVATION_DEG:
        return View.SIDE
    if 75.0 <= az <= 105.0 and elevation_deg < SIDE_RAISED_MAX_ELEVATION_DEG:
        # Square to the body, even raised a little, drops away from the camera read as
        # drops towards it (measured on rendered bodies: 12 of 54 signs wrong at 8-20 deg).
        return View.SIDE
    return View.OBLIQUE


#: Views whose pelvis roll (and so twist) reads unknown: a number that far off is not given
#: (rendered stills; from the recommended place the pelvis roll's MAE is 5.6 deg, the
#: twist's 5.6). From behind the head the hips are seen past the chest, and MediaPipe's hip
#: line turns about 40 % as far as the pelvis on every body (a true 56-66 deg read 19-33;
#: MAE 18.3, twist 20.4). From overhead the roll moves the hip line along the line of
#: sight: even where its sign looked clear (a third of the stills) MAE 19.6, worst 133.
PELVIS_ROLL_UNSEEN_FROM: frozenset[View] = frozenset({View.HEAD_END, View.TOP_DOWN})


def view_measurable(calibration: Calibration) -> bool:
    """False for views the knee drop cannot be measured from (DESIGN.md).

    A side view cannot tell which way the knees drop; from low at the feet MediaPipe
    loses the hips behind the knees.
    """
    if calibration.view is View.SIDE:
        return False
    return not (
        calibration.view is View.FEET_END and calibration.elevation_deg < FEET_END_MIN_ELEVATION_DEG
    )
