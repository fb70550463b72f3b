"""Speed of ``twistcoach analyze`` against a plain loop, and time per stage.

Run: ``.venv/bin/python bench/speed.py [--loops 4] [--repeats 7]``; writes ``bench/RESULTS.md``.

Input: ``../shared/data/videos/supine_twist/feluna_reclining_twist.mp4`` (746x420, 25 fps,
199 frames) concatenated ``--loops`` times into a temporary file (stream copy with ffmpeg) so
that each measurement lasts long enough to be stable.

Measured, each ``--repeats`` times (the median is reported; the machine is shared):

plain loop
    decode a frame with PyAV, run a tracking-mode MediaPipe estimator on it, next; in a
    fresh process, mediapipe's import included.
analyze
    :meth:`twistcoach.pipeline.Analyzer.analyze_video` with two workers, in a fresh process,
    from a cold :class:`Analyzer` (mediapipe's import and the worker's start-up and
    shut-down included).
stages
    decode alone; inference alone (on decoded frames held in memory); the pure core
    (tracker: kinematics + smoothing + recognition) on recorded skeletons; the report.

It also checks that the numbers do not depend on the parallelism (workers=1 vs 2 give
identical observations) and says how far the chunked estimation moves the landmarks and the
knee drop against the plain loop.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from twistcoach.estimator import MODEL_NAMES, RECORDED_MODEL
from twistcoach.pipeline import (
    WARMUP_FRAMES,
    Analyzer,
    Chunk,
    Estimated,
    iter_chunk,
    run_tracker,
    video_estimator_factory,
)
from twistcoach.report import (
    DEFAULT_CAP_DEG,
    ReportThresholds,
    video_summary,
    write_html_report,
    write_metrics_csv,
)
from twistcoach.sources import VideoSource
from twistcoach.tracking import TwistTracker

#: The landmark model a recorded video is estimated with (``estimator.RECORDED_MODEL``).
MODEL_NAME = MODEL_NAMES[RECORDED_MODEL]

ROOT = Path(__file__).resolve().parents[1]
COPY = ("-c", "copy")  # output path appended below
CLIP = ROOT.parent / "shared" / "data" / "videos" / "supine_twist" / "feluna_reclining_twist.mp4"


def looped_clip(loops: int, folder: Path) -> Path:
    """The clip repeated ``loops`` times (ffmpeg stream copy, timestamps continue)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SystemExit("ffmpeg is needed (Debian package ffmpeg)")
    out = folder / f"feluna_x{loops}.mp4"
    command = [ffmpeg, "-v", "error", "-y", "-stream_loop", str(loops - 1), "-i", str(CLIP)]
    subprocess.run([*command, *COPY, str(out)], check=True)
    return out


T = TypeVar("T")


def median_time(fn: Callable[[], T], repeats: int) -> tuple[float, T]:
    """Median wall time of ``fn`` over ``repeats`` runs (at least 1), and its last result."""
    times = []
    for _ in range(max(1, repeats) - 1):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    result = fn()
    times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def plain_loop(path: Path) -> list[Estimated]:
    """The baseline: one estimator, frame after frame, in this process."""
    with video_estimator_factory() as estimator:
        return list(iter_chunk(path, Chunk(0, None, 0), estimator))


def _busy(_: int) -> float:
    t0 = time.perf_counter()
    x = 0
    for i in range(20_000_000):
        x += i
    return time.perf_counter() - t0


def parallel_capacity() -> float:
    """How many cores two CPU-bound processes get right now (2.0 on an idle 2-core machine).

    The same pure-Python loop alone, then in two spawned processes at once; returns
    2 x (time alone / time of each of the two).
    """
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        pool.map(_busy, [0, 0])  # start both processes before timing
        alone = min(pool.map(_busy, [0])[0] for _ in range(2))
        together = max(pool.map(_busy, [0, 1]))
    return 2 * alone / together


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished child processes."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far, from /proc (0 if gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime are the 14th and 15th fields of the line (11th and 12th after ")").
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers_cpu_seconds(analyzer: Analyzer) -> float:
    """CPU seconds of the analyzer's live workers and of the fork server they came from.

    They are not this process's children (the fork server forks them), so
    ``RUSAGE_CHILDREN`` never counts them: read them while they are still alive.
    """
    from multiprocessing import forkserver

    pool = analyzer._pool
    if pool is None or pool._mp_context.get_start_method() != "forkserver":
        return 0.0  # spawned workers are children: RUSAGE_CHILDREN counts them
    pids: list[int | None] = [p.pid for p in (pool._processes or {}).values()]
    server = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if server is not None:
        pids.append(server)
    return sum(process_cpu_seconds(pid) for pid in pids if pid is not None)


