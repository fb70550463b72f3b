"""What a finished coaching session adds up to.

Pure core: see :mod:`twistcoach.coaching`.
"""

from __future__ import annotations

from dataclasses import dataclass

from twistcoach.coaching._events import CoachState, StopReason
from twistcoach.metrics import Side


@dataclass(frozen=True)
class SessionSummary:
    """What a session amounted to, for storage and progression.

    Attributes
    ----------
    variant_id
        The coached variant.
    plan_cap_deg, final_cap_deg
        The plan's cap and the personal cap at the end (lowered by pain), degrees.
    max_knee_drop_deg
        Largest measured |knee drop| from neutral while coaching, degrees (None if never
        measured).
    over_cap_s
        Seconds spent above the personal cap (beyond the tolerance).
    start_pain, end_pain
        First and last pain reports (0-10), None when none was given.
    sides_completed
        Sides whose hold was completed.
    final_state
        ``done`` or ``stopped`` (or the current state when the session is still running).
    stopped_reason
        Why it stopped, None when it ended normally or is still running.
    """

    variant_id: str
    plan_cap_deg: float
    final_cap_deg: float
    max_knee_drop_deg: float | None
    over_cap_s: float
    start_pain: int | None
    end_pain: int | None
    sides_completed: tuple[Side, ...]
    final_state: CoachState
    stopped_reason: StopReason | None
