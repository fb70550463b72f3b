"""Builds the ``twistcoach`` command-line application.

Each command module exposes ``register(app)``; nothing is built at import time.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from twistcoach import i18n
from twistcoach.cli.output import print_error
from twistcoach.errors import (
    AccessError,
    ConflictError,
    DataError,
    EstimatorError,
    MediaError,
    RateLimited,
    RuleFileError,
    StorageError,
    TwistcoachError,
)

#: The package's exception tree mapped to exit codes, in one place (the web maps the same
#: tree to HTTP statuses in ``web/app.py``): 2 for anything the person can fix (bad input,
#: a refused or unknown thing, a file that cannot be read), 1 when the store or the pose
#: estimator fails for its own reasons. First match wins. (3 is no error: the coach's exit
#: status for a session a safety rule stopped.)
EXIT_CODES: tuple[tuple[type[TwistcoachError], int], ...] = (
    (DataError, 2),
    (MediaError, 2),
    (AccessError, 2),
    (ConflictError, 2),
    (RateLimited, 2),
    (RuleFileError, 2),  # a broken rule or data file: its message names the file and field
    (EstimatorError, 1),
    (StorageError, 1),
    (TwistcoachError, 2),
)


#: The exit code when the database cannot be reached or fails.
DATABASE_EXIT = 1


def exit_code_for(error: TwistcoachError) -> int:
    """The exit code of one of the package's errors (see :data:`EXIT_CODES`)."""
    return next(code for family, code in EXIT_CODES if isinstance(error, family))


def _mapped(callback: Callable[..., Any]) -> Callable[..., Any]:
    """A command that turns the package's errors into one line and their exit code."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except TwistcoachError as exc:
            print_error(str(exc))
            raise typer.Exit(exit_code_for(exc)) from None
        except Exception as exc:
            # The database driver's own errors (SQLAlchemy is imported only by the commands
            # that use the database, so it is looked up rather than imported here).
            sa = sys.modules.get("sqlalchemy.exc")
            if sa is None or not isinstance(exc, sa.SQLAlchemyError):
                raise
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            print_error(f"database error: {detail}")
            raise typer.Exit(DATABASE_EXIT) from None

    return run


def _map_errors(app: typer.Typer) -> None:
    """Wrap every registered command (sub-groups included) with :func:`_mapped`."""
    for command in app.registered_commands:
        if command.callback is not None:
            command.callback = _mapped(command.callback)
    # A group's own callback runs a command too (`sessions` lists them): an unreadable
    # database there was a traceback until it was wrapped as well.
    group_callback = app.registered_callback
    if group_callback is not None and group_callback.callback is not None:
        group_callback.callback = _mapped(group_callback.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            _map_errors(group.typer_instance)


# Paragraphs are single logical lines so Rich can wrap them to the terminal's width.
HELP = (
    "twistcoach: practise yoga spinal twists safely with back pain.\n\n"
    "Start with an intake (your back history: [bold]twistcoach intake --out me.yaml[/]), "
    "get a plan ([bold]twistcoach plan me.yaml[/]: which twist, how far, and why), then let "
    "the camera coach keep you in your comfortable mid-range "
    "([bold]twistcoach coach --intake me.yaml --camera 0[/]). "
    "Red flags and sharp pain always stop practice.\n\n"
    "[bold]twistcoach serve[/] starts the web app; [bold]twistcoach analyze[/] measures "
    "photos and videos; [bold]twistcoach batch[/] measures a whole archive on Ray."
)


def _language_option(app: typer.Typer) -> None:
    """``twistcoach --lang en|es COMMAND``: the language of what a student reads and hears
    (cues, speech, plans, pose steps; :mod:`twistcoach.i18n`)."""

    @app.callback()
    def language(
        lang: Annotated[
            str | None,
            typer.Option(
                "--lang",
                envvar=i18n.ENV_VAR,
                help="Language of the cues, speech and texts: en or es "
                "(default: TWISTCOACH_LANG, else your locale, else en).",
            ),
        ] = None,
    ) -> None:
        if lang is not None and i18n.parse_language(lang) is None:
            raise typer.BadParameter(f"{lang!r}: choose en or es", param_hint="--lang")
        i18n.set_language(lang or i18n.from_environment())


def build_app() -> typer.Typer:
    """Create the Typer application with every command registered."""
    app = typer.Typer(
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
    )
    _language_option(app)
    # Command modules register themselves here (one line each, sorted).
    from twistcoach.cli import screening_cmds  # poses, plan, intake, demo

    screening_cmds.register(app)
    from twistcoach.cli import analyze_cmd  # analyze photos and videos

    analyze_cmd.register(app)
    from twistcoach.cli import batch_cmd  # batch: many photos and videos on Ray

    batch_cmd.register(app)
    from twistcoach.cli import export_cmds  # export fhir, report: records for clinicians

    export_cmds.register(app)
    from twistcoach.cli import coach_cmd  # live coach from a camera or a video

    coach_cmd.register(app)
    from twistcoach.cli import storage_cmds  # sessions, progress, db, seed-demo

    storage_cmds.register(app)
    from twistcoach.cli import web_cmd  # serve: the web app

    web_cmd.register(app)
    _map_errors(app)
    _reflow_help(app)
    return app


def _reflow(doc: str) -> str:
    """A command's docstring as its help: each paragraph (blank-line separated) on one line,
    so the terminal's width, not the source's line length, decides where lines break (the
    rich help keeps single line breaks: an 88-column docstring line broke again at 80)."""
    return "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(doc).split("\n\n"))


def _reflow_help(app: typer.Typer) -> None:
    """Reflow the help of every command without an explicit ``help=`` (sub-apps too)."""
    for info in app.registered_commands:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            info.help = _reflow(info.callback.__doc__)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            _reflow_help(group.typer_instance)


def main() -> None:
    """Console entry point."""
    build_app()()
