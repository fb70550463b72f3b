"""The batch's state file: what is finished, so an interrupted batch resumes.

``OUT/batch-state.json`` holds one record per input that has finished (analysed, or failed
after its retry), keyed by the input's absolute path. It is rewritten whole after every
input that finishes, to a temporary file in the same folder that then replaces the old one
(``os.replace``, atomic on POSIX), so a batch killed at any moment leaves either the old or
the new state, never half of one. The result folder of an input is moved into place
*before* its record is written: a record always points at a complete folder, and a folder
without a record is simply analysed again.

An input is redone when it has no record, when its record was made with another body type
or cap, when its result folder has gone (``summary.json`` missing), or, with
``--retry-failed``, when it failed.

The file is read as untrusted: a record's result folder name becomes a path the batch
writes and deletes, so a record whose name is not one plain folder name inside the output
folder (an absolute path, ``../x``, a hidden or reserved name, a symbolic link, another
record's folder), or whose key is not its own path, is ignored, as not finished, with a
one-line warning (:attr:`BatchState.ignored`); it is never followed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from twistcoach.batch.inputs import BatchInput

#: The state file's name inside the output folder.
STATE_FILE = "batch-state.json"
#: Bumped when the file's shape changes (an older file is then ignored: everything is redone).
STATE_VERSION = 1

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

    def matches(self, item: BatchInput) -> bool:
        """True when this record answers ``item`` with the same settings."""
        return (
            self.body == str(item.body)
            and self.cap_deg == item.cap_deg
            and self.flat == item.flat_name
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
        )


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
        """Read ``out``'s state file; an absent, unreadable or older one gives no records.

        An unreadable state file is not an error: the batch then redoes everything (the
        results it overwrites are rewritten from the same inputs).
        """
        path = out / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != STATE_VERSION:
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
