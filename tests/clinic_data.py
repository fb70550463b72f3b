"""Test data for the clinician exports: the demo people plus a sharp-pain stop for Alex
whose knee drop the camera never measured (helpers, not tests)."""

from __future__ import annotations

from pathlib import Path

from twistcoach.storage import Repository, SampleRecord, SessionStatus, open_repository
from twistcoach.storage.db import create_engine_for_url
from twistcoach.storage.demo import seed_demo

SHARP_CAP_DEG = 45.0


def add_sharp_unmeasured_session(repo: Repository, person_id: int) -> int:
    """A session held on the right with every sample unmeasured, stopped by sharp pain."""
    session = repo.start_session(
        person_id, "supine_twist_supported", SHARP_CAP_DEG, "test", start_pain=2
    )
    sid = session.id
    repo.add_event(sid, 0.0, "event", "session_started", "started", {"body_model": "neutral"})
    repo.add_event(sid, 5.0, "event", "paused", "paused", {"reason": "camera_view"})
    repo.add_event(
        sid, 10.0, "event", "hold_started", "holding", {"side": "right", "cap_deg": SHARP_CAP_DEG}
    )
    for t in range(21):
        repo.add_sample(
            sid,
            SampleRecord(
                t=float(t),
                knee_drop=None,
                pelvis_roll=None,
                shoulder_roll=None,
                twist=None,
                speed=None,
                confidence=0.1,
                cap=SHARP_CAP_DEG,
            ),
        )
    repo.add_event(sid, 20.0, "event", "session_stopped", "stopped", {"reason": "sharp_pain"})
    repo.add_pain(sid, 20.0, None, sharp=True)
    repo.end_session(sid, SessionStatus.STOPPED, "sharp_pain", None)
    return sid


def make_clinic_db(folder: Path) -> tuple[str, dict[str, int]]:
    """A seeded SQLite database: its URL and the ids (``sam``, ``alex``, ``alex_sharp``)."""
    url = f"sqlite:///{folder / 'clinic.db'}"
    repo = open_repository(create_engine_for_url(url))
    ids = seed_demo(repo)
    ids["alex_sharp"] = add_sharp_unmeasured_session(repo, ids["alex"])
    repo.engine.dispose()
    return url, ids
