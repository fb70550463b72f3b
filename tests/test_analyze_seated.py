"""``twistcoach analyze`` on a seated twist (issue 20 item 4): trunk rotation, not knee drop.

The rendered clip ``tests/seated_groundtruth/seated_turn_right.mp4`` (``bench/seated/clip.py``:
a woman sits tall and square for 5 s, turns her chest to the right over 5 s to a true
18.6° and stays there, seen from the recommended raised front camera) is analysed end to end
by the command (MediaPipe, the supine tracker's recognition, then the rotation tracker over
the same skeletons): the summary, the CSV, the HTML report and the annotated video name the
trunk rotation, and unknown stays unknown.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import av

from twistcoach.cli.analyze_cmd import run_analyze

REPO = Path(__file__).resolve().parents[1]
TWISTCOACH = str(Path(sys.executable).parent / "twistcoach")
CLIP = REPO / "tests" / "seated_groundtruth" / "seated_turn_right.mp4"


def test_analyze_measures_a_seated_twist_by_its_trunk_rotation(tmp_path: Path) -> None:
    truth = json.loads(CLIP.with_suffix(".json").read_text())
    true_peak = max(f["trunk_rotation_deg"] for f in truth["frames"])
    proc = subprocess.run(
        [TWISTCOACH, "analyze", str(CLIP), "--out", str(tmp_path), "--annotate", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (summary,) = json.loads(proc.stdout)
    # Recognised as a seated twist (auto), so measured by the trunk rotation, estimated again
    # with the landmark model measured for it (estimator.ROTATION_MODEL, the full one).
    assert summary["measure"] == "trunk_rotation"
    assert summary["pose_family"] == "seated_twist"
    assert summary["landmark_model"] == "full"
    assert summary["view"] == "front" and summary["view_measurable"]
    assert summary["cap_deg"] == 30.0  # the rotation's default cap
    right, left = summary["metrics"]["right"], summary["metrics"]["left"]
    assert "max_knee_drop_deg" not in right
    # The turn to the right read within the measured error (bench/ACCURACY_SEATED.md: worst
    # 12 deg from this view; this clip's hold read 15-17 deg by the coach), and held.
    assert abs(right["max_trunk_rotation_deg"] - true_peak) <= 8.0, right
    assert right["time_held_s"] >= 8.0
    assert summary["metrics"]["main_side"] == "right"
    assert left["max_trunk_rotation_deg"] is None or left["max_trunk_rotation_deg"] < 5.0
    assert summary["events"] == []  # slow, upright, within the cap

    folder = tmp_path / "seated_turn_right"
    with (folder / "metrics.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and "trunk_rotation_deg" in rows[0] and "side_bend_deg" in rows[0]
    assert not [c for c in rows[0] if "knee" in c or "drop" in c]
    # Before the calibration (sitting square, the first seconds) nothing is measured: empty.
    assert rows[0]["trunk_rotation_deg"] == ""
    held = [float(r["trunk_rotation_deg"]) for r in rows if float(r["timestamp_s"]) >= 12.0]
    assert held and all(8.0 < v < 27.0 for v in held)

    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "largest trunk rotation" in html and "trunk rotation (°)" in html
    assert "knee" not in html.lower()

    with av.open(str(folder / "annotated.mp4")) as video:
        assert sum(1 for _ in video.decode(video=0)) == len(rows)


def test_analyze_refuses_an_unknown_twist(tmp_path: Path) -> None:
    code = run_analyze(
        [CLIP],
        tmp_path / "out",
        as_json=False,
        annotate=False,
        cap_deg=None,
        workers=1,
        twist="lying",
    )
    assert code == 2
    assert not (tmp_path / "out").exists()


STILLS = REPO / "tests" / "seated_groundtruth"


def test_a_lone_photograph_of_a_seated_twist_gives_no_trunk_rotation(tmp_path: Path) -> None:
    # One photo has no square pose to calibrate on, and MediaPipe's depth alone read the
    # rotation up to 18-44 deg off (bench/ACCURACY_SEATED.md): no number and no side, as a
    # lone photograph gives no knee drop (--flat measures it: test_analyze_cli).
    names = (
        "seated/woman50_average/front_raised/+0035.jpg",
        "seated/woman50_average/front_raised/-0035.jpg",
    )
    code = run_analyze(
        [STILLS / n for n in names],
        tmp_path / "auto",
        as_json=False,
        annotate=True,
        cap_deg=None,
        workers=1,
    )
    assert code == 0
    summaries = json.loads((tmp_path / "auto" / "summaries.json").read_text())
    for summary in summaries:
        assert summary["measure"] == "trunk_rotation", summary
        assert summary["metrics"] == {
            "trunk_rotation_deg": None,
            "rotation_side": None,
            "confidence": 0.0,
        }
        assert Path(summary["outputs"]["annotated"]).stat().st_size > 0
    # Said to be a supine twist, the same photo gives the supine measures.
    code = run_analyze(
        [STILLS / names[0]],
        tmp_path / "supine",
        as_json=False,
        annotate=False,
        cap_deg=None,
        workers=1,
        twist="supine",
    )
    assert code == 0
    (supine,) = json.loads((tmp_path / "supine" / "summaries.json").read_text())
    assert supine["measure"] == "knee_drop" and "knee_drop_deg" in supine["metrics"]
