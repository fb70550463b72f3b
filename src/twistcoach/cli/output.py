"""The command line's output: its one error line (:func:`print_error`), and writing a file a
person named on the command line (``--out``), safely.

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

import typer

from twistcoach.errors import DataError

#: What begins every error line the command line prints (one form for every command: `plan`
#: said "Error:" where the others said "error:").
ERROR_PREFIX = "error: "


def print_error(message: str) -> None:
    """Print ``message`` as the command line's one-line error on stderr: ``error: ...``
    (plain text, never Rich markup: a name's brackets are printed as they are), in the
    command line's language (``--lang``) where the catalogue has it (the database
    refusals, ``storage.db.REFUSALS``); an error it does not have stays English."""
    from twistcoach.i18n import t

    typer.echo(f"{ERROR_PREFIX}{t(message)}", err=True)


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


def check_output(path: Path) -> None:
    """Refuse an output that cannot be written, before any work is done for it: ``intake``
    asked every question, and ``report`` read the whole record, before finding its folder
    missing.

    A named pipe or ``/dev/stdout`` passes (whether a pipe is read is known only when it is
    opened: :func:`write_output`).

    Raises
    ------
    OutputError
        ``"{path}: ..."`` saying why: a folder, a folder that does not exist or is not one,
        or one this user may not write in (for a file not there yet, or not writable).
    """
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name")
    folder = path.parent
    if not folder.exists():
        raise OutputError(f"{path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise OutputError(f"{path}: cannot write ({folder} is not a folder)")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise OutputError(f"{path}: cannot write (permission denied)")
    elif not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: cannot write (permission denied in {folder})")


def make_output_folder(folder: Path) -> None:
    """Make ``--out`` (and its parents) for ``analyze`` and ``batch``.

    Raises
    ------
    OutputError
        ``"cannot create the output folder {folder}: {why}"``.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the output folder {folder}: {exc.strerror or exc}"
        ) from None
