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
    # Worded for the person running the coach, never for staff ("the student").
    assert said["paused"] == "Coaching paused: the camera cannot see you well enough"
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


#: The staff's words for a student ("the student", "el alumno"), never said to the person.
STAFF_WORDS = re.compile(r"\bstudent\b|\balumn[oa]\b", re.IGNORECASE)


def test_headless_lines_speak_to_the_person_not_about_a_student(language: None) -> None:
    """The person runs the desktop coach themself: a pause, a quit and the wait for them say
    "you" (the timeline's staff words said "the student paused")."""
    coach = Coach(make_plan(), RULES, start_pain=2)
    out: list[Output] = feed(coach, [obs(0.0, None, person=False)])
    out += feed(coach, ramp(0.5, 3.0, 0.0, 0.0, person=False))
    out += feed(coach, ramp(3.0, 5.6, 0.0, 0.0))
    out += coach.pause(6.0) + coach.resume(7.0)
    lost, _ = holding_coach()
    out += feed(lost, [obs(round(13.5 + i * 0.1, 3), None, person=False) for i in range(15)])
    out += coach.quit(8.0)
    events = [o for o in out if isinstance(o, Event)]
    reasons = {str(e.data.get("reason")) for e in events if e.id == "paused"}
    assert reasons >= {"user", "tracking_lost"}
    assert any(e.id == "session_stopped" and e.data.get("reason") == "quit" for e in events)
    for lang in ("en", "es"):
        i18n.set_language(lang)
        for line in map(headless_message, events):
            assert not STAFF_WORDS.search(str(line["text"])), (lang, line)
    i18n.set_language("en")
    said = [str(headless_message(e)["text"]) for e in events]
    assert "Coaching paused: you paused it" in said
    assert "Session stopped: you ended it" in said
    i18n.set_language("es")
    said = [str(headless_message(e)["text"]) for e in events]
    assert "Guía en pausa: usted la ha pausado" in said
    # The web's timeline, read by staff, keeps its words about the student.
    user_pause = next(e for e in events if e.data.get("reason") == "user")
    assert event_words(user_pause.id, user_pause.data, "-") == "Coaching paused: the student paused"


def test_the_windows_step_says_a_pause_or_stop_in_words(language: None) -> None:
    """The window's step label said the reason's id spaced ("Paused: user", "Stopped: pain
    high"), in English whatever --lang said."""
    from twistcoach.wording import step_words

    paused = Coach(make_plan(), RULES, start_pain=2)
    feed(paused, ramp(0.0, 3.0, 0.0, 0.0, person=False))
    paused.pause(3.5)
    assert paused.step_text == "Paused: user"  # the coach's own label, unread by people
    high, _ = holding_coach()
    high.report_pain(14.0, 8)
    lost, _ = holding_coach()
    feed(lost, [obs(round(13.5 + i * 0.1, 3), None, person=False) for i in range(15)])
    i18n.set_language("en")
    assert step_words(paused) == "Paused: you paused it"
    assert step_words(high) == "Stopped: pain went above 5 out of 10"
    assert step_words(lost) == "Paused: the camera cannot see you well enough"
    assert step_words(holding_coach()[0]) == "Hold (right)"
    i18n.set_language("es")
    assert i18n.t(step_words(paused)) == "En pausa: usted la ha pausado"
    assert i18n.t(step_words(high)) == "Detenida: el dolor pasó de 5 sobre 10"
    for coach in (paused, high, lost):
        label = i18n.t(step_words(coach))
        assert not SNAKE.search(label) and not STAFF_WORDS.search(label), label


def test_the_window_draws_the_steps_words_and_its_cap_through_degrees_text(
    language: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What compose_window hands the overlay: the step in words (the --lang language), the
    cap through metrics.degrees_text (it wrote f"{cap:g}")."""
    import numpy as np

    from twistcoach.cli import coach_window
    from twistcoach.cli.coach_window import cap_text

    assert cap_text(35.0) == "35" and cap_text(37.5) == "37.5" and cap_text(-0.0) == "0"
    drawn: dict[str, object] = {}

    def fake_overlay(frame: np.ndarray, **kwargs: object) -> np.ndarray:
        drawn.update(kwargs)
        return frame

    monkeypatch.setattr("twistcoach.overlay.draw_overlay", fake_overlay)
    coach = Coach(make_plan(), RULES, start_pain=2)
    feed(coach, ramp(0.0, 3.0, 0.0, 0.0, person=False))
    coach.pause(3.5)
    coach.personal_cap_deg = -0.0  # a cap a hair under zero read "-0 deg"
    frame = np.zeros((72, 128, 3), np.uint8)
    i18n.set_language("es")
    coach_window.compose_window(frame, None, None, coach, size=None)
    assert drawn["step"] == "En pausa: usted la ha pausado"
    numbers = drawn["numbers"]
    assert isinstance(numbers, dict)
    assert numbers["límite"] == "0°", numbers
    assert set(numbers) == {"dolor", "límite", "torsión"}, numbers
