"""Load benchmark of the live coach server: simulated students over real WebSockets.

Usage::

    .venv/bin/python bench/load.py                      # steps N, writes bench/LOAD.md
    .venv/bin/python bench/load.py --workers 2          # two server processes
    .venv/bin/python bench/load.py --streams 10 --quick # one step, prints only

What it does, all on 127.0.0.1 (nothing else is contacted):

1. A fresh SQLite database in a temporary folder (WAL mode, as ``twistcoach serve`` uses)
   with ``--max-streams`` student accounts, made through the repository with a cheap
   password hash (sign-in cost is not what this measures).
2. ``twistcoach serve --workers W`` on a free loopback port, as a separate process group.
3. Each student signs in (``POST /api/signin``), sends the clinical intake
   (``POST /api/intake``) once, and for each step opens a practice session
   (``POST /api/sessions``).
4. A step of N streams: the first half connect at once, the second half join at once
   :data:`JOIN_AFTER_S` seconds later (the "many connect at once" case the admission is
   for). Each stream waits for the server's ``ready`` status (the page does the same), then
   replays recorded MediaPipe landmarks (``tests/cues/real__demo_session.npz``: a real
   34-second session, 15 frames a second) at ``--fps`` frames a second for ``--duration``
   seconds, each stream on its own phase within a frame period, then sends ``end`` and
   waits for ``stopped``.
5. Latency: for every reply that carries a frame's time (``metrics`` at most 5 a second,
   cues), from the moment that frame was sent to the moment the reply arrived. Frames
   without a reply still cost the server their time, so queueing shows in the others.
6. Server CPU: user + system time of the server's processes (``/proc``), from when every
   stream was streaming to the step's end, divided by the frames the server was sent in
   that window; memory: the server processes' resident set at the step's end.

Steps go up by ``--step`` from ``--start`` until p99 passes 50 ms (and one step more is not
tried), ``--max-streams`` is reached, or ``--time-limit`` seconds have passed. ``uptime``'s
load averages before and after, and this script's own CPU (it runs on the same machine),
are written with the numbers: the machine is shared, and other work on it changes them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import websockets

REPO = Path(__file__).resolve().parents[1]
RECORDING = REPO / "tests" / "cues" / "real__demo_session.npz"
TWISTCOACH = Path(sys.executable).with_name("twistcoach")
PASSWORD = "load-bench-password"
INTAKE = {
    "age": 45,
    "pain_now": 2,
    "pain_duration_weeks": 30,
    "activity": "light",
    "leg_symptoms": "none",
    "conditions": ["chronic_low_back_pain"],
}
VARIANT = "supine_twist_partial"
#: Set by ``--legacy``: a server from before issue 19 (no status messages, no --workers).
LEGACY = False
#: Set by ``--profile FILE``: the server runs under cProfile, its stats written there.
PROFILE: Path | None = None
#: The latency target: p99 from a landmark frame to its reply, milliseconds (issue 19).
P99_TARGET_MS = 50.0
#: Seconds after the first half of a step's streams that the second half joins at once.
JOIN_AFTER_S = 4.0
#: Frames a second of the recording (its ``t`` column: 0, 1/15, ...).
RECORDING_FPS = 15.0


def recorded_messages(path: Path = RECORDING) -> list[list[list[float]] | None]:
    """The recording's landmarks as the page sends them: per frame 33 ``[x, y, z,
    visibility]`` normalized to the image (z 0: the recording keeps image x, y only), or
    None where MediaPipe found nobody."""
    data = np.load(path)
    w, h = (float(v) for v in data["size"])
    frames: list[list[list[float]] | None] = []
    for found, xy, vis in zip(data["found"], data["image_xy"], data["visibility"], strict=True):
        if not found:
            frames.append(None)
            continue
        frames.append(
            [
                [round(float(x) / w, 5), round(float(y) / h, 5), 0.0, round(float(v), 4)]
                for (x, y), v in zip(xy, vis, strict=True)
            ]
        )
    return frames


def tracker_alone_ms(frames: list[list[list[float]] | None], repeats: int = 3) -> float:
    """CPU milliseconds a frame of the tracker alone (``TwistTracker.update``: what the
    server cannot avoid) on the same recording, after its calibration (from frame 30, as
    the steady window sees it): the median of ``repeats`` replays in this process."""
    from twistcoach.landmarks import Skeleton
    from twistcoach.pipeline import default_tracker_factory

    skeletons = [
        None
        if lm is None
        else Skeleton.from_normalized(k / RECORDING_FPS, np.asarray(lm), (746, 420))
        for k, lm in enumerate(frames)
    ]
    times = []
    for _ in range(repeats):
        tracker = default_tracker_factory("neutral")
        for k, skeleton in enumerate(skeletons[:30]):
            tracker.update(k / RECORDING_FPS, skeleton)
        start = time.process_time()
        for k, skeleton in enumerate(skeletons[30:], start=30):
            tracker.update(k / RECORDING_FPS, skeleton)
        times.append((time.process_time() - start) / (len(skeletons) - 30) * 1e3)
    return statistics.median(times)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def uptime() -> str:
    """``uptime``'s load averages."""
    return ", ".join(Path("/proc/loadavg").read_text().split()[:3])


