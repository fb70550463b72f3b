"""The accuracy benchmark: the real twistcoach pipeline on rendered people with known twists.

Run ``make accuracy`` (renders into ``.cache/groundtruth`` with ``.venv-bench`` first, then
runs this with the product's ``.venv``), or directly::

    PYTHONPATH=bench .venv/bin/python bench/accuracy.py [--quick]

Writes ``bench/ACCURACY.md`` (recorded videos: the heavy landmark model) or, with ``--model
live``, ``bench/ACCURACY_LIVE.md`` (the live coach: the full model), their plots
``bench/img/accuracy[_live]_*.png`` (error against the true knee drop, per view), and
``.cache/groundtruth/results-<model>.json`` (every measurement).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from groundtruth.env import RENDER_CACHE, REPO
from groundtruth.evaluate import (
    BODY_MODES,
    METRICS,
    RECOMMENDED_CAMERAS,
    UNDER_READ_BAND_DEG,
    Result,
    band_margin,
    estimate_stills,
    load_stills,
    refusal_rate,
    run_calibrated,
    run_photos,
    run_video,
    stats,
    under_read_rows,
)
from groundtruth.plan import HELD_OUT, WIDE, bodies, wide_sequences
from twistcoach.estimator import LIVE_MODEL, RECORDED_MODEL
from twistcoach.metrics import View

#: Report order of the view groups, with what the app should do from each.
GROUPS: tuple[tuple[str, str, str], ...] = (
    (
        "recommended",
        "measure (recommended)",
        "raised diagonal 50-60 deg round from the feet, 35-45 deg up",
    ),
    ("oblique", "measure", "other diagonals: feet corner, 65 deg round, or lens 1 m high"),
    ("top_down", "measure", "camera overhead, looking straight down"),
    ("head_end", "measure", "behind the head, 25 deg up"),
    ("feet_end_high", "measure", "at the feet, lens about 1.5 m high"),
    ("feet_end_low", "refuse", "at the feet, lens about 0.55 m high"),
    ("side", "refuse", "beside the mat, 8-20 deg up"),
)
THRESHOLD_RECOMMENDED_MAE = 4.0
THRESHOLD_RECOMMENDED_WORST = 10.0
THRESHOLD_OTHER_MAE = 8.0


def group_of(r: Result) -> str:
    """The report group of a result (feet-end cameras split by height)."""
    if r.camera in RECOMMENDED_CAMERAS:
        return "recommended"
    if r.view == "feet_end":
        return "feet_end_low" if "low" in r.camera else "feet_end_high"
    return r.view


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


STATS_HEADER = ("n", "detected", "measured", "MAE", "bias", "p95", "worst", "side right")


def _majority(values: Sequence[str]) -> str:
    if not values:
        return "-"
    (value, count), *_ = Counter(values).most_common(1)
    return f"{value} ({100 * count / len(values):.0f}%)"


def _verdict(results: Sequence[Result]) -> list[tuple[str, str, bool]]:
    """(check, measured, passed) for the issue's targets, calibrated stills and clips."""
    out: list[tuple[str, str, bool]] = []
    for name, expected, _ in GROUPS:
        rs = [r for r in results if group_of(r) == name]
        if not rs:
            continue
        if expected == "refuse":
            rate = refusal_rate(rs) or 0.0
            out.append((f"{name}: refused", f"{100 * rate:.0f}% refused", rate >= 0.95))
            continue
        s = stats(rs, "knee_drop_deg")
        mae = s.mae if s.mae is not None else float("inf")
        worst = s.worst if s.worst is not None else float("inf")
        if name == "recommended":
            out.append(
                (
                    f"{name}: MAE <= {THRESHOLD_RECOMMENDED_MAE:.0f} deg",
                    f"{mae:.1f} deg",
                    mae <= THRESHOLD_RECOMMENDED_MAE,
                )
            )
            out.append(
                (
                    f"{name}: worst <= {THRESHOLD_RECOMMENDED_WORST:.0f} deg",
                    f"{worst:.1f} deg",
                    worst <= THRESHOLD_RECOMMENDED_WORST,
                )
            )
        else:
            refused = refusal_rate(rs) or 0.0
            ok = mae <= THRESHOLD_OTHER_MAE or refused >= 0.95
            text = f"{mae:.1f} deg" if s.mae is not None else "-"
            out.append(
                (
                    f"{name}: MAE <= {THRESHOLD_OTHER_MAE:.0f} deg (or refused)",
                    f"{text}, {100 * refused:.0f}% refused",
                    ok,
                )
            )
    return out


#: The targets' range of true knee drops, degrees (every variant's cap lies below it).
RANGE_DEG = 70.0


def _side_part(results: Sequence[Result], sign: float) -> list[Result]:
    """The readings of drops to one side (``sign`` +1: the person's right), with those lying
    flat (true |drop| < 1 deg: the coach's zero)."""
    drops = [(r, float(r.labels["knee_drop_deg"])) for r in results]
    return [r for r, drop in drops if drop * sign > 0 or abs(drop) < 1.0]


