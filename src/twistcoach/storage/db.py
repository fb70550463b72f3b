"""Where the database lives, how to connect, and how to bring its schema up to date.

Settings are read once, at the edge, from the environment:

``TWISTCOACH_DATABASE_URL``
    A SQLAlchemy URL. PostgreSQL: ``postgresql+psycopg://user:password@host:5432/dbname``.
    When unset, SQLite at ``platformdirs.user_data_dir("twistcoach")/twistcoach.db``
    (on Linux ``~/.local/share/twistcoach/twistcoach.db``).
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

import twistcoach.errors as _errors

DATABASE_URL_ENV = "TWISTCOACH_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: The database refusals in plain words, each a template filled in where it is raised
#: (:func:`refusal`): one table, catalogued (``twistcoach.i18n`` reads it) so that the
#: command line says them in its language (``twistcoach --lang es ...``: ``print_error``
#: translates its line). ``{env}`` is :data:`DATABASE_URL_ENV`; ``{url}`` and ``{backend}``
#: are quoted as given.
REFUSALS: Mapping[str, str] = {
    "not_url": "{env} is not a database URL: {url}",
    "backend": (
        "{env} must point to SQLite or PostgreSQL (postgresql+psycopg://...), not {backend}"
    ),
    "in_memory": (
        "{env} names an in-memory SQLite database ({url}), which keeps nothing: name a file, "
        "e.g. sqlite:////home/me/twistcoach.db"
    ),
    "no_database": (
        "no twistcoach database at {where}: run `twistcoach seed-demo` or record a session "
        "first (or set {env} to your database)"
    ),
    "unusable": (
        "{env}: cannot use the SQLite file {path} ({reason}); name a file in a folder you "
        "can write to"
    ),
    "not_a_file": "{env}: {path} is not a file; name a SQLite database file",
    "not_sqlite": (
        "{env} names {path}, which is not a SQLite database; twistcoach changed nothing in "
        "it: name a new file or a twistcoach database"
    ),
    "unreadable": "cannot read the SQLite file {path}: {reason}",
    "malformed": (
        "{env} names {path}, which is not a usable SQLite database ({reason}); twistcoach "
        "changed nothing in it"
    ),
    "newer": (
        "the database at {where} was made by a newer twistcoach (migration {revisions}, "
        "this one knows up to {head}); twistcoach changed nothing in it: upgrade twistcoach"
    ),
    "foreign": (
        "the database at {where} holds another program's tables ({tables}), not "
        "twistcoach's; twistcoach changed nothing in it: set {env} to a new file or an "
        "empty database"
    ),
}


def refusal(key: str, **values: object) -> str:
    """A database refusal (:data:`REFUSALS`) with its values filled in."""
    return REFUSALS[key].format(env=DATABASE_URL_ENV, **values)


class StorageError(_errors.StorageError):
    """A storage problem to show to the user as a plain message (bad URL, unknown id...)."""


class StorageSettingsError(StorageError, _errors.DataError):
    """``TWISTCOACH_DATABASE_URL`` names nothing usable (not a URL, another database, a SQLite
    file in a folder that cannot be written): bad input the person can fix, so exit 2 on
    every command, as any other bad input (the store failing for its own reasons is 1)."""


class NoDatabaseError(StorageSettingsError):
    """A command that only reads was pointed at a place with no twistcoach database (no file,
    an empty one): it says so and creates nothing (:func:`init_db` with ``create=False``)."""


class NotTwistcoachError(StorageSettingsError):
    """The database is not twistcoach's: another program's tables, a newer twistcoach's
    schema, or a file that is not SQLite at all. Nothing in it is changed."""


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
        raise StorageSettingsError(refusal("not_url", url=repr(url))) from exc
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise StorageSettingsError(refusal("backend", backend=repr(parsed.get_backend_name())))
    in_memory = parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"
    if parsed.get_backend_name() == "sqlite" and in_memory:
        # An in-memory database lives as long as one connection: `seed-demo` said "Demo data
        # ready" and the coach "Session 1 stored" over data that was gone at once.
        raise StorageSettingsError(refusal("in_memory", url=repr(url)))
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

    Nothing is created or connected here: :func:`init_db` makes a missing SQLite file (and
    its folder) when it is asked to create the database.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def create_engine_from_settings(settings: StorageSettings | None = None) -> Engine:
    """Create the engine the settings (default: the environment) point to."""
    chosen = settings if settings is not None else settings_from_env()
    return create_engine_for_url(chosen.database_url)


def sqlite_file(engine: Engine) -> Path | None:
    """The file a SQLite engine's database lives in (None: not SQLite, or in memory)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # a SQLite URI (``?uri=true``): its path part
        if engine.url.query.get("mode") == "memory":
            return None
        database = database.removeprefix("file:")
        if database.startswith("//"):  # file://host/path: only the path counts
            database = "/" + database[2:].partition("/")[2]
    return Path(database).expanduser()


