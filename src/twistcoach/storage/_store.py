"""What every part of the repository shares: the engine, its sessions and the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from twistcoach.storage.db import StorageError

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The current time, aware UTC (the default clock)."""
    return dt.datetime.now(dt.UTC)


class Store:
    """The engine, a session factory and the clock (see :class:`Repository`)."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self.engine = engine
        self._clock = clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def now(self) -> dt.datetime:
        """The repository clock's current time (aware UTC)."""
        return self._now()

    def _now(self) -> dt.datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise StorageError("the repository clock must return aware datetimes")
        return now