def _under_read_section(results: Sequence[Result]) -> tuple[list[str], bool]:
    """The under-read table with the coach's margins, and whether they cover it."""
    from twistcoach.coaching import load_coaching_rules

    rules = load_coaching_rules()
    rows = []
    covered = True
    # Each template's readings against the margins the coach uses with it (under_read for
    # the neutral one, under_read_by_body for a stated body type), over all sides and each
    # side apart (their zeros differ): what rules/coaching.yaml's margins were chosen from.
    by_template = []
    for body_type in ("neutral", "female", "male"):
        mine = [r for r in results if r.body_type == body_type]
        worst: dict[float, float] = {}
        for part in (mine, *(_side_part(mine, sign) for sign in (1.0, -1.0))):
            for upper, _n, under, _ in under_read_rows(part):
                worst[upper] = max(worst.get(upper, under), under)
        cells = [body_type]
        for upper, under in sorted(worst.items()):
            if upper > RANGE_DEG:
                continue
            margin = band_margin(functools.partial(rules.stay_margin, body_model=body_type), upper)
            covered = covered and margin >= under
            flag = " **no**" if under > margin else ""
            cells.append(f"{upper:.0f}: {under:+.1f} / {margin:.1f}{flag}")
        if len(cells) > 1:
            by_template.append(cells)
    width = max((len(r) for r in by_template), default=2)
    by_template = [r + [""] * (width - len(r)) for r in by_template]
    for upper, n, under, over in under_read_rows(results):
        margin = band_margin(rules.stay_margin, upper)
        # Caps lie below end range (the variants' caps are 45-63 deg): bands past the
        # issue's 70-degree range are shown, not held.
        ok = margin >= under if upper <= RANGE_DEG else None
        rows.append(
            [
                f"{upper - UNDER_READ_BAND_DEG:.0f}-{upper:.0f}",
                str(n),
                f"{under:+.1f}",
                f"{over:+.1f}",
                f"{margin:.1f}",
                "-" if ok is None else "yes" if ok else "**no**",
            ]
        )
    by_camera = []
    for camera in sorted({r.camera for r in results if r.camera.startswith("diag")}):
        cam_rows = [row for row in under_read_rows(results, (camera,)) if row[0] <= RANGE_DEG]
        if not cam_rows:
            continue
        low = [row[2] for row in cam_rows if row[0] <= 45.0]
        by_camera.append(
            [
                camera,
                "yes" if camera in RECOMMENDED_CAMERAS else "no",
                str(sum(row[1] for row in cam_rows)),
                "-" if not low else f"{max(low):+.1f}",
                f"{max(row[2] for row in cam_rows):+.1f}",
            ]
        )
    # Every place the coach measures from, by the view its calibration names (the coach
    # knows that, not the camera's name): each template against the margin the coach uses
    # there (rules.stay_margin with the view: under_read_by_view where the view has bands).
    by_view = []
    for view in (View.OBLIQUE, View.TOP_DOWN, View.HEAD_END, View.FEET_END):
        seen = [r for r in results if r.recognized_view == view.value]
        cameras = sorted({r.camera for r in seen})
        for body_type in ("neutral", "female", "male"):
            rows_v = [
                row
                for row in under_read_rows([r for r in seen if r.body_type == body_type], cameras)
                if row[0] <= RANGE_DEG
            ]
            if not rows_v:
                continue
            margin_of = functools.partial(rules.stay_margin, body_model=body_type, view=view)
            short = [(up, under, band_margin(margin_of, up)) for up, _n, under, _ in rows_v]
            # The band closest to its margin decides whether this view and template are covered.
            up, under, margin = max(short, key=lambda x: x[1] - x[2])
            covered = covered and margin >= under
            by_view.append(
                [
                    view.value,
                    body_type,
                    str(sum(row[1] for row in rows_v)),
                    f"{max(u for _, u, _ in short):+.1f}",
                    f"{up - UNDER_READ_BAND_DEG:.0f}-{up:.0f}: {under:+.1f} / {margin:.1f}",
                    "yes" if margin >= under else "**no**",
                ]
            )
    lines = [
        "## Under-read by true drop, and the coach's margins",
        "",
        'Recommended view, calibrated stills and clips together. The coach says "stay '
        "here\" this far below the person's cap (`under_read` in "
        "`src/twistcoach/rules/coaching.yaml`, or `near_cap_margin_deg` if larger), so a "
        "body the camera reads short is still stopped by the time it truly reaches the cap. "
        "Under-read: true minus measured in the drop's direction (positive: read short), "
        "measured from the coach's zero (each clip's reading lying flat; a still is "
        "calibrated on its flat still, which reads 0). "
        f"Bands past {RANGE_DEG:.0f} deg, above every variant's cap, are shown, not held.",
        "",
        _table(
            (
                "true drop (deg)",
                "n",
                "worst under-read",
                "worst over-read",
                "coach's margin",
                "covers it",
            ),
            rows,
        ),
        "",
        "The table above pools both templates against the neutral template's margins. By "
        "template, against the margins the coach uses with it (`under_read` for neutral, "
        "`under_read_by_body` for a stated body type; worst over all sides and each side "
        f"apart, both splits, bands up to {RANGE_DEG:.0f} deg; cells: band end: under-read / "
        "margin):",
        "",
        _table(("template", *(["band end: under-read / margin"] * (width - 1))), by_template),
        "",
        "The margins are measured from the recommended place, which the coach's camera "
        "advice asks for but cannot verify. From the other diagonals the camera reads "
        "shorter (worst under-read by camera, true drops of 10 deg up to 45 and up to "
        f"{RANGE_DEG:.0f}, stills and clips, far side included where it was measured):",
        "",
        _table(
            ("camera", "recommended", "n", "worst under-read to 45", "to 70"),
            by_camera,
        ),
        "",
        "By the view each calibration names, over every camera the coach measures from "
        "(stills and clips, both splits), against the margin the coach uses there: the "
        "template's, or the view's own where it is larger (`under_read_by_view`); the band "
        f"closest to its margin (5-degree bands from 10 deg up to {RANGE_DEG:.0f}):",
        "",
        _table(
            (
                "view",
                "template",
                "n",
                "worst under-read",
                "tightest band: under-read / margin",
                "covers it",
            ),
            by_view,
        ),
        "",
    ]
    return lines, covered


