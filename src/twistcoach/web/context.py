"""What every request handler needs: settings, database, security helpers, templates."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, WebSocket
from fastapi.templating import Jinja2Templates

from twistcoach.pipeline import Tracker
from twistcoach.storage.records import AccountRecord
from twistcoach.storage.repository import NotFoundError, Repository
from twistcoach.web.security import (
    SESSION_COOKIE,
    PasswordService,
    RateLimiter,
    SessionData,
    SessionSigner,
)
from twistcoach.web.settings import WebSettings

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass
class AppContext:
    """Shared state of one app instance (kept in ``app.state.ctx``)."""

    settings: WebSettings
    repo: Repository
    passwords: PasswordService
    signer: SessionSigner
    signin_limiter: RateLimiter
    templates: Jinja2Templates
    #: Makes a session's tracker for a body type (``metrics.BodyType`` value).
    tracker_factory: Callable[[str], Tracker]

    @staticmethod
    def monotonic_s() -> float:
        """Seconds on a monotonic clock (the edge's clock for rate limits)."""
        return time.monotonic()


def ctx_of(request: Request | WebSocket) -> AppContext:
    """The app context of a request or WebSocket."""
    ctx = request.app.state.ctx
    assert isinstance(ctx, AppContext)
    return ctx


def session_of(request: Request | WebSocket) -> SessionData | None:
    """The signed-in session carried by the request's cookie, if valid."""
    return ctx_of(request).signer.read(request.cookies.get(SESSION_COOKIE))


def signed_in(request: Request | WebSocket) -> tuple[AccountRecord, SessionData] | None:
    """The signed-in account and its session, or None."""
    data = session_of(request)
    if data is None:
        return None
    try:
        account = ctx_of(request).repo.get_account(data.account_id)
    except NotFoundError:
        return None
    return account, data