def load_1min() -> float:
    """The 1-minute load average."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (pids), from ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds of the processes ``pids`` (those still alive)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def rss_mib(pids: Sequence[int]) -> float:
    """Resident memory of the processes ``pids``, MiB."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def prepare_database(url: str, count: int) -> list[str]:
    """A fresh database with ``count`` student accounts; returns their e-mails."""
    from twistcoach.storage import Repository, create_engine_for_url, init_db
    from twistcoach.web.security import PasswordService

    engine = create_engine_for_url(url)
    init_db(engine)
    repo = Repository(engine)
    hashed = PasswordService(time_cost=1, memory_kib=1024).hash(PASSWORD)
    emails = []
    for i in range(count):
        email = f"student{i:04d}@example.org"
        account = repo.create_account(email, f"Student {i:04d}", hashed, "student")
        repo.create_person(f"Student {i:04d}", account_id=account.id)
        emails.append(email)
    engine.dispose()
    return emails


@dataclass
class Student:
    """One simulated student: an HTTP client holding the sign-in cookie."""

    email: str
    http: httpx.Client
    csrf: str = ""

    def sign_in(self) -> None:
        r = self.http.post("/api/signin", json={"email": self.email, "password": PASSWORD})
        r.raise_for_status()
        self.csrf = str(r.json()["csrf_token"])
        r = self.http.post("/api/intake", json=INTAKE, headers={"X-CSRF-Token": self.csrf})
        r.raise_for_status()

    def open_session(self) -> int:
        r = self.http.post(
            "/api/sessions",
            json={"variant_id": VARIANT, "start_pain": 2},
            headers={"X-CSRF-Token": self.csrf},
        )
        r.raise_for_status()
        return int(r.json()["session_id"])

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())


@dataclass
class StreamResult:
    """What one stream saw."""

    #: (when received, ms) of frames sent and answered while the stream was running.
    latencies_ms: list[tuple[float, float]] = field(default_factory=list)
    #: ms of frames sent or answered while the server had said "getting ready".
    ready_latencies_ms: list[float] = field(default_factory=list)
    #: Seconds from connecting to the first reply while running (not waiting).
    first_reply_s: float | None = None
    waited: bool = False
    waiting: bool = False
    epoch: int = 0
    frames_sent: int = 0
    replies: int = 0
    stopped: dict[str, Any] | None = None
    error: str | None = None