def _plot(
    results: Sequence[Result],
    path: Path,
    title: str,
    key: Callable[[Result], str] = group_of,
    names: Sequence[str] | None = None,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if names is None:
        names = [g for g, _, _ in GROUPS if any(group_of(r) == g for r in results)]
    cols = min(3, len(names))
    rows = (len(names) + cols - 1) // cols
    fig, grid = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.0 * rows), squeeze=False)
    axes = list(grid.flat)
    for ax in axes[len(names) :]:
        ax.axis("off")
    for ax, name in zip(axes, names, strict=False):
        rs = [r for r in results if key(r) == name]
        xs = [float(r.labels["knee_drop_deg"]) for r in rs if r.error("knee_drop_deg") is not None]
        ys = [e for r in rs if (e := r.error("knee_drop_deg")) is not None]
        refused = [float(r.labels["knee_drop_deg"]) for r in rs if r.error("knee_drop_deg") is None]
        ax.axhspan(-4, 4, color="#d8f0d8")
        ax.axhline(0, color="grey", lw=0.8)
        ax.scatter(xs, ys, s=8, alpha=0.6, label="measured")
        if refused:
            ax.scatter(
                refused, [0.0] * len(refused), s=10, marker="x", color="red", label="refused"
            )
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("true knee drop (deg)", fontsize=8)
        ax.set_ylabel("measured - true (deg)", fontsize=8)
        ax.set_xlim(-85, 85)
        ax.set_ylim(-60, 60)
    axes[0].legend(fontsize=7, loc="lower left")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _knee_table(results: Sequence[Result]) -> str:
    """Knee drop by view group (true |knee drop| <= 70 deg)."""
    rows = []
    for name, expected, where in GROUPS:
        rs = [r for r in results if group_of(r) == name]
        if not rs:
            continue
        s = stats(rs, "knee_drop_deg")
        rate = refusal_rate(rs)
        refused = "-" if rate is None else f"{100 * rate:.0f}%"
        views = _majority([r.recognized_view for r in rs if r.detected])
        rows.append([name, where, expected, *s.row(), refused, views])
    return _table(("view", "camera", "app should", *STATS_HEADER, "refused", "recognised as"), rows)


def _still_sections(results: Sequence[Result], mode_title: str) -> list[str]:
    out = [f"### {mode_title}: knee drop by view (true |knee drop| <= 70 deg)", ""]
    out.append(_knee_table(results))
    out += [
        "",
        f"### {mode_title}: every metric by view (degrees; MAE / bias / worst, and the share "
        "measured: the rest reads unknown)",
        "",
    ]
    rows = []
    for name, _, _ in GROUPS:
        rs = [r for r in results if group_of(r) == name]
        if not rs:
            continue
        cells = [name]
        for label, _ in METRICS:
            s = stats(rs, label)
            cells.append(
                "-"
                if s.mae is None
                else f"{s.mae:.1f} / {s.bias:+.1f} / {s.worst:.1f} ({100 * s.measured_rate:.0f}%)"
            )
        rows.append(cells)
    out.append(_table(("view", *(label for label, _ in METRICS)), rows))
    out += ["", f"### {mode_title}: knee drop by camera", ""]
    rows = []
    for cam in sorted({r.camera for r in results}):
        rs = [r for r in results if r.camera == cam]
        s = stats(rs, "knee_drop_deg")
        rate = refusal_rate(rs)
        rows.append([cam, group_of(rs[0]), *s.row(), "-" if rate is None else f"{100 * rate:.0f}%"])
    out.append(_table(("camera", "view", *STATS_HEADER, "refused"), rows))
    out.append("")
    return out


