"""Writing a file a person named on the command line (``--out``), safely.

A named pipe that nobody reads makes a plain ``open`` for writing wait for ever, and a path
that cannot be opened raises :class:`OSError` deep in a library: both were found by a
hostile-input sweep (``report``, ``export fhir``, ``intake --force``). :func:`write_output`
opens without blocking first and turns every failure into one :class:`OutputError` with the
reason; once open, writes block as usual, so ``/dev/stdout`` or a pipe being read work.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from twistcoach.errors import DataError


class OutputError(DataError):
    """The named output cannot be written (its message says why, naming the path)."""


def write_output(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (created or truncated).

    Raises
    ------
    OutputError
        ``"{path}: cannot write ({reason})"``, the reason "nothing reads this pipe" for a
        named pipe without a reader, else the system's.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NONBLOCK, 0o644)
    except OSError as exc:
        reason = "nothing reads this pipe" if exc.errno == errno.ENXIO else exc.strerror
        raise OutputError(f"{path}: cannot write ({reason or exc})") from None
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
