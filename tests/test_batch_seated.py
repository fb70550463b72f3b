"""``twistcoach batch`` on seated and standing twists (issue 20): the measure and its cap.

A seated or standing twist is measured by its trunk rotation, a supine one by its knee drop
(``analyze --twist auto``). The batch's combined table carries each input's ``measure`` and
its depth in that measure (``depth_deg``, and ``max_trunk_rotation_<side>_deg`` beside the
knee-drop columns); without ``--cap`` each input is checked against ``analyze``'s default for
its measure (one helper, ``analyze_cmd.default_cap_deg``: 60° knee drop, 30° trunk
rotation); the overview's plots and notes name the measure. The rendered seated clip
``tests/seated_groundtruth/seated_turn_right.mp4`` (a true 18.6° turn to the right, see
``tests/test_analyze_seated.py``) goes through the batch's task end to end, without Ray.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from twistcoach.batch import BatchInputError, InputRecord, collect_inputs
from twistcoach.batch.table import (
    CSV_FILE,
    OVERVIEW_FILE,
    PARQUET_FILE,
    cap_of,
    depth_deg,
    render_overview,
    row,
    write_outputs,
)
from twistcoach.batch.task import TaskSpec, analyze_input
from twistcoach.cli.analyze_cmd import DEFAULT_ROTATION_CAP_DEG, default_cap_deg
from twistcoach.cli.app import build_app
from twistcoach.report import DEFAULT_CAP_DEG, TwistMeasure

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO / "tests" / "seated_groundtruth" / "seated_turn_right.mp4"


def _record(name: str, summary: dict[str, Any], cap: float | None = None) -> InputRecord:
    return InputRecord(
        path=f"/x/{name}.mp4",
        name=name,
        status="done",
        body="neutral",
        cap_deg=cap,
        attempts=1,
        summary=summary,
    )


def _seated_video(
    right: float | None, left: float | None, cap: float | None = 30.0
) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "kind": "video",
        "measure": "trunk_rotation",
        "pose_family": "seated_twist",
        "metrics": {
            "right": {"max_trunk_rotation_deg": right, "peak_speed_deg_s": 6.0},
            "left": {"max_trunk_rotation_deg": left, "peak_speed_deg_s": None},
            "main_side": "right",
        },
        "events": [],
    }
    if cap is not None:
        summary["cap_deg"] = cap
    return summary


def test_the_default_cap_follows_the_measure_from_one_helper() -> None:
    assert default_cap_deg(TwistMeasure.KNEE_DROP) == DEFAULT_CAP_DEG == 60.0
    assert default_cap_deg("trunk_rotation") == DEFAULT_ROTATION_CAP_DEG == 30.0
    with pytest.raises(ValueError):
        default_cap_deg("elbow_bend")


def test_no_cap_given_leaves_each_input_to_its_measures_default(tmp_path: Path) -> None:
    clip = tmp_path / "a.mp4"
    clip.write_bytes(b"")
    (item,) = collect_inputs([str(clip)])
    assert item.cap_deg is None
    (given,) = collect_inputs([str(clip)], cap_deg=25.0)
    assert given.cap_deg == 25.0
    with pytest.raises(BatchInputError, match="between 0 and 90"):
        collect_inputs([str(clip)], cap_deg=120.0)


def test_a_seated_row_carries_the_trunk_rotation_and_its_default_cap() -> None:
    seated = _seated_video(33.5, 12.0)
    assert depth_deg(seated) == 33.5
    r = row(_record("s", seated))
    assert r["measure"] == "trunk_rotation"
    assert (r["depth_deg"], r["cap_deg"], r["depth_of_cap"], r["over_cap"]) == (
        33.5,
        30.0,
        1.117,
        True,
    )
    assert (r["max_trunk_rotation_right_deg"], r["max_trunk_rotation_left_deg"]) == (33.5, 12.0)
    assert r["max_knee_drop_right_deg"] is None and r["max_knee_drop_left_deg"] is None
    # A cap of its own (--cap or the manifest) wins over the default.
    assert row(_record("s", _seated_video(33.5, 12.0, cap=40.0), cap=40.0))["over_cap"] is False
    # A photograph: its unsigned trunk rotation, against the rotation's default (photo
    # summaries record no cap).
    photo = {"kind": "image", "measure": "trunk_rotation", "metrics": {"trunk_rotation_deg": -27.8}}
    assert depth_deg(photo) == 27.8
    p = row(_record("p", photo))
    assert (p["cap_deg"], p["over_cap"]) == (30.0, False)
    # A supine video keeps its knee-drop columns and the knee drop's default cap; a summary
    # written before the measure was recorded is a knee drop's.
    supine = {"kind": "video", "metrics": {"left": {"max_knee_drop_deg": 50.0}, "right": {}}}
    k = row(_record("k", supine))
    assert (k["measure"], k["depth_deg"], k["cap_deg"], k["over_cap"]) == (
        "knee_drop",
        50.0,
        60.0,
        False,
    )
    assert k["max_knee_drop_left_deg"] == 50.0 and k["max_trunk_rotation_left_deg"] is None
    # A failed input without a cap of its own has none, and no measure.
    failed = InputRecord("/x/f.mp4", "f", "failed", "neutral", None, 2, error="bad")
    assert cap_of(failed) is None
    assert (row(failed)["measure"], row(failed)["cap_deg"]) == (None, None)


def _seated_and_supine_rows() -> tuple[dict[str, Any], dict[str, Any]]:
    """Two finished inputs' table rows: a seated twist's (20 deg) and a supine twist's."""
    seated = row(_record("s", _seated_video(20.0, None)))
    supine = row(
        _record(
            "k",
            {
                "kind": "video",
                "measure": "knee_drop",
                "metrics": {"left": {"max_knee_drop_deg": 40.0}},
            },
        )
    )
    return seated, supine


