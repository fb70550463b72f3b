"""The batch's combined table (CSV and Parquet) and its HTML overview.

One row per input, in input order, from the records in the state file (so a resumed batch's
table covers the inputs finished by every run). Each input is measured in its twist's
**measure** (``summary.json``'s ``measure``, the ``measure`` column): ``knee_drop`` for a
supine twist, ``trunk_rotation`` (the chest turned from the hips) for a seated or standing
one. The **depth** of an input (``depth_deg``, degrees of its measure) is how far it went:
a video's largest value on either measured side (``metrics.<side>.max_knee_drop_deg`` or
``max_trunk_rotation_deg``), a photo's unsigned knee drop or trunk rotation; empty
(unknown) when the camera could not measure it. ``cap_deg`` is the cap it was checked
against: the ``--cap`` or manifest cap, else ``analyze``'s default for its measure (60° knee
drop, 30° trunk rotation: :func:`twistcoach.cli.analyze_cmd.default_cap_deg`).
``depth_of_cap`` is depth divided by that cap, so inputs with different caps and measures
share one scale (1.0 = at the cap); ``over_cap`` is true past it.

Files (in the output folder): ``batch-results.csv``, ``batch-results.parquet``,
``batch-overview.html`` and ``summaries.json`` (every summary, as ``analyze`` writes it).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twistcoach.batch.state import InputRecord, write_atomic
from twistcoach.i18n import current_language, ngettext, t
from twistcoach.wording import family_words, view_words

CSV_FILE = "batch-results.csv"
PARQUET_FILE = "batch-results.parquet"
OVERVIEW_FILE = "batch-overview.html"
SUMMARIES_FILE = "summaries.json"

#: The table's columns, in order, with their Arrow type constructors (``pyarrow.<type>()``);
#: unknown or not-applicable values are empty cells in CSV and nulls in Parquet.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "string"),
    ("input", "string"),
    ("kind", "string"),
    ("status", "string"),
    ("error", "string"),
    ("attempts", "int64"),
    ("body", "string"),
    ("flat", "string"),
    ("measure", "string"),
    ("cap_deg", "float64"),
    ("depth_deg", "float64"),
    ("depth_of_cap", "float64"),
    ("over_cap", "bool_"),
    ("main_side", "string"),
    ("max_knee_drop_left_deg", "float64"),
    ("max_knee_drop_right_deg", "float64"),
    ("max_trunk_rotation_left_deg", "float64"),
    ("max_trunk_rotation_right_deg", "float64"),
    ("time_held_left_s", "float64"),
    ("time_held_right_s", "float64"),
    ("peak_speed_deg_s", "float64"),
    ("events", "int64"),
    ("speed_checked", "bool_"),
    ("pose_family", "string"),
    ("view", "string"),
    ("view_measurable", "bool_"),
    ("frames", "int64"),
    ("frames_with_person", "int64"),
    ("frames_measured", "int64"),
    ("duration_s", "float64"),
    ("warnings", "string"),
    ("seconds", "float64"),
    ("node", "string"),
)


def _side(summary: dict[str, Any], side: str, key: str) -> Any:
    value = summary.get("metrics", {}).get(side)
    return value.get(key) if isinstance(value, dict) else None


#: The overview's table of inputs: its column heads.
OVERVIEW_HEADERS = (
    "result",
    "kind",
    "pose",
    "measure",
    "view",
    "depth",
    "cap",
    "main side",
    "peak speed",
    "events",
)
#: An input's kind in words (the overview's "kind" column).
KIND_WORDS = {"video": "video", "image": "photograph"}
#: The measures and their plain names (``report.MEASURE_WORDS``' names).
MEASURE_NAMES = {"knee_drop": "knee drop", "trunk_rotation": "trunk rotation"}


def measure_of(summary: dict[str, Any]) -> str:
    """An analysed input's measure, ``knee_drop`` or ``trunk_rotation`` (a summary written
    before the measure was recorded is a knee drop's)."""
    return str(summary.get("measure") or "knee_drop")


def measure_name(measure: str) -> str:
    """A measure's plain name ("knee drop", "trunk rotation"), in the command line's
    language."""
    return t(MEASURE_NAMES.get(measure, measure.replace("_", " ")))


