"""Words people read for values stored as ids (``rules/wording.yaml``), for every surface.

The web pages, the CLI's tables and the reports show these words, never the ids: a stop
reason, a session status, a coach state, an event, an intake choice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from twistcoach.coaching import Coach

from twistcoach.metrics import degrees_text


@dataclass(frozen=True)
class Wording:
    """Words people read for values stored as ids (``rules/wording.yaml``).

    Attributes
    ----------
    stop_reasons, session_status, states, events, pause_reasons, camera_views
        id -> plain words (``events`` are templates taking the event's stored values).
    activity, leg_symptoms
        The intake's choices in plain words.
    cue_situations
        When a pose's cue is said (``poses.schema.CueWhen``), in plain words: the pose
        library's cue tables show these, never the id.
    pose_features
        A pose's features that the screening rules look at
        (``poses.schema.ContraindicationTag``), in plain words.
    pain_rule
        Pain during practice, said the same way on the plan and by the coach.
    plan_status
        A plan's status (``screening.PlanStatus``) in plain words: why a plan holds every
        twist when it gives no advice of its own.
    to_the_person
        Table name (``states``, ``pause_reasons``, ``stop_reasons``) -> id -> the words said
        to the person themself where the table's own words are for staff ("you paused it",
        not "the student paused"); see :data:`Reader`.
    """

    stop_reasons: Mapping[str, str]
    session_status: Mapping[str, str]
    states: Mapping[str, str]
    events: Mapping[str, str]
    pause_reasons: Mapping[str, str]
    camera_views: Mapping[str, str]
    activity: Mapping[str, str]
    leg_symptoms: Mapping[str, str]
    cue_situations: Mapping[str, str]
    pose_features: Mapping[str, str]
    pain_rule: str
    plan_status: Mapping[str, str] = field(default_factory=dict)
    to_the_person: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def table(self, name: str, reader: Reader = "staff") -> Mapping[str, str]:
        """The words of one table (``states``, ``pause_reasons``, ``stop_reasons``) for
        ``reader``: the person's own words where the file has them, else the staff's."""
        words: Mapping[str, str] = getattr(self, name)
        if reader == "person" and self.to_the_person.get(name):
            return {**words, **self.to_the_person[name]}
        return words


#: Who reads a value's words: ``staff`` (a teacher or clinician reading a student's
#: timeline: "the student paused") or ``person`` (the person themself, running the coach:
#: "you paused it").
Reader = Literal["staff", "person"]


#: The file :func:`wording` reads (under :func:`twistcoach.rulefiles.data_root`).
WORDING_FILE = "rules/wording.yaml"


@lru_cache(maxsize=1)
def wording() -> Wording:
    """Load ``rules/wording.yaml`` once; every enum value must have its words.

    Raises
    ------
    twistcoach.errors.RuleFileError
        When the file is broken, or a stop reason, status, state, pause reason, camera view,
        intake choice or cue situation has no words.
    """
    from twistcoach.rulefiles import load_packaged

    return load_packaged(WORDING_FILE, _parse_wording)


def _parse_wording(data: Any) -> Wording:
    """The parsed wording file as :class:`Wording` (``ValueError``, ``KeyError`` or
    ``TypeError`` when something is missing: :func:`~twistcoach.rulefiles.load_packaged`
    names the file)."""
    from twistcoach.coaching import CoachState, PauseReason, StopReason
    from twistcoach.intake import Activity, LegSymptoms
    from twistcoach.metrics import View
    from twistcoach.poses.schema import ContraindicationTag, CueWhen
    from twistcoach.screening import PlanStatus
    from twistcoach.storage.models import SessionStatus

    if not isinstance(data, Mapping):
        raise ValueError("expected a mapping of word tables")
    maps = {
        key: {str(k): " ".join(str(v).split()) for k, v in dict(data[key]).items()}
        for key in (
            "stop_reasons",
            "session_status",
            "states",
            "events",
            "pause_reasons",
            "camera_views",
            "activity",
            "leg_symptoms",
            "cue_situations",
            "pose_features",
            "plan_status",
        )
    }
    needed: dict[str, Sequence[str]] = {
        "stop_reasons": [r.value for r in StopReason],
        "session_status": [s.value for s in SessionStatus],
        "states": [s.value for s in CoachState],
        "pause_reasons": [r.value for r in PauseReason],
        "camera_views": [v.value for v in View] + ["front", "diagonal", "overhead"],
        "activity": [a.value for a in Activity],
        "leg_symptoms": [s.value for s in LegSymptoms],
        "cue_situations": [w.value for w in CueWhen],
        "pose_features": [f.value for f in ContraindicationTag],
        "plan_status": [s.value for s in PlanStatus],
    }
    for key, values in needed.items():
        missing = sorted(set(values) - set(maps[key]))
        if missing:
            raise ValueError(f"{key} has no words for {', '.join(missing)}")
    person: dict[str, dict[str, str]] = {}
    for key, table in dict(data.get("to_the_person") or {}).items():
        if key not in ("states", "pause_reasons", "stop_reasons"):
            raise ValueError(f"to_the_person has no table {key!r}")
        unknown = sorted(set(map(str, dict(table))) - set(maps[key]))
        if unknown:  # a typo would silently leave the staff's words in place
            raise ValueError(f"to_the_person.{key} names unknown values {', '.join(unknown)}")
        person[key] = {str(k): " ".join(str(v).split()) for k, v in dict(table).items()}
    return Wording(**maps, pain_rule=" ".join(str(data["pain_rule"]).split()), to_the_person=person)


def stop_words(reason: str | None, reader: Reader = "staff") -> str:
    """Why a session stopped, in plain words ("" when it did not stop early), for
    ``reader`` (:data:`Reader`)."""
    if not reason:
        return ""
    if reason.startswith("recording failed"):  # "recording failed: OSError" (recorder.py)
        reason = "recording_failed"
    return wording().table("stop_reasons", reader).get(reason, reason.replace("_", " "))


def pause_words(reason: str | None, reader: Reader = "staff") -> str:
    """Why coaching paused (``coaching.PauseReason``), in plain words ("" for none), for
    ``reader`` (:data:`Reader`)."""
    if not reason:
        return ""
    return wording().table("pause_reasons", reader).get(reason, reason.replace("_", " "))


def plan_status_words(status: str) -> str:
    """A plan's status in plain words ("a healthcare professional needs to check your back
    first", never ``see_clinician_first``): why a plan that gives no advice holds every
    twist."""
    from twistcoach.planning.rules import plan_status_words as words

    wording()  # the whole file checked, as for every other table
    return words(status)


def step_words(coach: Coach, reader: Reader = "person") -> str:
    """The coach's current step as a display labels it ("Hold (right)", "Paused: you
    paused it"), in English (translate it where it is shown).

    The coach's own :attr:`~twistcoach.coaching.Coach.step_text` cannot read this file, so
    a pause or a stop there is its reason's id spaced ("Paused: user"); here the reason is
    said in the words a session's timeline gives it (:func:`pause_words`,
    :func:`stop_words`), worded for ``reader``: the desktop coach's window and the practice
    page are read by the person practising.
    """
    from twistcoach.coaching import CoachState

    if coach.state is CoachState.PAUSED and coach.pause_reason is not None:
        return f"Paused: {pause_words(coach.pause_reason.value, reader)}"
    if coach.state is CoachState.STOPPED and coach.stopped_reason is not None:
        return f"Stopped: {stop_words(coach.stopped_reason.value, reader)}"
    return coach.step_text


def over_cap_words(seconds: float) -> str:
    """The time a session spent over the cap in plain English words, for every surface (the
    web's session list, ``twistcoach sessions`` and ``sessions show``): ``"3 seconds over the
    cap"``; ``""`` for none. Translated where it is shown (``t``, the ``| t`` filter).

    Whole seconds; a moment over it shorter than half a second reads ``1 second``, never
    ``0 seconds`` beside a flag that says it was over.
    """
    from twistcoach.i18n import ngettext

    if seconds <= 0:
        return ""
    n = max(1, round(seconds))
    return ngettext("{n} second over the cap", "{n} seconds over the cap", n).format(n=n)


def status_words(status: str) -> str:
    """A session's status in plain words."""
    return wording().session_status.get(status, status.replace("_", " "))


def cue_situation_words(when: str) -> str:
    """When a pose's cue is said, in plain words ("if you move too fast", never
    ``too_fast``): the pose library's cue table on every surface."""
    return wording().cue_situations.get(str(when), str(when).replace("_", " "))


def pose_feature_words(tag: str) -> str:
    """A pose's feature that the screening rules look at, in plain words ("turns while
    bending forward", never ``flexion_with_rotation``)."""
    return wording().pose_features.get(str(tag), str(tag).replace("_", " "))


def view_words(view: str) -> str:
    """Where the camera was, in plain words ("from above", never ``top_down``)."""
    return wording().camera_views.get(str(view), str(view).replace("_", " "))


def family_words(family: str) -> str:
    """A pose family in plain words, as the coach says it ("supine twist"): every report and
    summary names it so, never by its stored id ("another pose" for ``other``: "it looks
    like other" said nothing)."""
    return "another pose" if str(family) == "other" else str(family).replace("_", " ")


def signed_degrees(value: float, unit: str = "deg") -> str:
    """``"+35 deg"``, ``"-12 deg"``, and ``"0 deg"`` for anything that rounds to zero (a
    reading of -0.4 printed "-0 deg" on the gauge): :func:`twistcoach.metrics.degrees_text`
    with its sign and a unit."""
    return f"{degrees_text(value, signed=True)} {unit}"


def choice_words(field: str, value: str) -> str:
    """An intake choice in plain words: the wording file's, a red flag's question or a
    condition's description (the CLI's own plain questions), else the value spaced."""
    from twistcoach.intake import (
        CONDITION_DESCRIPTIONS,
        RED_FLAG_QUESTIONS,
        Condition,
        RedFlag,
    )

    words = wording()
    if field == "activity":
        return words.activity.get(value, value)
    if field == "leg_symptoms":
        return words.leg_symptoms.get(value, value)
    if field == "red_flags" and value in RedFlag.__members__.values():
        return RED_FLAG_QUESTIONS[RedFlag(value)]
    if field == "conditions" and value in Condition.__members__.values():
        text = CONDITION_DESCRIPTIONS[Condition(value)]
        return text[:1].upper() + text[1:]
    return value.replace("_", " ")


#: What each kind of timeline row is called where it is shown.
TIMELINE_KINDS = {"cue": "Coach", "pain": "Pain", "stop": "Stop", "event": "Event"}


@dataclass(frozen=True)
class TimelineRow:
    """One line of a session's timeline, in plain words.

    Attributes
    ----------
    t
        Seconds from the session's start.
    kind
        ``cue`` (what the coach said), ``pain``, ``stop`` or ``event``.
    text
        What happened, for people.
    safety
        A safety cue or a stop (shown in red).
    """

    t: float
    kind: str
    text: str
    safety: bool = False


def event_words(
    event_id: str, data: Mapping[str, Any], fallback: str, reader: Reader = "staff"
) -> str:
    """A coach event in plain words (``rules/wording.yaml``'s ``events``), in English: the
    words a session's timeline (web and ``twistcoach sessions show``) and the desktop
    coach's ``--headless`` lines give it, never an id.

    Parameters
    ----------
    event_id
        The event's id (``session_started``).
    data
        The values stored with it: a variant id becomes the pose library's name for it
        (:meth:`~twistcoach.poses.schema.PoseLibrary.name_of`), a stop or pause reason and a
        coach state their words, a number a whole number (never "-0").
    fallback
        Said for an event the wording file has no words for.
    reader
        Who reads it (:data:`Reader`): ``person`` where the person runs the coach themself
        (the ``--headless`` lines: "Coaching paused: you paused it"), ``staff`` on a
        timeline ("the student paused").
    """
    words = wording()
    stops = words.table("stop_reasons", reader)
    pauses = words.table("pause_reasons", reader)
    states = words.table("states", reader)
    template = words.events.get(event_id)
    if template is None:
        return fallback
    values: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, float):
            values[key] = degrees_text(value)
        else:
            values[key] = str(value)
    if "reason" in values:
        reason = values["reason"]
        values["reason"] = stops.get(reason, pauses.get(reason, reason.replace("_", " ")))
    for key in ("from", "to"):  # a state change's states (coaching.CoachState)
        if key in values:
            values[key] = states.get(values[key], values[key].replace("_", " "))
    if "variant" in values and "{variant}" in template:
        from twistcoach.poses import load_library

        values["variant"] = load_library().name_of(values["variant"])
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template.split(":")[0].split("{")[0].strip()


