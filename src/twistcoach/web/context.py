"""What every request handler needs: settings, database, security helpers, templates, the
rate limits and the registry of live practice sockets."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import Request, Response, WebSocket
from fastapi.templating import Jinja2Templates

from twistcoach.pipeline import Tracker
from twistcoach.storage.records import AccountRecord
from twistcoach.storage.repository import NotFoundError, Repository
from twistcoach.web.ratelimit import RateLimits
from twistcoach.web.security import (
    SESSION_COOKIE,
    PasswordService,
    PreToken,
    SessionData,
    SessionSigner,
)
from twistcoach.web.settings import WebSettings

if TYPE_CHECKING:
    from twistcoach.web.calibration_pool import CalibrationPool

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass
class LiveSockets:
    """The practice sessions that have a connected socket in this process (session ids).

    One socket per running session: the handshake claims the id (no ``await`` between the
    check and the claim, so two handshakes on the event loop cannot both win) and the
    handler releases it when the socket ends. The database's ``running`` status is checked
    too; this registry stops a second socket of the same process, which is where every
    socket of a session's student lands (behind several processes, a sticky session).
    """

    ids: set[int] = field(default_factory=set)

    def claim(self, session_id: int) -> bool:
        """Claim a session for one socket; False when another socket holds it."""
        if session_id in self.ids:
            return False
        self.ids.add(session_id)
        return True

    def release(self, session_id: int) -> None:
        """The socket of ``session_id`` ended."""
        self.ids.discard(session_id)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self.ids


@dataclass
class AppContext:
    """Shared state of one app instance (kept in ``app.state.ctx``)."""

    settings: WebSettings
    repo: Repository
    passwords: PasswordService
    signer: SessionSigner
    pre_tokens: PreToken
    limits: RateLimits
    templates: Jinja2Templates
    #: Makes a session's tracker for a body type (``metrics.BodyType`` value).
    tracker_factory: Callable[[str], Tracker]
    #: The process the trackers' calibrations are fitted in (None: in the server's threads).
    calibration_pool: CalibrationPool | None = None
    #: Seconds on the server's monotonic clock (the landmark frame-rate limit).
    monotonic_s: Callable[[], float] = time.monotonic
    live: LiveSockets = field(default_factory=LiveSockets)


def ctx_of(request: Request | WebSocket) -> AppContext:
    """The app context of a request or WebSocket."""
    ctx = request.app.state.ctx
    assert isinstance(ctx, AppContext)
    return ctx


def session_of(request: Request | WebSocket) -> SessionData | None:
    """The live sign-in the request's cookie names: signed, not expired, not revoked."""
    ctx = ctx_of(request)
    session_id = ctx.signer.read(request.cookies.get(SESSION_COOKIE))
    if session_id is None:
        return None
    row = ctx.repo.live_web_session(session_id)
    if row is None:
        return None
    return SessionData(row.account_id, row.csrf, row.id)


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


def client_address(request: Request | WebSocket) -> str:
    """The client's address as the server sees it (the proxy's forwarded address only when
    ``trusted_proxies`` names that proxy: uvicorn decides, see ``twistcoach serve``)."""
    return request.client.host if request.client else "unknown"


def request_language(request: Request | WebSocket) -> str:
    """The language of a page or socket (:func:`twistcoach.i18n.negotiate`): ``?lang=``,
    else the language cookie, else the browser's ``Accept-Language``, else English."""
    from twistcoach import i18n

    return i18n.negotiate(
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
    )


def remember_language(request: Request, response: Response, lang: str) -> None:
    """Keep a language chosen with ``?lang=`` in a cookie for the next pages (a year)."""
    from twistcoach import i18n

    if i18n.parse_language(request.query_params.get("lang")) is None:
        return
    if request.cookies.get(i18n.COOKIE) == lang:
        return
    response.set_cookie(
        i18n.COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="lax", path="/"
    )