def _where(engine: Engine) -> str:
    """The database, as a person names it: the SQLite file, else the URL (no password)."""
    path = sqlite_file(engine)
    return str(path) if path is not None else engine.url.render_as_string(hide_password=True)


#: The first 16 bytes of every SQLite 3 database file (https://sqlite.org/fileformat.html).
_SQLITE_HEADER = b"SQLite format 3\x00"

#: Tables every twistcoach database has had since its first migration: with an unknown
#: migration they say a newer twistcoach made the database, not another program.
_OWN_TABLES = frozenset({"people", "sessions", "metric_samples", "events"})


@dataclass(frozen=True)
class _Contents:
    """What a database holds, read before anything is written to it."""

    tables: frozenset[str]
    revisions: frozenset[str]  # the rows of Alembic's ``alembic_version`` (none: no table)


def _no_database(where: str) -> NoDatabaseError:
    """The refusal of a command that only reads, where no twistcoach database is."""
    return NoDatabaseError(refusal("no_database", where=where))


def _unusable(path: Path, exc: OSError | sqlite3.Error) -> StorageSettingsError:
    """A SQLite file in a folder that cannot be made, read or written."""
    reason = getattr(exc, "strerror", None) or exc
    return StorageSettingsError(refusal("unusable", path=path, reason=reason))


