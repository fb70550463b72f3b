"""Counts said with the right form (i18n.ngettext), in English and Spanish: "1 input", "1
frame", "1 second", "1 session", never "1 inputs"; and the time over the cap said in
seconds, from the samples' own times."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest
from typer.testing import CliRunner

from twistcoach import i18n
from twistcoach.cli.app import build_app

runner = CliRunner()


@pytest.fixture()
def language() -> Iterator[None]:
    """The command line's language goes back to what it was after the test."""
    before = list(i18n._cli_language)
    yield
    i18n._cli_language[:] = before


def test_analyze_says_one_input_failed_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], language: None
) -> None:
    from twistcoach.cli.analyze_cmd import run_analyze

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    for lang, said, wrong in (
        ("en", "1 of 1 input failed", "1 of 1 inputs"),
        ("es", "falló 1 de 1 entrada", "1 entradas"),
    ):
        i18n.set_language(lang)
        code = run_analyze(
            [broken], tmp_path / lang, as_json=True, annotate=False, cap_deg=40.0, workers=1
        )
        err = capsys.readouterr().err
        assert code == 2
        assert said in err and wrong not in err, err


def test_the_batch_progress_and_overview_count_one_input_in_the_singular(
    language: None,
) -> None:
    from rich.console import Console
    from rich.progress import Progress

    from test_batch_seated import _seated_and_supine_rows
    from twistcoach.batch.table import render_overview
    from twistcoach.cli.batch_cmd import _RichListener

    for lang, said in (
        ("en", ("resuming: 1 input already finished is not redone", "1 input to analyse")),
        ("es", ("reanudando: 1 entrada ya terminada no se repite", "1 entrada que analizar")),
    ):
        i18n.set_language(lang)
        buffer = io.StringIO()
        console = Console(file=buffer, width=200)
        listener = _RichListener(Progress(console=console), console)
        listener.started(to_do=1, skipped=1, workers=4)
        printed = buffer.getvalue()
        for text in said:
            assert text in printed, printed
        assert "1 inputs" not in printed and "1 entradas" not in printed
        seated, _supine = _seated_and_supine_rows()
        page = render_overview([seated])
        assert ("1 input: " if lang == "en" else "1 entrada: ") in page
    i18n.set_language("en")
    buffer = io.StringIO()
    console = Console(file=buffer, width=200)
    _RichListener(Progress(console=console), console).started(to_do=3, skipped=2, workers=2)
    assert "resuming: 2 inputs already finished are not redone" in buffer.getvalue()
    assert "3 inputs to analyse, 2 at a time" in buffer.getvalue()


def test_a_video_that_breaks_after_its_first_frame_says_one_frame(tmp_path: Path) -> None:
    from test_sources import _marker_frame, _write_video
    from twistcoach.sources import MediaError, VideoSource

    clip = tmp_path / "clip.mp4"
    rgb = _marker_frame(64, 48)
    _write_video(clip, [rgb, rgb, rgb], [0, 40, 80])

    class OneFrameThenBroken:
        """The container, whose decoding fails after its first frame."""

        def __init__(self, real: Any) -> None:
            self.real = real

        def decode(self, stream: Any) -> Iterator[Any]:
            yield next(iter(self.real.decode(stream)))
            raise av.error.InvalidDataError(1094995529, "Invalid data found")

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

    with VideoSource(clip) as source:
        real = source._container
        source._container = OneFrameThenBroken(real)  # type: ignore[assignment]
        try:
            with pytest.raises(MediaError) as caught:
                list(source.frames())
        finally:
            source._container = real
    message = str(caught.value)
    assert "decoding failed after 1 frame (" in message and "1 frames" not in message, message