def measures_named(rows: Sequence[dict[str, Any]]) -> str:
    """The plain names of the measures of ``rows`` (in :data:`MEASURE_NAMES`' order, then
    any other), joined with "or": "knee drop", "trunk rotation", "knee drop or trunk
    rotation"; "knee drop" when no row has one."""
    present = {r["measure"] for r in rows if r.get("measure")}
    ordered = [m for m in MEASURE_NAMES if m in present] + sorted(present - set(MEASURE_NAMES))
    names = [measure_name(m) for m in ordered] or [measure_name("knee_drop")]
    said = names[0]
    for name in names[1:]:
        said = t("{first} or {second}").format(first=said, second=name)
    return said


def depth_deg(summary: dict[str, Any]) -> float | None:
    """How far the input went in its measure, unsigned degrees; None when not measured
    (see module docs)."""
    measure = measure_of(summary)
    if summary.get("kind") == "image":
        drop = summary.get("metrics", {}).get(f"{measure}_deg")
        return None if drop is None else abs(float(drop))
    drops = [_side(summary, s, f"max_{measure}_deg") for s in ("left", "right")]
    known = [float(d) for d in drops if d is not None]
    return max(known) if known else None


def cap_of(record: InputRecord) -> float | None:
    """The cap an input was checked against, degrees of its measure: its own (``--cap`` or
    the manifest's), else the one its video summary records, else ``analyze``'s default for
    its measure; None for a failed input without a cap of its own."""
    from twistcoach.cli.analyze_cmd import default_cap_deg

    if record.cap_deg is not None:
        return record.cap_deg
    if record.status != "done":
        return None
    recorded = record.summary.get("cap_deg")
    if recorded is not None:
        return float(recorded)
    return default_cap_deg(measure_of(record.summary))


def row(record: InputRecord) -> dict[str, Any]:
    """One input's row of the combined table."""
    s = record.summary
    done = record.status == "done"
    depth = depth_deg(s) if done else None
    cap = cap_of(record)
    speeds = [_side(s, side, "peak_speed_deg_s") for side in ("left", "right")]
    known_speeds = [float(v) for v in speeds if v is not None]
    return {
        "name": record.name,
        "input": record.path,
        "kind": s.get("kind"),
        "status": record.status,
        "error": record.error,
        "attempts": record.attempts,
        "body": record.body,
        "flat": record.flat,  # the flat photograph that calibrated a photo (manifest)
        "measure": measure_of(s) if done else None,
        "cap_deg": cap,
        "depth_deg": depth,
        "depth_of_cap": None if depth is None or cap is None else round(depth / cap, 3),
        "over_cap": None if depth is None or cap is None else depth > cap,
        "main_side": s.get("metrics", {}).get("main_side") or s.get("metrics", {}).get("drop_side"),
        "max_knee_drop_left_deg": _side(s, "left", "max_knee_drop_deg"),
        "max_knee_drop_right_deg": _side(s, "right", "max_knee_drop_deg"),
        "max_trunk_rotation_left_deg": _side(s, "left", "max_trunk_rotation_deg"),
        "max_trunk_rotation_right_deg": _side(s, "right", "max_trunk_rotation_deg"),
        "time_held_left_s": _side(s, "left", "time_held_s"),
        "time_held_right_s": _side(s, "right", "time_held_s"),
        "peak_speed_deg_s": max(known_speeds) if known_speeds else None,
        "events": len(s["events"]) if isinstance(s.get("events"), list) else None,
        # False where the frames were too far apart to judge speed ("too fast" unchecked:
        # its 0 events are not "slow"); unknown for a photograph or a summary without it.
        "speed_checked": s.get("speed_checked"),
        "pose_family": s.get("pose_family"),
        "view": s.get("view"),
        "view_measurable": s.get("view_measurable"),
        "frames": s.get("frames"),
        "frames_with_person": s.get("frames_with_person"),
        "frames_measured": s.get("frames_measured"),
        "duration_s": s.get("duration_s"),
        "warnings": "; ".join(s.get("warnings") or []) or None,
        "seconds": record.seconds,
        "node": record.node,
    }


def write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """The table as CSV (unknown values are empty cells; text a spreadsheet would take for
    a formula starts with a single quote: ``report.tables.csv_cell``), written atomically."""
    from twistcoach.report.tables import csv_cell

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[c for c, _ in COLUMNS], lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: "" if v is None else csv_cell(v) for k, v in r.items()})
    write_atomic(path, buffer.getvalue())