def _check_sqlite_file(path: Path, *, create: bool) -> None:
    """Refuse a SQLite path that is not a twistcoach database to be, before connecting.

    Runs before the engine connects because connecting already writes: SQLite makes a
    missing file, and the WAL setting (:func:`_sqlite_on_connect`) rewrites the header of
    a file that is not ours.
    """
    try:
        if not path.exists():
            if not create:
                raise _no_database(str(path))
            path.parent.mkdir(parents=True, exist_ok=True)
            return
        if not path.is_file():
            raise StorageSettingsError(refusal("not_a_file", path=path))
        with open(path, "rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError as exc:
        # A folder that cannot be made or read (sqlite:////proc/x/y.db): a message.
        raise _unusable(path, exc) from None
    # An empty file is an empty SQLite database (what `touch` makes): fine to set up.
    if header and header != _SQLITE_HEADER:
        raise NotTwistcoachError(refusal("not_sqlite", path=path))


def _sqlite_contents(path: Path) -> _Contents:
    """The tables and migration of an existing SQLite file, read without changing it.

    A plain read-only connection, not the engine's: the engine's connections turn on WAL,
    which would rewrite another program's file before it is refused.
    """
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise _unusable(path, exc) from None
    try:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = frozenset(str(name) for (name,) in rows if not str(name).startswith("sqlite_"))
        revisions: frozenset[str] = frozenset()
        if "alembic_version" in tables:
            found = connection.execute("SELECT version_num FROM alembic_version").fetchall()
            revisions = frozenset(str(version) for (version,) in found)
    except sqlite3.OperationalError as exc:
        # Locked past the timeout, unreadable: the store failing, not bad input (exit 1).
        raise StorageError(refusal("unreadable", path=path, reason=exc)) from None
    except sqlite3.DatabaseError as exc:
        # The right header but a broken file ("database disk image is malformed").
        raise NotTwistcoachError(refusal("malformed", path=path, reason=exc)) from None
    finally:
        connection.close()
    return _Contents(tables, revisions)


def _connection_contents(connection: Connection) -> _Contents:
    """The tables and migration of the database ``connection`` is on (PostgreSQL)."""
    tables = frozenset(inspect(connection).get_table_names())
    revisions: frozenset[str] = frozenset()
    if "alembic_version" in tables:
        found = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        revisions = frozenset(str(version) for (version,) in found)
    return _Contents(tables, revisions)


def _check_contents(contents: _Contents, where: str, *, create: bool, settled: bool) -> None:
    """Refuse a database that is not twistcoach's (or, when ``create`` is False, is empty).

    Twistcoach's own databases, at any migration it shipped, pass (an older one is then
    upgraded in place). ``settled`` is False for a look taken before the migration lock
    is held: a twistcoach migrating the database at that moment may have made Alembic's
    table and some of its own without the migration stamped yet, so only what cannot be
    that (other tables and no ``alembic_version``) is refused then.
    """
    others = contents.tables - {"alembic_version"}
    if not others and not contents.revisions:
        if not create:
            raise _no_database(where)
        return
    if contents.revisions and contents.revisions <= _known_revisions():
        return
    if not contents.revisions and "alembic_version" in contents.tables and not settled:
        return
    if contents.revisions and contents.tables >= _OWN_TABLES:
        revisions = ", ".join(sorted(contents.revisions))  # ids, not words: no "and"
        raise NotTwistcoachError(
            refusal("newer", where=where, revisions=revisions, head=head_revision())
        )
    listed = sorted(others)
    # Table names are the other program's ids, not words: the first five, "…" for more
    # (no English "and 3 more" inside a refusal the command line says in Spanish).
    shown = ", ".join(listed[:5]) + (", …" if len(listed) > 5 else "")
    raise NotTwistcoachError(refusal("foreign", where=where, tables=shown))


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
    database = sqlite_file(engine)
    if database is None:
        yield
        return
    try:
        import fcntl
    except ImportError:  # not on POSIX: no cross-process lock, migrate anyway
        yield
        return
    lock_path = database.with_name(database.name + ".migrate-lock")
    try:
        handle = open(lock_path, "a+b")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        # A folder that does not exist or cannot be written (a hostile-input sweep found
        # sqlite:////proc/x.db ending in this open's traceback): a message, not a crash.
        raise _unusable(database, exc) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def init_db(engine: Engine, *, create: bool = True) -> str | None:
    """Bring the database's schema up to the newest migration (creating it if empty).

    Runs the Alembic migrations shipped in the package; data already stored is kept. Safe
    to call from several processes at once (the web server and a coach starting together).

    Parameters
    ----------
    engine
        The database.
    create
        False for commands that only read: a database that does not exist yet (no SQLite
        file, or no tables) is refused and nothing is created (not even the folder).

    Returns
    -------
    str or None
        The migration the database was at before (None: it was empty).

    Raises
    ------
    NoDatabaseError
        With ``create=False``, when there is no twistcoach database there.
    NotTwistcoachError
        When the database holds another program's tables, a newer twistcoach's, or the
        SQLite file is not SQLite at all: nothing in it is changed.
    StorageSettingsError
        When the SQLite file's folder cannot be made or written.
    """
    from alembic import command

    config = _alembic_config(engine)
    path = sqlite_file(engine)
    if path is not None:
        # Before the lock (whose file sits beside the database) and before any connection
        # (which would make the file, or switch another program's to WAL).
        _check_sqlite_file(path, create=create)
        if path.exists():
            _check_contents(_sqlite_contents(path), str(path), create=create, settled=False)
    with _migration_lock(engine):
        before: frozenset[str] = frozenset()
        if path is not None:
            # Again under the lock: another twistcoach may have been migrating it.
            contents = (
                _sqlite_contents(path) if path.exists() else _Contents(frozenset(), frozenset())
            )
            _check_contents(contents, str(path), create=create, settled=True)
            before = contents.revisions
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Held until this transaction ends: a second process waits, then finds head.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY}
                )
            if path is None:
                contents = _connection_contents(connection)
                _check_contents(contents, _where(engine), create=create, settled=True)
                before = contents.revisions
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    return max(before) if before else None


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _scripts() -> Any:
    """The package's Alembic migrations (a ``ScriptDirectory``)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(create_engine("sqlite://")))


def head_revision() -> str:
    """The newest migration shipped with this version of twistcoach."""
    head: str | None = _scripts().get_current_head()
    if head is None:
        raise StorageError("no migrations shipped with the package")
    return head


@functools.cache
def _known_revisions() -> frozenset[str]:
    """Every migration shipped with this version of twistcoach (an older store is at one)."""
    return frozenset(str(script.revision) for script in _scripts().walk_revisions())


def table_names(engine: Engine) -> list[str]:
    """Names of the tables in the database, sorted."""
    return sorted(inspect(engine).get_table_names())
