"""Records that say what happened (issue 22, item 4).

A stop is one stop cue in the cue log; sharp pain is shown as "sharp", never as 10 (while
progression still reads it as 10); the pain trend reads every report, not per-session peaks.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from twistcoach.coaching import CoachState, build_coach_plan, load_coaching_rules
from twistcoach.metrics import BodyType
from twistcoach.session import LiveSession
from twistcoach.storage import Repository, SessionRecorder, SessionStatus
from twistcoach.storage.db import create_engine_for_url, init_db
from twistcoach.storage.progress import outcome_of
from twistcoach.tracking import TwistTracker
from twistcoach.web.services import pain_trend

_NAMES = itertools.count()


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    engine = create_engine_for_url(f"sqlite:///{tmp_path / 't.db'}")
    init_db(engine)
    return Repository(engine, clock=lambda: dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC))


def _live(repo: Repository, start_pain: int | None) -> LiveSession:
    person = repo.create_person(f"Sam {next(_NAMES)}")
    plan = build_coach_plan(
        variant_id="supine_twist_partial",
        family="supine_twist",
        status="allowed",
        max_knee_drop_deg=40.0,
        hold_s=20.0,
        sides=["both"],
    )
    recorder = SessionRecorder.start(repo, person.id, plan.variant_id, 40.0, "test", start_pain)
    return LiveSession.create(
        plan,
        tracker=TwistTracker(),
        start_pain=start_pain,
        body=BodyType.NEUTRAL,
        recorder=recorder,
        rules=load_coaching_rules(),
    )


@pytest.mark.parametrize(
    ("inputs", "stop_cue"),
    [
        ([("pain", 4), ("sharp", None)], "stop_sharp_pain"),
        ([("pain", 7)], "stop_pain_high"),
        ([("pain", 4), ("pain", 5)], "stop_pain_rise"),
        ([("quit", None)], "stop_quit"),
    ],
)
def test_one_stop_cue_per_stop(
    repo: Repository, inputs: list[tuple[str, int | None]], stop_cue: str
) -> None:
    live = _live(repo, start_pain=3)
    t = 1.0
    for kind, level in inputs:
        if kind == "pain":
            assert level is not None
            live.pain(t, level)
        elif kind == "sharp":
            live.sharp(t)
        else:
            live.quit(t)
        t += 1.0
    # Inputs after the stop change nothing (sharp pain after it does: see below).
    live.pain(t, 9)
    live.quit(t + 1)
    record = live.close(SessionStatus.STOPPED, "stopped")
    assert record is not None
    events = repo.get_session(record.id).events
    cues = [e.event_id for e in events if e.type == "cue"]
    assert cues.count(stop_cue) == 1
    assert [c for c in cues if c.startswith("stop_")] == [stop_cue]
    assert [e.event_id for e in events].count("session_stopped") == 1


@pytest.mark.parametrize("end", ["quit", "completed"])
def test_sharp_pain_after_the_end_is_stored_as_a_sharp_pain_stop(
    repo: Repository, end: str
) -> None:
    """Sharp pain felt coming out of the twist (reported after the person quit, or after
    the session was done but before it was closed) stops it for sharp pain: stored, so
    planning locks the rest of the day."""
    live = _live(repo, start_pain=2)
    if end == "quit":
        live.quit(1.0)
    else:
        live.coach.state = CoachState.DONE  # as the coach leaves it when every side is held
    assert live.finished
    out = live.sharp(2.0)
    assert out and out[0].id == "stop_sharp_pain"
    assert live.sharp(2.5) == []  # once
    record = live.close(SessionStatus.STOPPED, "stopped")
    assert record is not None
    assert (record.status, record.stop_reason) == ("stopped", "sharp_pain")
    summary = repo.get_session(record.id).summary
    assert summary.sharp_pain
    outcome = outcome_of(summary)
    assert outcome is not None and outcome.stopped_reason == "sharp_pain"


def test_sharp_pain_is_shown_as_sharp_and_counted_as_ten(repo: Repository) -> None:
    live = _live(repo, start_pain=3)
    live.pain(1.0, 4)
    live.sharp(2.0)
    record = live.close(SessionStatus.STOPPED, "stopped")
    assert record is not None
    summary = repo.get_session(record.id).summary
    # Shown as said: "4", then "sharp"; never "4 -> 10".
    assert summary.pain_labels == ("4", "sharp")
    assert summary.reported_levels == (4,)
    assert summary.to_json()["pain_reports"] == [4, "sharp"]
    assert 10 not in summary.to_json()["pain_reports"]
    # Progression's input is unchanged: sharp pain weighs as 10.
    assert summary.pain_reports == (4, 10)
    assert summary.max_pain == 10
    outcome = outcome_of(summary)
    assert outcome is not None
    assert (outcome.max_pain, outcome.stopped_reason) == (10, "sharp_pain")


def test_a_real_ten_stays_a_number(repo: Repository) -> None:
    live = _live(repo, start_pain=9)
    live.pain(1.0, 10)
    record = live.close(SessionStatus.STOPPED, "stopped")
    assert record is not None
    summary = repo.get_session(record.id).summary
    assert summary.pain_labels == ("10",)
    assert summary.to_json()["pain_reports"] == [10]
    assert summary.sharp_pain is False


def test_pain_trend_reads_every_report(repo: Repository) -> None:
    # A student who reported 3 then 5 in one session (no starting pain given).
    live = _live(repo, start_pain=None)
    live.pain(1.0, 3)
    live.pain(2.0, 5)
    record = live.close(SessionStatus.STOPPED, "stopped")
    assert record is not None
    summaries = [repo.get_session(record.id).summary]
    assert pain_trend(summaries) == "rising"


def test_pain_trend_across_sessions_and_without_reports(repo: Repository) -> None:
    assert pain_trend([]) == "no data"
    firsts = []
    for start, report in ((5, 4), (3, None)):
        live = _live(repo, start_pain=start)
        if report is not None:
            live.pain(1.0, report)
        record = live.close(SessionStatus.COMPLETED, "done")
        assert record is not None
        firsts.append(repo.get_session(record.id).summary)
    assert pain_trend(firsts) == "falling"
    assert pain_trend(firsts[1:]) == "no data" or pain_trend(firsts[1:]) == "steady"


def test_pain_said_at_or_after_the_end_is_recorded(repo: Repository) -> None:
    """Pain said at the moment of a stop (sharp pain first) or after the person quit is
    stored: the highest pain is what history, the clinician's report and the next cap
    read (it was dropped without a word)."""
    live = _live(repo, start_pain=3)
    live.sharp(5.0)
    out = live.pain(5.0, 9)
    assert [o.id for o in out] == ["pain_reported"]
    record = live.close(SessionStatus.STOPPED, "stopped")
    assert record is not None and record.stop_reason == "sharp_pain"
    summary = repo.get_session(record.id).summary
    assert 9 in summary.pain_reports and summary.sharp_pain
    assert record.end_pain == 9
    with pytest.raises(ValueError, match="0-10"):
        _live(repo, start_pain=3).pain(1.0, 11)