def decode_only(path: Path) -> int:
    with VideoSource(path) as source:
        return sum(1 for _ in source.frames())


def child(mode: str, clip: Path) -> None:
    """One timed run in this fresh process; prints ``seconds cpu_self cpu_children frames``.

    The clock starts after twistcoach's own modules are imported and before mediapipe is
    (both runs import it on the clock, as a fresh ``twistcoach analyze`` would); for
    ``analyze`` it stops after the worker has been shut down.
    """
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    workers_cpu = 0.0
    if mode == "plain":
        frames = len(plain_loop(clip))
    else:
        with Analyzer(workers=2) as analyzer:
            frames = len(analyzer.analyze_video(clip).frames)
            workers_cpu = workers_cpu_seconds(analyzer)
    elapsed = time.perf_counter() - t0
    cpu1 = cpu_seconds()
    print(f"{elapsed} {cpu1[0] - cpu0[0]} {cpu1[1] - cpu0[1] + workers_cpu} {frames}")


def timed_in_fresh_process(mode: str, clip: Path) -> tuple[float, float, float]:
    """Run :func:`child` in a new interpreter: (seconds, CPU s of it, CPU s of its workers)."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(clip)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def pair_in_fresh_processes(clip: Path) -> float:
    """Two plain loops at once, each over the whole clip in its own fresh process: the
    slower one's seconds. Nothing is split or shared, so ``2 * plain / this`` is the
    throughput two cores give this work here: the ceiling for any split of it."""
    command = [sys.executable, __file__, "--child", "plain", str(clip)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    walls = [float(run.communicate()[0].split()[0]) for run in runs]
    if any(run.returncode for run in runs):
        raise SystemExit("a plain loop of the pair failed")
    return max(walls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "CLIP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    th = ReportThresholds.from_coaching_rules()
    load_before = os.getloadavg()
    capacity_before = parallel_capacity()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip = looped_clip(args.loops, tmp)
        n = decode_only(clip)
        print(f"clip: {clip.name}, {n} frames")

        decode_s, _ = median_time(lambda: decode_only(clip), args.repeats)
        with VideoSource(clip) as source:
            decoded = [f.rgb for f in source.frames()]

        def inference() -> None:
            with video_estimator_factory() as estimator:
                for i, rgb in enumerate(decoded):
                    estimator.estimate(rgb, i / 25)

        infer_s, _ = median_time(inference, args.repeats)
        decoded.clear()

        # Each timed run is a fresh process, as each `twistcoach analyze` is: both pay
        # mediapipe's import, and analyze's worker comes from the fork server, which
        # imports mediapipe while this process does. Runs alternate so both see the same
        # load from other users of the machine; the speed-up is the median of the per-pair
        # ratios. CPU seconds are recorded too: on a busy machine wall time says little
        # about what two idle cores would do, while the busiest process's CPU time bounds it.
        plain_times, analyze_times, ratios, cpu_ratios = [], [], [], []
        for r in range(max(1, args.repeats)):
            # ABBA order: a slow drift of the machine's speed then cancels in the median.
            if r % 2 == 0:
                plain_t, plain_cpu, _ = timed_in_fresh_process("plain", clip)
                analyze_t, main_cpu, worker_cpu = timed_in_fresh_process("analyze", clip)
            else:
                analyze_t, main_cpu, worker_cpu = timed_in_fresh_process("analyze", clip)
                plain_t, plain_cpu, _ = timed_in_fresh_process("plain", clip)
            plain_times.append(plain_t)
            analyze_times.append(analyze_t)
            ratios.append(plain_t / analyze_t)
            cpu_ratios.append(plain_cpu / max(main_cpu, worker_cpu))
            print(
                f"run {r + 1}: plain {n / plain_t:.1f} fps, analyze {n / analyze_t:.1f} fps, "
                f"load {os.getloadavg()[0]:.2f}; CPU s: plain {plain_cpu:.1f}, analyze main "
                f"{main_cpu:.1f} + worker {worker_cpu:.1f}"
            )
        # The ceiling: two whole plain loops at once (the same order as above, after it).
        pair_times = [pair_in_fresh_processes(clip) for _ in range(max(1, args.repeats // 2))]
        ceiling = 2 * statistics.median(plain_times) / statistics.median(pair_times)
        print(
            f"two plain loops at once: {statistics.median(pair_times):.2f} s; "
            f"ceiling {ceiling:.2f}x"
        )
        with Analyzer(workers=2) as analyzer:  # for the numbers below
            analysis = analyzer.analyze_video(clip)
        plain = plain_loop(clip)
        plain_s = statistics.median(plain_times)
        analyze_s = statistics.median(analyze_times)

        def core() -> None:
            run_tracker(plain, TwistTracker())

        core_s, _ = median_time(core, args.repeats)

        def write_reports() -> None:
            summary = video_summary(analysis, DEFAULT_CAP_DEG, th)
            write_metrics_csv(tmp / "m.csv", analysis.frames, DEFAULT_CAP_DEG, th)
            write_html_report(tmp / "r.html", summary, analysis.frames, DEFAULT_CAP_DEG, th)

        report_s, _ = median_time(write_reports, args.repeats)

        with Analyzer(workers=1) as one:
            sequential = one.analyze_video(clip)
        identical = all(
            a.observation == b.observation
            and (a.skeleton is None) == (b.skeleton is None)
            and (
                a.skeleton is None
                or b.skeleton is None
                or np.array_equal(a.skeleton.image_xy, b.skeleton.image_xy)
            )
            for a, b in zip(sequential.frames, analysis.frames, strict=True)
        )
        plain_frames = run_tracker(plain, TwistTracker())
        cut = analysis.chunks[1].start if len(analysis.chunks) > 1 else n
        px, drop_diff, known = [], [], 0
        for a, b in zip(plain_frames, analysis.frames, strict=True):
            if a.skeleton is not None and b.skeleton is not None:
                px.append(float(np.abs(a.skeleton.image_xy - b.skeleton.image_xy).max()))
            ma, mb = a.observation.metrics, b.observation.metrics
            if ma and mb and ma.knee_drop.value is not None and mb.knee_drop.value is not None:
                known += 1
                drop_diff.append(abs(ma.knee_drop.value - mb.knee_drop.value))
        px_after = px[cut:] if len(px) > cut else [0.0]
        px_before = px[:cut] or [0.0]

    load_after = os.getloadavg()
    capacity_after = parallel_capacity()
    speedup = statistics.median(ratios)
    lines = [
        "# Speed of `twistcoach analyze` (bench/speed.py)",
        "",
        f"Machine: {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after (the machine is shared, so numbers move between runs); "
        f"niceness {os.nice(0)} (run with `nice -n -10` to keep other users' jobs from "
        "taking the cores the comparison is about).",
        f"Cores two CPU-bound processes actually got (pure-Python check, 2.0 = two free "
        f"cores): {capacity_before:.2f} before, {capacity_after:.2f} after.",
        f"Input: `feluna_reclining_twist.mp4` (746x420) looped {args.loops} times = {n} frames; "
        f"median of {args.repeats} runs.",
        "",
        "| measurement | seconds | frames/s | ms/frame |",
        "|---|---:|---:|---:|",
        f"| plain loop (decode + MediaPipe, fresh process) | {plain_s:.2f} | {n / plain_s:.1f} "
        f"| {1000 * plain_s / n:.2f} |",
        f"| **analyze** (2 workers, fresh process, start-up included) | {analyze_s:.2f} | "
        f"**{n / analyze_s:.1f}** | {1000 * analyze_s / n:.2f} |",
        f"| stage: decode (PyAV, rgb24) | {decode_s:.2f} | {n / decode_s:.0f} | "
        f"{1000 * decode_s / n:.2f} |",
        f"| stage: inference (MediaPipe {MODEL_NAME}, tracking) | {infer_s:.2f} | "
        f"{n / infer_s:.1f} | {1000 * infer_s / n:.2f} |",
        f"| stage: kinematics + smoothing + recognition (tracker) | {core_s:.3f} | "
        f"{n / core_s:.0f} | {1000 * core_s / n:.3f} |",
        f"| stage: report (summary + CSV + HTML with plots) | {report_s:.2f} | – | "
        f"{1000 * report_s / n:.2f} |",
        "",
        "Per-run speed-ups (plain loop time / analyze time; pairs in ABBA order): "
        + ", ".join(f"{x:.2f}x" for x in ratios)
        + ".",
        f"**Speed-up of analyze over the plain loop (median): {speedup:.2f}x** (issue 19's "
        f"target 1.8x: {'met' if speedup >= 1.8 else 'NOT met'}).",
        "The most two cores can give here, counting only the work analyze must add to the "
        "plain loop's (the tracker on every frame, only in this process, and the worker's "
        f"{WARMUP_FRAMES} warm-up frames), all of it perfectly shared between the cores: "
        f"{plain_s / ((plain_s + core_s + WARMUP_FRAMES * plain_s / n) / 2):.2f}x.",
        "**What two cores give this work here, measured:** two plain loops at once, each "
        "over the whole clip in its own fresh process (nothing split, nothing shared), took "
        + ", ".join(f"{t:.2f}" for t in pair_times)
        + f" s (the slower of each pair), against {plain_s:.2f} s for one alone: twice the "
        f"frames in {statistics.median(pair_times) / plain_s:.2f} times the time, a throughput "
        f"of **{ceiling:.2f}x** one loop's. No split of this work into two processes can beat "
        "that on this machine, before adding anything analyze must do besides (the tracker, "
        "the warm-up frames, the worker's start).",
        "Speed-up on two otherwise idle cores, estimated from CPU time (plain loop CPU "
        "seconds / CPU seconds of the busier of analyze's two processes): "
        + ", ".join(f"{x:.2f}x" for x in cpu_ratios)
        + f"; median **{statistics.median(cpu_ratios):.2f}x**. This estimate ignores waiting "
        "(the worker's start-up is CPU work and is counted).",
        f"Core per frame: {1000 * core_s / n:.3f} ms (target < 1 ms: "
        f"{'met' if core_s / n < 1e-3 else 'NOT met'}).",
        "",
        "How: the video is cut into 2 contiguous chunks at a frame index fixed by the header's "
        "frame count; this process estimates the first while a worker, forked from "
        "multiprocessing's fork server (which has imported mediapipe), estimates the second "
        "(starting "
        f"{WARMUP_FRAMES} frames early to let MediaPipe's tracker settle) and streams its "
        "frames back in batches of 16; this process tracks its own chunk and then the "
        "worker's frames as they arrive, in frame order, so the worker's end is the end. "
        "Each timed run is a fresh process (both pay mediapipe's import). "
        "Threads do not help: MediaPipe holds the GIL "
        "(two estimators in two threads ran no faster than one), and decoding is only "
        f"{1000 * decode_s / n:.1f} ms of the {1000 * plain_s / n:.1f} ms a frame.",
        "",
        "Numbers:",
        f"- workers=1 and workers=2 give identical observations and landmarks: **{identical}**.",
        f"- against the plain loop, landmarks before the cut (frame {cut}) differ by at most "
        f"{max(px_before):.3f} px; after it by at most {max(px_after):.2f} px (median "
        f"{statistics.median(px_after):.3f} px): the second chunk starts MediaPipe's tracking "
        "afresh.",
        f"- knee drop known in {known} frames of both runs"
        + (
            f"; largest difference {max(drop_diff):.2f} deg."
            if drop_diff
            else " (the tracker reported no knee drop on this clip in this run)."
        ),
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