def _side_of_camera(r: Result) -> str | None:
    """``towards`` or ``away``: the true drop's side against a diagonal camera (named
    ``diag_r...`` on the person's right, ``diag_l...`` on their left); ``left`` or ``right``
    for the other measured views; None for drops under 20 degrees."""
    drop = float(r.labels["knee_drop_deg"])
    if abs(drop) < 20.0:
        return None
    if r.camera.startswith(("diag_r", "diag_l")):
        camera_on_right = r.camera.startswith("diag_r")
        return "towards" if (drop > 0) == camera_on_right else "away"
    return "right" if drop > 0 else "left"


def _near_far_section(results: Sequence[Result]) -> list[str]:
    """Drops of 20 degrees or more, towards and away from a diagonal camera (by view)."""
    out = [
        "### Calibrated (session use): drops of 20 deg or more by side of the camera",
        "",
        "A diagonal camera sees the drop towards it across the image; a drop away from it "
        'moves along its line of sight, where the app mostly says "unknown" (and the '
        "coach asks for the camera on the other side of the mat).",
        "",
    ]
    rows = []
    for name, _, _ in GROUPS:
        if name not in ("recommended", "oblique", "top_down", "head_end"):
            continue
        rs = [r for r in results if group_of(r) == name]
        for side in ("towards", "away", "left", "right"):
            part = [r for r in rs if _side_of_camera(r) == side]
            if not part:
                continue
            s = stats(part, "knee_drop_deg")
            rows.append([name, side, *s.row()])
    out.append(_table(("view", "drop", *STATS_HEADER), rows))
    out.append("")
    return out


def _encode(frames_dir: Path, fps: float) -> Path:
    """A high-quality H.264 of a rendered sequence (cached next to its frames)."""
    video = frames_dir / "clip.mp4"
    if not video.exists():
        subprocess.run(
            [
                "ffmpeg", "-y", "-loglevel", "error", "-framerate", str(fps),
                "-i", str(frames_dir / "frame_%04d.jpg"), "-c:v", "libx264",
                "-crf", "18", "-pix_fmt", "yuv420p", str(video),
            ],
            check=True,
        )  # fmt: skip
    return video


