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
    assert "Puede practicar las torsiones marcadas como permitidas" in plan.output
    assert "Por qué, en palabras sencillas" in plain(plan.output)
    assert "Primero tumbado, luego sentado y después de pie" in plain(plan.output)
    for english in ("Why, in plain words", "Advice", "Ready:", "Supine twist", "knee drop"):
        assert english not in plain(plan.output), english
    # English stays the default.
    english = runner.invoke(build_app(), ["poses", "supine_twist_partial"], env={"LANG": "C"})
    assert "Lie on your back with your knees bent" in english.output
    i18n.set_language("en")


def test_the_pose_library_in_spanish_has_no_english_and_no_ids() -> None:
    """``--lang es poses`` (and one pose in full) was largely English, and the cue table's
    "Cuándo" showed CueWhen's ids (setup, too_fast, sharp_pain)."""
    runner = CliRunner()
    tr = i18n.translator("es")
    tr.missed.clear()
    listing = runner.invoke(build_app(), ["--lang", "es", "poses"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0, listing.output
    words = plain(listing.output)
    assert "Variantes de torsión (la más suave primero)" in words
    assert "hasta 27° de ~45° de giro del tronco" in words
    assert "Torsión sentado fácil (con las piernas cruzadas)" in words
    shown = runner.invoke(
        build_app(), ["--lang", "es", "poses", "seated_twist_easy"], env={"COLUMNS": "200"}
    )
    assert shown.exit_code == 0, shown.output
    words = plain(shown.output)
    for spanish in (
        "recorrido: hasta 27° de ~45° de giro del tronco",
        "mantener: 30 s por lado",
        "accesorios: esterilla, manta y bloque",  # a list as Spanish joins one
        "lo que miran las reglas de seguridad: gira la columna",
        "Fuentes",
        "Antes de empezar",
        "Si se mueve demasiado rápido",
        "Dolor punzante o que se irradia",
        "Las torsiones sentado van después de las tumbado",  # a source note
    ):
        assert spanish in words, spanish
    for english in ("range:", "hold:", "props:", "contraindication", "Sources", "trunk rotation"):
        assert english not in words, english
    # No internal id (CueWhen's, a tag's, the variant's): the --json output has those.
    assert not any(w in words for w in ("setup", "too_fast", "sharp_pain", "spinal_rotation"))
    assert "seated_twist" not in words
    assert not tr.missed, tr.missed
    i18n.set_language("en")


def test_demo_and_seated_plans_in_spanish_leave_nothing_english() -> None:
    """The demo's person was English with ids (chronic_low_back_pain, activity light); a plan
    with a seated twist allowed says its position's words (rules/screening.yaml by_position)."""
    runner = CliRunner()
    tr = i18n.translator("es")
    tr.missed.clear()
    demo = runner.invoke(build_app(), ["--lang", "es", "demo"], env={"COLUMNS": "200"})
    assert demo.exit_code == 0, demo.output
    words = plain(demo.output)
    assert "Persona de ejemplo" in words and "Edad 58; dolor ahora 3 de 10" in words
    assert "dolor lumbar desde hace 3 meses o más" in words
    assert "chronic_low_back_pain" not in words and "Demo person" not in words
    for example in ("12_pregnancy_24_weeks_cleared.json", "16_si_joint_teacher_clearances.json"):
        plan = runner.invoke(
            build_app(), ["--lang", "es", "plan", f"examples/{example}"], env={"COLUMNS": "200"}
        )
        assert plan.exit_code == 0, plan.output
        assert "deje que la pelvis gire con el tronco" in plain(plan.output)
    assert not tr.missed, tr.missed
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
