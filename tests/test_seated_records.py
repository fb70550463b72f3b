"""What a person, teacher or clinician reads about a seated twist names its measure, the
trunk rotation (issue 20): the coach's events, the stored session's plot, the progress
chart and the FHIR hold observation. The stored columns stay as they are (no migration):
``SessionRecord.measure`` reads the measure from the variant's family."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from clinic_data import make_clinic_db
from test_seated_coach import entering, feed, ramp
from twistcoach.cli.app import build_app
from twistcoach.coaching import Event
from twistcoach.export import gather
from twistcoach.export.fhir import build_bundle
from twistcoach.intake import load_intake
from twistcoach.storage import SampleRecord, SessionStatus, open_repository
from twistcoach.storage.db import create_engine_for_url
from twistcoach.storage.plot import plot_session
from twistcoach.storage.records import variant_measure
from twistcoach.web import domain

SEATED = "seated_twist_easy"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_the_seated_coach_events_name_the_trunk_rotation() -> None:
    coach, out = entering()
    (calibrated,) = [o for o in out if isinstance(o, Event) and o.id == "calibrated"]
    assert "trunk rotation" in calibrated.text and "knee" not in calibrated.text
    # Turn right, settle into the hold, then come back before its end.
    out = feed(coach, ramp(5.0, 9.0, 0.0, 12.0))
    out += feed(coach, ramp(9.0, 13.0, 12.0, 12.0))
    assert any(isinstance(o, Event) and o.id == "hold_started" for o in out)
    out += feed(coach, ramp(13.0, 14.0, 12.0, 0.0))
    out += feed(coach, ramp(14.0, 15.0, 0.0, 0.0))
    (early,) = [o for o in out if isinstance(o, Event) and o.id == "hold_ended_early"]
    assert "chest came back" in early.text and "knee" not in early.text


def test_a_variant_says_what_its_sessions_measured() -> None:
    assert variant_measure(SEATED) == "trunk_rotation"
    assert variant_measure("standing_twist_revolved_triangle") == "trunk_rotation"
    assert variant_measure("supine_twist_partial") == "knee_drop"
    assert variant_measure("a_variant_since_removed") == "knee_drop"


def _seated_session(url: str) -> tuple[int, int]:
    """Robin (no back condition, the easy seated twist allowed) and a seated session held on
    the right at a measured 14-16 deg of trunk rotation: (person id, session id)."""
    repo = open_repository(create_engine_for_url(url))
    person_id = repo.create_person("Robin").id
    repo.save_intake(person_id, load_intake(EXAMPLES / "01_ready_no_back_pain.yaml"))
    session = repo.start_session(person_id, SEATED, 22.0, "test", start_pain=2)
    sid = session.id
    repo.add_event(sid, 0.0, "event", "session_started", "started", {"body_model": "neutral"})
    repo.add_event(sid, 3.0, "event", "hold_started", "holding", {"side": "right", "cap_deg": 22})
    for t in range(15):
        value = None if t < 2 else 14.0 + (t % 3)
        repo.add_sample(
            sid,
            SampleRecord(
                t=float(t),
                knee_drop=value,
                pelvis_roll=None,
                shoulder_roll=None,
                twist=value,
                speed=0.0,
                confidence=0.9 if value is not None else 0.1,
                cap=22.0,
            ),
        )
    repo.add_event(sid, 13.0, "event", "hold_completed", "done", {"side": "right", "hold_s": 10})
    repo.end_session(sid, SessionStatus.COMPLETED, None, 2)
    repo.engine.dispose()
    return person_id, sid


def test_a_stored_seated_session_is_read_as_trunk_rotation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ids = make_clinic_db(tmp_path)
    robin, sid = _seated_session(url)
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", url)
    result = CliRunner().invoke(build_app(), ["sessions", "show", str(sid)])
    assert result.exit_code == 0, result.stderr
    assert "largest trunk rotation 16°" in result.stdout
    assert "knee" not in result.stdout.lower()
    result = CliRunner().invoke(build_app(), ["progress", "--person", "Robin"])
    assert result.exit_code == 0, result.stderr
    assert "allowed now, trunk rotation up to 22°" in result.stdout  # its cap in its measure
    repo = open_repository(create_engine_for_url(url))
    try:
        detail = repo.get_session(sid)
        assert detail.session.measure == "trunk_rotation"
        asked: list[str] = []

        def t(text: str) -> str:
            asked.append(text)
            return text

        plot_session(detail, tmp_path / "seated.png", t=t)
        assert (tmp_path / "seated.png").stat().st_size > 0
        assert "trunk rotation (°, + = right)" in asked and "trunk rotation" in asked
        assert not [a for a in asked if "knee" in a]

        bundle = build_bundle(gather(repo, robin))
        supine = build_bundle(gather(repo, ids["sam"]))
    finally:
        repo.engine.dispose()
    held = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]
        .get("identifier", [{}])[0]
        .get("value", "")
        .startswith(f"person/{robin}/session/{sid}/hold/")
    ]
    codes = {o["code"]["coding"][0]["code"] for o in held}
    assert codes == {"trunk-rotation-held", "hold-time"}
    (rotation,) = [o for o in held if o["code"]["coding"][0]["code"] == "trunk-rotation-held"]
    assert 14.0 <= rotation["valueQuantity"]["value"] <= 16.0
    assert rotation["referenceRange"][0]["high"]["value"] == 22.0
    assert "trunk-rotation error" in rotation["note"][0]["text"]
    assert "knee" not in str(rotation).lower()
    # Supine sessions keep their knee-drop code.
    assert any(
        e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "knee-drop-held"
        for e in supine["entry"]
    )


def test_a_stored_session_shows_the_cues_a_pelvis_free_plan_was_given(tmp_path: Path) -> None:
    """Pregnancy at 24 weeks with a midwife's clearance: the stored session's page (its
    timeline, each row through the page's ``t`` filter) shows the cues as they were said,
    "let your hips turn with you" and never "hips square", in English and in Spanish."""
    from test_seated_coach import planned, said_in_a_session
    from twistcoach.i18n import translator
    from twistcoach.storage.recorder import SessionRecorder

    coach_plan = planned("12_pregnancy_24_weeks_cleared.json")
    repo = open_repository(create_engine_for_url(f"sqlite:///{tmp_path / 'p.sqlite'}"))
    try:
        person = repo.create_person("Maya").id
        record = repo.start_session(person, SEATED, coach_plan.cap_deg, "test", start_pain=1)
        recorder = SessionRecorder(repo, record)
        said = said_in_a_session(coach_plan, lambda live: setattr(live, "recorder", recorder))
        recorder.flush()
        rows = [r for r in domain.timeline(repo.get_session(record.id).events) if r.kind == "cue"]
    finally:
        repo.engine.dispose()
    assert [r.text for r in rows] == [c.text for c in said]
    shown = [r.text for r in rows if "turn with you" in r.text]
    assert len(shown) >= 3  # set-up, entering, form
    assert not [r.text for r in rows if "square" in r.text.lower()]
    spanish = translator("es")
    for text in shown:
        assert "giren con usted" in spanish.text(text), text
    assert not spanish.missed & set(shown)


def _summary(day: int, variant: str, deepest: float | None) -> Any:
    session = SimpleNamespace(
        started_at=dt.datetime(2026, 11, day, 9, 0, tzinfo=dt.UTC),
        cap_deg=20.0,
        start_pain=2,
        status="completed",
        measure=variant_measure(variant),
        time_zone=None,
    )
    return SimpleNamespace(
        session=session, max_abs_knee_drop=deepest, pain_reports=(), sharp_pain=False
    )


def test_the_progress_chart_shows_the_latest_sessions_measure_only() -> None:
    chart = domain.progress_chart(
        [
            _summary(1, "supine_twist_partial", 40.0),
            _summary(3, SEATED, 12.0),
            _summary(5, SEATED, 15.0),
        ]
    )
    assert chart is not None and chart.measure == "trunk_rotation"
    assert len(chart.points) == 2  # the supine session's knee drop is not on this axis
    assert "Furthest trunk rotation 12° to 15°" in chart.description
    assert "knee" not in chart.description.lower()
    supine = domain.progress_chart([_summary(1, "supine_twist_partial", 40.0)])
    assert supine is not None and supine.measure == "knee_drop"
    assert "Deepest knee drop 40°" in supine.description
