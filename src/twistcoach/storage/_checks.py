"""The repository's checks of what it is given (each refusal a :class:`StorageError`
with a message meant for the user) and its one exception of its own."""

from __future__ import annotations

import functools
import math
import zoneinfo
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

import twistcoach.errors as _errors
from twistcoach.storage.db import StorageError

JsonLike = Mapping[str, Any] | BaseModel


class NotFoundError(StorageError, _errors.NotFound):
    """An id or name that is not in the database."""


def to_json(value: JsonLike) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        dumped: dict[str, Any] = value.model_dump(mode="json")
        return dumped
    return dict(value)


def limit_or_none(value: float | None, what: str) -> float | None:
    """A limit someone set (a cap, a hold time), finite, or None when none was set. Unlike
    :func:`finite_or_none` (a measurement: NaN is "not measured") a NaN limit is refused:
    read as None it would be no limit at all."""
    if value is not None and math.isnan(float(value)):
        raise StorageError(f"{what} must be a number, not NaN")
    return finite_or_none(value, what)


def finite_or_none(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    number = float(value)
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise StorageError(f"{what} must be a finite number, got {value!r}")
    return number


def check_pain(level: int | None, what: str) -> int | None:
    if level is None:
        return None
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 10:
        raise StorageError(f"{what} must be a whole number from 0 to 10, got {level!r}")
    return level


def check_time_zone(name: str) -> str:
    """An IANA time zone name (``Europe/Madrid``), as given.

    Raises
    ------
    StorageError
        When it is not a time zone this machine knows (``zoneinfo``).
    """
    if not isinstance(name, str) or not 0 < len(name) <= 64:
        raise StorageError(
            f"the time zone must be an IANA name such as Europe/Madrid, got {name!r}"
        )
    # The zone database's own list of names, not a file lookup: a folder ("Europe") or a
    # file that is no zone must never reach ZoneInfo (a folder raised IsADirectoryError).
    if name not in _time_zones():
        raise StorageError(f"unknown time zone {name!r} (an IANA name such as Europe/Madrid)")
    return name


@functools.cache
def _time_zones() -> frozenset[str]:
    """The IANA time zone names this machine knows (read once)."""
    return frozenset(zoneinfo.available_timezones())


def check_enum(value: str, enum: type[Any], what: str) -> str:
    allowed = [member.value for member in enum]
    if value not in allowed:
        raise StorageError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
    return str(value)
