"""``twistcoach coach --headless``: what its JSON lines say to people (no video needed).

Each line's ``text`` is for people: plain words in the chosen language, the twist by the
pose library's name; the ids (the event's, the variant's, a reason's, a rule's) stay in
their own fields for programs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from test_coaching import RULES, Person, feed, holding_coach, make_plan, obs, ramp
from twistcoach import i18n
from twistcoach.cli.coach_cmd import headless_message
from twistcoach.coaching import Coach, Event, Output
from twistcoach.poses import load_library
from twistcoach.wording import event_words

#: A snake_case id ("supine_twist_partial", "sharp_pain", "waiting_for_person").
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
#: A rule id ("COACH-STOP-SHARP", "SAFE-PLAN-HOLD", "SCR-...").
RULE = re.compile(r"\b[A-Z]{2,}-[A-Z0-9-]+\b")


@pytest.fixture()
def language() -> Iterator[None]:
    """The command line's language goes back to English after the test."""
    yield
    i18n.set_language("en")


def _every_kind_of_event() -> list[Output]:
    """A happy session on both sides, then one that pauses (tracking lost), resumes, has a
    pain rise (the cap lowered) and stops for sharp pain: every event the coach makes but
    ``side_changed`` and ``hold_ended_early``."""
    happy = Coach(make_plan(cap=40.0, hold=20.0), RULES, start_pain=2)
    out = Person(happy, target=20.0).run(until=120.0)
    coach, more = holding_coach()
    more += feed(coach, [obs(round(13.5 + i * 0.1, 3), None, person=False) for i in range(15)])
    more += feed(coach, ramp(15.0, 16.5, 25.0, 25.0))
    more += coach.report_pain(17.0, 3)
    more += coach.report_sharp_pain(18.0)
    return out + more


def test_headless_event_texts_name_the_twist_and_carry_no_ids(language: None) -> None:
    outputs = _every_kind_of_event()
    events = [o for o in outputs if isinstance(o, Event)]
    ids = {e.id for e in events}
    assert ids >= {
        "session_started",
        "state_changed",
        "calibrated",
        "side_started",
        "hold_started",
        "hold_completed",
        "session_done",
        "paused",
        "resumed",
        "pain_reported",
        "cap_lowered",
        "session_stopped",
    }
    name = load_library().name_of("supine_twist_partial")
    for lang in ("en", "es"):
        i18n.set_language(lang)
        lines = [headless_message(o) for o in outputs]
        for line in lines:
            text = str(line["text"])
            assert text and not SNAKE.search(text) and not RULE.search(text), (lang, line)
        started = next(x for x in lines if x["id"] == "session_started")
        # The id stays in its own field; the text names the twist as the web does.
        assert started["variant"] == "supine_twist_partial"
        assert i18n.t(name) in str(started["text"]), started
        stopped = next(x for x in lines if x["id"] == "session_stopped")
        assert stopped["reason"] == "sharp_pain" and stopped["rule"] == "COACH-STOP-SHARP"
    i18n.set_language("en")
    said = {str(x["id"]): str(x["text"]) for x in map(headless_message, events)}
    assert said["session_started"] == f"Session started: {name}; range up to 40°"
    assert said["session_stopped"] == "Session stopped: sharp pain"
    assert said["paused"] == ("Coaching paused: the camera could not see the student well enough")
    # Every event has words of its own (none falls back to the coach's own text).
    for event in events:
        assert event_words(event.id, event.data, "-") != "-", event.id
    # In Spanish the events are translated too (they were English whatever --lang said).
    i18n.set_language("es")
    spanish = headless_message(next(e for e in events if e.id == "session_stopped"))
    assert spanish["text"] == "Sesión detenida: dolor punzante"


def test_the_coachs_own_event_texts_carry_no_ids_and_no_minus_zero() -> None:
    """The texts stored with a session (its JSON, the API) say no id either; a neutral a
    hair left of zero reads 0.0, never -0.0."""
    coach = Coach(make_plan(), RULES, start_pain=2)
    out = feed(coach, ramp(0.0, 2.5, 0.0, 0.0, person=False))
    out += feed(coach, ramp(2.5, 5.1, -0.04, -0.04))
    out += coach.pause(6.0) + coach.report_sharp_pain(7.0)
    texts = {o.id: o.text for o in out if isinstance(o, Event)}
    assert texts["calibrated"] == "neutral knee drop 0.0 degrees"
    assert texts["session_started"] == "session started, cap 40 degrees"
    assert texts["paused"] == "coaching paused: user"
    assert texts["session_stopped"] == "session stopped: sharp pain"
    for event in (o for o in out if isinstance(o, Event)):
        assert not SNAKE.search(event.text), event
