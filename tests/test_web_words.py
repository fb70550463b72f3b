"""The web's words for stored ids, its timeline, progress chart and pose drawing (issue 18):
pure functions of ``twistcoach.web.domain``, checked without a server."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from twistcoach.coaching import CoachState, PauseReason, StopReason
from twistcoach.intake import Activity, Condition, LegSymptoms, RedFlag
from twistcoach.storage.models import SessionStatus
from twistcoach.storage.progress import local_zone, session_started
from twistcoach.web import domain

ID = re.compile(r"\b[a-z]+_[a-z_]+\b")


def test_every_stored_id_has_words() -> None:
    words = domain.wording()
    assert set(words.stop_reasons) >= {r.value for r in StopReason}
    assert set(words.session_status) >= {s.value for s in SessionStatus}
    assert set(words.states) >= {s.value for s in CoachState}
    assert set(words.pause_reasons) >= {r.value for r in PauseReason}
    for value in [*words.stop_reasons.values(), *words.session_status.values()]:
        assert not ID.search(value), value
    assert domain.stop_words("pain_rise") == "pain rose 2 points from where it started"
    assert domain.stop_words(None) == ""
    assert domain.status_words("stopped") == "stopped early"
    # The reasons the edges store as words are said in the reader's words too (Spanish
    # history read "se detuvo por the page was closed").
    for stored in ("the page was closed", "refused", "source_ended", "replaced by a new session"):
        assert stored in words.stop_reasons, stored
    assert domain.stop_words("recording failed: OSError") == "the recording failed"
    from twistcoach import i18n

    spanish = i18n.translator("es")
    for value in words.stop_reasons.values():
        assert spanish.text(value) != value or value == "stopped", value


def test_the_pain_rule_agrees_with_the_coach() -> None:
    from twistcoach.coaching import load_coaching_rules

    th = load_coaching_rules().thresholds
    rule = domain.wording().pain_rule
    assert f"rises {th.pain_stop_rise} points from where you started" in rule
    assert f"above {th.pain_stop_above}" in rule and "sharp" in rule


def test_intake_choices_are_the_cli_questions() -> None:
    from twistcoach.intake import CONDITION_DESCRIPTIONS, RED_FLAG_QUESTIONS

    for flag in RedFlag:
        assert domain.choice_words("red_flags", flag.value) == RED_FLAG_QUESTIONS[flag]
    for condition in Condition:
        text = domain.choice_words("conditions", condition.value)
        assert text.lower() == CONDITION_DESCRIPTIONS[condition].lower()
    for value in [*Activity, *LegSymptoms]:
        field = "activity" if value in list(Activity) else "leg_symptoms"
        assert not ID.search(domain.choice_words(field, value.value))


def test_the_form_shows_whole_numbers_whole() -> None:
    shown = domain.form_values(
        {"pain_weeks": 40.0, "age": 46, "pregnancy_weeks": 2.5, "months": None, "x": "4o"}
    )
    assert shown == {"pain_weeks": 40, "age": 46, "pregnancy_weeks": 2.5, "months": None, "x": "4o"}
    assert isinstance(shown["pain_weeks"], int)


def _event(t: float, kind: str, event_id: str, text: str, **data: Any) -> Any:
    return SimpleNamespace(t=t, type=kind, event_id=event_id, text=text, data=data)


def test_timeline_is_plain_words() -> None:
    events = [
        _event(0.0, "event", "session_started", "x", variant="supine_twist_partial", cap_deg=45.0),
        _event(0.0, "event", "state_changed", "waiting_for_person -> setting_up"),
        _event(0.1, "cue", "setup", "Lie on your back.", priority="guidance"),
        _event(5.0, "pain", "pain_reported", "pain reported: 4/10", level=4),
        _event(5.0, "event", "cap_lowered", "x", from_deg=45.0, to_deg=35.0, level=4),
        _event(9.0, "cue", "stop_sharp_pain", "Stop now.", priority="safety"),
        _event(9.0, "event", "session_stopped", "x", reason="sharp_pain", rule="COACH-STOP"),
    ]
    rows = domain.timeline(events)
    texts = [r.text for r in rows]
    assert texts == [
        # The twist by the pose library's name, never its id (issue: headless ids).
        "Session started: Supine twist (part way); range up to 45°",
        "Lie on your back.",
        "Pain reported: 4 out of 10",
        "Range lowered from 45° to 35° because pain rose",
        "Stop now.",
        "Session stopped: sharp pain",
    ]
    assert [r.safety for r in rows][-2:] == [True, True]
    assert not any(ID.search(t) for t in texts)


def _summary(
    day: int,
    cap: float,
    deepest: float | None,
    start: int,
    pains: tuple[int, ...],
    status: str = "completed",
    time_zone: str | None = None,
    hour: int = 9,
) -> Any:
    session = SimpleNamespace(
        started_at=dt.datetime(2026, 11, day, hour, 0, tzinfo=dt.UTC),
        cap_deg=cap,
        start_pain=start,
        status=status,
        time_zone=time_zone,
    )
    return SimpleNamespace(
        session=session, max_abs_knee_drop=deepest, pain_reports=pains, sharp_pain=False
    )


def test_progress_chart_puts_sessions_on_a_time_axis() -> None:
    assert domain.progress_chart([]) is None
    chart = domain.progress_chart(
        [
            _summary(20, 40.0, None, 3, (5,), "stopped"),
            _summary(1, 45.0, 30.0, 2, ()),
            _summary(8, 45.0, 36.0, 2, (3,)),
        ]
    )
    assert chart is not None
    xs = [p.x for p in chart.points]
    assert xs == sorted(xs) and xs[0] == 60.0 and xs[-1] == 620.0
    # Time-proportional: the week's gap is shorter than the twelve days' gap.
    assert xs[1] - xs[0] < xs[2] - xs[1]
    assert chart.points[2].depth_y is None and chart.points[2].stopped
    assert chart.points[0].cap_y == chart.points[1].cap_y < chart.points[2].cap_y
    assert chart.points[2].max_pain_y is not None and chart.points[2].start_pain_y is not None
    assert chart.points[2].max_pain_y < chart.points[2].start_pain_y  # pain 5 above 3
    assert chart.cap_path.startswith("M 60.0") and chart.cap_path.count("V") == 2
    assert len(chart.depth_path.split()) == 2  # the unmeasured session is left out
    assert chart.description.startswith("3 sessions from 01 Nov 2026 to 20 Nov 2026. ")
    assert chart.description.endswith("; 1 session stopped early.")


def test_progress_chart_says_one_session_in_the_singular() -> None:
    """One session is "1 session", never "1 sessions", in English and in Spanish; a
    reading that rounds to zero is "0°", never "-0°"."""
    from twistcoach.i18n import translator

    one = domain.progress_chart([_summary(20, 40.0, -0.3, 3, (5,), "stopped")])
    assert one is not None
    assert one.description == (
        "1 session on 20 Nov 2026. Deepest knee drop 0°; cap 40°; 1 session stopped early."
    )
    two = domain.progress_chart([_summary(1, 45.0, None, 2, ()), _summary(8, 45.0, None, 2, ())])
    assert two is not None
    assert two.description == (
        "2 sessions from 01 Nov 2026 to 08 Nov 2026. Knee drop not measured; cap 45° in the "
        "last session; 0 sessions stopped early."
    )
    spanish = translator("es")
    assert spanish.text(one.description) == (
        "1 sesión el 20 nov 2026. Lo más que bajaron las rodillas: 0°; límite de 40°; 1 sesión "
        "terminó antes de tiempo."
    )
    assert spanish.text(two.description) == (
        "2 sesiones del 01 nov 2026 al 08 nov 2026. No se midió cuánto bajaron las rodillas; "
        "límite de 45° en la última sesión; 0 sesiones terminaron antes de tiempo."
    )


def test_sessions_are_dated_on_the_clock_they_were_practised_by() -> None:
    # 01:00 UTC on 21 Nov is 20:00 on 20 Nov in New York and 15:00 on 21 Nov in Kiritimati.
    ny = _summary(21, 45.0, 30.0, 2, (), time_zone="America/New_York", hour=1)
    assert session_started(ny.session) == dt.datetime(
        2026, 11, 20, 20, 0, tzinfo=ZoneInfo("America/New_York")
    )
    assert session_started(ny.session).strftime("%Y-%m-%d %H:%M") == "2026-11-20 20:00"
    far = _summary(21, 45.0, 30.0, 2, (), time_zone="Pacific/Kiritimati", hour=1)
    assert session_started(far.session).strftime("%Y-%m-%d %H:%M") == "2026-11-21 15:00"
    chart = domain.progress_chart([ny, _summary(10, 45.0, 30.0, 2, (), time_zone="UTC")])
    assert chart is not None
    assert [p.label for p in chart.points] == ["10 Nov", "20 Nov"]
    assert "to 20 Nov 2026" in chart.description
    # No zone said (the CLI), or one this machine does not know: this machine's clock.
    here = _summary(21, 45.0, 30.0, 2, (), hour=1)
    unknown = _summary(21, 45.0, 30.0, 2, (), time_zone="Mars/Olympus_Mons", hour=1)
    expected = dt.datetime(2026, 11, 21, 1, 0, tzinfo=dt.UTC).astimezone(local_zone())
    assert session_started(here.session) == session_started(unknown.session) == expected


@pytest.mark.parametrize(("cap", "knee"), [(0.0, (150.0, 45.0)), (90.0, (245.0, 140.0))])
def test_pose_drawing_follows_the_cap(cap: float, knee: tuple[float, float]) -> None:
    guide = domain.pose_guide("supine_twist_partial", cap)
    assert guide.knee_at_cap == knee
    assert len(guide.steps) >= 8 and guide.family == "supine_twist"
    assert domain.pose_guide("supine_twist_partial").knee_at_cap is None


def test_reasons_are_said_once_with_their_twists() -> None:
    def view(vid: str, reasons: tuple[tuple[str, str], ...]) -> domain.VariantView:
        return domain.VariantView(
            vid, vid.upper(), False, "not now", "", None, None, (), (), reasons
        )

    shared = ("Supine first.", "CLINICAL.md §3")
    groups = domain.reason_groups(
        [view("a", (shared, ("Only a.", "S"))), view("b", (shared,)), view("c", (shared,))]
    )
    assert [(g.text, g.variants) for g in groups] == [
        ("Supine first.", ("A", "B", "C")),
        ("Only a.", ("A",)),
    ]
