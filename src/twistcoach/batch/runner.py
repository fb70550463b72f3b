"""The driver: start or join Ray, run one task per input, retry, record, resume.

Ray
---
Without an address the driver starts a private Ray on this machine (``ray.init``): no
dashboard, a bounded number of CPUs (``--workers``, one task per CPU), a small object store
(tasks send back only their summaries), workers' logs kept out of the terminal, and every
address on the loopback interface. Ray turns ``127.0.0.1`` into the machine's outward
address for a node (so that other nodes could reach it); :data:`LOCAL_NODE_IP` is another
loopback address, which Ray takes as it is, so the local Ray's traffic never leaves ``lo``.
Usage statistics are off (``RAY_USAGE_STATS_ENABLED=0``) unless the environment says
otherwise. With ``--address`` the driver joins a running cluster (started with
``ray start``; see ``docs/batch.md``) and leaves it running.

Scheduling
----------
Each task asks Ray for one CPU, so Ray runs as many at once as the cluster has CPUs; the
driver keeps at most ``in_flight`` tasks submitted (by default the number Ray can run at
once, at least 1), submitting the next as one finishes (``ray.wait``), so a batch of
thousands never queues thousands of tasks. A try that fails (an unreadable file, an
exception, a worker process that died) is submitted once more; a second failure is
recorded with its reason and the batch goes on.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from twistcoach import i18n
from twistcoach.batch.inputs import BatchInput
from twistcoach.batch.state import BatchState, InputRecord, reserved_names, stamps
from twistcoach.batch.task import TaskOutcome, TaskSpec, analyze_input
from twistcoach.errors import ConflictError

#: The loopback address the private local Ray runs on (see the module docs).
LOCAL_NODE_IP = "127.0.0.2"
#: The local Ray's object store: tasks return summaries of a few kilobytes (Ray's minimum
#: is 75 MB).
LOCAL_OBJECT_STORE_BYTES = 128 * 1024 * 1024
#: Most CPUs the private local Ray is given by default (each task holds a MediaPipe graph:
#: 345 MB resident at most for the 34 s demo session, docs/batch.md).
MAX_DEFAULT_WORKERS = 8
#: Tries per input: the first, and one retry.
MAX_ATTEMPTS = 2
#: The staging folder inside the output folder (a dot-folder: never an input, never a name).
STAGING = ".partial"
#: The lock file that keeps a second batch out of an output folder while one runs.
LOCK_FILE = ".batch.lock"


class BatchBusy(ConflictError):  # noqa: N818 (httpx-style names, as twistcoach.errors)
    """Another batch is writing to the output folder."""


@dataclass(frozen=True)
class RayOptions:
    """Where tasks run.

    Attributes
    ----------
    address
        A running cluster's address (``HOST:PORT`` or ``auto``); None starts a private Ray
        on this machine.
    workers
        Tasks at once: the local Ray's CPUs, or on a cluster the most tasks submitted at
        once. None: this machine's cores (at most :data:`MAX_DEFAULT_WORKERS`), or on a
        cluster all its CPUs.
    """

    address: str | None = None
    workers: int | None = None


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs.

    Attributes
    ----------
    out
        Output folder: per-input folders, the state file, the combined table.
    annotate
        Also write each input with skeleton and gauge drawn (``analyze --annotate``).
    retry_failed
        Analyse again the inputs that failed in an earlier run.
    """

    out: Path
    annotate: bool = False
    retry_failed: bool = False


@dataclass
class BatchResult:
    """What a batch did.

    Attributes
    ----------
    records
        The record of every input of this batch that has finished, in input order
        (including those finished by an earlier run).
    skipped
        Inputs finished by an earlier run and not redone.
    analysed, failed
        Inputs analysed and failed in this run.
    retried
        Tries that were retried in this run.
    interrupted
        True when the run stopped before every input finished (Ctrl-C).
    workers
        Tasks that could run at once.
    """

    records: list[InputRecord] = field(default_factory=list)
    skipped: int = 0
    analysed: int = 0
    failed: int = 0
    retried: int = 0
    interrupted: bool = False
    workers: int = 0

    @property
    def any_failed(self) -> bool:
        """True when any input of the batch (this run's or an earlier one's) failed."""
        return any(r.status == "failed" for r in self.records)