def test_the_overview_names_the_measure_in_its_plots_and_table() -> None:
    seated, supine = _seated_and_supine_rows()
    only_seated = render_overview([seated])
    assert "depth: largest trunk rotation (°)" in only_seated  # the scatter's axis (SVG text)
    assert "<td>trunk rotation</td>" in only_seated
    assert "<td>seated twist</td>" in only_seated and "seated_twist" not in only_seated  # words
    assert "knee drop" not in only_seated.split("<h2>Failures</h2>")[0].split("</svg>")[0]
    both = render_overview([seated, supine])
    assert "depth: largest knee drop or trunk rotation (°)" in both
    assert "<td>knee drop</td>" in both and "<td>trunk rotation</td>" in both


def test_the_help_says_the_cap_follows_the_measure() -> None:
    result = CliRunner().invoke(build_app(), ["batch", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    words = " ".join(result.output.replace("│", " ").split())  # the option panel wraps
    assert "60 for a knee drop and 30 for a trunk rotation" in words


@pytest.mark.slow
def test_a_seated_video_in_a_batch_shows_its_trunk_rotation_against_30_deg(
    tmp_path: Path,
) -> None:
    truth = json.loads(CLIP.with_suffix(".json").read_text())
    true_peak = max(f["trunk_rotation_deg"] for f in truth["frames"])
    out = tmp_path / "out"
    (item,) = collect_inputs([str(CLIP)], out=out)
    spec = TaskSpec(
        path=str(item.path),
        name="seated",
        out=str(out),
        staging=str(tmp_path / "staging"),
        body=str(item.body),
        cap_deg=item.cap_deg,
    )
    outcome = analyze_input(spec)
    assert outcome.ok, outcome.error
    assert outcome.summary["measure"] == "trunk_rotation"
    assert outcome.summary["cap_deg"] == 30.0  # analyze's default for the rotation, not 60
    record = InputRecord(
        str(item.path), "seated", "done", "neutral", item.cap_deg, 1, summary=outcome.summary
    )
    out.mkdir()
    write_outputs(out, [record])
    with (out / CSV_FILE).open(encoding="utf-8") as f:
        (r,) = list(csv.DictReader(f))
    assert r["measure"] == "trunk_rotation" and float(r["cap_deg"]) == 30.0
    # The turn to the right read within the measured error (as test_analyze_seated.py).
    assert abs(float(r["depth_deg"]) - true_peak) <= 8.0, r
    assert r["max_trunk_rotation_right_deg"] == r["depth_deg"]
    assert r["max_knee_drop_right_deg"] == "" and r["over_cap"] == "False"
    table = pq.read_table(out / PARQUET_FILE).to_pylist()
    assert table[0]["measure"] == "trunk_rotation" and table[0]["depth_deg"] == float(
        r["depth_deg"]
    )
    page = (out / OVERVIEW_FILE).read_text(encoding="utf-8")
    assert "depth: largest trunk rotation (°)" in page and "Depth measured in 1" in page


def test_the_overview_in_the_language_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    # `twistcoach --lang es batch` wrote its overview in English, and its workers (new
    # processes, without --lang) the inputs' reports too.
    from twistcoach import i18n
    from twistcoach.batch.task import TaskSpec

    monkeypatch.setattr(i18n, "_cli_language", ["es"])  # as --lang es sets it
    seated, supine = _seated_and_supine_rows()
    page = render_overview([seated, supine])
    assert '<html lang="es">' in page and "Resumen del lote" in page
    assert "profundidad: mayor bajada de las rodillas o giro del tronco (°)" in page
    assert "<td>giro del tronco</td>" in page and "<td>vídeo</td>" in page
    for english in ("Batch overview", "inputs:", "Failures", "main side", "knee drop"):
        assert english not in page, english
    assert TaskSpec("p", "n", "o", "s", "neutral", None).lang == "en"
