"""The live coach: a pure state machine with explicit time.

Pure core: standard library and pydantic only; no clocks, no I/O except the
thin :func:`load_coaching_rules` that reads the packaged rule file.

The coach receives :class:`~twistcoach.metrics.Observation` values (smoothed metrics with
their confidence, pose family and camera view) and pain reports, and answers with lists of
frozen :class:`Cue` (something to say to the person) and :class:`Event` (something to record)
values, in the order they happen. Every cue carries the id of the rule that produced it and
a plain-language reason. The rules, thresholds and texts live in ``rules/coaching.yaml``.

Angles follow DESIGN.md ("The twist, measured"): the knee drop is in degrees, positive
towards the person's right. The coach works on the knee drop *relative to the calibrated
neutral position* and compares its magnitude against the personal cap, so an overshoot to
the wrong side is also "over the cap".

States (:class:`CoachState`)::

    waiting_for_person -> setting_up -> calibrating -> entering -> holding -> returning
        -> switching_sides -> entering ... -> returning -> resting -> done
    any active state -> paused (tracking lost, camera view, or the person's pause) -> back
    any state before the end -> paused (frames too far apart to follow the speed,
        ``checks.FrameRate``) -> back once they come often enough again (or to the
        tracking or camera pause it took over from, which needs measured frames); the drop
        is still shown and the cap still watched ("ease back") meanwhile
    an automatic pause -> the person's own pause when they ask for one (kept until resume)
    any state -> stopped (sharp pain, pain rule, wrong pose, quit)

Safety wins: sharp pain stops at once and the stop cue is the very first output of
:meth:`Coach.report_sharp_pain`; nothing is emitted after a stop or the end.

Modules, by concept (everything public is re-exported here):

``_events``
    the states, reasons, priorities, and the :class:`Cue` and :class:`Event` values;
``_rules``
    the rules, thresholds and texts as validated data (:func:`load_coaching_rules`);
``_plan``
    :class:`CoachPlan` (variant, sides, hold, cap) and :func:`build_coach_plan`;
``_summary``
    :class:`SessionSummary`;
``_coach``
    :class:`Coach`, the state machine.
"""

from __future__ import annotations

from twistcoach.coaching._coach import (
    CAMERA_FALLBACK_ADVICE,
    Coach,
)
from twistcoach.coaching._events import (
    CoachState,
    Cue,
    Event,
    JsonScalar,
    Output,
    PauseReason,
    Priority,
    StopReason,
)
from twistcoach.coaching._plan import (
    CoachPlan,
    PlanRefusedError,
    build_coach_plan,
)
from twistcoach.coaching._rules import (
    BODY_MODELS,
    REQUIRED_CUES,
    BodyModel,
    CoachingRules,
    CueRule,
    PelvisWords,
    RulesError,
    Thresholds,
    UnderRead,
    load_coaching_rules,
    parse_coaching_rules,
)
from twistcoach.coaching._summary import (
    SessionSummary,
)

__all__ = [
    "BODY_MODELS",
    "CAMERA_FALLBACK_ADVICE",
    "REQUIRED_CUES",
    "BodyModel",
    "Coach",
    "CoachPlan",
    "CoachState",
    "CoachingRules",
    "Cue",
    "CueRule",
    "Event",
    "JsonScalar",
    "Output",
    "PauseReason",
    "PelvisWords",
    "PlanRefusedError",
    "Priority",
    "RulesError",
    "SessionSummary",
    "StopReason",
    "Thresholds",
    "UnderRead",
    "build_coach_plan",
    "load_coaching_rules",
    "parse_coaching_rules",
]