class BatchListener(Protocol):
    """What the driver reports as it goes (the CLI draws a progress bar from it)."""

    def started(self, to_do: int, skipped: int, workers: int) -> None:
        """The batch starts: ``to_do`` inputs to run, ``skipped`` already finished."""
        ...

    def retrying(self, item: BatchInput, reason: str) -> None:
        """A try failed and the input goes round once more."""
        ...

    def finished(self, record: InputRecord) -> None:
        """An input finished (analysed, or failed for good)."""
        ...

    def warning(self, message: str) -> None:
        """Something the batch ignored and goes on without (one line: a state file's record
        that cannot be used)."""
        ...


class _Quiet:
    def started(self, to_do: int, skipped: int, workers: int) -> None:
        pass

    def retrying(self, item: BatchInput, reason: str) -> None:
        pass

    def finished(self, record: InputRecord) -> None:
        pass

    def warning(self, message: str) -> None:
        pass


def default_workers() -> int:
    """Tasks at once on the private local Ray: the cores, at most :data:`MAX_DEFAULT_WORKERS`."""
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))


def start_ray(options: RayOptions) -> bool:
    """Start the private local Ray, or join ``options.address``; True when it started one.

    Does nothing (returns False) when Ray is already initialised in this process (a test's
    shared Ray, a caller's own).

    Raises
    ------
    ConnectionError
        When the cluster at ``options.address`` cannot be reached.
    """
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    if options.address:
        _check_reachable(options.address)
    if ray.is_initialized():
        return False
    common: dict[str, Any] = {
        "log_to_driver": False,
        "logging_level": logging.ERROR,
        "configure_logging": True,
    }
    if options.address:
        ray.init(address=options.address, **common)
        return False
    ray.init(
        num_cpus=options.workers or default_workers(),
        include_dashboard=False,
        object_store_memory=LOCAL_OBJECT_STORE_BYTES,
        _node_ip_address=LOCAL_NODE_IP,
        **common,
    )
    return True


#: What a task runs on one input (:func:`twistcoach.batch.task.analyze_input`; tests pass
#: others, e.g. one whose process dies).
TaskFunction = Callable[[TaskSpec], TaskOutcome]


#: Seconds to wait for a cluster's head to accept a connection (Ray itself retries for
#: minutes before it gives up on an address where nothing listens).
CONNECT_TIMEOUT_S = 5.0


def _check_reachable(address: str) -> None:
    """Fail fast when nothing listens at ``HOST:PORT`` (``auto`` is left to Ray).

    Raises
    ------
    ConnectionError
        Naming the address, when a TCP connection cannot be made within
        :data:`CONNECT_TIMEOUT_S`, or the address is not ``HOST:PORT``: a Ray Client address
        (``ray://``) needs Ray's client extras, which twistcoach does not install (Ray then
        asked to "reinstall ray", the package it was running on).
    """
    import socket

    if address == "auto":
        return
    if "://" in address:
        raise ConnectionError(
            f"{address!r} is a Ray Client address, which twistcoach does not use; give the "
            "cluster head's HOST:PORT (its GCS port, 6379 unless changed) or auto"
        )
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConnectionError(f"the address must be HOST:PORT (or auto), got {address!r}")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), CONNECT_TIMEOUT_S):
            pass
    except OSError as e:
        raise ConnectionError(f"nothing answers at {address} ({e.strerror or e})") from None


def _ray_task(spec: TaskSpec, task: TaskFunction) -> TaskOutcome:
    """The body of the Ray task: analyse, then say which node did it."""
    import dataclasses

    import ray

    outcome = task(spec)
    node = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]
    return dataclasses.replace(outcome, node=node)


