"""Languages in the command line (issue 18 item 9): ``twistcoach --lang es`` (or
``TWISTCOACH_LANG``, or the locale) says the cues, pose steps and plans in Spanish, and
espeak-ng speaks them with its Spanish voice."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from test_coach_cli import INTAKE, TWISTCOACH, VIDEO, run_coach
from twistcoach import i18n
from twistcoach.cli.app import build_app


def test_a_bad_language_is_refused() -> None:
    result = CliRunner().invoke(build_app(), ["--lang", "klingon", "poses"])
    assert result.exit_code == 2
    assert "choose en or es" in result.output


def test_lang_resets_between_runs() -> None:
    runner = CliRunner()
    runner.invoke(build_app(), ["--lang", "es", "poses"])
    assert i18n.current_language() == "es"
    runner.invoke(build_app(), ["poses"], env={"TWISTCOACH_LANG": "", "LANG": "C.UTF-8"})
    assert i18n.current_language() == "en"
    runner.invoke(build_app(), ["poses"], env={"TWISTCOACH_LANG": "es"})
    assert i18n.current_language() == "es"
    i18n.set_language("en")


def test_poses_and_plan_in_spanish() -> None:
    runner = CliRunner()
    poses = runner.invoke(build_app(), ["--lang", "es", "poses", "supine_twist_partial"])
    assert poses.exit_code == 0, poses.output
    assert "Túmbese boca arriba con las rodillas dobladas" in poses.output
    assert "Pasos" in poses.output and "Lie on your back" not in poses.output
    plan = runner.invoke(
        build_app(),
        ["--lang", "es", "plan", "examples/02_chronic_low_back_pain.json"],
        env={"COLUMNS": "200"},
    )
    assert plan.exit_code == 0, plan.output
    assert "Listo: puede practicar las torsiones permitidas" in plan.output
    assert "Por qué, en palabras sencillas" in plain(plan.output)
    assert "Primero tumbado, luego sentado y después de pie" in plain(plan.output)
    for english in ("Why, in plain words", "Advice", "Ready:", "Supine twist", "knee drop"):
        assert english not in plain(plan.output), english
    # English stays the default.
    english = runner.invoke(build_app(), ["poses", "supine_twist_partial"], env={"LANG": "C"})
    assert "Lie on your back with your knees bent" in english.output
    i18n.set_language("en")


def plain(output: str) -> str:
    """The output's words on one line (Rich wraps long lines)."""
    return " ".join(output.replace("│", " ").split())


def test_espeak_speaks_spanish_with_its_spanish_voice(tmp_path: Path) -> None:
    from twistcoach.speech import EspeakSpeaker, make_speaker

    exe = shutil.which("espeak-ng")
    assert exe, "espeak-ng is needed (make system installs it)"
    voices = subprocess.run([exe, "--voices=es"], capture_output=True, text=True, check=True)
    assert " es " in voices.stdout  # the voice ESPEAK_VOICES names exists
    speaker = make_speaker(True, voice=i18n.ESPEAK_VOICES["es"])
    assert isinstance(speaker, EspeakSpeaker)
    assert speaker._base[1:3] == ["-v", "es"]
    speaker.close(wait=False)
    wav = tmp_path / "cue.wav"
    spoken = EspeakSpeaker(exe, voice="es", extra_args=["-w", str(wav)])
    spoken.say(i18n.translator("es").text("That's enough. Stay here."))
    spoken.close(wait=True)
    assert wav.stat().st_size > 10_000  # about a second of speech at 22 kHz


@pytest.mark.slow
def test_the_coach_in_spanish(shared_data: Path, tmp_path: Path) -> None:
    intake = tmp_path / "sam.json"
    intake.write_text(json.dumps(INTAKE))
    proc = run_coach(
        [
            TWISTCOACH,
            *("--lang", "es"),
            "coach",
            *("--video", str(shared_data / VIDEO), "--intake", str(intake), "--name", "Sam"),
            *("--headless", "--script", "2=pain:3,6=sharp"),
        ],
        tmp_path / "replay.sqlite",
    )
    assert proc.returncode == 3, proc.stderr  # a safety stop
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    cues = [x for x in lines if x["type"] == "cue"]
    camera = next(x for x in cues if x["id"] == "camera_advice")
    assert camera["text"].startswith("Desde un lado, la cámara no puede saber")
    easier = next(x for x in cues if x["id"] == "go_easier")
    assert easier["text"] == "Más suave. Suba un poco; hoy su límite es ahora de 40 grados."
    stop = next(x for x in cues if x["id"] == "stop_sharp_pain")
    assert stop["text"].startswith("Pare ahora.") and "profesional sanitario" in stop["text"]
    assert stop["reason"] == "usted avisó de un dolor punzante"
