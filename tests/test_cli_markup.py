"""Stored and typed text is printed as words, never read as Rich markup (a student named
"[/b]" crashed `twistcoach sessions`; "[red]" coloured the row and vanished), and every
command's error line begins the same way ("error:"; `plan` said "Error:")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from twistcoach import i18n
from twistcoach.cli.app import build_app
from twistcoach.storage import Repository, SampleRecord, create_engine_for_url, init_db

runner = CliRunner()
NAMES = ("Ana [/b] Ruiz", "[red]Bo[/red]", "[bold]Cy")


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Repository]:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", url)
    engine = create_engine_for_url(url)
    init_db(engine)
    yield Repository(engine)
    engine.dispose()


@pytest.fixture()
def language() -> Iterator[None]:
    before = list(i18n._cli_language)
    yield
    i18n._cli_language[:] = before


def test_sessions_prints_names_with_brackets_as_they_are(repo: Repository) -> None:
    for name in NAMES:
        person = repo.get_or_create_person(name)
        s = repo.start_session(person.id, "supine_twist_supported", 30.0, "test")
        repo.add_sample(s.id, SampleRecord(0.0, 35.0, 0.0, 0.0, 0.0, 0.0, 0.9, 30.0))
        # A stop reason stored as words (an edge's), brackets and all.
        repo.end_session(s.id, "stopped", "[/i] odd reason", None)
    result = runner.invoke(build_app(), ["sessions"])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    flat = result.stdout
    for name in NAMES:
        assert name in flat, flat
    assert "([/i]" in flat and "odd reason)" in flat, flat  # the cell wraps its words
    # The names are words in `sessions show` too (plain text there).
    shown = runner.invoke(build_app(), ["sessions", "show", "1"])
    assert shown.exit_code == 0 and NAMES[0] in shown.stdout, shown.output


def test_a_typed_answer_with_brackets_is_said_back_as_typed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The intake's list question said a wrong answer back as markup: "[/b]" crashed it."""
    from rich.prompt import Prompt

    from twistcoach.cli import screening_cmds

    answers = iter(["[/b], [red]x", ""])
    monkeypatch.setattr(Prompt, "ask", staticmethod(lambda *a, **k: next(answers)))
    console = Console(record=True, width=200, color_system=None)
    picked = screening_cmds._ask_many(console, "Which", ["one", "two"], str)
    assert picked == []
    assert "[/b], [red]x" in console.export_text()


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "{tmp}/no-such-intake.json"),
        ("sessions", "show", "7"),
        ("progress", "--person", "Nobody"),
    ],
)
def test_every_command_begins_its_error_line_the_same_way(
    tmp_path: Path, repo: Repository, args: tuple[str, ...], language: None
) -> None:
    result = runner.invoke(build_app(), [word.format(tmp=tmp_path) for word in args])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: "), result.stderr
    assert "Error:" not in result.stderr and "Traceback" not in result.output
