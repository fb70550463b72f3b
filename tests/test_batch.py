"""``twistcoach batch``: inputs, the state file, the table, and whole batches on local Ray.

One private local Ray (2 CPUs, loopback) is started for the module and shared by every test
that needs it. The media are made at test time: two short clips cut from
``examples/demo_session.mp4`` with ffmpeg, a photo taken from it, and a broken "video".
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from twistcoach.batch import (
    STATE_FILE,
    BatchBusy,
    BatchInput,
    BatchInputError,
    BatchOptions,
    BatchResult,
    BatchState,
    InputRecord,
    RayOptions,
    collect_inputs,
    run_batch,
)
from twistcoach.batch.runner import start_ray
from twistcoach.batch.state import file_stamp, stamps
from twistcoach.batch.table import (
    CSV_FILE,
    OVERVIEW_FILE,
    PARQUET_FILE,
    depth_deg,
    events_words,
    row,
    write_outputs,
)
from twistcoach.batch.task import TaskOutcome, TaskSpec, analyze_input
from twistcoach.cli.app import build_app
from twistcoach.metrics import BodyType
from twistcoach.wording import view_words

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "demo_session.mp4"


def _ffmpeg(*args: str | Path) -> None:
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg (Debian package) is needed to cut the test clips"
    subprocess.run([ffmpeg, "-v", "error", "-y", *map(str, args)], check=True, timeout=60)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A folder with two short clips, a photo and a broken video (made once per module)."""
    folder = tmp_path_factory.mktemp("media")
    clips = folder / "clips"
    clips.mkdir()
    x264 = ("-c:v", "libx264", "-pix_fmt", "yuv420p", "-an")
    _ffmpeg("-ss", "16", "-i", DEMO, "-t", "3", *x264, clips / "session_a.mp4")
    _ffmpeg("-ss", "24", "-i", DEMO, "-t", "2", *x264, clips / "session_b.mp4")
    _ffmpeg("-ss", "20", "-i", DEMO, "-frames:v", "1", folder / "photo.jpg")
    (folder / "broken.mp4").write_bytes(b"this is not a video\n" * 10)
    return {
        "folder": folder,
        "a": clips / "session_a.mp4",
        "b": clips / "session_b.mp4",
        "photo": folder / "photo.jpg",
        "broken": folder / "broken.mp4",
    }


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One private local Ray for the whole module (start-up takes several seconds)."""
    import ray

    started = start_ray(RayOptions(workers=2))
    yield
    if started:
        ray.shutdown()


class Recorder:
    """A listener that remembers what finished, and can interrupt after ``stop_after``."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.stop_after = stop_after
        self.finished_paths: list[str] = []
        self.retried: list[tuple[str, str]] = []
        self.to_do: int | None = None
        self.warnings: list[str] = []

    def started(self, to_do: int, skipped: int, workers: int) -> None:
        self.to_do = to_do

    def retrying(self, item: BatchInput, reason: str) -> None:
        self.retried.append((item.key, reason))

    def finished(self, record: InputRecord) -> None:
        self.finished_paths.append(record.path)
        if self.stop_after is not None and len(self.finished_paths) >= self.stop_after:
            raise KeyboardInterrupt  # what Ctrl-C raises in the driver

    def warning(self, message: str) -> None:
        self.warnings.append(message)


# --- inputs: folders, globs, manifests (no Ray) ------------------------------------------


def test_a_folder_gives_its_photos_and_videos_recursively_once_each(
    media: dict[str, Path], tmp_path: Path
) -> None:
    items = collect_inputs([str(media["folder"]), str(media["a"])])
    names = sorted(i.path.name for i in items)
    assert names == ["broken.mp4", "photo.jpg", "session_a.mp4", "session_b.mp4"]
    # No --cap: each input gets its measure's default once analysed (60 knee drop, 30 trunk).
    assert all(i.cap_deg is None and i.body is BodyType.NEUTRAL for i in items)


def test_a_folder_scan_skips_the_output_folder_and_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "in.mp4").write_bytes(b"x")
    (tmp_path / ".hidden.mp4").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    out = tmp_path / "results" / "clip"
    out.mkdir(parents=True)
    (out / "annotated.mp4").write_bytes(b"x")
    items = collect_inputs([str(tmp_path)], out=tmp_path / "results")
    assert [i.path.name for i in items] == ["in.mp4"]


def test_a_glob_and_a_manifest_with_per_row_body_and_cap(
    media: dict[str, Path], tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.csv"
    rel = Path("..") / Path(*media["b"].relative_to(media["folder"].parent).parts)
    manifest.write_text(f"Path,body,cap\n{media['a']},female,45\n{rel},,\n\n", encoding="utf-8")
    items = collect_inputs([str(manifest)], body=BodyType.MALE, cap_deg=50.0)
    assert [(i.path, i.body, i.cap_deg) for i in items] == [
        (media["a"], BodyType.FEMALE, 45.0),
        (media["b"], BodyType.MALE, 50.0),  # empty cells take the command's defaults
    ]
    globbed = collect_inputs([str(media["folder"] / "**" / "*.mp4")])
    assert {i.path.name for i in globbed} == {"broken.mp4", "session_a.mp4", "session_b.mp4"}


STILLS = Path(__file__).resolve().parent / "groundtruth" / "stills"
PLACE = STILLS / "woman28_slim_150" / "diag_r55_e35"


def test_a_manifest_row_names_the_flat_photograph_that_calibrates_it(
    media: dict[str, Path], tmp_path: Path
) -> None:
    manifest = tmp_path / "photos.csv"
    manifest.write_text(
        f"path,body,flat\n{PLACE / 'theta_+070.jpg'},female,{PLACE / 'theta_+000.jpg'}\n"
        f"{PLACE / 'theta_+035.jpg'},female,\n",
        encoding="utf-8",
    )
    first, second = collect_inputs([str(manifest)])
    assert first.flat == PLACE / "theta_+000.jpg" and second.flat is None
    stamp, flat_stamp = stamps(first)
    record = _record(str(first.path), "theta_070", body="female", cap_deg=None, stamp=stamp)
    assert not record.matches(first)  # analysed without the flat photograph: again
    calibrated = dataclasses.replace(record, flat=str(first.flat), flat_stamp=flat_stamp)
    assert calibrated.matches(first)
    assert not calibrated.matches(dataclasses.replace(first, flat=None))
    # Another flat photograph under the same name is another calibration: again.
    assert not dataclasses.replace(calibrated, flat_stamp="1:2:3").matches(first)
    state = BatchState(tmp_path)
    state.record(calibrated)
    assert BatchState.load(tmp_path).records[calibrated.path].flat == str(first.flat)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"path,flat\n{media['a']},{PLACE / 'theta_+000.jpg'}\n", encoding="utf-8")
    with pytest.raises(BatchInputError, match="row 2: a flat photograph calibrates a photograph"):
        collect_inputs([str(bad)])
    bad.write_text(f"path,flat\n{PLACE / 'theta_+070.jpg'},nope.jpg\n", encoding="utf-8")
    with pytest.raises(BatchInputError, match="row 2, flat: no such file"):
        collect_inputs([str(bad)])


