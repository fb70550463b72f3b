"""Result types of the measuring instrument, shared by kinematics, the coach and reports.

Pure core: standard library only. Angle conventions (DESIGN.md, "The twist, measured"):

knee drop
    Degrees, in the body's transverse plane, between mid-hip -> mid-knee and "up"
    (the floor normal). 0 = knees at the ceiling, about 90 = knees on the floor.
    Signed: positive towards the person's right.
pelvis roll, shoulder roll
    Degrees of the hip line and the shoulder line against the floor in the same plane.
    Signed: positive when the body rolls towards the person's right (that is, the left
    hip or left shoulder rises).
twist
    pelvis roll minus shoulder roll, degrees: the rotation the spine carries.
speed
    Degrees per second of knee drop after smoothing, signed like the knee drop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum


class Side(StrEnum):
    """A side of the person's body (the person's own left and right)."""

    LEFT = "left"
    RIGHT = "right"
    CENTRE = "centre"


class View(StrEnum):
    """Where the camera looks at a person lying on their back from."""

    FEET_END = "feet_end"
    HEAD_END = "head_end"
    SIDE = "side"
    TOP_DOWN = "top_down"
    OBLIQUE = "oblique"
    UNKNOWN = "unknown"


class BodyType(StrEnum):
    """Which template body the camera's calibration starts from
    (``kinematics.TEMPLATE_THIGH_M``): the person may say (optional); neutral when not."""

    NEUTRAL = "neutral"
    FEMALE = "female"
    MALE = "male"

    @classmethod
    def parse(cls, text: str) -> BodyType:
        """The body type ``text`` names (any case).

        Raises
        ------
        ValueError
            Naming the choices, for any other text.
        """
        try:
            return cls(text.strip().lower())
        except ValueError:
            choices = ", ".join(b.value for b in cls)
            raise ValueError(f"must be one of {choices}, got {text!r}") from None


class PoseFamily(StrEnum):
    """What the person's body is doing, coarsely."""

    SUPINE_TWIST = "supine_twist"
    SUPINE = "supine"
    SEATED_TWIST = "seated_twist"
    SEATED = "seated"
    STANDING_TWIST = "standing_twist"
    STANDING = "standing"
    OTHER = "other"


def degrees_text(value: float, digits: int = 0, *, signed: bool = False) -> str:
    """A number of degrees as people read it, without its unit: ``value`` rounded to
    ``digits`` decimals, with its sign when ``signed`` (``"+35"``, ``"-12"``).

    Anything that rounds to zero reads ``"0"`` (``"0.0"`` with one decimal), never ``"-0"``
    nor ``"+0"``: a knee drop of -0.3 degrees showed "-0" on the gauge. Every Python surface
    that writes a degree number for people goes through here (the browser's gauge has its
    one twin, ``tcDegrees`` in ``web/static/practice.js``).

    Parameters
    ----------
    value
        Degrees (or degrees a second); a NaN or an infinity is written as Python writes it
        (callers say "not measured" before they get here).
    digits
        Decimals to keep (0: whole degrees).
    signed
        Write a ``+`` before a positive value (a signed reading: positive is the person's
        right).

    Returns
    -------
    str
        The number, e.g. ``"35"``, ``"+35"``, ``"-0.4"``, ``"0"``.
    """
    text = f"{value:{'+' if signed else ''}.{digits}f}"
    if math.isfinite(value) and float(text) == 0.0:
        return f"{0.0:.{digits}f}"
    return text


@dataclass(frozen=True)
class Measure:
    """One measured quantity with its confidence.

    Attributes
    ----------
    value
        The value (degrees, or degrees per second for speeds), or None when unknown:
        confidence was below the threshold or the landmarks were missing.
    confidence
        In [0, 1], from landmark visibility and geometry.
    """

    value: float | None
    confidence: float

    @property
    def known(self) -> bool:
        """True when the value may be used."""
        return self.value is not None

    @property
    def finite_value(self) -> float | None:
        """The value to show or store: None when unknown or not a finite number (a NaN or
        an infinity is never a measurement)."""
        if self.value is None or not math.isfinite(self.value):
            return None
        return float(self.value)

    @classmethod
    def unknown(cls, confidence: float = 0.0) -> Measure:
        """A measure that must not be used."""
        return cls(None, confidence)