async def stream(
    base_ws: str,
    session_id: int,
    cookie: str,
    frames: list[list[list[float]] | None],
    *,
    fps: float,
    duration_s: float,
    phase_s: float,
    result: StreamResult,
) -> None:
    """One student's practice socket, as the page drives it: frames at ``fps`` from the
    moment it opens, the server's status messages shown ("getting ready" / ready), then
    ``end``. A frame counts as running only when the stream was not told to wait between
    its sending and its reply."""
    sent_at: dict[float, tuple[float, int, bool]] = {}
    t_connect = time.perf_counter()
    try:
        async with websockets.connect(
            f"{base_ws}/ws/practice/{session_id}",
            additional_headers={"Cookie": cookie},
            max_size=1 << 20,
            open_timeout=120,
        ) as ws:

            async def receive() -> None:
                async for raw in ws:
                    now = time.perf_counter()
                    msg = json.loads(raw)
                    result.replies += 1
                    kind = msg.get("type")
                    if kind == "stopped":
                        result.stopped = msg
                        return
                    if kind == "status":
                        if msg.get("state") == "waiting":
                            result.waited = result.waiting = True
                            result.epoch += 1
                        elif msg.get("state") == "ready":
                            result.waiting = False
                        continue
                    if kind == "error":
                        raise RuntimeError(f"error from the server: {msg.get('message')}")
                    t = msg.get("t")
                    key = round(float(t), 3) if isinstance(t, int | float) else None
                    if key is None or key not in sent_at:
                        continue
                    sent, epoch, waiting = sent_at.pop(key)
                    ms = (now - sent) * 1e3
                    if waiting or result.waiting or epoch != result.epoch:
                        result.ready_latencies_ms.append(ms)
                        continue
                    result.latencies_ms.append((now, ms))
                    if result.first_reply_s is None:
                        result.first_reply_s = now - t_connect

            receiver = asyncio.create_task(receive())
            await asyncio.sleep(phase_s)
            start = time.perf_counter()
            for k in range(int(duration_s * fps)):
                if receiver.done():
                    break  # stopped by the coach (or failed: reported below)
                due = start + k / fps
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                t = round(k / fps, 3)
                lm = frames[int(k * RECORDING_FPS / fps) % len(frames)]
                text = json.dumps({"type": "landmarks", "t": t, "w": 746, "h": 420, "lm": lm})
                sent_at[t] = (time.perf_counter(), result.epoch, result.waiting)
                await ws.send(text)
                result.frames_sent += 1
            if not receiver.done():
                await ws.send(json.dumps({"type": "end"}))
            await asyncio.wait_for(receiver, 120)
    except Exception as exc:  # a failed stream is reported, never hidden
        result.error = f"{type(exc).__name__}: {exc}"


