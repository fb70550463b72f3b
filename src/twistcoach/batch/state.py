"""The batch's state file: what is finished, so an interrupted batch resumes.

``OUT/batch-state.json`` holds one record per input that has finished (analysed, or failed
after its retry), keyed by the input's absolute path, and noting the file it analysed: its
size, modification time and a hash of its first and last 64 KiB (:func:`file_stamp`; the
flat photograph's too). It is rewritten whole after every
input that finishes, to a temporary file in the same folder that then replaces the old one
(``os.replace``, atomic on POSIX), so a batch killed at any moment leaves either the old or
the new state, never half of one. The result folder of an input is moved into place
*before* its record is written: a record always points at a complete folder, and a folder
without a record is simply analysed again.

An input is redone when it has no record, when its record was made with another body type,
cap or ``--mirrored``, when the file (or its flat photograph) is no longer the one analysed
(replaced under the same name: another size, time or content at its ends), when its result
folder has gone (``summary.json`` missing), or, with ``--retry-failed``, when it failed. A
state file of version 1 (written before files were stamped) is read, its result folder
names kept, but its inputs are analysed again, with a one-line warning saying why.

The file is read as untrusted: a record's result folder name becomes a path the batch
writes and deletes, so a record whose name is not one plain folder name inside the output
folder (an absolute path, ``../x``, a hidden or reserved name, a symbolic link, another
record's folder), or whose key is not its own path, is ignored, as not finished, with a
one-line warning (:attr:`BatchState.ignored`); it is never followed.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from twistcoach.batch.inputs import BatchInput

#: The state file's name inside the output folder.
STATE_FILE = "batch-state.json"
#: Bumped when the file's shape changes (an older file is then ignored: everything is redone;
#: version 1, without the files' stamps, is read, its inputs redone).
STATE_VERSION = 2
#: Versions read: the unstamped version 1 (its records never match a file), and this one.
READ_VERSIONS = frozenset({1, STATE_VERSION})
#: Bytes hashed at each end of a file for its stamp: a replaced file of the same size and
#: time still differs there (an mp4's header and index), and reading them is cheap.
STAMP_BYTES = 64 * 1024

Status = Literal["done", "failed"]


@dataclass(frozen=True)
class InputRecord:
    """One finished input.

    Attributes
    ----------
    path
        The input's absolute path.
    name
        Its result folder's name inside the output folder.
    status
        ``done`` (analysed) or ``failed`` (after its retry).
    body, cap_deg, flat
        The settings it was analysed with (``cap_deg`` None: its measure's default, the
        cap in its ``summary.json``; ``flat``: the flat photograph that calibrated it, or
        None).
    attempts
        Tries it took (1 or 2).
    error
        Why it failed (None when done): the reason from its last try.
    seconds
        Wall time of its last try, in the task.
    node
        The Ray node that ran its last try (an IP address), or None.
    summary
        Its ``summary.json`` (the failure summary when it failed).
    mirrored
        Whether its frames were flipped left to right (``--mirrored``).
    stamp, flat_stamp
        :func:`file_stamp` of the input, and of its flat photograph (None: none), taken
        before its last try; a record without a stamp (a version 1 file's) matches no file.
    """

    path: str
    name: str
    status: Status
    body: str
    cap_deg: float | None
    attempts: int
    error: str | None = None
    seconds: float | None = None
    node: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    flat: str | None = None
    mirrored: bool = False
    stamp: str | None = None
    flat_stamp: str | None = None

    def matches(self, item: BatchInput) -> bool:
        """True when this record answers ``item`` with the same settings, and the files it
        analysed (the input, its flat photograph) are still the ones there
        (:func:`stamps`)."""
        return (
            self.body == str(item.body)
            and self.cap_deg == item.cap_deg
            and self.flat == item.flat_name
            and self.mirrored == item.mirrored
            and self.stamp is not None
            and (self.stamp, self.flat_stamp) == stamps(item)
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InputRecord:
        """Rebuild a record written by :meth:`BatchState.save`.

        Raises
        ------
        KeyError, TypeError, ValueError
            For a record of another shape.
        """
        status = data["status"]
        if status not in ("done", "failed"):
            raise ValueError(f"unknown status {status!r}")
        return cls(
            path=str(data["path"]),
            name=str(data["name"]),
            status=status,
            body=str(data["body"]),
            cap_deg=None if data.get("cap_deg") is None else float(data["cap_deg"]),
            attempts=int(data["attempts"]),
            error=None if data.get("error") is None else str(data["error"]),
            seconds=None if data.get("seconds") is None else float(data["seconds"]),
            node=None if data.get("node") is None else str(data["node"]),
            summary=dict(data.get("summary") or {}),
            flat=None if data.get("flat") is None else str(data["flat"]),
            mirrored=bool(data.get("mirrored", False)),
            stamp=None if data.get("stamp") is None else str(data["stamp"]),
            flat_stamp=None if data.get("flat_stamp") is None else str(data["flat_stamp"]),
        )


def file_stamp(path: Path) -> str | None:
    """What tells one file from another put in its place under the same name: its size,
    modification time (nanoseconds) and a hash of its first and last :data:`STAMP_BYTES`.

    Returns
    -------
    str or None
        ``SIZE:MTIME_NS:HASH``; None when it is not a regular file or cannot be read (a
        pipe is never opened: reading it would block).
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None
        digest = hashlib.sha256()
        with path.open("rb") as f:
            digest.update(f.read(STAMP_BYTES))
            if info.st_size > STAMP_BYTES:
                f.seek(max(STAMP_BYTES, info.st_size - STAMP_BYTES))
                digest.update(f.read(STAMP_BYTES))
    except OSError:
        return None
    return f"{info.st_size}:{info.st_mtime_ns}:{digest.hexdigest()[:16]}"


def stamps(item: BatchInput) -> tuple[str | None, str | None]:
    """:func:`file_stamp` of ``item``'s file and of its flat photograph (None: none)."""
    return file_stamp(item.path), None if item.flat is None else file_stamp(item.flat)


class BatchState:
    """The finished inputs of one output folder, saved after each change.

    Parameters
    ----------
    out
        The output folder (the state file lives in it).
    records
        Records already known (as read by :meth:`load`).
    """

    def __init__(
        self,
        out: Path,
        records: dict[str, InputRecord] | None = None,
        ignored: list[str] | None = None,
    ) -> None:
        self.out = out
        self.records: dict[str, InputRecord] = dict(records or {})
        #: One line for each record :meth:`load` ignored, saying which and why.
        self.ignored: list[str] = list(ignored or [])

    @property
    def path(self) -> Path:
        """Where the state file is."""
        return self.out / STATE_FILE

    @classmethod
    def load(cls, out: Path) -> BatchState:
        """Read ``out``'s state file; an absent, unreadable or unknown version gives no
        records.

        An unreadable state file is not an error: the batch then redoes everything (the
        results it overwrites are rewritten from the same inputs). A version 1 file's records
        are kept (their result folder names stay) but match no file: their inputs are
        analysed again, and :attr:`ignored` says so in one line.
        """
        path = out / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            version = data.get("version")
            if version not in READ_VERSIONS:
                return cls(out)
            loaded = {key: InputRecord.from_json(value) for key, value in data["inputs"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls(out)
        records: dict[str, InputRecord] = {}
        ignored: list[str] = []
        names: set[str] = set()
        for key, rec in loaded.items():
            why = _unusable(out, key, rec, names)
            if why is not None:
                ignored.append(
                    f"{path}: the record of {key} is ignored ({why}); the input is analysed "
                    "again if it is one of this batch's"
                )
                continue
            names.add(rec.name)
            records[key] = rec
        if version != STATE_VERSION and records:
            ignored.append(
                f"{path}: written by an earlier twistcoach, which did not note each input's "
                "size and time, so its inputs are analysed again"
            )
        return cls(out, records, ignored)

    def is_finished(self, item: BatchInput, *, retry_failed: bool) -> bool:
        """True when ``item`` needs no new analysis (see the module docs)."""
        record = self.records.get(item.key)
        if record is None or not record.matches(item):
            return False
        if record.status == "failed":
            return not retry_failed
        return (self.out / record.name / "summary.json").is_file()

    def names_in_use(self) -> set[str]:
        """Result folder names that records already hold."""
        return {r.name for r in self.records.values()}

    def record(self, rec: InputRecord) -> None:
        """Add or replace one input's record and save the file atomically."""
        self.records[rec.path] = rec
        self.save()

    def save(self) -> None:
        """Write the state file atomically (a temporary file, then ``os.replace``)."""
        data = {
            "version": STATE_VERSION,
            "inputs": {key: asdict(rec) for key, rec in self.records.items()},
        }
        write_atomic(self.path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def reserved_names() -> frozenset[str]:
    """The names of the batch's own files in the output folder: never an input's result
    folder (the hidden ones, the staging folder and the lock, no result name can take)."""
    from twistcoach.batch.table import CSV_FILE, OVERVIEW_FILE, PARQUET_FILE, SUMMARIES_FILE

    return frozenset({STATE_FILE, CSV_FILE, PARQUET_FILE, OVERVIEW_FILE, SUMMARIES_FILE})


def _unusable(out: Path, key: str, rec: InputRecord, names: set[str]) -> str | None:
    """Why a loaded record cannot be used (None when it can): its result folder name must
    be one plain folder name (``analyze_cmd.is_result_folder_name``, the names the batch
    gives), not one of the batch's own files, no other record's, and inside ``out`` once
    resolved (not a symbolic link)."""
    from twistcoach.cli.analyze_cmd import is_result_folder_name

    if key != rec.path:
        return "its path is not the input it is filed under"
    if not is_result_folder_name(rec.name) or rec.name in reserved_names():
        return f"its result folder {rec.name!r} is not a plain folder name"
    if rec.name in names:
        return f"its result folder {rec.name!r} is another record's"
    folder = out / rec.name
    try:
        inside = not folder.is_symlink() and folder.resolve().parent == out.resolve()
    except (OSError, RuntimeError):
        inside = False
    if not inside:
        return f"its result folder {rec.name!r} is not inside the output folder"
    return None


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, whole.

    The text goes to a temporary file in the same folder (named with this process's id), is
    flushed to disk, and then replaces ``path`` in one ``os.replace``.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
