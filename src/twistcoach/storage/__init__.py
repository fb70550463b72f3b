"""Storage: SQLAlchemy 2 models, Alembic migrations, a repository and a session recorder.

SQLite in the user's data directory by default, PostgreSQL when
``TWISTCOACH_DATABASE_URL`` says so (see ``docs/storage.md``). Typical use::

    from twistcoach.storage import open_repository
    repo = open_repository()          # engine from settings, migrations to head,
                                      # sessions of dead processes marked interrupted
    reader = open_repository(create=False)  # commands that only read: no database, no
                                            # file made (NoDatabaseError)
    person = repo.get_or_create_person("Sam")

Nothing is connected or created at import time.
"""

from __future__ import annotations

from sqlalchemy import Engine

from twistcoach.storage._sessions import LATE_SHARP_WINDOW_S
from twistcoach.storage.db import (
    DATABASE_URL_ENV,
    NoDatabaseError,
    NotTwistcoachError,
    StorageError,
    StorageSettings,
    create_engine_for_url,
    create_engine_from_settings,
    default_sqlite_path,
    init_db,
    settings_from_env,
)
from twistcoach.storage.models import ClearanceBy, Decision, EventType, Role, SessionStatus
from twistcoach.storage.recorder import SessionRecorder, sample_from_observation
from twistcoach.storage.records import (
    AccountRecord,
    AuditRecord,
    ClearanceRecord,
    DecisionRecord,
    EventRecord,
    IntakeRecord,
    PersonRecord,
    PlanRecord,
    SampleRecord,
    SessionDetail,
    SessionRecord,
    SessionSummary,
    WithdrawalRecord,
)
from twistcoach.storage.repository import NotFoundError, Repository


def open_repository(
    engine: Engine | None = None, *, mark_interrupted: bool = True, create: bool = True
) -> Repository:
    """A ready repository: engine (default: from the environment), schema at head, and
    sessions left running by dead processes marked ``interrupted``.

    Parameters
    ----------
    engine
        The database (default: the one ``TWISTCOACH_DATABASE_URL`` names).
    mark_interrupted
        Mark the sessions of processes that died as ``interrupted``.
    create
        True for the commands that record (they make the database where there is none);
        False for those that only read: where there is no twistcoach database they raise
        :class:`NoDatabaseError` and create nothing. Either way a database that is not
        twistcoach's is refused unchanged (:class:`NotTwistcoachError`), and an older
        twistcoach one is upgraded in place.
    """
    chosen = engine if engine is not None else create_engine_from_settings()
    init_db(chosen, create=create)
    repo = Repository(chosen)
    if mark_interrupted:
        repo.mark_interrupted_sessions()
    return repo


__all__ = [
    "DATABASE_URL_ENV",
    "LATE_SHARP_WINDOW_S",
    "AccountRecord",
    "AuditRecord",
    "ClearanceBy",
    "ClearanceRecord",
    "Decision",
    "DecisionRecord",
    "EventRecord",
    "EventType",
    "IntakeRecord",
    "NoDatabaseError",
    "NotFoundError",
    "NotTwistcoachError",
    "PersonRecord",
    "PlanRecord",
    "Repository",
    "Role",
    "SampleRecord",
    "SessionDetail",
    "SessionRecord",
    "SessionRecorder",
    "SessionStatus",
    "SessionSummary",
    "StorageError",
    "StorageSettings",
    "WithdrawalRecord",
    "create_engine_for_url",
    "create_engine_from_settings",
    "default_sqlite_path",
    "init_db",
    "open_repository",
    "sample_from_observation",
    "settings_from_env",
]
