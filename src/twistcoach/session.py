"""The live session: tracker -> coach -> recorder, one object for every live coach.

The desktop coach (``twistcoach coach``: a window and keys, or JSON lines) and the browser
coach (landmarks over the practice WebSocket) both drive a :class:`LiveSession`; they keep
only their edges (frames and keys; socket messages). So both coach with the same cap from
:mod:`twistcoach.planning`, emit the same events, record the same samples and stop on the
same rules.

:func:`coach_plan_for` turns planning's permission into the coach's plan: the one place a
live session's cap comes from.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from twistcoach.coaching import (
    Coach,
    CoachingRules,
    CoachPlan,
    Event,
    Output,
    PlanRefusedError,
    build_coach_plan,
    load_coaching_rules,
)
from twistcoach.landmarks import Skeleton
from twistcoach.metrics import BodyType, Observation, PoseFamily

if TYPE_CHECKING:
    from twistcoach.pipeline import Tracker
    from twistcoach.planning import PracticeDecision
    from twistcoach.poses.schema import PoseLibrary
    from twistcoach.storage import SessionRecord, SessionRecorder, SessionStatus


@functools.cache
def default_coaching_rules() -> CoachingRules:
    """The packaged coaching rules, read and validated once per process (a frozen model).

    Reading ``rules/coaching.yaml`` took 60-180 ms of CPU (the YAML parse), once for every
    session a web server started; measured in the load benchmark's profile (bench/load.py).
    """
    return load_coaching_rules()


#: Seconds between a running session's checks that planning still allows it (the web's
#: practice socket by its server clock, the desktop coach by the video's time): a red flag
#: or a sharp-pain stop stored elsewhere while it runs stops it within this long
#: (:meth:`LiveSession.withdraw`). One check is one planning decision read from the
#: database (a few milliseconds).
PLAN_RECHECK_S = 5.0

#: Why a running session stops when its plan's cap went down while it ran (a care plan
#: saved meanwhile): the coach's own cap is never raised or lowered from outside.
CAP_LOWERED_WORDS = (
    "Your plan's range for this twist is now {cap}°: start again to practise within it."
)


def plan_change_refusal(plan: CoachPlan, coach: Coach) -> str | None:
    """Why a running session may not go on under ``plan``, planning's plan for it now: its
    cap is below the coach's (None: it may go on)."""
    if plan.cap_deg < coach.personal_cap_deg - 0.5:
        return CAP_LOWERED_WORDS.format(cap=f"{plan.cap_deg:g}")
    return None


#: Marks a tracker without a ``calibration`` attribute (see :attr:`LiveSession.calibrating`).
_NO_CALIBRATION = object()


def coach_plan_for(
    decision: PracticeDecision,
    variant_id: str,
    library: PoseLibrary,
    *,
    cap_deg: float | None = None,
) -> CoachPlan:
    """The coach's plan for a variant that planning allows now.

    Parameters
    ----------
    decision
        Planning's decision for the person now.
    variant_id
        The variant to coach.
    library
        The pose library (hold time, sides, steps).
    cap_deg
        A session's stored cap (degrees), when it was opened earlier: the lower of it and
        planning's cap is used, never a looser one.

    Raises
    ------
    PlanRefusedError
        With planning's plain reason when the variant may not be practised now.
    """
    permission = decision.permission(variant_id)
    if not permission.allowed or permission.cap_deg is None or decision.plan is None:
        raise PlanRefusedError(decision.refusal(variant_id) or "not allowed now")
    cap = permission.cap_deg if cap_deg is None else min(cap_deg, permission.cap_deg)
    variant = library.get(variant_id)
    plan_decision = decision.plan.decision(variant_id)
    return build_coach_plan(
        variant_id=variant_id,
        family=str(variant.family.pose_family),
        status="allowed",
        max_knee_drop_deg=cap,
        reasons=[r.text for r in permission.reasons],
        hold_s=permission.hold_s or variant.default_hold_s,  # a clinician's plan may set it
        sides=[str(s) for s in variant.sides],
        props=[str(p) for p in plan_decision.props],
        steps=[s.text for s in variant.steps],
        pelvis_turns=plan_decision.pelvis_turns,
    )


