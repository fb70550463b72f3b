"""One table maps the package's exception tree to exit codes for every command (issue 16)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from twistcoach.cli.app import EXIT_CODES, _map_errors, build_app, exit_code_for
from twistcoach.errors import (
    ConflictError,
    DataError,
    MediaError,
    NotFound,
    StorageError,
    TwistcoachError,
)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (DataError("bad"), 2),
        (MediaError("bad file"), 2),
        (NotFound("nobody"), 2),
        (ConflictError("not now"), 2),
        (StorageError("database down"), 1),
        (TwistcoachError("other"), 2),
    ],
)
def test_every_family_has_its_exit_code(error: TwistcoachError, code: int) -> None:
    assert exit_code_for(error) == code


def test_a_command_raising_a_tree_error_prints_one_line_and_exits_with_its_code() -> None:
    app = typer.Typer()

    @app.command("bad")
    def bad() -> None:
        raise DataError("age: must be 16 or more")

    @app.command("down")
    def down() -> None:
        raise StorageError("cannot reach the database")

    _map_errors(app)
    runner = CliRunner()
    r = runner.invoke(app, ["bad"])
    assert r.exit_code == 2 and r.output.strip() == "error: age: must be 16 or more"
    r = runner.invoke(app, ["down"])
    assert r.exit_code == 1 and "Traceback" not in r.output


def test_every_command_of_the_real_app_is_mapped() -> None:
    app = build_app()
    commands = list(app.registered_commands)
    for group in app.registered_groups:
        assert group.typer_instance is not None
        commands += group.typer_instance.registered_commands
    assert commands
    assert all(hasattr(c.callback, "__wrapped__") for c in commands)
    assert EXIT_CODES[-1][0] is TwistcoachError  # the root catches what the families miss


def test_a_database_error_is_one_line_and_exit_1() -> None:
    from sqlalchemy.exc import OperationalError

    app = typer.Typer()

    @app.command("query")
    def query() -> None:
        raise OperationalError("SELECT 1", {}, Exception("unable to open database file"))

    @app.command("bug")
    def bug() -> None:
        raise RuntimeError("a real bug stays a traceback")

    _map_errors(app)
    r = CliRunner().invoke(app, ["query"])
    assert r.exit_code == 1
    assert r.output.strip() == "error: database error: unable to open database file"
    r = CliRunner().invoke(app, ["bug"])
    assert isinstance(r.exception, RuntimeError)
