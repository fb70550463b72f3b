"""A throwaway PostgreSQL server for the tests (session-scoped fixture ``pg_server``).

It runs ``initdb`` into a fresh directory under the system temp dir and starts ``postgres``
on a free loopback port, with its unix socket in that directory too; every test that
wants a database gets a new, empty one from :meth:`PgServer.new_database`. The server is
stopped and its files removed at the end of the test session.

PostgreSQL refuses to run as root. When the tests run as root (CI does), the data
directory is given to the ``postgres`` system user (or ``nobody``) and the server binaries
run as that user through ``runuser``. The directory is made directly under the temp dir
because pytest's own ``/tmp/pytest-of-root`` is private to root.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def _pg_bin(name: str) -> str:
    """Path of a PostgreSQL server binary (PATH first, then Debian's versioned dirs)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise RuntimeError(
        f"PostgreSQL's {name!r} was not found: install the 'postgresql' package "
        "(make system does it)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run_as_user() -> str | None:
    """The user to run the server as: None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


@dataclass
class PgServer:
    """A running PostgreSQL server (trust authentication, loopback only)."""

    host: str
    port: int
    user: str
    _counter: Iterator[int]

    def url(self, database: str) -> str:
        """SQLAlchemy URL of one database on this server."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def new_database(self, prefix: str = "t") -> str:
        """Create a new, empty database and return its URL."""
        import psycopg

        name = f"{prefix}_{next(self._counter)}"
        with psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """Start a private PostgreSQL server for the whole test session."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    user = _run_as_user()
    # As root, /tmp itself: $TMPDIR may sit under a directory the server user cannot enter.
    base = Path(tempfile.mkdtemp(prefix="twistcoach-pg-", dir="/tmp" if user else None))
    data, sockets, log = base / "data", base / "sock", base / "server.log"
    sockets.mkdir()
    prefix: list[str] = []
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (base, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        prefix = ["runuser", "-u", user, "--"]
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}

    def run(*args: str) -> None:
        done = subprocess.run(
            [*prefix, *args], env=env, capture_output=True, text=True, cwd=base, check=False
        )
        if done.returncode != 0:
            server_log = log.read_text() if log.exists() else ""
            raise RuntimeError(
                f"{args[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{server_log}"
            )

    run(
        initdb,
        "-D",
        str(data),
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--no-instructions",
        # A throwaway cluster: skip fsync and keep the WAL small (faster set-up and clean-up).
        "--no-sync",
        "--wal-segsize=1",
    )
    options = (
        f"-h 127.0.0.1 -p {port} -k {sockets} "
        # A test server: durability against an OS crash is not needed, speed is.
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    run(pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
    try:
        # The server may accept connections a moment after pg_ctl returns on slow machines.
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield PgServer("127.0.0.1", port, "postgres", itertools.count(1))
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
            env=env,
            capture_output=True,
            cwd=base,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)