def timeline(events: Sequence[Any], reader: Reader = "staff") -> list[TimelineRow]:
    """A session's stored events as a readable timeline: what the coach said, pain reports,
    notable events and the stop in plain words (the state machine's own changes are left
    out: the cues already say them). The web's session page and ``twistcoach sessions
    show`` print it; :data:`TIMELINE_KINDS` names each row's kind. ``reader``
    (:data:`Reader`): ``person`` where the student reads their own session ("you paused
    it"), ``staff`` otherwise ("the student paused it")."""
    rows: list[TimelineRow] = []
    for e in events:
        data: Mapping[str, Any] = e.data if isinstance(e.data, Mapping) else {}
        if e.type == "cue":
            rows.append(TimelineRow(e.t, "cue", e.text, data.get("priority") == "safety"))
        elif e.type == "pain":
            level = data.get("level")
            text = (
                f"Pain reported: {level} out of 10"
                if isinstance(level, int)
                else event_words(e.event_id, data, "Pain reported", reader)
            )
            rows.append(TimelineRow(e.t, "pain", text, e.event_id == "sharp_pain"))
        elif e.event_id == "state_changed":
            continue
        elif e.event_id == "session_stopped":
            rows.append(
                TimelineRow(e.t, "stop", event_words(e.event_id, data, e.text, reader), True)
            )
        elif e.event_id == "pain_reported":
            continue  # the pain row already says it
        else:
            text = event_words(e.event_id, data, e.text, reader)
            rows.append(TimelineRow(e.t, "event", text))
    return rows
