"""The ``twistcoach`` command line (Typer). Each command group lives in its own module and
registers itself in :func:`twistcoach.cli.app.build_app`."""
