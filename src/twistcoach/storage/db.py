"""Where the database lives, how to connect, and how to bring its schema up to date.

Settings are read once, at the edge, from the environment:

``TWISTCOACH_DATABASE_URL``
    A SQLAlchemy URL. PostgreSQL: ``postgresql+psycopg://user:password@host:5432/dbname``.
    When unset, SQLite at ``platformdirs.user_data_dir("twistcoach")/twistcoach.db``
    (on Linux ``~/.local/share/twistcoach/twistcoach.db``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

import twistcoach.errors as _errors

DATABASE_URL_ENV = "TWISTCOACH_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class StorageError(_errors.StorageError):
    """A storage problem to show to the user as a plain message (bad URL, unknown id...)."""


class StorageSettingsError(StorageError, _errors.DataError):
    """``TWISTCOACH_DATABASE_URL`` names nothing usable (not a URL, another database, a SQLite
    file in a folder that cannot be written): bad input the person can fix, so exit 2 on
    every command, as any other bad input (the store failing for its own reasons is 1)."""


@dataclass(frozen=True)
class StorageSettings:
    """Parsed storage settings.

    Attributes
    ----------
    database_url
        SQLAlchemy URL of the database.
    from_environment
        True when the URL came from ``TWISTCOACH_DATABASE_URL``.
    """

    database_url: str
    from_environment: bool


def default_sqlite_path() -> Path:
    """The default SQLite file in the user's data directory (not created here)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("twistcoach")) / "twistcoach.db"


def settings_from_env(env: Mapping[str, str] | None = None) -> StorageSettings:
    """Read the storage settings from ``env`` (default: ``os.environ``).

    Raises
    ------
    StorageSettingsError
        When ``TWISTCOACH_DATABASE_URL`` is set but is not a usable URL, or names an
        in-memory SQLite database (nothing would be kept).
    """
    environ = os.environ if env is None else env
    url = environ.get(DATABASE_URL_ENV, "").strip()
    if not url:
        return StorageSettings(f"sqlite:///{default_sqlite_path()}", from_environment=False)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageSettingsError(f"{DATABASE_URL_ENV} is not a database URL: {url!r}") from exc
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise StorageSettingsError(
            f"{DATABASE_URL_ENV} must point to SQLite or PostgreSQL "
            f"(postgresql+psycopg://...), not {parsed.get_backend_name()!r}"
        )
    in_memory = parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"
    if parsed.get_backend_name() == "sqlite" and in_memory:
        # An in-memory database lives as long as one connection: `seed-demo` said "Demo data
        # ready" and the coach "Session 1 stored" over data that was gone at once.
        raise StorageSettingsError(
            f"{DATABASE_URL_ENV} names an in-memory SQLite database ({url!r}), which keeps "
            "nothing: name a file, e.g. sqlite:////home/me/twistcoach.db"
        )
    if parsed.get_backend_name() == "postgresql" and parsed.drivername != "postgresql+psycopg":
        # Only psycopg 3 is installed; say so rather than fail on a missing driver import.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return StorageSettings(parsed.render_as_string(hide_password=False), from_environment=True)


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """Per-connection SQLite settings: WAL journal, foreign keys, a busy timeout.

    WAL lets the web server read while a coach writes; with ``synchronous=NORMAL`` a commit
    survives the death of the process (SIGKILL), which is the durability promised (power
    loss may lose the last commits, not corrupt the file).
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_engine_for_url(url: str) -> Engine:
    """Create an engine for ``url`` with twistcoach's per-backend settings.

    For SQLite the parent directory of the file is created when missing.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def create_engine_from_settings(settings: StorageSettings | None = None) -> Engine:
    """Create the engine the settings (default: the environment) point to."""
    chosen = settings if settings is not None else settings_from_env()
    return create_engine_for_url(chosen.database_url)


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' would be read as interpolation by configparser.
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


#: Key of the PostgreSQL advisory lock held while migrating (any constant bigint).
_MIGRATION_LOCK_KEY = 0x7477_6973_7443


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations between processes on a SQLite file (an flock beside it).

    pysqlite commits each CREATE TABLE on its own, so two processes migrating a new file at
    once would trip over each other's half-made schema. PostgreSQL uses an advisory lock
    inside the migration's transaction instead (see :func:`init_db`).
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    try:
        import fcntl
    except ImportError:  # not on POSIX: no cross-process lock, migrate anyway
        yield
        return
    lock_path = Path(database).expanduser().with_name(Path(database).name + ".migrate-lock")
    try:
        handle = open(lock_path, "a+b")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        # A folder that does not exist or cannot be written (a hostile-input sweep found
        # sqlite:////proc/x.db ending in this open's traceback): a message, not a crash.
        raise StorageSettingsError(
            f"{DATABASE_URL_ENV}: cannot use the SQLite file {database} "
            f"({exc.strerror or exc}); name a file in a folder you can write to"
        ) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def init_db(engine: Engine) -> None:
    """Bring the database's schema up to the newest migration (creating it if empty).

    Runs the Alembic migrations shipped in the package; data already stored is kept. Safe
    to call from several processes at once (the web server and a coach starting together).
    """
    from alembic import command

    config = _alembic_config(engine)
    with _migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends: a second process waits, then finds head.
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest migration shipped with this version of twistcoach."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(
        _alembic_config(create_engine("sqlite://"))
    ).get_current_head()
    if head is None:
        raise StorageError("no migrations shipped with the package")
    return head


def table_names(engine: Engine) -> list[str]:
    """Names of the tables in the database, sorted."""
    return sorted(inspect(engine).get_table_names())
