"""Builds the ``twistcoach`` command-line application.

Each command module exposes ``register(app)``; nothing is built at import time.
"""

from __future__ import annotations

import typer

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


def build_app() -> typer.Typer:
    """Create the Typer application with every command registered."""
    app = typer.Typer(
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
    )
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
    return app


def main() -> None:
    """Console entry point."""
    build_app()()