@dataclass(frozen=True)
class TwistMetrics:
    """The twist measured at one instant (see the module docs for the conventions).

    Attributes
    ----------
    timestamp_s
        Seconds from the start of the stream.
    knee_drop
        Signed degrees, positive towards the person's right.
    drop_side
        Side the knees are dropped to (CENTRE within a few degrees of zero; None if unknown).
    pelvis_roll, shoulder_roll, twist
        Signed degrees.
    lifted_shoulder
        Which shoulder is off the floor (None when both rest, or unknown).
    knee_flexion
        Degrees of knee bend, mean of both legs: 0 = straight leg, 90 = right angle.
    knees_together
        True when the knees are within about a thigh-width of each other; None if unknown.
    speed
        Degrees per second of knee drop (signed); unknown on the first frame.
    confidence
        Overall confidence in [0, 1] (the knee drop's).
    """

    timestamp_s: float
    knee_drop: Measure
    drop_side: Side | None
    pelvis_roll: Measure
    shoulder_roll: Measure
    lifted_shoulder: Side | None
    twist: Measure
    knee_flexion: Measure
    knees_together: bool | None
    speed: Measure
    confidence: float

    @classmethod
    def unknown(cls, timestamp_s: float) -> TwistMetrics:
        """Metrics at ``timestamp_s`` (seconds) with nothing known: every reading unknown at
        confidence 0, no side, no lifted shoulder, knees together or not unknown."""
        u = Measure.unknown(0.0)
        return cls(timestamp_s, u, None, u, u, None, u, u, None, u, 0.0)

    def unmeasured(self) -> TwistMetrics:
        """These metrics with every reading the camera's view decides made unknown.

        Where the view (or the side the knees drop to) cannot be measured, the knee drop,
        its side and speed, the pelvis and shoulder rolls, the twist and the lifted
        shoulder all depend on the direction the camera cannot tell, so none of them is
        given; the confidence becomes 0. Nor is the knee flexion: it is fitted with the
        knee drop (the ankles set on the floor from the fitted knee), and where the drop
        cannot be told it was far off (issue 17's rendered stills and clips, calibrated,
        from the side and the feet end: MAE 6.7-17.5 deg, worst 25-76). Whether the knees
        are together is their gap in the image and keeps its value.
        """
        unknown = Measure.unknown(0.0)
        return replace(
            self,
            knee_drop=unknown,
            drop_side=None,
            pelvis_roll=unknown,
            shoulder_roll=unknown,
            lifted_shoulder=None,
            twist=unknown,
            knee_flexion=unknown,
            speed=unknown,
            confidence=0.0,
        )


@dataclass(frozen=True)
class Observation:
    """Everything the coach sees at one instant.

    Attributes
    ----------
    timestamp_s
        Seconds from the start of the session.
    metrics
        Smoothed metrics, or None when no person was found (tracking lost).
    family, family_confidence
        Recognised pose family and its confidence in [0, 1].
    view
        Recognised camera view.
    view_measurable
        False when the knee drop cannot be measured well from this view (the coach then
        gives camera advice instead of range cues).
    view_advice
        Plain-language camera advice for this view ("" when none is needed).
    far_side
        The side the knees are dropped to when this camera cannot measure that side (the
        far side of a diagonal camera); None otherwise. Reports use it to say that side
        was not measured rather than give the little of it that was.
    camera_side
        The person's side the calibrated camera stands on when it stands to one side (a
        diagonal, or a feet-end camera turned round); None otherwise. Drops towards the
        other side move away from it, where small readings can be far too short (a true
        42 deg read 11), so the coach never invites going further on that side.
    """

    timestamp_s: float
    metrics: TwistMetrics | None
    family: PoseFamily
    family_confidence: float
    view: View
    view_measurable: bool
    view_advice: str = ""
    far_side: Side | None = None
    camera_side: Side | None = None

    @property
    def measured(self) -> TwistMetrics | None:
        """The metrics as they may be used: None without a person, and with every
        view-dependent reading unknown (:meth:`TwistMetrics.unmeasured`) when the view
        cannot be measured. Everything that stores, shows or sums numbers reads this."""
        if self.metrics is None or self.view_measurable:
            return self.metrics
        return self.metrics.unmeasured()