def _timed(what: str, fn: Callable[[], list[Result]]) -> list[Result]:
    t0 = time.monotonic()
    out = fn()
    print(f"{what}: {len(out)} results in {time.monotonic() - t0:.0f} s", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stills", type=Path, default=RENDER_CACHE / "stills")
    parser.add_argument("--sequences", type=Path, default=RENDER_CACHE / "sequences")
    parser.add_argument(
        "--model",
        choices=sorted(MODELS),
        default="recorded",
        help="the landmark model of the calibrated stills and clips: a recorded video's "
        "(heavy, the default; writes bench/ACCURACY.md) or the live coach's (full, as the "
        "browser sees the person; writes bench/ACCURACY_LIVE.md)",
    )
    parser.add_argument("--out", type=Path, help="the report (default: by --model)")
    parser.add_argument("--img", type=Path, default=REPO / "bench" / "img")
    parser.add_argument("--no-photo", action="store_true", help="skip the uncalibrated photo mode")
    parser.add_argument(
        "--photo-held-out-only",
        action="store_true",
        help="the photo mode on the held-out bodies only (about 0.6 s a still on one core)",
    )
    parser.add_argument(
        "--from-results",
        action="store_true",
        help="rewrite the report and plots from the last run's results.json (no pipeline)",
    )
    args = parser.parse_args(argv)
    model, report_name, prefix = MODELS[args.model]
    out = args.out or REPO / "bench" / report_name
    # The live coach never measures a lone photograph: that is `analyze`'s, in the recorded
    # report (with the photographs' own model whichever --model is given).
    no_photo = args.no_photo or args.model == "live"

    if not (args.stills / "labels.json").exists():
        print(
            f"error: no rendered stills in {args.stills}: run `make accuracy` "
            "(it renders them with .venv-bench first)",
            file=sys.stderr,
        )
        return 2
    # The report measures the wider set: its 18 bodies' stills and 36 drop clips (plan.WIDE,
    # plan.wide_sequences). `groundtruth.generate` without --wide-only also renders the first
    # wave's six bodies and their 11 session and fault clips; a cache holding them must give
    # the same report (with them, a fresh `make accuracy` would have measured 24 bodies and
    # 47 clips).
    records = [r for r in load_stills(args.stills) if r["body"] in WIDE]
    clip_names = {s.name for s in wide_sequences()}
    results_path = RENDER_CACHE / f"results-{args.model}.json"
    if args.from_results:
        saved = json.loads(results_path.read_text())
        calibrated = [Result(**d) for d in saved["calibrated"]]
        photos = [Result(**d) for d in saved["photo"]]
        clips = {k: [Result(**d) for d in v] for k, v in saved["clips"].items()}
        load = str(saved.get("load", "not recorded"))
    else:
        t0 = time.monotonic()
        # A session's frames are measured with the session's model; a lone photograph is
        # always estimated with the photographs' one (what `analyze` does for a picture).
        skeletons = estimate_stills(args.stills, records, cache=True, model=model)
        photo_skeletons = (
            skeletons
            if no_photo or model == LIVE_MODEL
            else estimate_stills(args.stills, records, cache=True, model=LIVE_MODEL)
        )
        print(f"MediaPipe on {len(records)} stills: {time.monotonic() - t0:.0f} s", flush=True)
        calibrated = _timed(
            "calibrated stills",
            lambda: run_calibrated(args.stills, records, BODY_MODES, skeletons),
        )
        photos = (
            []
            if no_photo
            else _timed(
                "photos",
                lambda: run_photos(
                    args.stills,
                    [r for r in records if r["body"] in HELD_OUT or not args.photo_held_out_only],
                    photo_skeletons,
                ),
            )
        )
        clips = {}
        for labels_path in sorted(args.sequences.glob("*/labels.json")):
            labels = json.loads(labels_path.read_text())
            if labels["name"] not in clip_names:
                continue
            video = _encode(labels_path.parent, float(labels["fps"]))
            clips[labels["name"]] = _timed(
                labels["name"],
                functools.partial(
                    run_video, video, labels, labels["name"], BODY_MODES, cache=True, model=model
                ),
            )
        all_results = {
            "calibrated": [r.to_dict() for r in calibrated],
            "photo": [r.to_dict() for r in photos],
            "clips": {k: [r.to_dict() for r in v] for k, v in clips.items()},
            "load": _load(),
            "model": model,
        }
        load = str(all_results["load"])
        results_path.write_text(json.dumps(all_results))

    # The person said female or male (their template body), or did not (the neutral one).
    stated = [r for r in calibrated if r.body_type != "neutral"]
    calibrated = [r for r in calibrated if r.body_type == "neutral"]
    stated_clips = {k: [r for r in v if r.body_type != "neutral"] for k, v in clips.items()}
    clips = {k: [r for r in v if r.body_type == "neutral"] for k, v in clips.items()}
    img = args.img
    _plot(calibrated, img / f"{prefix}_calibrated.png", "Calibrated stills: knee-drop error")
    diagonals = sorted({r.camera for r in calibrated if r.view == "oblique"})
    _plot(
        calibrated,
        img / f"{prefix}_diagonals.png",
        "Calibrated stills, each diagonal camera: knee-drop error",
        key=lambda r: r.camera,
        names=diagonals,
    )
    if photos:
        _plot(photos, img / f"{prefix}_photo.png", "Single photos: knee-drop error")
    clip_results = [r for rs in clips.values() for r in rs]
    if clip_results:
        _plot(clip_results, img / f"{prefix}_clips.png", "Clips: knee-drop error")

    md = _report(records, calibrated, photos, clips, stated, stated_clips, args.model, prefix)
    md += "\n".join(_split_sections(calibrated, stated, clips, stated_clips, photos))
    md += f"\n\nMachine load at the end of the measuring (`uptime`, 2 shared cores): {load}.\n"
    out.write_text(md)
    print(f"wrote {out}")
    return 0


#: The two landmark models a session is measured with (``--model``): (complexity, report,
#: plot-file prefix).
MODELS = {
    "recorded": (RECORDED_MODEL, "ACCURACY.md", "accuracy"),
    "live": (LIVE_MODEL, "ACCURACY_LIVE.md", "accuracy_live"),
}


def _load() -> str:
    """The 1-, 5- and 15-minute load averages."""
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def split_of(body: str) -> str:
    """``held out`` for the bodies never tuned on (``plan.HELD_OUT``), else ``tuning``."""
    return "held out" if body in HELD_OUT else "tuning"


#: The issue's targets (issue 17), true drops up to 70 deg from the recommended place:
#: (knee drop MAE, knee drop worst) with the body type given and with the neutral template,
#: pelvis roll MAE, twist MAE.
TARGET_STATED = (2.5, 8.0)
TARGET_NEUTRAL = (3.0, 10.0)
TARGET_PELVIS = 4.0
TARGET_TWIST = 5.0
#: Single photographs (issue 17 item 3): no knee drop more than this off in any view...
TARGET_PHOTO_WORST = 10.0
#: ... and at least this share of raised diagonal stills measured, with this mean error.
TARGET_PHOTO_SHARE = 0.5
TARGET_PHOTO_MAE = 6.0


def _cell(s: Any, pct: bool = False) -> str:
    if s.mae is None:
        return "-"
    return f"{s.mae:.1f} / {s.worst:.1f} ({100 * s.measured_rate:.0f}%)"


def _worst_under(rs: Sequence[Result]) -> float | None:
    rows = [row for row in under_read_rows(rs) if row[0] <= RANGE_DEG]
    return max((row[2] for row in rows), default=None)


def _split_sections(
    calibrated: Sequence[Result],
    stated: Sequence[Result],
    clips: dict[str, list[Result]],
    stated_clips: dict[str, list[Result]],
    photos: Sequence[Result],
) -> list[str]:
    """Issue 17: the held-out bodies apart from the tuning ones, per side, per body, and
    single photographs against their targets."""
    from twistcoach.coaching import load_coaching_rules

    rules = load_coaching_rules()
    rec_neutral = [
        *(r for r in calibrated if r.camera in RECOMMENDED_CAMERAS),
        *(r for rs in clips.values() for r in rs if r.camera in RECOMMENDED_CAMERAS),
    ]
    rec_stated = [
        *(r for r in stated if r.camera in RECOMMENDED_CAMERAS),
        *(r for rs in stated_clips.values() for r in rs if r.camera in RECOMMENDED_CAMERAS),
    ]
    by_template = (("body type given", rec_stated), ("neutral", rec_neutral))
    out = [
        "## Held-out bodies apart (issue 17)",
        "",
        f"{len(HELD_OUT)} of the {len(bodies())} bodies (`plan.HELD_OUT`: "
        f"{', '.join(sorted(HELD_OUT))}) were never used to choose anything in the "
        "measurement (the coach's margins below were chosen to cover both splits); tuning "
        f"bodies measured here: {', '.join(sorted({r.body for r in rec_neutral} - HELD_OUT))}. "
        "From the recommended place, "
        f"calibrated stills and clips together, true drops up to {RANGE_DEG:.0f} deg. Cells: "
        "MAE / worst (share measured).",
        "",
        "### Targets by split",
        "",
    ]
    rows = []
    for split in ("held out", "tuning"):
        for title, rs in by_template:
            part = [r for r in rs if split_of(r.body) == split]
            if not part:
                continue
            knee = stats(part, "knee_drop_deg")
            pelvis = stats(part, "pelvis_roll_deg")
            twist = stats(part, "twist_deg")
            mae_t, worst_t = TARGET_STATED if title != "neutral" else TARGET_NEUTRAL
            met = (
                knee.mae is not None
                and knee.worst is not None
                and knee.mae <= mae_t
                and knee.worst <= worst_t
            )
            rows.append(
                [
                    split,
                    title,
                    _cell(knee),
                    f"<= {mae_t:.1f} / {worst_t:.0f}: {'yes' if met else '**no**'}",
                    _cell(pelvis),
                    "yes" if pelvis.mae is not None and pelvis.mae <= TARGET_PELVIS else "**no**",
                    _cell(twist),
                    "yes" if twist.mae is not None and twist.mae <= TARGET_TWIST else "**no**",
                ]
            )
    out.append(
        _table(
            (
                "split",
                "template",
                "knee drop",
                "target met",
                "pelvis roll",
                f"<= {TARGET_PELVIS:.0f}",
                "twist",
                f"<= {TARGET_TWIST:.0f}",
            ),
            rows,
        )
    )
    out += ["", "### By side of the drop", ""]
    rows = []
    for split in ("held out", "tuning"):
        for title, rs in by_template:
            for side, sign in (("right", 1.0), ("left", -1.0)):
                part = [
                    r
                    for r in rs
                    if split_of(r.body) == split and float(r.labels["knee_drop_deg"]) * sign > 0
                ]
                if not part:
                    continue
                under = _worst_under(part)
                rows.append(
                    [
                        split,
                        title,
                        side,
                        _cell(stats(part, "knee_drop_deg")),
                        "-" if under is None else f"{under:+.1f}",
                        _cell(stats(part, "pelvis_roll_deg")),
                        _cell(stats(part, "twist_deg")),
                    ]
                )
    out.append(
        _table(
            ("split", "template", "drop to", "knee drop", "worst under-read", "pelvis", "twist"),
            rows,
        )
    )
    out += [
        "",
        "### By body",
        "",
        "Under-read: the worst, over true drops of 10-70 deg, from the coach's zero "
        "(positive: read short).",
        "",
    ]
    specs = {b.name: b for b in bodies()}
    rows = []
    for name in sorted({r.body for r in rec_neutral}, key=lambda n: (split_of(n), n)):
        b = specs.get(name)
        cells = [
            name,
            split_of(name),
            "-" if b is None else f"{b.stature_m:.2f}",
            "-" if b is None else f"{b.proportions:.2f}",
        ]
        for _, rs in by_template:
            part = [r for r in rs if r.body == name]
            under = _worst_under(part)
            cells += [
                _cell(stats(part, "knee_drop_deg")),
                "-" if under is None else f"{under:+.1f}",
            ]
        part = [r for r in rec_stated if r.body == name]
        cells += [_cell(stats(part, "pelvis_roll_deg")), _cell(stats(part, "twist_deg"))]
        rows.append(cells)
    out.append(
        _table(
            (
                "body",
                "split",
                "stature (m)",
                "anny proportions",
                "knee drop, type given",
                "under-read",
                "knee drop, neutral",
                "under-read",
                "pelvis (type given)",
                "twist (type given)",
            ),
            rows,
        )
    )
    out += [
        "",
        "### The coach's margins against the held-out under-read, per side and body type",
        "",
        "Worst under-read by 5-degree band of the true drop on the held-out bodies (stills "
        'and clips from the recommended place) against the coach\'s "stay here" margin '
        "for a cap in that band with that template (`under_read` and `under_read_by_body` "
        "in `rules/coaching.yaml`).",
        "",
    ]
    rows = []
    held = [r for _, rs in by_template for r in rs if split_of(r.body) == "held out"]
    for body_type in ("female", "male", "neutral"):
        for side, sign in (("right", 1.0), ("left", -1.0)):
            part = _side_part([r for r in held if r.body_type == body_type], sign)
            cells = [body_type, side]
            for upper, _n, under, _ in under_read_rows(part):
                if upper > RANGE_DEG:
                    continue
                margin = band_margin(
                    functools.partial(rules.stay_margin, body_model=body_type), upper
                )
                flag = " **no**" if under > margin else ""
                cells.append(f"{upper:.0f}: {under:+.1f} / {margin:.1f}{flag}")
            rows.append(cells)
    width = max((len(r) for r in rows), default=2)
    rows = [r + [""] * (width - len(r)) for r in rows]
    out.append(
        _table(("body type", "drop to", *(["band end: under-read / margin"] * (width - 2))), rows)
    )
    out += ["", "Body type `neutral`: every held-out body measured with the neutral template.", ""]
    if photos:
        out += _photo_section(photos)
    return out


def _photo_section(photos: Sequence[Result]) -> list[str]:
    """Single photographs against issue 17 item 3, by split and view."""
    out = [
        "### Single photographs (no calibration) by split",
        "",
        f"Targets: no knee drop more than {TARGET_PHOTO_WORST:.0f} deg off in any view "
        f"(unknown is allowed); at least {100 * TARGET_PHOTO_SHARE:.0f}% of the raised "
        f"diagonal stills measured with a mean error <= {TARGET_PHOTO_MAE:.0f} deg; lying "
        "flat (true |drop| < 1) reads near 0 or unknown. All true drops (to 75 deg).",
        "",
    ]
    rows = []
    for split in ("held out", "tuning"):
        part = [r for r in photos if split_of(r.body) == split]
        for view in ("diagonals", *sorted({r.view for r in part if r.view != "oblique"})):
            rs = [
                r for r in part if (r.view == "oblique" if view == "diagonals" else r.view == view)
            ]
            if not rs:
                continue
            errs = [abs(e) for r in rs if (e := r.error("knee_drop_deg")) is not None]
            flat = [
                abs(float(r.measured["knee_drop_deg"]))  # type: ignore[arg-type]
                for r in rs
                if abs(float(r.labels["knee_drop_deg"])) < 1.0
                and r.error("knee_drop_deg") is not None
            ]
            share = len(errs) / len(rs)
            mae = sum(errs) / len(errs) if errs else None
            worst = max(errs) if errs else None
            ok_worst = worst is None or worst <= TARGET_PHOTO_WORST
            ok_share = view != "diagonals" or (
                share >= TARGET_PHOTO_SHARE and mae is not None and mae <= TARGET_PHOTO_MAE
            )
            rows.append(
                [
                    split,
                    view,
                    str(len(rs)),
                    f"{100 * share:.0f}%",
                    "-" if mae is None else f"{mae:.1f}",
                    "-" if worst is None else f"{worst:.1f}",
                    str(sum(e > TARGET_PHOTO_WORST for e in errs)),
                    "-" if not flat else f"{max(flat):.1f}",
                    "yes" if ok_worst and ok_share else "**no**",
                ]
            )
    out.append(
        _table(
            (
                "split",
                "view",
                "n",
                "measured",
                "MAE",
                "worst",
                f"over {TARGET_PHOTO_WORST:.0f}",
                "flat: largest reading",
                "targets met",
            ),
            rows,
        )
    )
    out.append("")
    return out


def _peaks(rs: Sequence[Result], label: str) -> str:
    true = max(abs(float(r.labels[label])) for r in rs)
    measured = [
        abs(float(v))
        for r in rs
        if r.measurable and (v := r.measured.get(label)) is not None and not isinstance(v, str)
    ]
    return f"{true:.0f} / " + (f"{max(measured):.0f}" if measured else "-")


def _verdict_table(header: Sequence[str], verdict: Sequence[tuple[str, str, bool]]) -> str:
    return _table(header, [[c, m, "yes" if ok else "**no**"] for c, m, ok in verdict])


def _clip_rows(clips: dict[str, list[Result]]) -> list[list[str]]:
    rows = []
    for name, rs in clips.items():
        if not rs:
            continue
        s = stats(rs, "knee_drop_deg")
        sp = (
            stats(rs, "speed_deg_s")
            if any(r.error("speed_deg_s") is not None for r in rs)
            else None
        )
        sh = stats(rs, "shoulder_roll_deg")
        rate = refusal_rate(rs)
        rows.append(
            [
                name,
                group_of(rs[0]),
                *s.row(),
                "-" if sh.mae is None else f"{sh.mae:.1f}",
                "-" if sp is None or sp.mae is None else f"{sp.mae:.1f}",
                "-" if rate is None else f"{100 * rate:.0f}%",
                _peaks(rs, "knee_drop_deg"),
                _peaks(rs, "speed_deg_s"),
                _peaks(rs, "shoulder_roll_deg"),
            ]
        )
    return rows


CLIP_HEADER = (
    "clip",
    "view",
    *STATS_HEADER,
    "shoulder MAE",
    "speed MAE (deg/s)",
    "refused",
    "peak drop true / measured",
    "peak speed true / measured",
    "peak shoulder roll true / measured",
)


def _report(
    records: Sequence[dict[str, Any]],
    calibrated: Sequence[Result],
    photos: Sequence[Result],
    clips: dict[str, list[Result]],
    stated: Sequence[Result] = (),
    stated_clips: dict[str, list[Result]] | None = None,
    model: str = "recorded",
    prefix: str = "accuracy",
) -> str:
    bodies = sorted({r["body"] for r in records})
    cameras = sorted({r["camera"] for r in records})
    thetas = sorted({r["theta_cmd_deg"] for r in records})
    lines = [
        "# twistcoach accuracy on rendered ground truth: "
        + (
            "recorded videos (heavy model)"
            if model == "recorded"
            else "the live coach (full model)"
        ),
        "",
        "Generated by `make accuracy` (bench/accuracy.py); do not edit by hand. How the "
        "renders are made: [groundtruth/README.md](groundtruth/README.md).",
        "",
        (
            "Sessions measured as `twistcoach analyze` measures a recorded video: MediaPipe's "
            "heavy landmark model (`estimator.RECORDED_MODEL`). The live coach (the browser, "
            "`twistcoach coach`) uses the full model: [ACCURACY_LIVE.md](ACCURACY_LIVE.md)."
            if model == "recorded"
            else "Sessions measured as the live coach sees them (the browser, `twistcoach "
            "coach`): MediaPipe's full landmark model (`estimator.LIVE_MODEL`). Recorded "
            "videos use the heavy one: [ACCURACY.md](ACCURACY.md)."
        ),
        "",
        f"Stills: {len(bodies)} bodies x {len(cameras)} cameras x {len(thetas)} commanded "
        f"rotations ({', '.join(f'{t:+.0f}' for t in thetas)} deg) = {len(records)} images at "
        f"{records[0]['size'][0]}x{records[0]['size'][1]}; clips: {len(clips)}. Labels come "
        "from the bodies' 3D keypoints with `twistcoach.kinematics.body_angles_3d`, the "
        "app's own definitions. Errors are measured minus true, in degrees, over images whose "
        "true |knee drop| <= 70 deg; `measured` is the share the app gave a number for; "
        "`side right` is over measured images with a true drop of 10 deg or more: the share "
        'not read as the other side ("centre" for a small drop counts in the error, not '
        "here).",
        "",
        "## Targets (issue 6)",
        "",
    ]
    session_results = [*calibrated, *[r for rs in clips.values() for r in rs]]
    stated_session = [*stated, *[r for rs in (stated_clips or {}).values() for r in rs]]
    under_lines, covered = _under_read_section([*session_results, *stated_session])
    coach_row = (
        "coach (safety): stay-here margin >= worst under-read, every band, template and view",
        "see below",
        covered,
    )
    header = ("check (calibrated stills and clips)", "measured", "met")
    if stated_session:
        lines += [
            "The calibration starts from a template body. One knees-up view cannot tell a "
            "shorter thigh from a camera turned further round, so the thigh's proportion "
            "comes from the template: the person's own (female or male, "
            "`kinematics.TEMPLATE_THIGH_M`) when they say, else a neutral one. Each rendered "
            "body is measured both ways.",
            "",
            "**Body type given** (each body measured with its own template):",
            "",
            _verdict_table(header, _verdict(stated_session)),
            "",
            "**No body type given** (the neutral template; every table below the targets):",
            "",
        ]
    verdict = [*_verdict(session_results), coach_row]
    lines.append(_verdict_table(header, verdict))
    lines += ["", *under_lines]
    lines += ["## Stills", ""]
    lines += _still_sections(calibrated, "Calibrated (session use)")
    lines += [f"![calibrated](img/{prefix}_calibrated.png)", ""]
    lines += [f"![diagonals](img/{prefix}_diagonals.png)", ""]
    lines += _near_far_section(calibrated)
    if photos:
        lines += _still_sections(photos, "Single photo (`twistcoach analyze photo.jpg`)")
        lines += [f"![photos](img/{prefix}_photo.png)", ""]
    if clips:
        how = (
            "`twistcoach analyze clip.mp4`"
            if model == "recorded"
            else "the live coach's tracker, as in the browser"
        )
        lines += [f"## Clips ({how}: tracking, self-calibration, smoothing)", ""]
        lines.append(_table(CLIP_HEADER, _clip_rows(clips)))
        lines += [
            "",
            "Peaks are the largest absolute values over the clip (measured: over frames the "
            "app measured). The fault clips show whether the numbers the coach acts on "
            "(speed, shoulder roll, range) see the fault.",
        ]
        lines += ["", f"![clips](img/{prefix}_clips.png)", ""]
    if stated_session:
        lines += [
            "## With the person's body type (female or male template)",
            "",
            "The same stills and clips (the same MediaPipe landmarks), each body measured "
            "with its own template body instead of the neutral one.",
            "",
            "### Calibrated (session use), body type given: knee drop by view",
            "",
            _knee_table(stated),
            "",
        ]
        if stated_clips:
            lines += [
                "### Clips, body type given",
                "",
                _table(CLIP_HEADER, _clip_rows(stated_clips)),
                "",
            ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
