"""Which process records a practice session, and whether it is still alive.

A running session's ``owner`` column names the process recording it (``host:pid:start``);
a session whose owner is gone is taken as interrupted (``Repository.mark_interrupted_sessions``)
and a practice socket's claim held by a dead process is taken back
(``twistcoach.storage.recorder.claim_socket``).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, Linux), None if unknown.

    Stored with the pid so that a new process that happens to get a dead recorder's pid
    (common in containers, where pids restart from 1) is not mistaken for it.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime); the command name (field 2) may contain spaces, so split after it.
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def process_owner() -> str:
    """``host:pid:start`` of this process, stored with the sessions it records."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start(pid) or ''}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def owner_alive(owner: str | None, host: str) -> bool | None:
    """Whether the process named by ``owner`` still runs; None when it cannot be told here.

    ``owner`` is ``host:pid:start`` (or ``host:pid`` from older callers).
    """
    parts = (owner or "").split(":")
    owner_host, pid_text, start = [*parts, "", ""][:3]
    if owner_host != host or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    if not pid_alive(pid):
        return False
    if start:
        current = _process_start(pid)
        if current is not None and current != start:
            return False  # the pid was reused by a newer process
    return True