def test_a_rate_limit_of_one_second_says_one_second(tmp_path: Path) -> None:
    from twistcoach.errors import RateLimited
    from twistcoach.web.ratelimit import RateLimits
    from twistcoach.web.settings import WebSettings

    settings = WebSettings(
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        signup_attempts=1,
        signin_attempts=1,
        signin_client_attempts=1,
    )
    limits = RateLimits(settings)
    limits._retry_after = lambda item, *keys: 1  # type: ignore[method-assign]
    limits.count_signup("client")
    with pytest.raises(RateLimited) as signup:
        limits.count_signup("client")
    limits.signin_failed("client", "a@example.org")
    with pytest.raises(RateLimited) as signin:
        limits.check_signin("client", "a@example.org")
    with pytest.raises(RateLimited) as password:
        limits.check_password_change("client", "a@example.org")
    said = [str(signup.value), str(signin.value), str(password.value)]
    assert said == [
        "Too many sign-ups from here. Try again in 1 second.",
        "Too many failed sign-ins. Try again in 1 second.",
        "Too many wrong passwords. Try again in 1 second.",
    ]
    spanish = [i18n.translator("es").text(text) for text in said]
    assert spanish[0] == (
        "Demasiadas cuentas creadas desde aquí. Inténtelo otra vez dentro de 1 segundo."
    )
    assert all(text.endswith("1 segundo.") for text in spanish), spanish
    limits._retry_after = lambda item, *keys: 30  # type: ignore[method-assign]
    with pytest.raises(RateLimited, match="Try again in 30 seconds"):
        limits.check_signin("client", "a@example.org")


def _one_session_over_the_cap_once() -> int:
    """A stored session of three samples, one of them over its cap; its id."""
    from twistcoach.storage import SampleRecord, open_repository

    repo = open_repository()
    person = repo.get_or_create_person("Una")
    s = repo.start_session(person.id, "supine_twist_supported", 30.0, "test", start_pain=3)
    for t, drop in ((0.0, 10.0), (1.0, 35.0), (2.0, 20.0)):
        repo.add_sample(s.id, SampleRecord(t, drop, 2.0, 0.0, 2.0, 0.0, 0.9, 30.0))
    repo.end_session(s.id, "completed", None, 3)
    return s.id


def test_sessions_say_the_time_over_the_cap_in_seconds_in_the_singular(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: None
) -> None:
    """`sessions` printed "(1 s over)" for one sample over the cap, then "1 sample over the
    cap" (a count): it says the time its samples spent over it, as the web does, and one
    second in the singular."""
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    session_id = _one_session_over_the_cap_once()
    out: dict[str, str] = {}
    for lang in ("en", "es"):
        for args in (("sessions",), ("sessions", "show", str(session_id))):
            result = runner.invoke(build_app(), ["--lang", lang, *args])
            assert result.exit_code == 0, result.output
            out[f"{lang} {args[-1]}"] = result.stdout
    for key in ("en sessions", f"en {session_id}"):
        assert "1 second over the cap" in out[key], out[key]
        assert " s over" not in out[key] and "sample over" not in out[key], out[key]
    for key in ("es sessions", f"es {session_id}"):
        assert "1 segundo por encima del límite" in out[key], out[key]
        assert " s por encima" not in out[key] and "muestra por encima" not in out[key], out[key]


def test_seed_demo_counts_one_session_in_the_singular(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: None
) -> None:
    from twistcoach.storage import Repository, demo

    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setattr(demo, "seed_demo", lambda repo: None)
    monkeypatch.setattr(Repository, "list_sessions", lambda self, *a, **k: [object()])
    english = runner.invoke(build_app(), ["seed-demo"])
    spanish = runner.invoke(build_app(), ["--lang", "es", "seed-demo"])
    assert english.exit_code == spanish.exit_code == 0, english.output + spanish.output
    assert "Demo data ready (1 session). Sign in with password" in english.stdout
    assert "Datos de demostración listos (1 sesión). Entre con la contraseña" in spanish.stdout


def test_every_plural_form_has_its_spanish_translation() -> None:
    """Each form of each count above is its own catalogue entry, translated."""
    forms = [
        "{failed} of {n} input failed",
        "{failed} of {n} inputs failed",
        "resuming: {n} input already finished is not redone",
        "resuming: {n} inputs already finished are not redone",
        "{n} input to analyse, {at_once} at a time",
        "{n} inputs to analyse, {at_once} at a time",
        "{n} second over the cap",
        "{n} seconds over the cap",
        "Demo data ready ({n} session). Sign in with password {password}:",
        "Demo data ready ({n} sessions). Sign in with password {password}:",
        "Too many sign-ups from here. Try again in {wait} second.",
        "Too many sign-ups from here. Try again in {wait} seconds.",
    ]
    tr = i18n.translator("es")
    for form in forms:
        said = tr.gettext(form)
        assert said != form, form
        assert i18n.placeholders(said) == i18n.placeholders(form), (form, said)