def _short(error: BaseException) -> str:
    """One line from a Ray error (its first line: Ray's errors carry whole tracebacks)."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip()


def _assign_names(items: Sequence[BatchInput], state: BatchState) -> dict[str, str]:
    """Result folder names: a record's own, else one from the file name, unique in ``out``."""
    from twistcoach.cli.analyze_cmd import _folder_name

    names: dict[str, str] = {}
    used = state.names_in_use() | reserved_names()
    for item in items:
        record = state.records.get(item.key)
        if record is not None:
            names[item.key] = record.name
    for item in items:
        if item.key not in names:
            names[item.key] = _folder_name(item.path, used)
    return names


def _place(outcome: TaskOutcome, final: Path) -> None:
    """Move a try's result folder to ``final`` (an older folder there goes first; a symbolic
    link there is removed as a link, what it points at never touched)."""
    if final.is_symlink():
        final.unlink()
    elif final.exists():
        shutil.rmtree(final)
    assert outcome.results is not None
    os.replace(outcome.results, final)


def run_batch(
    items: Sequence[BatchInput],
    options: BatchOptions,
    ray_options: RayOptions | None = None,
    listener: BatchListener | None = None,
    *,
    task: TaskFunction = analyze_input,
) -> BatchResult:
    """Analyse every input not already finished in ``options.out``, one Ray task each.

    Parameters
    ----------
    items
        The inputs (from :func:`twistcoach.batch.collect_inputs`).
    options
        Output folder and per-input options.
    ray_options
        Where to run; Ray is started (and stopped at the end) unless it already runs in
        this process.
    listener
        Told of progress.
    task
        What each task runs on its input (picklable; the default is the analysis).

    Returns
    -------
    BatchResult
        With ``interrupted`` set when Ctrl-C stopped it (finished inputs stay recorded).

    Raises
    ------
    ConnectionError
        When ``ray_options.address`` cannot be reached.
    OSError
        When the output folder cannot be written.
    BatchBusy
        When another batch is writing to the same output folder.
    """
    ray_options = ray_options or RayOptions()
    listener = listener or _Quiet()
    out = options.out.absolute()
    out.mkdir(parents=True, exist_ok=True)
    with _exclusive(out):
        return _run_locked(items, options, out, ray_options, listener, task)


@contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """Hold ``out/.batch.lock`` (``flock``) for the batch: one batch per output folder.

    Raises
    ------
    BatchBusy
        When another batch holds it.
    """
    import fcntl

    with (out / LOCK_FILE).open("a") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchBusy(f"{out}: another twistcoach batch is writing to this folder") from None
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _run_locked(
    items: Sequence[BatchInput],
    options: BatchOptions,
    out: Path,
    ray_options: RayOptions,
    listener: BatchListener,
    task: TaskFunction,
) -> BatchResult:
    """:func:`run_batch` once the output folder is this process's."""
    import ray

    staging_root = out / STAGING
    if staging_root.is_symlink():  # staging is emptied: never through a link out of ``out``
        staging_root.unlink()
    state = BatchState.load(out)
    for message in state.ignored:
        listener.warning(message)
    names = _assign_names(items, state)
    result = BatchResult()
    to_do: deque[tuple[BatchInput, int]] = deque()
    for item in items:
        if state.is_finished(item, retry_failed=options.retry_failed):
            result.skipped += 1
        else:
            to_do.append((item, 1))
    # Every record of what is redone is dropped (a list, not any(): any() stopped at the
    # first record it popped and left the others' stale results marked finished).
    if [state.records.pop(item.key, None) for item, _ in to_do if item.key in state.records]:
        state.save()  # what is redone is no longer finished, even if this run is cut short
    started = start_ray(ray_options) if to_do else False
    try:
        if to_do:
            capacity = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
            in_flight_max = max(1, min(ray_options.workers or capacity, capacity))
            result.workers = in_flight_max
            listener.started(len(to_do), result.skipped, in_flight_max)
            remote = ray.remote(num_cpus=1, max_retries=0)(_ray_task)
            # Each try's files are stamped as it starts: a file replaced while it runs has
            # another stamp at the next run, so it is analysed again.
            running: dict[Any, tuple[BatchInput, int, tuple[str | None, str | None]]] = {}
            try:
                while to_do or running:
                    while to_do and len(running) < in_flight_max:
                        item, attempt = to_do.popleft()
                        name = names[item.key]
                        staging = staging_root / f"{name}.{attempt}"
                        shutil.rmtree(staging, ignore_errors=True)
                        spec = TaskSpec(
                            path=item.key,
                            name=name,
                            out=str(out),
                            staging=str(staging),
                            body=str(item.body),
                            cap_deg=item.cap_deg,
                            annotate=options.annotate,
                            flat=item.flat_name,
                            lang=i18n.current_language(),
                            mirrored=item.mirrored,
                        )
                        running[remote.remote(spec, task)] = (item, attempt, stamps(item))
                    ready, _ = ray.wait(list(running), num_returns=1)
                    for ref in ready:
                        item, attempt, stamped = running.pop(ref)
                        try:
                            outcome: TaskOutcome = ray.get(ref)
                        except ray.exceptions.RayError as e:
                            outcome = TaskOutcome(
                                False,
                                f"{item.path}: the task stopped ({_short(e)})",
                                {"input": item.key, "error": f"the task stopped ({_short(e)})"},
                                None,
                                0.0,
                                retry=True,  # a worker that died: the next may not
                            )
                        if not outcome.ok and outcome.retry and attempt < MAX_ATTEMPTS:
                            result.retried += 1
                            listener.retrying(item, outcome.error or "failed")
                            to_do.appendleft((item, attempt + 1))
                            continue
                        record = _finish(item, names[item.key], attempt, outcome, out, stamped)
                        state.record(record)
                        if record.status == "done":
                            result.analysed += 1
                        else:
                            result.failed += 1
                        listener.finished(record)
            except KeyboardInterrupt:
                result.interrupted = True
                for ref in running:
                    ray.cancel(ref, force=True)
    finally:
        shutil.rmtree(staging_root, ignore_errors=True)
        if started:
            ray.shutdown()
    result.records = [state.records[i.key] for i in items if i.key in state.records]
    return result


def _finish(
    item: BatchInput,
    name: str,
    attempt: int,
    outcome: TaskOutcome,
    out: Path,
    stamped: tuple[str | None, str | None] = (None, None),
) -> InputRecord:
    """Put a finished input's results in place and make its record (``stamped``: the
    input's and its flat photograph's :func:`~twistcoach.batch.state.file_stamp` as the
    try started)."""
    final = out / name
    status: Any = "done"
    error = None
    if outcome.ok:
        try:
            _place(outcome, final)
        except OSError as e:
            status, error = "failed", f"{item.path}: cannot move the results into {final} ({e})"
    else:
        status, error = "failed", outcome.error or f"{item.path}: failed"
        # No stale results from an earlier run (``name`` is one plain folder name: the
        # state file's were checked when it was loaded; a link is removed as a link).
        if final.is_symlink():
            final.unlink(missing_ok=True)
        else:
            shutil.rmtree(final, ignore_errors=True)
    summary = dict(outcome.summary)
    if status == "failed":
        summary = {"input": item.key, "kind": summary.get("kind"), "error": error}
    return InputRecord(
        path=item.key,
        name=name,
        status=status,
        body=str(item.body),
        cap_deg=item.cap_deg,
        flat=item.flat_name,
        attempts=attempt,
        error=error,
        seconds=round(outcome.seconds, 3),
        node=outcome.node,
        summary=summary,
        mirrored=item.mirrored,
        stamp=stamped[0],
        flat_stamp=stamped[1],
    )
