"""``twistcoach serve``: the web app (migrations, demo data when empty, uvicorn).

With ``--workers N`` (N > 1) uvicorn starts N server processes that share the listening
socket and the database (SQLite in WAL mode on one machine, or PostgreSQL by URL). Each
builds its app with :func:`app_from_environment` from the same environment: the database
URL, the secret key (one is made for the run when none is set, so a cookie signed by one
process is read by the others), the trusted proxies and the cookie flag. A practice
WebSocket stays on the process that accepted its connection; the rule "one socket per
session" is kept in the database (``twistcoach.storage.recorder.claim_socket``), so it
holds across them. The sign-in and sign-up limits are counted in each process's memory:
each process allows ``1/N`` of them (at least 1), so all together never allow more than
one process did.
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from twistcoach.cli.output import print_error

if TYPE_CHECKING:
    from fastapi import FastAPI

    from twistcoach.storage import Repository
    from twistcoach.web import WebSettings

SECRET_ENV = "TWISTCOACH_SECRET_KEY"
#: How many server processes share the limits (set by ``serve --workers`` for its workers).
WORKERS_ENV = "TWISTCOACH_WORKERS"
PROXIES_ENV = "TWISTCOACH_TRUSTED_PROXIES"
#: Set to 1 behind HTTPS: the session cookie is then sent over HTTPS only.
COOKIE_SECURE_ENV = "TWISTCOACH_COOKIE_SECURE"
#: Set to 0 to fit calibrations in the server's own threads rather than in a process of
#: their own (``twistcoach.web.calibration_pool``): where starting processes is not allowed,
#: and for the before/after comparison in bench/LOAD.md.
CALIBRATION_PROCESS_ENV = "TWISTCOACH_CALIBRATION_PROCESS"


def uvicorn_proxy_options(trusted_proxies: tuple[str, ...]) -> dict[str, object]:
    """uvicorn's proxy options: ``X-Forwarded-*`` headers are believed only from the
    configured proxies; with none (the default) never, so a client cannot choose the address
    the rate limits count (``X-Forwarded-For: 1.2.3.4``)."""
    if not trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(trusted_proxies)}


def _fail(message: str, code: int = 2) -> None:
    print_error(message)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the application."""

    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
            "127.0.0.1"
        ),
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
        demo: Annotated[
            bool,
            typer.Option("--demo/--no-demo", help="Seed the demo data into an empty database."),
        ] = True,
        trusted_proxy: Annotated[
            list[str] | None,
            typer.Option(
                "--trusted-proxy",
                help=(
                    "Address of a reverse proxy whose X-Forwarded-For is believed (repeat for "
                    f"several; or {PROXIES_ENV}, comma-separated). Default: none."
                ),
            ),
        ] = None,
        workers: Annotated[
            int,
            typer.Option(
                min=1,
                max=64,
                help=(
                    "Server processes sharing the port and the database (each practice "
                    "socket stays on its process). About one per core."
                ),
            ),
        ] = 1,
    ) -> None:
        """Serve the web app: student coach in the browser, teacher/clinician dashboard.

        The database is the one ``TWISTCOACH_DATABASE_URL`` names (SQLite in the user's
        data folder by default); it is migrated first, nothing stored is lost. Set
        ``TWISTCOACH_SECRET_KEY`` to keep people signed in across restarts.
        """
        from sqlalchemy.exc import SQLAlchemyError

        from twistcoach.errors import RuleFileError
        from twistcoach.rules import check_data_files
        from twistcoach.storage import StorageError, open_repository, settings_from_env
        from twistcoach.storage.db import create_engine_for_url
        from twistcoach.web import create_app

        try:
            # Every rule and data file first, before the database is touched or a port
            # opened: a broken one is said in plain words, never a traceback.
            check_data_files()
        except RuleFileError as exc:
            _fail(f"the web app cannot start: {exc}")
            return
        try:
            storage = settings_from_env()
            repo = open_repository(create_engine_for_url(storage.database_url))
            seeded = False
            if demo and not repo.list_accounts():
                from twistcoach.storage.demo import seed_demo

                seed_demo(repo)
                seeded = True
        except StorageError as exc:
            _fail(str(exc))
            return
        except SQLAlchemyError as exc:
            _fail(f"database error: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}")
            return
        secret = os.environ.get(SECRET_ENV, "").strip()
        if secret and len(secret) < 16:
            _fail(f"{SECRET_ENV} must be at least 16 characters")
        proxies = tuple(
            p.strip()
            for p in [*(trusted_proxy or []), *os.environ.get(PROXIES_ENV, "").split(",")]
            if p.strip()
        )
        settings = web_settings(storage.database_url, proxies, workers)
        if not (settings.mediapipe_dir / "pose.js").is_file():
            typer.echo(
                f"warning: MediaPipe Pose files not found in {settings.mediapipe_dir}; the "
                "practice page needs them: run `make frontend`",
                err=True,
            )
        where = repo.engine.url.render_as_string(hide_password=True)
        typer.echo(f"Database: {where}{' (demo data added)' if seeded else ''}")
        _print_demo_accounts(repo)
        typer.echo(f"twistcoach is at http://{host}:{port}/  (Ctrl+C to stop)")
        import uvicorn

        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "log_level": "warning",
            "ws_max_size": settings.max_ws_message_bytes * 4,
            # Frames of landmarks are small (about 3 kB of JSON, 15 a second): compressing
            # them cost the server more CPU than it saved anyone (see bench/LOAD.md).
            "ws_per_message_deflate": False,
            **uvicorn_proxy_options(settings.trusted_proxies),
        }
        if workers == 1:
            from twistcoach.web.practice import prepare_process

            app = create_app(settings)
            prepare_process(app)
            uvicorn.run(app, **options)
            return
        # The workers build their apps from the environment: the same settings as here.
        from twistcoach.storage.db import DATABASE_URL_ENV

        os.environ[DATABASE_URL_ENV] = storage.database_url
        os.environ[SECRET_ENV] = settings.secret_key
        os.environ[PROXIES_ENV] = ",".join(proxies)
        os.environ[WORKERS_ENV] = str(workers)
        typer.echo(f"{workers} server processes share the port and the database")
        uvicorn.run(
            "twistcoach.cli.web_cmd:app_from_environment", factory=True, workers=workers, **options
        )