def _dropped_still(tmp_path: Path, flat: Path) -> TaskSpec:
    """A task for the held-out woman's still dropped 70 deg, calibrated on ``flat``."""
    return TaskSpec(
        path=str(PLACE / "theta_+070.jpg"),
        name="theta_070",
        out=str(tmp_path / "out"),
        staging=str(tmp_path / "staging"),
        body="female",
        cap_deg=None,
        flat=str(flat),
    )


def test_a_refused_input_is_not_retried_an_exception_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    spec = TaskSpec(
        path=str(broken),
        name="broken",
        out=str(tmp_path / "out"),
        staging=str(tmp_path / "staging"),
        body="neutral",
        cap_deg=None,
    )
    refused = analyze_input(spec)
    assert not refused.ok and not refused.retry  # the same refusal every time
    assert refused.error is not None and "not a readable video" in refused.error

    def crash(*args: object, **kwargs: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr("twistcoach.cli.analyze_cmd.run_analyze", crash)
    crashed = analyze_input(spec)
    assert not crashed.ok and crashed.retry  # a second try may succeed
    assert crashed.error is not None and "OSError: disk full" in crashed.error


def test_a_task_with_a_flat_photograph_measures_as_analyze_flat(tmp_path: Path) -> None:
    spec = _dropped_still(tmp_path, PLACE / "theta_+000.jpg")
    outcome = analyze_input(spec)
    assert outcome.ok, outcome.error
    assert outcome.summary["calibrated_on"] == spec.flat
    assert outcome.summary["metrics"]["knee_drop_deg"] is not None  # a lone photo gives none


def test_a_flat_photograph_that_cannot_calibrate_is_the_failures_reason(tmp_path: Path) -> None:
    # The reason was "FileNotFoundError: ... summaries.json" (analyze refuses the flat
    # photograph before it writes anything), and the task was tried again for it.
    import cv2
    import numpy as np

    blank = tmp_path / "blank.png"
    assert cv2.imwrite(str(blank), np.full((360, 640, 3), 200, np.uint8))
    spec = _dropped_still(tmp_path, blank)
    outcome = analyze_input(spec)
    assert not outcome.ok and outcome.error is not None
    assert outcome.error.startswith(f"{spec.path}: the flat photograph {blank}: ")
    assert "summaries.json" not in outcome.error and "Error" not in outcome.error
    assert outcome.summary["error"] == outcome.error


@pytest.mark.parametrize(
    ("manifest_text", "message"),
    [
        ("file_name,cap\nx.mp4,40\n", "needs a header row with a 'path' column"),
        ("path,cap\nmissing.mp4,40\n", "row 2: no such file"),
        ("path,cap\n{a},95\n", "row 2: the cap must be between 0 and 90"),
        ("path,cap\n{a},deep\n", "row 2: the cap must be a number"),
        ("path,body\n{a},giant\n", "row 2: body must be one of"),
    ],
)
def test_bad_manifests_say_which_row_and_why(
    media: dict[str, Path], tmp_path: Path, manifest_text: str, message: str
) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(manifest_text.format(a=media["a"]), encoding="utf-8")
    with pytest.raises(BatchInputError, match=message):
        collect_inputs([str(manifest)])


def test_arguments_that_name_nothing_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BatchInputError, match="no such file or folder"):
        collect_inputs([str(tmp_path / "nope.mp4")])
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(BatchInputError, match=r"pipe\.csv: not a file or folder"):
        collect_inputs([str(tmp_path / "pipe.csv")])
    with pytest.raises(BatchInputError, match="matches no file"):
        collect_inputs([str(tmp_path / "*.mp4")])
    with pytest.raises(BatchInputError, match="no photo or video in this folder"):
        collect_inputs([str(tmp_path)])
    with pytest.raises(BatchInputError, match="between 0 and 90"):
        collect_inputs([str(tmp_path)], cap_deg=0.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/folder"], "error: /no/such/folder: no such file or folder"),
        (["{a}", "--body", "giant"], "error: --body must be one of"),
        (["{a}", "--cap", "120"], "error: --cap: the cap must be between 0 and 90"),
    ],
)
def test_the_command_refuses_bad_input_in_one_line_with_status_2(
    media: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    argv = ["batch", *(a.format(a=media["a"]) for a in args), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(build_app(), argv)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_cluster_address_where_nothing_listens_fails_fast_in_one_line(
    media: dict[str, Path], tmp_path: Path
) -> None:
    import socket

    with socket.socket() as s:  # a loopback port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "results"
    argv = ["batch", str(media["photo"]), "-o", str(out), "--address", f"127.0.0.1:{port}"]
    result = CliRunner().invoke(build_app(), argv)
    assert result.exit_code == 2
    assert f"cannot reach Ray at 127.0.0.1:{port}: nothing answers" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()  # the output folder it made (and its lock) were left behind
    # A Ray Client address needs extras twistcoach does not install: said so, not Ray's
    # "reinstall ray".
    argv[-1] = "ray://head:10001"
    result = CliRunner().invoke(build_app(), argv)
    assert result.exit_code == 2
    assert "is a Ray Client address, which twistcoach does not use" in result.output
    assert not out.exists()


def test_help_teaches_inputs_outputs_resume_and_clusters() -> None:
    result = CliRunner().invoke(build_app(), ["batch", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for words in ("manifest", "batch-results.csv", "batch-state.json", "--address", "ray start"):
        assert words in result.output


def test_a_second_batch_into_the_same_folder_is_refused(
    media: dict[str, Path], tmp_path: Path
) -> None:
    import fcntl

    from twistcoach.batch.runner import LOCK_FILE

    items = collect_inputs([str(media["photo"])])
    with (tmp_path / LOCK_FILE).open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # another batch at work
        with pytest.raises(BatchBusy, match="another twistcoach batch is writing"):
            run_batch(items, BatchOptions(out=tmp_path))
        cli = CliRunner().invoke(build_app(), ["batch", str(media["photo"]), "-o", str(tmp_path)])
        assert cli.exit_code == 2
        assert (
            cli.output.strip()
            == f"error: {tmp_path}: another twistcoach batch is writing to this folder"
        )
    assert not (tmp_path / STATE_FILE).exists()


# --- the state file and the table (no Ray) -----------------------------------------------


def _record(path: str, name: str, **kw: Any) -> InputRecord:
    base: dict[str, Any] = {"status": "done", "body": "neutral", "cap_deg": 60.0, "attempts": 1}
    return InputRecord(path=path, name=name, **{**base, **kw})


def _inputs(folder: Path, *names: str) -> dict[str, str]:
    """Small input files in ``folder``, by name -> absolute path."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(name.encode() * 100)
    return {name: str(folder / name) for name in names}


def test_the_state_file_round_trips_and_decides_what_is_finished(tmp_path: Path) -> None:
    x = _inputs(tmp_path / "x", "a.mp4", "b.mp4", "c.mp4", "new.mp4")
    state = BatchState(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "summary.json").write_text("{}")
    state.record(_record(x["a.mp4"], "a", stamp=file_stamp(Path(x["a.mp4"]))))
    state.record(
        _record(
            x["b.mp4"],
            "b",
            status="failed",
            attempts=2,
            error="bad",
            stamp=file_stamp(Path(x["b.mp4"])),
        )
    )
    state.record(_record(x["c.mp4"], "c", stamp=file_stamp(Path(x["c.mp4"]))))  # no folder
    loaded = BatchState.load(tmp_path)
    assert loaded.records == state.records and loaded.ignored == []
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed

    def item(name: str, cap: float = 60.0, mirrored: bool = False) -> BatchInput:
        return BatchInput(Path(x[name]), BodyType.NEUTRAL, cap, mirrored=mirrored)

    assert loaded.is_finished(item("a.mp4"), retry_failed=False)
    assert not loaded.is_finished(item("a.mp4", cap=45.0), retry_failed=False)
    assert not loaded.is_finished(item("a.mp4", mirrored=True), retry_failed=False)
    assert loaded.is_finished(item("b.mp4"), retry_failed=False)
    assert not loaded.is_finished(item("b.mp4"), retry_failed=True)
    assert not loaded.is_finished(item("c.mp4"), retry_failed=False)
    assert not loaded.is_finished(item("new.mp4"), retry_failed=False)
    (tmp_path / STATE_FILE).write_text("{not json")
    assert BatchState.load(tmp_path).records == {}


def test_depth_is_the_largest_measured_drop_and_unknown_stays_unknown() -> None:
    video = {
        "kind": "video",
        "metrics": {
            "left": {"max_knee_drop_deg": 30.5, "peak_speed_deg_s": 12.0},
            "right": {"max_knee_drop_deg": None, "peak_speed_deg_s": None},
            "main_side": "left",
        },
        "events": [{"kind": "fast"}],
    }
    assert depth_deg(video) == 30.5
    assert depth_deg({"kind": "image", "metrics": {"knee_drop_deg": -42.0}}) == 42.0
    assert depth_deg({"kind": "image", "metrics": {"knee_drop_deg": None}}) is None
    assert depth_deg({"kind": "video", "metrics": {"left": None, "right": None}}) is None
    r = row(_record("/x/a.mp4", "a", cap_deg=25.0, summary=video))
    assert (r["depth_deg"], r["depth_of_cap"], r["over_cap"]) == (30.5, 1.22, True)
    assert (r["peak_speed_deg_s"], r["events"], r["main_side"]) == (12.0, 1, "left")
    failed = row(_record("/x/b.mp4", "b", status="failed", error="why", summary={}))
    assert (failed["depth_deg"], failed["over_cap"], failed["error"]) == (None, None, "why")


def test_outputs_without_any_measured_depth_still_write(tmp_path: Path) -> None:
    records = [_record("/x/b.mp4", "b", status="failed", attempts=2, error="unreadable")]
    write_outputs(tmp_path, records)
    page = (tmp_path / OVERVIEW_FILE).read_text()
    assert "unreadable" in page and "nothing to plot" in page
    with (tmp_path / CSV_FILE).open() as f:
        assert [r["status"] for r in csv.DictReader(f)] == ["failed"]


def test_a_timelapses_events_say_speed_was_not_checked(tmp_path: Path) -> None:
    """A 1 frame-a-second timelapse showed "events 0" in the overview, as if it had been
    slow: its speed could not be judged (its summary's ``speed_checked``), and the table
    and the overview say so; a video whose speed was judged keeps its plain count."""
    import pyarrow.parquet as pq

    def video(checked: bool | None) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "kind": "video",
            "metrics": {
                "left": {"max_knee_drop_deg": 1.8, "peak_speed_deg_s": None},
                "right": {"max_knee_drop_deg": 45.8, "peak_speed_deg_s": None},
                "main_side": "right",
            },
            "events": [],
        }
        if checked is not None:
            summary["speed_checked"] = checked
        return summary

    records = [
        _record("/x/tl1fps.mp4", "tl1fps", summary=video(False)),
        _record("/x/calm.mp4", "calm", summary=video(True)),
        _record("/x/old.mp4", "old", summary=video(None)),  # written before the field
    ]
    rows = [row(r) for r in records]
    assert [r["speed_checked"] for r in rows] == [False, True, None]
    assert [events_words(r) for r in rows] == [
        "0 (speed not checked: frames too far apart)",
        "0",
        "0",
    ]
    write_outputs(tmp_path, records)
    page = (tmp_path / OVERVIEW_FILE).read_text()
    assert "<td>0 (speed not checked: frames too far apart)</td>" in page
    with (tmp_path / CSV_FILE).open() as f:
        assert [r["speed_checked"] for r in csv.DictReader(f)] == ["False", "True", ""]
    table = pq.read_table(tmp_path / PARQUET_FILE)
    assert table.column("speed_checked").to_pylist() == [False, True, None]


# --- whole batches on local Ray ------------------------------------------------------------


@pytest.fixture(scope="module")
def first_batch(
    media: dict[str, Path], local_ray: None, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, BatchResult, Recorder]:
    """The mixed folder (two clips, a photo, a broken file) through local Ray, once."""
    out = tmp_path_factory.mktemp("batch") / "out"
    recorder = Recorder()
    items = collect_inputs([str(media["folder"])], cap_deg=45.0)
    result = run_batch(items, BatchOptions(out=out), RayOptions(workers=2), recorder)
    write_outputs(out, result.records)
    return out, result, recorder


@pytest.mark.slow
def test_a_mixed_batch_analyses_each_input_and_records_the_broken_one(
    first_batch: tuple[Path, BatchResult, Recorder], media: dict[str, Path]
) -> None:
    out, result, recorder = first_batch
    assert not result.interrupted and result.workers == 2
    assert (result.analysed, result.failed, result.skipped) == (3, 1, 0)
    by_name = {Path(r.path).name: r for r in result.records}
    # The broken file: analyze refuses it, so it is tried once (a second try would only
    # repeat the refusal) and recorded with the reason analyze gives.
    broken = by_name["broken.mp4"]
    assert broken.status == "failed" and broken.attempts == 1
    assert broken.error is not None and "not a readable video" in broken.error
    assert recorder.retried == []
    assert not (out / broken.name).exists()
    # Videos: analyze's files, with the numbers in the state file and the table.
    for stem in ("session_a", "session_b"):
        record = by_name[f"{stem}.mp4"]
        assert record.status == "done" and record.attempts == 1
        assert record.node == "127.0.0.2"  # the private Ray stays on loopback
        folder = out / record.name
        summary = json.loads((folder / "summary.json").read_text())
        assert summary == record.summary
        assert summary["kind"] == "video" and summary["cap_deg"] == 45.0
        assert summary["outputs"]["report_html"] == str(folder / "report.html")
        with (folder / "metrics.csv").open() as f:
            assert len(list(csv.DictReader(f))) == summary["frames"] > 20
        assert "<svg" in (folder / "report.html").read_text()
    photo = json.loads((out / by_name["photo.jpg"].name / "summary.json").read_text())
    assert photo["kind"] == "image" and photo["frames_with_person"] == 1
    assert not (out / ".partial").exists()


@pytest.mark.slow
def test_the_combined_table_and_overview_cover_every_input(
    first_batch: tuple[Path, BatchResult, Recorder],
) -> None:
    import pyarrow.parquet as pq

    out, result, _ = first_batch
    with (out / CSV_FILE).open() as f:
        rows = list(csv.DictReader(f))
    assert [r["input"] for r in rows] == [r.path for r in result.records]
    statuses = {Path(r["input"]).name: r["status"] for r in rows}
    assert statuses == {
        "broken.mp4": "failed",
        "photo.jpg": "done",
        "session_a.mp4": "done",
        "session_b.mp4": "done",
    }
    table = pq.read_table(out / PARQUET_FILE).to_pylist()
    assert [t["input"] for t in table] == [r["input"] for r in rows]
    for t, r in zip(table, rows, strict=True):
        assert t["cap_deg"] == 45.0
        expected = depth_deg(next(x.summary for x in result.records if x.path == r["input"]))
        assert t["depth_deg"] == expected
        assert r["depth_deg"] == ("" if expected is None else str(expected))
        if expected is not None:
            assert t["over_cap"] is (expected > 45.0)
    failed = next(t for t in table if t["status"] == "failed")
    assert failed["attempts"] == 1 and "not a readable video" in failed["error"]
    page = (out / OVERVIEW_FILE).read_text()
    assert "not a readable video" in page and "broken.mp4" in page
    assert "<svg" in page  # the depth-against-cap plots
    # The camera in words, as the pose: the table keeps the id ("oblique").
    views = {r["view"] for r in rows if r["view"]}
    assert views and all(f"<td>{view_words(v)}</td>" in page for v in views)
    assert not any(f"<td>{v}</td>" in page for v in views if view_words(v) != v)
    summaries = json.loads((out / "summaries.json").read_text())
    assert len(summaries) == 4 and sum("error" in s for s in summaries) == 1


@pytest.mark.slow
def test_a_rerun_redoes_only_what_is_missing(
    first_batch: tuple[Path, BatchResult, Recorder], media: dict[str, Path]
) -> None:
    out, result, _ = first_batch
    items = collect_inputs([str(media["folder"])], cap_deg=45.0)
    by_name = {Path(r.path).name: r for r in result.records}
    kept = out / by_name["session_a.mp4"].name / "summary.json"
    kept_mtime = kept.stat().st_mtime_ns
    shutil.rmtree(out / by_name["session_b.mp4"].name)  # a result lost since
    recorder = Recorder()
    again = run_batch(items, BatchOptions(out=out), RayOptions(workers=2), recorder)
    assert recorder.finished_paths == [str(media["b"])]
    assert (again.skipped, again.analysed, again.failed) == (3, 1, 0)
    assert kept.stat().st_mtime_ns == kept_mtime
    assert (out / by_name["session_b.mp4"].name / "summary.json").is_file()
    assert again.any_failed  # the broken file's failure is still the batch's
    # Asked to, the failed input is tried again (and refused again, once).
    recorder = Recorder()
    retry = run_batch(items, BatchOptions(out=out, retry_failed=True), None, recorder)
    assert recorder.finished_paths == [str(media["broken"])]
    assert (
        retry.records[[Path(r.path).name for r in retry.records].index("broken.mp4")].attempts == 1
    )


@pytest.mark.slow
def test_an_interrupted_batch_resumes_without_redoing_finished_inputs(
    media: dict[str, Path], local_ray: None, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    items = collect_inputs([str(media["photo"]), str(media["b"]), str(media["a"])])
    stopper = Recorder(stop_after=1)  # Ctrl-C as soon as the first input finishes
    first = run_batch(items, BatchOptions(out=out), RayOptions(workers=2), stopper)
    assert first.interrupted
    finished = list(stopper.finished_paths)
    assert len(finished) == 1
    state = json.loads((out / STATE_FILE).read_text())
    assert list(state["inputs"]) == finished
    assert not (out / ".partial").exists()
    recorder = Recorder()
    second = run_batch(items, BatchOptions(out=out), RayOptions(workers=2), recorder)
    assert not second.interrupted
    assert recorder.to_do == 2 and second.skipped == 1
    assert sorted(recorder.finished_paths) == sorted(
        str(i.path) for i in items if i.key not in finished
    )
    assert [r.status for r in second.records] == ["done", "done", "done"]
    assert [r.path for r in second.records] == [i.key for i in items]


@pytest.mark.slow
def test_the_command_runs_a_batch_and_exits_0_then_2_with_a_failure(
    media: dict[str, Path], local_ray: None, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    app = build_app()
    ok = CliRunner().invoke(app, ["batch", str(media["photo"]), "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert "1 of 1 input finished" in ok.output
    assert (out / "photo" / "summary.json").is_file() and (out / OVERVIEW_FILE).is_file()
    bad = CliRunner().invoke(
        app, ["batch", str(media["photo"]), str(media["broken"]), "--out", str(out)]
    )
    assert bad.exit_code == 2, bad.output
    assert "failed:" in bad.output and "not a readable video" in bad.output
    assert "1 earlier" in bad.output  # the photo was not redone
    assert "Traceback" not in bad.output


def _dies_on_first_try(spec: TaskSpec) -> TaskOutcome:
    """In a Ray worker: the first try at an input kills its process (as a crash or the
    out-of-memory killer would); the next one analyses it."""
    import os

    marker = Path(spec.staging).parent.parent / f"{spec.name}.tried"
    if not marker.exists():
        marker.write_text("once")
        os._exit(1)
    return analyze_input(spec)


@pytest.mark.slow
def test_a_worker_that_dies_is_retried_and_the_batch_goes_on(
    media: dict[str, Path], local_ray: None, tmp_path: Path
) -> None:
    import ray

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    out = tmp_path / "out"
    recorder = Recorder()
    items = collect_inputs([str(media["photo"])])
    result = run_batch(items, BatchOptions(out=out), None, recorder, task=_dies_on_first_try)
    ((key, reason),) = recorder.retried
    assert key == str(media["photo"])
    assert reason.startswith(f"{media['photo']}: the task stopped (")  # Ray's error, one line
    (record,) = result.records
    assert (record.status, record.attempts) == ("done", 2)
    assert (out / record.name / "summary.json").is_file()


def test_the_batch_module_does_not_import_ray_until_it_runs() -> None:
    code = "import sys, twistcoach.batch, twistcoach.cli.app; print('ray' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


def test_a_task_writes_its_report_in_the_drivers_language(
    shared_data: Path, tmp_path: Path
) -> None:
    # A worker is a new process: it wrote English whatever the driver's --lang.
    from twistcoach import i18n

    clip = shared_data / "videos" / "seated_twist" / "karby_spinal_twist.mp4"
    spec = TaskSpec(
        path=str(clip),
        name="karby",
        out=str(tmp_path / "out"),
        staging=str(tmp_path / "staging"),
        body="neutral",
        cap_deg=None,
        lang="es",
    )
    before = list(i18n._cli_language)
    try:
        outcome = analyze_input(spec)
    finally:
        i18n._cli_language[:] = before
    assert outcome.ok, outcome.error
    assert outcome.results is not None
    page = (Path(outcome.results) / "report.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in page and "Análisis de la torsión" in page


# --- red team: the state file, markup, the output folder, long names, CSV cells ----------


def _state_with(out: Path, records: dict[str, dict[str, Any]], version: int = 2) -> None:
    out.mkdir(parents=True, exist_ok=True)
    base = {"status": "failed", "body": "neutral", "cap_deg": None, "attempts": 1, "error": "x"}
    inputs = {k: {"path": k, **base, **v} for k, v in records.items()}
    data = {"version": version, "inputs": inputs}
    (out / STATE_FILE).write_text(json.dumps(data), encoding="utf-8")


def test_a_tampered_state_file_never_names_a_folder_outside_the_output_folder(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    (tmp_path / "victim").mkdir()
    out.mkdir()
    (out / "linked").symlink_to(tmp_path / "victim")
    bad_names = [
        str(tmp_path / "victim"),  # absolute
        "../victim",
        "..",
        ".",
        ".partial",  # hidden: the staging folder
        "a/b",
        "batch-results.csv",  # the batch's own file
        "linked",  # a symbolic link out of the folder
        "",
    ]
    records: dict[str, dict[str, Any]] = {
        f"/in/{i}.jpg": {"name": n} for i, n in enumerate(bad_names)
    }
    records["/in/good.jpg"] = {"name": "good"}
    records["/in/twin.jpg"] = {"name": "good"}  # another record's folder
    records["/in/key.jpg"] = {"name": "key", "path": "/elsewhere/key.jpg"}
    _state_with(out, records)
    state = BatchState.load(out)
    assert list(state.records) == ["/in/good.jpg"]
    assert len(state.ignored) == len(records) - 1
    assert all(line.count("\n") == 0 and "is ignored" in line for line in state.ignored)
    assert "'../victim' is not a plain folder name" in " ".join(state.ignored)
    assert "'linked' is not inside the output folder" in " ".join(state.ignored)
    # The names the batch gives always pass the same check.
    from twistcoach.cli.analyze_cmd import _folder_name, is_result_folder_name

    used: set[str] = set()
    stems = ["...", "..", ".hidden", "a/b", "", "日本 😀", "L" * 300, "é" * 200, "-1-1", "x"]
    for stem in stems:
        name = _folder_name(Path(f"{stem}.mp4"), used)
        assert is_result_folder_name(name), (stem, name)


def _refused(spec: TaskSpec) -> TaskOutcome:
    """A try the analysis refuses at once (no analysis run)."""
    return TaskOutcome(False, f"{spec.path}: refused", {"input": spec.path}, None, 0.0)


@pytest.mark.slow
def test_retrying_a_tampered_failed_record_deletes_nothing_outside_the_output_folder(
    media: dict[str, Path], local_ray: None, tmp_path: Path
) -> None:
    import ray

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    victim, absolute = tmp_path / "victim", tmp_path / "victim2"
    for folder in (victim, absolute):
        folder.mkdir()
        (folder / "precious.txt").write_text("keep")
    out = tmp_path / "out"
    items = collect_inputs([str(media["photo"]), str(media["broken"])], out=out)
    _state_with(
        out,
        {str(media["photo"]): {"name": "../victim"}, str(media["broken"]): {"name": str(absolute)}},
    )
    recorder = Recorder()
    result = run_batch(
        items, BatchOptions(out=out, retry_failed=True), None, recorder, task=_refused
    )
    assert (victim / "precious.txt").is_file() and (absolute / "precious.txt").is_file()
    assert len(recorder.warnings) == 2 and all("is ignored" in w for w in recorder.warnings)
    assert sorted(r.name for r in result.records) == ["broken", "photo"]
    saved = json.loads((out / STATE_FILE).read_text())
    assert sorted(r["name"] for r in saved["inputs"].values()) == ["broken", "photo"]


def test_markup_in_file_names_is_printed_as_it_is_never_a_crash(tmp_path: Path) -> None:
    # A glob character that is also Rich markup: the error line crashed (MarkupError).
    argument = str(tmp_path / "x[" / "[/b]y.mp4")
    result = CliRunner().invoke(build_app(), ["batch", argument, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert f"error: {argument}: the pattern matches no file" in result.output
    # The progress listener prints a file named like markup as it is.
    import io

    from rich.console import Console
    from rich.progress import Progress

    from twistcoach.cli.batch_cmd import _RichListener

    buffer = io.StringIO()
    console = Console(file=buffer, soft_wrap=True, highlight=False, width=200)
    listener = _RichListener(Progress(console=console), console)
    listener.started(2, 0, 1)
    path = "/in/[red]photo.jpg"
    listener.retrying(BatchInput(Path("/in/x[b]y.jpg"), BodyType.NEUTRAL, None), "[/i] died")
    listener.finished(_record(path, "red_photo", status="failed", error=f"{path}: [/b]bad"))
    listener.warning("/in/[bold]x.jpg: ignored")
    said = buffer.getvalue()
    assert "retrying x[b]y.jpg: [/i] died" in said
    assert f"failed: {path}: [/b]bad" in said
    assert "warning: /in/[bold]x.jpg: ignored" in said


def test_nothing_inside_the_output_folder_is_an_input_however_it_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    st = tmp_path / "st"
    (st / "res" / "annotated").mkdir(parents=True)
    (st / "x.jpg").write_bytes(b"x")
    (st / "res" / "annotated" / "annotated.png").write_bytes(b"x")
    # "st/../st": the scan's paths kept the "..", and the results were taken as inputs.
    items = collect_inputs(["st/../st"], out=Path("st/res"))
    assert [i.path.name for i in items] == ["x.jpg"]
    globbed = collect_inputs(["st/../st/**/*.*"], out=Path("st/res"))
    assert [i.path.name for i in globbed] == ["x.jpg"]
    # Through a link to the output folder, too.
    (tmp_path / "res_link").symlink_to(st / "res")
    assert [i.path.name for i in collect_inputs(["st"], out=Path("res_link"))] == ["x.jpg"]
    # Named explicitly (as an argument or a manifest row): refused, with the reason.
    inside = "st/res/annotated/annotated.png"
    with pytest.raises(BatchInputError, match=r"annotated\.png: inside the output folder"):
        collect_inputs([inside], out=Path("st/../st/res"))
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"path\n{st / 'res' / 'annotated' / 'annotated.png'}\n")
    with pytest.raises(BatchInputError, match=r"row 2: .*inside the output folder"):
        collect_inputs([str(manifest)], out=st / "res")
    with pytest.raises(BatchInputError, match=r"matches no file outside the output folder"):
        collect_inputs(["st/res/**/*.png"], out=Path("st/res"))


def test_a_folder_that_is_or_is_inside_the_output_folder_says_so(tmp_path: Path) -> None:
    st = tmp_path / "st"
    st.mkdir()
    (st / "x.jpg").write_bytes(b"x")
    with pytest.raises(BatchInputError, match=r"st: this is the output folder \(--out\)"):
        collect_inputs([str(st)], out=st)
    with pytest.raises(BatchInputError, match=r"st: inside the output folder"):
        collect_inputs([str(st)], out=tmp_path)
    only_results = tmp_path / "only"
    (only_results / "res").mkdir(parents=True)
    (only_results / "res" / "a.jpg").write_bytes(b"x")
    with pytest.raises(BatchInputError, match="no photo or video in this folder outside the out"):
        collect_inputs([str(only_results)], out=only_results / "res")


def test_a_manifest_row_naming_a_device_or_a_pipe_says_so(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.mp4")
    (tmp_path / "dangling.jpg").symlink_to(tmp_path / "gone.jpg")
    (tmp_path / "sub").mkdir()
    cases = {
        "/dev/zero": "row 2: not a regular file",
        str(tmp_path / "pipe.mp4"): "row 2: not a regular file",
        str(tmp_path / "dangling.jpg"): r"row 2: no such file \(a broken link\)",
        str(tmp_path / "sub"): "row 2: .* is a folder",
    }
    manifest = tmp_path / "m.csv"
    for named, message in cases.items():
        manifest.write_text(f"path\n{named}\n")
        with pytest.raises(BatchInputError, match=message):
            collect_inputs([str(manifest)])


def test_long_file_names_give_short_distinct_folder_names(tmp_path: Path) -> None:
    from twistcoach.cli.analyze_cmd import MAX_FOLDER_NAME_BYTES, _folder_name

    used: set[str] = set()
    first = _folder_name(Path("M" * 255), used)
    second = _folder_name(Path("M" * 254 + "N"), used)
    third = _folder_name(Path("é" * 120 + ".jpg"), used)
    assert first != second
    for name in (first, second, third):
        assert len(name.encode()) <= MAX_FOLDER_NAME_BYTES, name
    assert first.startswith("MMMM")
    # A stem of dots named the output folder itself or its parent.
    assert _folder_name(Path("...mp4"), used) not in (".", "..")
    assert _folder_name(Path("..mp4"), used) not in (".", "..")


def test_a_name_too_long_for_the_file_system_is_not_retried(tmp_path: Path) -> None:
    photo = tmp_path / "p.jpg"
    photo.write_bytes(
        (STILLS / "woman28_slim_150" / "diag_r55_e35" / "theta_+000.jpg").read_bytes()
    )
    spec = TaskSpec(
        path=str(photo),
        name="p",
        out=str(tmp_path / "out"),
        staging=str(tmp_path / ("S" * 300)),
        body="neutral",
        cap_deg=None,
    )
    outcome = analyze_input(spec)
    assert not outcome.ok and "File name too long" in str(outcome.error)
    assert outcome.retry is False


@pytest.mark.slow
def test_a_file_whose_name_is_255_bytes_is_analysed(
    media: dict[str, Path], local_ray: None, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    long = folder / ("M" * 255)  # no suffix: judged a photograph by its first bytes
    long.write_bytes(media["photo"].read_bytes())
    out = tmp_path / "out"
    recorder = Recorder()
    result = run_batch(collect_inputs([str(long)], out=out), BatchOptions(out=out), None, recorder)
    (record,) = result.records
    assert record.status == "done", record.error
    assert recorder.retried == []
    assert (out / record.name / "summary.json").is_file() and len(record.name) < 255


def test_csv_text_cells_are_never_read_as_formulas(tmp_path: Path) -> None:
    from twistcoach.batch.table import write_csv
    from twistcoach.report.tables import csv_cell

    assert [csv_cell(v) for v in ("-1-1", "+x", "=A1", "@SUM(1)", "\tx", "ok", -2.5, 3)] == [
        "'-1-1",
        "'+x",
        "'=A1",
        "'@SUM(1)",
        "'\tx",
        "ok",
        -2.5,
        3,
    ]
    summary = {"kind": "image", "metrics": {"knee_drop_deg": -12.5}, "warnings": ["-x"]}
    rows = [row(_record('=HYPERLINK("http:evil","x").mp4', "-1-1", cap_deg=40.0, summary=summary))]
    write_csv(tmp_path / CSV_FILE, rows)
    with (tmp_path / CSV_FILE).open() as f:
        (cells,) = list(csv.DictReader(f))
    assert cells["name"] == "'-1-1"
    assert cells["input"] == '\'=HYPERLINK("http:evil","x").mp4'
    assert cells["warnings"] == "'-x"
    assert cells["depth_deg"] == "12.5" and cells["cap_deg"] == "40.0"  # numbers stay numbers


# --- red team: a file replaced under the same name; --mirrored -------------------------


def test_a_file_replaced_under_the_same_name_is_not_finished(tmp_path: Path) -> None:
    """The state file was keyed by path alone: a clip replaced by another under the same
    name kept the first one's results."""
    x = _inputs(tmp_path / "in", "clip.mp4")
    clip = Path(x["clip.mp4"])
    state = BatchState(tmp_path / "out")
    (tmp_path / "out" / "clip").mkdir(parents=True)
    (tmp_path / "out" / "clip" / "summary.json").write_text("{}")
    state.record(_record(x["clip.mp4"], "clip", stamp=file_stamp(clip)))
    item = BatchInput(clip, BodyType.NEUTRAL, 60.0)
    assert BatchState.load(tmp_path / "out").is_finished(item, retry_failed=False)
    before = clip.stat()
    # Another recording of the same size, given the old one's time (as `cp -p` would).
    clip.write_bytes(b"X" * before.st_size)
    os.utime(clip, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert clip.stat().st_size == before.st_size
    assert not BatchState.load(tmp_path / "out").is_finished(item, retry_failed=False)
    # The same bytes again, only touched: its time says it may have changed, so again.
    clip.write_bytes(b"clip.mp4" * 100)
    os.utime(clip, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    assert not BatchState.load(tmp_path / "out").is_finished(item, retry_failed=False)
    # The large file's stamp reads its two ends only, and still tells them apart.
    big = tmp_path / "in" / "big.mp4"
    big.write_bytes(bytes(300_000))
    stamp = file_stamp(big)
    with big.open("r+b") as f:
        f.seek(300_000 - 10)
        f.write(b"0123456789")
    os.utime(big, ns=(0, int(stamp.split(":")[1]) if stamp else 0))
    assert stamp is not None and file_stamp(big) != stamp
    assert file_stamp(tmp_path / "in") is None and file_stamp(tmp_path / "nothing") is None


def test_an_older_state_file_is_read_and_its_inputs_analysed_again(tmp_path: Path) -> None:
    x = _inputs(tmp_path / "in", "a.mp4")
    out = tmp_path / "out"
    _state_with(out, {x["a.mp4"]: {"name": "a", "status": "done", "error": None}}, version=1)
    (out / "a").mkdir()
    (out / "a" / "summary.json").write_text("{}")
    state = BatchState.load(out)
    assert state.records[x["a.mp4"]].name == "a"  # its folder name is kept
    assert state.ignored == [
        f"{out / STATE_FILE}: written by an earlier twistcoach, which did not note each "
        "input's size and time, so its inputs are analysed again"
    ]
    item = BatchInput(Path(x["a.mp4"]), BodyType.NEUTRAL, None)
    assert not state.is_finished(item, retry_failed=False)
    # A version this twistcoach does not know is not read at all.
    (out / STATE_FILE).write_text(json.dumps({"version": 99, "inputs": {}}), encoding="utf-8")
    assert BatchState.load(out).records == {}


def _done(spec: TaskSpec) -> TaskOutcome:
    """A try that 'analyses' its input at once: a summary holding the input's bytes."""
    results = Path(spec.staging) / spec.name
    results.mkdir(parents=True)
    summary = {"input": spec.path, "kind": "video", "bytes": Path(spec.path).read_text()}
    (results / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return TaskOutcome(True, None, summary, str(results), 0.0)


@pytest.mark.slow
def test_a_rerun_analyses_again_a_file_replaced_under_the_same_name(
    local_ray: None, tmp_path: Path
) -> None:
    import ray

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    x = _inputs(tmp_path / "in", "a.mp4", "b.mp4")
    out = tmp_path / "out"
    items = collect_inputs([str(tmp_path / "in")])
    first = run_batch(items, BatchOptions(out=out), None, Recorder(), task=_done)
    assert first.analysed == 2
    Path(x["b.mp4"]).write_text("another recording", encoding="utf-8")
    recorder = Recorder()
    again = run_batch(items, BatchOptions(out=out), None, recorder, task=_done)
    assert recorder.finished_paths == [x["b.mp4"]] and again.skipped == 1
    summary = json.loads((out / "b" / "summary.json").read_text())
    assert summary["bytes"] == "another recording"
    saved = json.loads((out / STATE_FILE).read_text())
    assert saved["version"] == 2 and saved["inputs"][x["b.mp4"]]["stamp"] == file_stamp(
        Path(x["b.mp4"])
    )


def test_mirrored_is_a_videos_setting_from_the_command_or_a_manifest_row(
    media: dict[str, Path], tmp_path: Path
) -> None:
    items = collect_inputs([str(media["a"])], mirrored=True)
    assert [i.mirrored for i in items] == [True]
    with pytest.raises(BatchInputError) as photo:
        collect_inputs([str(media["folder"])], mirrored=True)
    assert str(photo.value) == (
        f"{media['photo']}: a photograph, and --mirrored flips videos only (photographs are "
        "measured as saved): give the photographs without --mirrored, or say mirrored per "
        "video in a manifest's mirrored column"
    )
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        f"path,mirrored\n{media['a']},yes\n{media['b']},\n{media['photo']},no\n",
        encoding="utf-8",
    )
    rows = collect_inputs([str(manifest)])
    assert [(i.path.name, i.mirrored) for i in rows] == [
        ("session_a.mp4", True),
        ("session_b.mp4", False),
        ("photo.jpg", False),
    ]
    assert [i.mirrored for i in collect_inputs([str(manifest)], mirrored=True)][1] is True
    manifest.write_text(f"path,mirrored\n{media['a']},maybe\n", encoding="utf-8")
    with pytest.raises(BatchInputError, match=r"row 2: mirrored must be yes or no, got 'maybe'"):
        collect_inputs([str(manifest)])
    manifest.write_text(f"path,mirrored\n{media['photo']},yes\n", encoding="utf-8")
    with pytest.raises(BatchInputError, match=r"row 2: .*photo\.jpg: a photograph, and --mirr"):
        collect_inputs([str(manifest)])
    # The task passes it to analyze, which flips the video: a record notes it.
    spec = TaskSpec(
        path=str(media["a"]),
        name="a",
        out=str(tmp_path / "out"),
        staging=str(tmp_path / "staging"),
        body="neutral",
        cap_deg=None,
        mirrored=True,
    )
    assert spec.mirrored


def _saw_state(spec: TaskSpec) -> TaskOutcome:
    """A try that notes which inputs the saved state file holds while it runs."""
    # staging: OUT/.partial/NAME.TRY
    held = json.loads((Path(spec.staging).parents[1] / STATE_FILE).read_text())["inputs"]
    results = Path(spec.staging) / spec.name
    results.mkdir(parents=True)
    summary = {"input": spec.path, "kind": "video", "held": sorted(held)}
    (results / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return TaskOutcome(True, None, summary, str(results), 0.0)


@pytest.mark.slow
def test_every_input_redone_is_unfinished_in_the_state_before_its_try(
    local_ray: None, tmp_path: Path
) -> None:
    """Two inputs replaced: the state file dropped the first one's record only (``any()``
    stopped at the first it popped), so a run cut short left the second's old result
    marked finished."""
    import ray

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    x = _inputs(tmp_path / "in", "a.mp4", "b.mp4")
    out = tmp_path / "out"
    items = collect_inputs([str(tmp_path / "in")])
    assert run_batch(items, BatchOptions(out=out), None, Recorder(), task=_done).analysed == 2
    for name in ("a.mp4", "b.mp4"):
        Path(x[name]).write_text(f"another {name}", encoding="utf-8")
    run_batch(items, BatchOptions(out=out), None, Recorder(), task=_saw_state)
    for name in ("a", "b"):
        held = json.loads((out / name / "summary.json").read_text())["held"]
        assert x["a.mp4"] not in held and x["b.mp4"] not in held, held