@dataclass
class LiveSession:
    """One coached session as it happens (synchronous, explicit session time).

    Attributes
    ----------
    coach
        The coach's state machine.
    tracker
        Skeleton -> smoothed metrics with the view and confidence.
    recorder
        Where samples and events are stored as they happen (None: not recorded).
    frames
        Frames seen.
    last_observation
        The tracker's newest observation (None before the first frame).
    """

    coach: Coach
    tracker: Tracker
    recorder: SessionRecorder | None = None
    frames: int = 0
    last_observation: Observation | None = None
    outputs: list[Output] = field(default_factory=list, repr=False)

    @classmethod
    def create(
        cls,
        plan: CoachPlan,
        *,
        tracker: Tracker,
        start_pain: int | None,
        body: BodyType,
        recorder: SessionRecorder | None = None,
        rules: CoachingRules | None = None,
    ) -> LiveSession:
        """A new session for ``plan`` (the coach starts waiting for the person).

        A seated or standing twist is always measured by its own tracker and coached by its
        own rules (:mod:`twistcoach.seated_tracking`, trunk rotation), whatever tracker the
        caller made: a knee-drop tracker must never coach a twist it cannot measure.
        """
        if plan.family is not PoseFamily.SUPINE_TWIST:
            from twistcoach.seated_tracking import RotationTracker, load_seated_coaching_rules

            tracker = RotationTracker(plan.family)
            rules = rules or load_seated_coaching_rules()
        coach = Coach(
            plan, rules or default_coaching_rules(), start_pain=start_pain, body_model=body.value
        )
        return cls(coach=coach, tracker=tracker, recorder=recorder)

    @property
    def finished(self) -> bool:
        """True once the coach has finished or stopped."""
        return self.coach.finished

    @property
    def calibrating(self) -> bool:
        """True while the tracker has no calibration from a neutral pose yet: its next frames
        may run the calibration's fit, the one costly step of a session (0.3-0.5 s of CPU
        once, measured on this project's 2-core machine, against about 1 ms for a frame).
        The web socket runs such frames off its event loop, one session at a time. A tracker
        without a ``calibration`` (a test's fake) is never calibrating.
        """
        calibration = getattr(self.tracker, "calibration", _NO_CALIBRATION)
        if calibration is _NO_CALIBRATION:
            return False
        return calibration is None or not bool(getattr(calibration, "neutral", True))

    def _out(self, outputs: Sequence[Output]) -> list[Output]:
        batch = list(outputs)
        if self.recorder is not None:
            self.recorder.record(batch)
        return batch

    def frame(self, t: float, skeleton: Skeleton | None) -> list[Output]:
        """One frame at session time ``t`` (seconds): track, record the sample, coach.

        ``skeleton`` None means nobody was found in the frame.
        """
        self.frames += 1
        obs = self.tracker.update(t, skeleton)
        self.last_observation = obs
        if self.recorder is not None:
            self.recorder.observe(obs)
        return self._out(self.coach.observe(obs))

    def pain(self, t: float, level: int) -> list[Output]:
        """A pain report, 0-10. After the session ended (felt coming out of the twist, said
        at the moment of a stop) it is still recorded while the record is open: the highest
        pain is what history, the clinician's report and the next cap read."""
        if self.coach.finished and self.recorder is not None:
            if not 0 <= level <= 10:
                raise ValueError(f"pain must be 0-10, got {level}")
            late = Event(
                t,
                "pain_reported",
                f"pain reported after the end: {level}/10",
                {"level": level, "after_end": True},
            )
            return self._out([late])
        return self._out(self.coach.report_pain(t, level))

    def sharp(self, t: float) -> list[Output]:
        """Sharp pain: the coach stops at once (its stop cue comes first)."""
        return self._out(self.coach.report_sharp_pain(t))

    def withdraw(self, t: float, reason: str) -> list[Output]:
        """Planning no longer allows the session: the coach stops, saying ``reason``."""
        return self._out(self.coach.withdraw(t, reason))

    def pause(self, t: float) -> list[Output]:
        """The person pauses."""
        return self._out(self.coach.pause(t))

    def resume(self, t: float) -> list[Output]:
        """The person resumes."""
        return self._out(self.coach.resume(t))

    def quit(self, t: float) -> list[Output]:
        """The person ends the session."""
        return self._out(self.coach.quit(t))

    def close(self, unfinished: SessionStatus, reason: str) -> SessionRecord | None:
        """End the record: as the coach ended it, or with ``unfinished`` and ``reason``
        when the session was cut short (a video ended, a page closed). Idempotent.

        Returns the stored session (None when not recorded).
        """
        if self.recorder is None:
            return None
        if self.coach.finished:
            return self.recorder.finish()
        return self.recorder.finish(unfinished, stop_reason=reason)


__all__ = [
    "CAP_LOWERED_WORDS",
    "PLAN_RECHECK_S",
    "LiveSession",
    "PlanRefusedError",
    "coach_plan_for",
    "plan_change_refusal",
]