def web_settings(
    database_url: str, proxies: tuple[str, ...], workers: int, secret: str | None = None
) -> WebSettings:
    """The app's settings for one of ``workers`` processes (see the module docs).

    ``secret`` defaults to ``TWISTCOACH_SECRET_KEY``; a random one when neither is set.
    """
    from twistcoach.web import WebSettings

    secure = os.environ.get(COOKIE_SECURE_ENV, "").strip().lower() in {"1", "true", "yes"}
    own_process = os.environ.get(CALIBRATION_PROCESS_ENV, "").strip().lower() not in {
        "0",
        "false",
        "no",
    }
    settings = WebSettings(
        database_url=database_url,
        trusted_proxies=proxies,
        cookie_secure=secure,
        calibration_process=own_process,
    )
    key = secret if secret is not None else os.environ.get(SECRET_ENV, "").strip()
    if key:
        settings = dataclasses.replace(settings, secret_key=key)
    if workers > 1:
        # Each process counts in its own memory: 1/N each, so never more than one allowed.
        settings = dataclasses.replace(
            settings,
            signin_attempts=max(1, settings.signin_attempts // workers),
            signin_client_attempts=max(1, settings.signin_client_attempts // workers),
            signup_attempts=max(1, settings.signup_attempts // workers),
        )
    return settings


def app_from_environment() -> FastAPI:
    """One worker's app for ``serve --workers N`` (uvicorn calls it in each process)."""
    from twistcoach.storage import settings_from_env
    from twistcoach.web import create_app

    workers = int(os.environ.get(WORKERS_ENV, "1") or "1")
    proxies = tuple(p.strip() for p in os.environ.get(PROXIES_ENV, "").split(",") if p.strip())
    from twistcoach.web.practice import prepare_process

    storage = settings_from_env()
    app = create_app(web_settings(storage.database_url, proxies, workers))
    prepare_process(app)
    return app


def _print_demo_accounts(repo: Repository) -> None:
    """Say how to sign in when the demo accounts exist."""
    from twistcoach.storage.demo import ALEX, CLINICIAN, DEMO_PASSWORD, SAM, TEACHER

    present = {a.email for a in repo.list_accounts()}
    demo = [a for a in (TEACHER, CLINICIAN, SAM, ALEX) if a.email in present]
    if not demo:
        return
    typer.echo(f"Sign in with one of these demo accounts (password: {DEMO_PASSWORD}):")
    for account in demo:
        typer.echo(f"  {account.email:24} {account.role.value:10} {account.display_name}")
