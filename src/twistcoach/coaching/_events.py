"""The coach's states, reasons, and what it says (:class:`Cue`) and records (:class:`Event`).

Pure core: see :mod:`twistcoach.coaching`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

JsonScalar: TypeAlias = str | int | float | bool | None


class CoachState(StrEnum):
    """Where the coach is in the session."""

    WAITING_FOR_PERSON = "waiting_for_person"
    SETTING_UP = "setting_up"
    CALIBRATING = "calibrating"
    ENTERING = "entering"
    HOLDING = "holding"
    RETURNING = "returning"
    SWITCHING_SIDES = "switching_sides"
    RESTING = "resting"
    DONE = "done"
    PAUSED = "paused"
    STOPPED = "stopped"


class Priority(StrEnum):
    """How urgent a cue is. Safety cues are never rate-limited."""

    SAFETY = "safety"
    CORRECTION = "correction"
    GUIDANCE = "guidance"
    BREATH = "breath"
    INFO = "info"


class StopReason(StrEnum):
    """Why a session ended before its end."""

    SHARP_PAIN = "sharp_pain"
    PAIN_HIGH = "pain_high"
    PAIN_RISE = "pain_rise"
    WRONG_POSE = "wrong_pose"
    #: Planning no longer allows this session (a red flag, a sharp-pain stop or a plan
    #: stored elsewhere while it ran).
    PLAN_WITHDRAWN = "plan_withdrawn"
    QUIT = "quit"


class PauseReason(StrEnum):
    """Why coaching is paused."""

    TRACKING_LOST = "tracking_lost"
    CAMERA_VIEW = "camera_view"
    #: Frames come too far apart to follow the speed (``checks.FrameRate``).
    TOO_FEW_FRAMES = "too_few_frames"
    USER = "user"


@dataclass(frozen=True)
class Cue:
    """Something the coach says.

    Attributes
    ----------
    t
        Seconds from the start of the session (the time of the input that caused it).
    id
        Stable cue id (``"ease_back"``), for speech caches, the web client and tests.
    text
        What to say, in plain language.
    priority
        Urgency; safety cues bypass rate limiting.
    reason
        Why the cue was given, in plain language.
    rule
        Id of the rule in ``rules/coaching.yaml`` (``"COACH-CAP-OVER"``).
    """

    t: float
    id: str
    text: str
    priority: Priority
    reason: str
    rule: str

    def to_dict(self) -> dict[str, JsonScalar]:
        """A JSON-ready dict: ``{"t", "type": "cue", "id", "text", "priority", ...}``."""
        return {
            "t": round(self.t, 3),
            "type": "cue",
            "id": self.id,
            "text": self.text,
            "priority": self.priority.value,
            "reason": self.reason,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class Event:
    """Something to record (state changes, pain reports, stops).

    Attributes
    ----------
    t
        Seconds from the start of the session.
    id
        Event id, one of ``session_started``, ``state_changed``, ``calibrated``,
        ``side_started``, ``side_changed``, ``hold_started``, ``hold_completed``,
        ``hold_ended_early``,
        ``pain_reported``,
        ``cap_lowered``, ``paused``, ``resumed``, ``session_stopped``, ``session_done``.
    text
        A plain-language description, never an id (a variant, a state or a reason goes in
        ``data``; people read :func:`twistcoach.wording.event_words`).
    data
        Event details (JSON scalars only), e.g. ``{"level": 3}`` or ``{"from": ..., "to": ...}``.
    """

    t: float
    id: str
    text: str
    data: Mapping[str, JsonScalar] = field(default_factory=dict)

    def to_dict(self) -> dict[str, JsonScalar]:
        """A JSON-ready dict: ``{"t", "type": "event", "id", "text", **data}``."""
        out: dict[str, JsonScalar] = {
            "t": round(self.t, 3),
            "type": "event",
            "id": self.id,
            "text": self.text,
        }
        for key, value in self.data.items():
            out.setdefault(key, value)
        return out


Output: TypeAlias = Cue | Event
