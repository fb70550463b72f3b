"""A student reading their own session reads its events said to them ("you paused it"), the
staff said about the student ("the student paused"); and the session list says the time over
the cap in seconds from the samples' own times, as ``twistcoach sessions`` does."""

from __future__ import annotations

import html

from test_web_safety import World, signin, student, world
from twistcoach.storage import SampleRecord

__all__ = ["world"]  # the fixture, re-exported for pytest


def _session(world: World, person_id: int) -> int:
    """A session stopped by the student, paused by them once, over its 30° cap for 2 s
    (four samples half a second apart)."""
    repo = world.repo
    s = repo.start_session(person_id, "supine_twist_supported", 30.0, "test", start_pain=2)
    for t, drop in ((0.0, 35.0), (0.5, 36.0), (1.0, 34.0), (1.5, 33.0), (2.0, 10.0)):
        repo.add_sample(s.id, SampleRecord(t, drop, 2.0, 0.0, 2.0, 0.0, 0.9, 30.0))
    repo.add_event(s.id, 1.0, "event", "paused", "paused", {"reason": "user"})
    repo.add_event(s.id, 2.5, "event", "session_stopped", "stopped", {"reason": "quit"})
    repo.end_session(s.id, "stopped", "quit", 2)
    return s.id


def _text(page: str) -> str:
    return " ".join(html.unescape(page).split())


def test_the_student_reads_their_own_session_in_their_words(world: World) -> None:
    c, _, person_id = student(world)
    sid = _session(world, person_id)
    own = _text(c.get(f"/sessions/{sid}").text)
    assert "you paused it" in own and "you ended it" in own, own
    assert "the student paused" not in own
    history = _text(c.get("/history").text)
    assert "you ended it" in history, history
    assert "2 seconds over the cap" in history and "4 s over" not in history, history
    spanish = _text(c.get("/history?lang=es").text)
    assert "2 segundos por encima del límite" in spanish, spanish
    # The teacher reads the same session about the student.
    teacher, _ = signin(world, "teacher@example.org")
    staff = _text(teacher.get(f"/sessions/{sid}").text)
    assert "the student paused" in staff and "you paused it" not in staff, staff
    roster = _text(teacher.get(f"/students/{person_id}").text)
    assert "2 seconds over the cap" in roster, roster