@dataclass
class Step:
    """One step's numbers (milliseconds, seconds, MiB)."""

    streams: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    steady_p99_ms: float
    join_p99_ms: float
    ready_p99_ms: float
    replies: int
    cpu_ms_per_frame: float
    cpu_all_ms_per_frame: float
    frames: int
    rss_mib: float
    first_reply_p50_s: float
    first_reply_max_s: float
    waited: int
    errors: list[str]
    stored_ok: int
    load: float
    client_cpu_ms_per_frame: float

    @property
    def passed(self) -> bool:
        """No failed stream, every session stored, and p99 within the target."""
        return not self.errors and self.stored_ok == self.streams and self.p99_ms <= P99_TARGET_MS


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` percentile (0-100) of ``values`` (nan when empty)."""
    return float(np.percentile(values, q)) if values else float("nan")


async def run_step(
    students: list[Student],
    base_ws: str,
    frames: list[list[list[float]] | None],
    server_pid: int,
    db_url: str,
    *,
    fps: float,
    duration_s: float,
) -> Step:
    """N = len(students) streams: half at once, the other half at once JOIN_AFTER_S later."""
    sessions = [s.open_session() for s in students]
    # This generator's own garbage collector pauses are not the server's latency.
    gc.collect()
    gc.freeze()
    results = [StreamResult() for _ in students]
    half = len(students) - len(students) // 2
    rng = random.Random(len(students))
    client0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()

    def launch(i: int) -> asyncio.Task[None]:
        return asyncio.create_task(
            stream(
                base_ws,
                sessions[i],
                students[i].cookie,
                frames,
                fps=fps,
                duration_s=duration_s,
                phase_s=rng.random() / fps,
                result=results[i],
            )
        )

    pids = process_tree(server_pid)
    cpu_start = cpu_seconds(pids)
    first = [launch(i) for i in range(half)]
    await asyncio.sleep(JOIN_AFTER_S)
    join_start = time.perf_counter()
    second = [launch(i) for i in range(half, len(students))]

    def settled() -> bool:
        return all(
            r.error is not None or (r.first_reply_s is not None and not r.waiting) for r in results
        )

    while not settled() and time.perf_counter() - t0 < duration_s:
        await asyncio.sleep(0.05)
    join_end = time.perf_counter()
    # Steady state: every stream running, from a second after the joiners settled until
    # the first half's last frames.
    await asyncio.sleep(1.0)
    pids = process_tree(server_pid)
    cpu0, sent0, w0 = cpu_seconds(pids), sum(r.frames_sent for r in results), time.perf_counter()
    await asyncio.sleep(max(0.0, t0 + duration_s - 0.5 - time.perf_counter()))
    pids = process_tree(server_pid)
    cpu1, sent1, w1 = cpu_seconds(pids), sum(r.frames_sent for r in results), time.perf_counter()
    rss = rss_mib(pids)
    await asyncio.gather(*first, *second)
    cpu_end = cpu_seconds(process_tree(server_pid))
    client1 = resource.getrusage(resource.RUSAGE_SELF)
    all_lat = [ms for r in results for _, ms in r.latencies_ms]
    steady_lat = [ms for r in results for when, ms in r.latencies_ms if w0 <= when <= w1]
    join_lat = [
        ms
        for r in results[:half]
        for when, ms in r.latencies_ms
        if join_start <= when <= join_end + 1.0
    ]
    ready_lat = [ms for r in results for ms in r.ready_latencies_ms]
    frames_total = sum(r.frames_sent for r in results)
    client_cpu = (client1.ru_utime + client1.ru_stime) - (client0.ru_utime + client0.ru_stime)
    firsts = [r.first_reply_s for r in results if r.first_reply_s is not None]
    errors = [r.error for r in results if r.error]
    errors += [
        f"stream {i} never stopped"
        for i, r in enumerate(results)
        if r.stopped is None and not r.error
    ]
    steady_frames = sent1 - sent0
    return Step(
        streams=len(students),
        p50_ms=percentile(all_lat, 50),
        p99_ms=percentile(all_lat, 99),
        max_ms=max(all_lat, default=float("nan")),
        steady_p99_ms=percentile(steady_lat, 99),
        join_p99_ms=percentile(join_lat, 99),
        ready_p99_ms=percentile(ready_lat, 99),
        replies=len(all_lat),
        cpu_ms_per_frame=(
            (cpu1 - cpu0) / steady_frames * 1e3 if steady_frames >= 10 else float("nan")
        ),
        cpu_all_ms_per_frame=(cpu_end - cpu_start) / max(1, frames_total) * 1e3,
        frames=frames_total,
        rss_mib=rss,
        first_reply_p50_s=percentile(firsts, 50),
        first_reply_max_s=max(firsts, default=float("nan")),
        waited=sum(r.waited for r in results),
        errors=errors,
        stored_ok=stored_sessions(db_url, sessions),
        load=load_1min(),
        client_cpu_ms_per_frame=client_cpu / max(1, frames_total) * 1e3,
    )


def stored_sessions(db_url: str, session_ids: Sequence[int]) -> int:
    """How many of the step's sessions ended as completed/stopped with samples stored."""
    from twistcoach.storage import Repository, create_engine_for_url

    engine = create_engine_for_url(db_url)
    repo = Repository(engine)
    ok = 0
    for sid in session_ids:
        detail = repo.get_session(sid)
        if detail.session.status != "running" and len(detail.samples) > 0:
            ok += 1
    engine.dispose()
    return ok


def start_server(db_url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """``twistcoach serve`` in its own process group; returns once it answers."""
    env = {
        **os.environ,
        "TWISTCOACH_DATABASE_URL": db_url,
        "TWISTCOACH_SECRET_KEY": "load-bench-secret-key-0123456789",
    }
    command = [str(TWISTCOACH), "serve", "--no-demo", "--port", str(port)]
    if PROFILE is not None:  # the server's main thread (its event loop) under cProfile
        command = [sys.executable, "-m", "cProfile", "-o", str(PROFILE), *command]
    if not LEGACY:
        command += ["--workers", str(workers)]
    proc = subprocess.Popen(
        command,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/signin", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the server did not answer within 120 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group (started by this script)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT if PROFILE is not None else signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def report(
    steps: list[Step], args: argparse.Namespace, before: str, after: str, tracker_ms: float
) -> str:
    """bench/LOAD.md's text."""
    best = max((s for s in steps if s.passed), key=lambda s: s.streams, default=None)
    lines = [
        "# Live coach server under load",
        "",
        f"`.venv/bin/python bench/load.py --workers {args.workers} --fps {args.fps:g} "
        f"--duration {args.duration:g} --start {args.start} --step {args.step}"
        f"{'' if args.nice is None else f' --nice {args.nice}'}` on "
        f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
        f"Load averages (1, 5, 15 min) before: {before}, after: {after}."
        + (
            f" The server and the load generator ran at niceness {args.nice} (`--nice`), "
            "ahead of the other work on this shared machine."
            if args.nice is not None
            else ""
        ),
        "",
        "Each stream replays a real recorded session's MediaPipe landmarks "
        f"(`tests/cues/real__demo_session.npz`) at {args.fps:g} frames a second over a real "
        "WebSocket on 127.0.0.1; half the streams connect at once, the other half join at once "
        f"{JOIN_AFTER_S:g} s later. Latency: frame sent -> its reply received (metrics at most "
        "5 a second, cues). CPU: the server processes' user+system time per frame sent. The load "
        "generator runs on the same machine (its CPU per frame is shown).",
        "",
        f"The tracker alone (`TwistTracker.update` on the same recording after its "
        f"calibration, in the load generator's process just before the steps): "
        f"**{tracker_ms:.2f} ms** of CPU a frame.",
        "",
        "Columns: p50/p99/max over every answered frame of running streams (a frame sent or "
        'answered while its stream had been told "getting ready" is counted apart, in '
        "*getting ready p99*); *steady p99*: while every stream was running; *joining p99*: "
        "the first half's frames while the second half connected; *CPU steady*: server CPU "
        "per frame while every stream ran; *CPU all*: over the whole step, starts and "
        "calibrations included; *first reply*: from connecting to the first answered frame.",
        "",
        "| streams | p50 ms | p99 ms | max ms | steady p99 ms | joining p99 ms "
        "| getting ready p99 ms | server CPU steady / all, ms a frame | client CPU ms a frame "
        "| server RSS MiB | first reply p50 / max s | told to wait | stored | load 1 min "
        "| errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in steps:
        lines.append(
            f"| {s.streams} | {s.p50_ms:.1f} | {s.p99_ms:.1f} | {s.max_ms:.0f} | "
            f"{s.steady_p99_ms:.1f} | {s.join_p99_ms:.1f} | {s.ready_p99_ms:.0f} | "
            f"{s.cpu_ms_per_frame:.2f} / {s.cpu_all_ms_per_frame:.2f} | "
            f"{s.client_cpu_ms_per_frame:.2f} | {s.rss_mib:.0f} | "
            f"{s.first_reply_p50_s:.2f} / {s.first_reply_max_s:.2f} | {s.waited} | "
            f"{s.stored_ok}/{s.streams} | {s.load:.1f} | {len(s.errors)} |"
        )
    lines.append("")
    if best is not None:
        per_core = 1000.0 / (
            args.fps
            * statistics.median(s.cpu_ms_per_frame for s in steps if s.cpu_ms_per_frame > 0)
        )
        lines.append(
            f"Largest step with p99 <= {P99_TARGET_MS:g} ms and no failed stream: **{best.streams} "
            f"streams** with {args.workers} server process(es). From the server's CPU per frame "
            f"(median over the steps), one core holds about {per_core:.0f} streams at "
            f"{args.fps:g} frames a second."
        )
    else:
        lines.append(f"No step kept p99 <= {P99_TARGET_MS:g} ms.")
    errors = [e for s in steps for e in s.errors]
    if errors:
        lines += ["", "Errors (first 5):", ""] + [f"- {e}" for e in errors[:5]]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--fps", type=float, default=15.0, help="frames a second per stream")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per stream")
    parser.add_argument("--start", type=int, default=10, help="streams in the first step")
    parser.add_argument("--step", type=int, default=10, help="streams added per step")
    parser.add_argument("--streams", type=int, default=None, help="one step of this many")
    parser.add_argument("--max-streams", type=int, default=200, help="most streams")
    parser.add_argument("--time-limit", type=float, default=900.0, help="seconds in all")
    parser.add_argument(
        "--legacy", action="store_true", help="a server without status messages (a baseline)"
    )
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the server")
    parser.add_argument("--append", action="store_true", help="add this run to --out as a section")
    parser.add_argument(
        "--nice",
        type=int,
        default=None,
        help="run this script and the server at this niceness (negative: before other "
        "work on the machine; needs root), said in the report",
    )
    parser.add_argument("--quick", action="store_true", help="print only, no LOAD.md")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "LOAD.md")
    args = parser.parse_args(argv)
    if args.streams is not None:
        args.start, args.max_streams = args.streams, args.streams
    if not 1 <= args.start <= args.max_streams <= 1000 or args.duration > 120:
        parser.error("need 1 <= --start <= --max-streams <= 1000 and --duration <= 120")
    global LEGACY, PROFILE
    LEGACY, PROFILE = args.legacy, args.profile
    if args.nice is not None:
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)  # the server inherits it
    frames = recorded_messages()
    tracker_ms = tracker_alone_ms(frames)
    print(f"tracker alone: {tracker_ms:.2f} ms a frame", flush=True)
    began = time.monotonic()
    before = uptime()
    with tempfile.TemporaryDirectory(prefix="tc-load-") as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'load.db'}"
        emails = prepare_database(db_url, args.max_streams)
        port = free_port()
        server = start_server(db_url, port, args.workers, Path(tmp) / "server.log")
        steps: list[Step] = []
        try:
            base = f"http://127.0.0.1:{port}"
            students = [Student(e, httpx.Client(base_url=base, timeout=60)) for e in emails]
            signed = 0
            n = args.start
            while n <= args.max_streams and time.monotonic() - began < args.time_limit:
                for s in students[signed:n]:
                    s.sign_in()
                signed = max(signed, n)
                step = asyncio.run(
                    run_step(
                        students[:n],
                        f"ws://127.0.0.1:{port}",
                        frames,
                        server.pid,
                        db_url,
                        fps=args.fps,
                        duration_s=args.duration,
                    )
                )
                steps.append(step)
                print(
                    f"{step.streams:4d} streams: p50 {step.p50_ms:.1f} ms, p99 {step.p99_ms:.1f} "
                    f"ms (steady {step.steady_p99_ms:.1f}, joining {step.join_p99_ms:.1f}, "
                    f"getting ready {step.ready_p99_ms:.0f}), server CPU "
                    f"{step.cpu_ms_per_frame:.2f} / {step.cpu_all_ms_per_frame:.2f} ms/frame, "
                    f"client {step.client_cpu_ms_per_frame:.2f}, RSS {step.rss_mib:.0f} MiB, "
                    f"first reply max {step.first_reply_max_s:.2f} s, waited {step.waited}, "
                    f"stored {step.stored_ok}/{step.streams}, load {step.load:.1f}, errors "
                    f"{len(step.errors)} {step.errors[:2]}",
                    flush=True,
                )
                if step.errors:
                    print("server log (end):", (Path(tmp) / "server.log").read_text()[-3000:])
                if not step.passed:
                    break
                n += args.step
        finally:
            stop_server(server)
    after = uptime()
    text = report(steps, args, before, after, tracker_ms)
    if args.quick:
        print(text)
    elif args.append and args.out.exists():
        body = text.split("\n", 2)[2]  # without the title
        heading = (
            f"## {args.workers} server process{'es' if args.workers > 1 else ''}"
            f"{'' if args.nice is None else f', niceness {args.nice}'}\n\n"
        )
        args.out.write_text(args.out.read_text() + "\n" + heading + body)
    else:
        args.out.write_text(text)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
