"""The per-frame ``metrics.csv``, the JSON writer, and CSV cells a spreadsheet reads as
text (:func:`csv_cell`)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twistcoach.metrics import Measure, Side, TwistMetrics
from twistcoach.pipeline import FrameResult
from twistcoach.report._values import rounded, value_of
from twistcoach.report.timeline import ReportThresholds, events_by_frame, usable
from twistcoach.report.words import (
    KNEE_DROP_WORDS,
    MeasureWords,
    TwistMeasure,
    rotation_view_name,
)

#: First characters that make a spreadsheet read a cell as a formula (``=HYPERLINK(...)``,
#: ``-1-1``): OWASP's list for CSV injection.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell a spreadsheet reads as what it is.

    Text starting with one of :data:`FORMULA_STARTS` (a file named ``-1-1.mp4``, or
    ``=HYPERLINK(...).mp4``) gets a leading single quote, as OWASP advises against CSV
    injection; numbers (negative ones too) and anything else are kept as they are. Every
    CSV ``analyze`` and ``batch`` write passes its cells through it.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


CSV_COLUMNS = (
    "frame",
    "timestamp_s",
    "person",
    "pose_family",
    "view",
    "knee_drop_deg",
    "drop_side",
    "pelvis_roll_deg",
    "shoulder_roll_deg",
    "lifted_shoulder",
    "twist_deg",
    "knee_flexion_deg",
    "knees_together",
    "speed_deg_s",
    "confidence",
    "events",
)


def _slot_value(m: TwistMetrics, slot: str) -> Any:
    """One metric slot as a CSV cell (degrees to 2 decimals; sides as words)."""
    if slot == "confidence":
        return round(m.confidence, 3)
    value = getattr(m, slot)
    if isinstance(value, Measure):
        return rounded(value_of(value), 2)
    if isinstance(value, Side):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value


def frame_rows(
    frames: Sequence[FrameResult],
    cap_deg: float,
    th: ReportThresholds,
    words: MeasureWords = KNEE_DROP_WORDS,
) -> list[dict[str, Any]]:
    """One row per frame with ``words.csv_columns`` (:data:`CSV_COLUMNS` for the knee
    drop; unknown and unmeasured values are empty: see the module docs)."""
    rows = []
    events = events_by_frame(frames, cap_deg, th)
    seated = words.measure is TwistMeasure.TRUNK_ROTATION
    for f, o, kinds in zip(frames, usable(frames), events, strict=True):
        m = o.measured
        view = str(f.observation.view)
        if seated:
            view = rotation_view_name(f.observation.view, f.observation.view_measurable) or ""
        row: dict[str, Any] = {
            "frame": f.index,
            "timestamp_s": round(f.timestamp_s, 4),
            "person": int(f.skeleton is not None),
            "pose_family": str(f.observation.family) if f.skeleton is not None else "",
            "view": view if f.skeleton is not None else "",
            "events": ";".join(sorted(words.event_kind(k) for k in kinds)),
        }
        if m is not None:
            row.update({col: _slot_value(m, slot) for slot, col in words.columns.items()})
        rows.append({c: ("" if row.get(c) is None else row.get(c, "")) for c in words.csv_columns})
    return rows


def write_metrics_csv(
    path: Path,
    frames: Sequence[FrameResult],
    cap_deg: float,
    th: ReportThresholds,
    words: MeasureWords = KNEE_DROP_WORDS,
) -> None:
    """Write the per-frame table (columns named for ``words``' measure)."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=words.csv_columns)
        writer.writeheader()
        for row in frame_rows(frames, cap_deg, th, words):
            writer.writerow({key: csv_cell(value) for key, value in row.items()})


def write_json(path: Path, data: Any) -> None:
    """Write JSON with a trailing newline (UTF-8, indented)."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