def write_parquet(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """The table as Parquet with typed columns (unknown values are nulls)."""
    import os

    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(name, getattr(pa, kind)()) for name, kind in COLUMNS])
    table = pa.Table.from_pylist(list(rows), schema=schema)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _plot_svg(rows: Sequence[dict[str, Any]]) -> str:
    """Depth against cap across the batch: a histogram of depth/cap and depth over cap."""
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    measured = [r for r in rows if r["depth_deg"] is not None]
    fig = Figure(figsize=(10, 4), dpi=100, layout="constrained")
    ax_hist, ax_scatter = fig.subplots(1, 2)
    ratios = np.asarray([r["depth_of_cap"] for r in measured], dtype=np.float64)
    bins = np.linspace(0.0, max(1.5, float(ratios.max()) + 0.1 if ratios.size else 1.5), 16)
    ax_hist.hist(ratios, bins=bins, color="#1f5fa8", alpha=0.8)
    ax_hist.axvline(1.0, color="#c03030", ls="--", lw=1.5, label=t("the cap"))
    ax_hist.set_xlabel(t("depth / cap (1 = at the cap)"))
    ax_hist.set_ylabel(t("inputs"))
    ax_hist.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_hist.legend(loc="upper right")
    # One marker per measure, named in the legend: a knee drop and a trunk rotation are
    # different angles, each against its own cap.
    markers = {"knee_drop": "o", "trunk_rotation": "^"}
    for measure in sorted({r["measure"] for r in measured}, key=str):
        mine = [r for r in measured if r["measure"] == measure]
        ax_scatter.scatter(
            [r["cap_deg"] for r in mine],
            [r["depth_deg"] for r in mine],
            c=["#c03030" if r["over_cap"] else "#1f5fa8" for r in mine],
            marker=markers.get(measure, "s"),
            s=36,
            alpha=0.8,
            label=measure_name(measure),
        )
    ax_scatter.plot([0, 90], [0, 90], color="#c03030", ls="--", lw=1.2, label=t("depth = cap"))
    ax_scatter.set_xlim(0, 95)
    ax_scatter.set_ylim(0, 95)
    ax_scatter.set_xlabel(t("cap (°)"))
    ax_scatter.set_ylabel(
        t("depth: largest {measures} (°)").format(measures=measures_named(measured))
    )
    ax_scatter.legend(loc="upper left")
    for ax in (ax_hist, ax_scatter):
        ax.grid(alpha=0.3)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:24px auto;color:#222;padding:0 12px}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:left}th{background:#f3f3f3}.note{color:#555}.over{color:#c03030;font-weight:600}
