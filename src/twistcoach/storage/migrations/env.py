"""Alembic environment: runs migrations on the connection handed over by ``init_db``.

``init_db`` builds the Alembic ``Config`` in code and puts an open SQLAlchemy connection in
``config.attributes["connection"]``; no ``alembic.ini`` is needed at run time. Developers
can still use the ``alembic`` command with ``-x url=...`` to write a new revision.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from twistcoach.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds tables when needed.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run on the given connection, or on ``-x url=...`` / ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database: pass -x url=... or use twistcoach db upgrade")
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
