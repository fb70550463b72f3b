"""The plan a coach follows (variant, side order, hold, cap) and how it is built.

Pure core: see :mod:`twistcoach.coaching`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twistcoach.errors import NotAllowed
from twistcoach.metrics import PoseFamily, Side

#: Families counted as "in the prescribed position" for each prescribed twist family.
FAMILY_POSITIONS: dict[PoseFamily, frozenset[PoseFamily]] = {
    PoseFamily.SUPINE_TWIST: frozenset({PoseFamily.SUPINE_TWIST, PoseFamily.SUPINE}),
    PoseFamily.SEATED_TWIST: frozenset({PoseFamily.SEATED_TWIST, PoseFamily.SEATED}),
    PoseFamily.STANDING_TWIST: frozenset({PoseFamily.STANDING_TWIST, PoseFamily.STANDING}),
}
TWIST_FAMILIES = frozenset(FAMILY_POSITIONS)


class PlanRefusedError(NotAllowed, ValueError):
    """The readiness plan does not allow the requested variant; the message says why."""


@dataclass(frozen=True)
class CoachPlan:
    """What the coach guides today.

    Attributes
    ----------
    variant_id
        Pose-library variant id (``"supine_twist_partial"``).
    family
        The variant's pose family (a twist family).
    cap_deg
        The plan's knee-drop cap in degrees (magnitude, either side); the coach's personal
        cap starts here and only ever goes down during a session.
    hold_s
        Seconds to hold each side.
    sides
        Sides in order, e.g. ``(Side.RIGHT, Side.LEFT)``.
    props
        Props to have ready (plain names).
    steps
        The variant's step-by-step instructions, for display.
    pelvis_turns
        True when the plan lets the pelvis turn with the trunk (pregnancy, SI-joint pain:
        screening's ``VariantDecision.pelvis_turns``): the coach's cues then say so, never
        "keep your hips square" (:meth:`CueRule.text_for`).
    """

    variant_id: str
    family: PoseFamily
    cap_deg: float
    hold_s: float
    sides: tuple[Side, ...]
    props: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    pelvis_turns: bool = False

    def __post_init__(self) -> None:
        if self.family not in TWIST_FAMILIES:
            raise ValueError(f"family must be a twist family, got {self.family!r}")
        if not 0.0 < self.cap_deg <= 90.0:
            raise ValueError(f"cap_deg must be in (0, 90], got {self.cap_deg}")
        if self.hold_s <= 0.0:
            raise ValueError(f"hold_s must be positive, got {self.hold_s}")
        if not self.sides or any(s is Side.CENTRE for s in self.sides):
            raise ValueError("sides must be a non-empty sequence of left/right")


def build_coach_plan(
    *,
    variant_id: str,
    family: str,
    status: str,
    max_knee_drop_deg: float | None,
    reasons: Sequence[str] = (),
    hold_s: float,
    sides: Sequence[str],
    props: Sequence[str] = (),
    steps: Sequence[str] = (),
    default_cap_deg: float | None = None,
    pelvis_turns: bool = False,
) -> CoachPlan:
    """Build the coach's plan from a readiness decision and the library variant.

    Parameters
    ----------
    variant_id, family, status, max_knee_drop_deg, reasons
        The readiness plan's decision for this variant (``status`` must be ``"allowed"``;
        ``reasons`` are the decision's plain-language reasons, quoted when refusing).
    hold_s, sides, props, steps
        From the pose library's variant: default hold (seconds), sides (``"left"``,
        ``"right"``; ``"both"`` means right then left), props and steps.
    default_cap_deg
        Used only when the decision gives no cap; when both are missing the plan is
        refused (the coach never coaches without a cap: fail safe).
    pelvis_turns
        The decision's word that the pelvis turns with the trunk on this variant.

    Raises
    ------
    PlanRefusedError
        When the variant is not allowed or no cap is known.
    """
    if status != "allowed":
        why = "; ".join(reasons) if reasons else "no reason recorded"
        raise PlanRefusedError(f"your plan does not allow {variant_id!r} ({status}): {why}")
    cap = max_knee_drop_deg if max_knee_drop_deg is not None else default_cap_deg
    if cap is None:
        raise PlanRefusedError(f"the plan gives no knee-drop cap for {variant_id!r}")
    side_list: list[Side] = []
    for s in sides:
        if s == "both":
            side_list.extend([Side.RIGHT, Side.LEFT])
        else:
            side_list.append(Side(s))
    return CoachPlan(
        variant_id=variant_id,
        family=PoseFamily(family),
        cap_deg=float(cap),
        hold_s=float(hold_s),
        sides=tuple(side_list),
        props=tuple(props),
        steps=tuple(steps),
        pelvis_turns=pelvis_turns,
    )