.failed{background:#fff0f0}svg{max-width:100%;height:auto}
"""


def _num(value: Any, unit: str = "") -> str:
    return t("not measured") if value is None else f"{value:g}{unit}"


def events_words(r: dict[str, Any]) -> str:
    """An input's events as the overview says them: their count, with "speed not checked"
    where its frames were too far apart to judge speed (so that 0 never reads "slow");
    empty when unknown."""
    if r["events"] is None:
        return ""
    if r.get("speed_checked") is False:
        return t("{n} (speed not checked: frames too far apart)").format(n=r["events"])
    return str(r["events"])


def render_overview(rows: Sequence[dict[str, Any]], *, interrupted: bool = False) -> str:
    """The batch's self-contained HTML overview: counts, plots, every input, failures, in
    the command line's language (``--lang``)."""
    e = html.escape
    done = [r for r in rows if r["status"] == "done"]
    failed = [r for r in rows if r["status"] == "failed"]
    measured = [r for r in done if r["depth_deg"] is not None]
    over = [r for r in measured if r["over_cap"]]
    plot = (
        _plot_svg(rows)
        if measured
        else f"<p>{e(t('No input had a measurable depth: nothing to plot.'))}</p>"
    )
    table_rows = []
    for r in done:
        # "./": a result folder's name is only ever a relative link, never a scheme.
        link = f'<a href="./{e(r["name"])}/summary.json">{e(r["name"])}</a>'
        if r["kind"] == "video":
            link += f' · <a href="./{e(r["name"])}/report.html">{e(t("report"))}</a>'
        depth = _num(r["depth_deg"], "°")
        cls = ' class="over"' if r["over_cap"] else ""
        # People read the pose and the camera in words; the CSV and Parquet keep the ids.
        pose_words = family_words(r["pose_family"] or "")
        table_rows.append(
            f"<tr><td>{link}</td><td>{e(t(KIND_WORDS.get(str(r['kind']), str(r['kind']))))}</td>"
            f"<td>{e(t(pose_words))}</td>"
            f"<td>{e(measure_name(str(r['measure'])))}</td>"
            f"<td>{e(t(view_words(str(r['view'] or ''))))}</td><td{cls}>{depth}</td>"
            f"<td>{r['cap_deg']:g}°</td>"
            f"<td>{e(t(str(r['main_side'] or '')))}</td>"
            f"<td>{_num(r['peak_speed_deg_s'], '°/s')}</td>"
            f"<td>{e(events_words(r))}</td></tr>"
        )
    failure_rows = "".join(
        f'<tr class="failed"><td>{e(r["input"])}</td><td>{r["attempts"]}</td>'
        f"<td>{e(str(r['error']))}</td></tr>"
        for r in failed
    )
    failures = (
        f"<table><tr><th>{e(t('input'))}</th><th>{e(t('tries'))}</th>"
        f"<th>{e(t('reason'))}</th></tr>{failure_rows}</table>"
        if failed
        else f"<p>{e(t('None.'))}</p>"
    )
    note = (
        '<p class="over">'
        + e(
            t(
                "This batch was interrupted: the inputs below are those finished so far. Run "
                "the same command again to finish it."
            )
        )
        + "</p>"
        if interrupted
        else ""
    )
    counts = t(
        ngettext(
            "{n} input: {done} analysed, {failed} failed. Depth measured in {measured}; past "
            "the cap in {over}.",
            "{n} inputs: {done} analysed, {failed} failed. Depth measured in {measured}; past "
            "the cap in {over}.",
            len(rows),
        )
    ).format(
        n=len(rows),
        done=f"<b>{len(done)}</b>",
        failed=f"<b>{len(failed)}</b>",
        measured=len(measured),
        over=f"<b>{len(over)}</b>",
    )
    depth_note = e(
        t(
            "Depth: the largest {measures} on either side, where the camera could measure it "
            "(a photograph only with a photograph of the neutral pose from the same place: the "
            "manifest's flat column, as analyze --flat). A supine twist is measured by the "
            "knee drop, a seated or standing twist by the trunk rotation (the chest turned "
            "from the hips). Each input is checked against its own cap, in its own measure."
        ).format(measures=measures_named(measured))
    )
    heads = "".join(f"<th>{e(t(h))}</th>" for h in OVERVIEW_HEADERS)
    single = e(t("Measured from a single camera: an instrument for practice, not a diagnosis."))
    whole = e(t("The whole table: {csv} and {parquet}.").format(csv=CSV_FILE, parquet=PARQUET_FILE))
    return f"""<!DOCTYPE html>
<html lang="{current_language()}"><head><meta charset="utf-8">
<title>{e(t("twistcoach batch overview"))}</title>
<style>{_CSS}</style></head><body>
<h1>{e(t("Batch overview"))}</h1>
{note}
<p>{counts}</p>
<h2>{e(t("Depth against the cap"))}</h2>
{plot}
<p class="note">{depth_note}</p>
<h2>{e(t("Failures"))}</h2>
{failures}
<h2>{e(t("Inputs"))}</h2>
<table><tr>{heads}</tr>
{"".join(table_rows)}</table>
<p class="note">{single} {whole}</p>
</body></html>
"""


def write_outputs(out: Path, records: Sequence[InputRecord], *, interrupted: bool = False) -> None:
    """Write the combined table (CSV, Parquet), the overview and ``summaries.json``."""
    import json

    rows = [row(r) for r in records]
    write_csv(out / CSV_FILE, rows)
    write_parquet(out / PARQUET_FILE, rows)
    write_atomic(out / OVERVIEW_FILE, render_overview(rows, interrupted=interrupted))
    summaries = [r.summary for r in records]
    write_atomic(out / SUMMARIES_FILE, json.dumps(summaries, indent=2, ensure_ascii=False) + "\n")
