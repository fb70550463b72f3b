"""The FastAPI app factory: middleware, error handlers, static files and the routers.

Nothing is built at import time: :func:`create_app` makes one app from typed settings.

Errors: services raise :mod:`twistcoach.errors` errors; :data:`ERROR_STATUS` is the one
table that turns them into HTTP statuses. Every 4xx answer of the API has one body shape,
``{"detail": message, "problems": [{"field", "message"}]}`` (request validation included);
pages show the same message on the error page, and 401 sends them to the sign-in page.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from twistcoach.errors import (
    ConflictError,
    DataError,
    EstimatorError,
    MediaError,
    NotAllowed,
    NotFound,
    NotSignedIn,
    RateLimited,
    RuleFileError,
    StorageError,
    TwistcoachError,
)
from twistcoach.pipeline import Tracker
from twistcoach.storage.db import create_engine_for_url
from twistcoach.storage.records import AccountRecord
from twistcoach.storage.repository import Clock, Repository
from twistcoach.web.context import (
    STATIC_DIR,
    TEMPLATES_DIR,
    AppContext,
    request_language,
    signed_in,
)
from twistcoach.web.ratelimit import RateLimits
from twistcoach.web.security import PasswordService, PreToken, SessionData, SessionSigner
from twistcoach.web.settings import WebSettings

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimitMiddleware:
    """Refuses HTTP request bodies over ``max_bytes`` with 413, before any handler reads them.

    Checks the declared Content-Length and, for chunked bodies, counts bytes as they
    arrive. WebSocket messages are limited separately, in the practice handler.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1
                if declared > self.max_bytes:
                    await _too_large(scope, send, self.max_bytes)
                    return
        seen = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_large = True
                    raise _BodyTooLargeError
            return message

        async def guarded_send(message: Message) -> None:
            # The app may catch the error and answer (FastAPI answers 400 to a body it
            # could not read): that answer is dropped for the 413 below.
            if not too_large:
                await send(message)

        with contextlib.suppress(_BodyTooLargeError):
            await self.app(scope, limited_receive, guarded_send)
        if too_large:
            await _too_large(scope, send, self.max_bytes)


class _BodyTooLargeError(Exception):
    pass


async def _too_large(scope: Scope, send: Send, max_bytes: int) -> None:
    response = JSONResponse(
        error_body(f"request body too large (at most {max_bytes} bytes)"), status_code=413
    )
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # MediaPipe compiles WebAssembly and its loader evaluates code; everything else is
    # same-origin only, so nothing can be fetched from (or sent to) another site.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'; "
        "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
        # 'self' covers the page's own ws:/wss: origin (CSP Level 3); "ws: wss:" had let a
        # script open a socket to any host.
        "connect-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "worker-src 'self' blob:; frame-ancestors 'none'"
    ),
    "Permissions-Policy": "camera=(self), microphone=()",
}

#: Every answer but the static assets depends on who is signed in (health data, a CSRF
#: token, a person's menu): never kept by the browser or a proxy, so that Back after
#: sign-out cannot show a student's page from the cache. ``Pragma`` for HTTP/1.0 caches.
NO_STORE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: The folders of static assets, the same for everyone (the browser may cache them).
STATIC_PREFIXES = ("/static/", "/mp/", "/api/docs/assets/")


#: The one table from the exception tree to HTTP statuses (first match wins: a storage
#: ``NotFoundError`` is a NotFound before it is a StorageError).
ERROR_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (RuleFileError, 500),  # a broken packaged file is the server's fault, not the request's
    (NotSignedIn, 401),
    (NotAllowed, 403),
    (NotFound, 404),
    (ConflictError, 409),
    (RateLimited, 429),
    (DataError, 422),
    (MediaError, 422),
    (StorageError, 409),
    (EstimatorError, 500),
)


def status_for(exc: Exception) -> int:
    """The HTTP status of an error (500 for anything not in :data:`ERROR_STATUS`)."""
    for family, status in ERROR_STATUS:
        if isinstance(exc, family):
            return status
    return 500


def error_body(detail: str, problems: dict[str, str] | None = None) -> dict[str, Any]:
    """The one error body: ``{"detail": ..., "problems": [{"field", "message"}]}``."""
    return {
        "detail": detail,
        "problems": [{"field": f, "message": m} for f, m in (problems or {}).items()],
    }


def _in_request_language(
    request: Request, detail: str, problems: dict[str, str] | None
) -> tuple[str, dict[str, str] | None]:
    """An API error's message and per-field problems in the request's language (``?lang=``,
    the language cookie, ``Accept-Language``; English else), as a page says them: the
    practice page shows the API's ``detail`` to the student, and staff tools read it."""
    from twistcoach.i18n import translator

    tr = translator(request_language(request))
    if tr.is_source:
        return detail, problems
    said = None if problems is None else {f: tr.text(m) for f, m in problems.items()}
    return tr.text(detail), said


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


def create_app(
    settings: WebSettings,
    tracker_factory: Callable[[str], Tracker] | None = None,
    clock: Clock | None = None,
    monotonic: Callable[[], float] | None = None,
) -> FastAPI:
    """Build the twistcoach web app.

    Parameters
    ----------
    settings
        Parsed settings. The database must already be migrated (``twistcoach serve``
        does it; see :func:`twistcoach.storage.db.init_db`).

    tracker_factory
        Makes the per-session tracker (landmarks -> observations) for the body type the
        student chose (``metrics.BodyType`` value); default: the pure core's
        ``TwistTracker`` (:func:`twistcoach.pipeline.default_tracker_factory`).
    clock
        The repository's clock (aware datetimes): what "now" is for stored times and for
        planning's decisions (a sharp-pain lock lasts the rest of that day); default UTC now.
        Tests pass a settable clock to move to the next day.
    monotonic
        The server's monotonic clock in seconds (the landmark frame-rate limit); default
        :func:`time.monotonic`. Tests pass a frozen one.

    Returns
    -------
    FastAPI
        The app: HTML pages, the JSON API under ``/api`` (OpenAPI at ``/openapi.json``),
        the practice WebSocket ``/ws/practice/{session}``, static files at ``/static``
        and the MediaPipe Pose files at ``/mp``.
    """
    from twistcoach.pipeline import default_tracker_factory
    from twistcoach.rules import check_data_files
    from twistcoach.web import api, apidocs, clinic, pages, practice
    from twistcoach.web.calibration_pool import CalibrationPool

    # Every rule and data file, read now: a broken one stops the app from being built (a
    # RuleFileError naming the file: `twistcoach serve` says it and exits 2), not the first
    # student whose request needs it.
    check_data_files()

    engine = create_engine_for_url(settings.database_url)
    ctx = AppContext(
        settings=settings,
        repo=Repository(engine) if clock is None else Repository(engine, clock=clock),
        passwords=PasswordService(settings.password_time_cost, settings.password_memory_kib),
        signer=SessionSigner(settings.secret_key, settings.session_max_age_s),
        pre_tokens=PreToken(settings.secret_key),
        limits=RateLimits(settings),
        templates=_templates(),
        tracker_factory=tracker_factory or default_tracker_factory,
    )
    pool: CalibrationPool | None = None
    if tracker_factory is None and settings.calibration_process:
        pool = CalibrationPool()
        ctx.tracker_factory = functools.partial(default_tracker_factory, calibrator=pool)
    ctx.calibration_pool = pool
    if monotonic is not None:
        ctx.monotonic_s = monotonic

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(_reap, ctx)  # at start: what a previous run left running
        task = asyncio.create_task(_reaper(ctx))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if pool is not None:
                await run_in_threadpool(pool.close)

    app = FastAPI(
        title="twistcoach",
        summary="Safe, coached yoga spinal twists for people with back pain.",
        version="0.1.0",
        docs_url=None,  # served from the app's own swagger-ui-dist (twistcoach.web.apidocs)
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.ctx = ctx

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith(STATIC_PREFIXES):
            for name, value in NO_STORE_HEADERS.items():
                response.headers.setdefault(name, value)
        return response

    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)

    async def _answer(
        request: Request,
        status: int,
        detail: str,
        problems: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        if _wants_json(request):
            body = error_body(*_in_request_language(request, detail, problems))
            return JSONResponse(body, status_code=status, headers=headers)
        if status == 401:
            return Response(status_code=303, headers={"Location": "/signin"})
        # A signed-in person keeps their own menu on a page they may not see or that is not
        # there (it offered "Sign in" as if they had been signed out). Never for a server
        # error: the database may be what failed.
        who = await run_in_threadpool(_signed_in_or_none, request) if status < 500 else None
        page = _error_page(request, status, detail, who)
        page.headers.update(headers or {})
        return page

    @app.exception_handler(TwistcoachError)
    async def twistcoach_error(request: Request, exc: TwistcoachError) -> Response:
        status = status_for(exc)
        if status >= 500:
            log.error("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
            return await _answer(request, status, "internal error")
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, RateLimited) else None
        return await _answer(request, status, str(exc), exc.problems, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Only the framework raises these now (an unknown path, a wrong method, a body it
        # cannot decode). A body the API cannot read is bad input like any other: 422.
        headers = getattr(exc, "headers", None)
        api = request.url.path.startswith("/api/")
        status = 422 if exc.status_code == 400 and api else exc.status_code
        return await _answer(request, status, str(exc.detail), None, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if not _wants_json(request) and all(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
            # /sessions/abc is an address with no page, said so; not "path.session_id: Input
            # should be a valid integer" (the API keeps the field's problem).
            return await _answer(request, 404, "Not Found")
        problems: dict[str, str] = {}
        for err in exc.errors():
            field = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            problems.setdefault(field, str(err.get("msg", "invalid")))
        text = "; ".join(f"{f}: {m}" for f, m in problems.items())
        return await _answer(request, 422, f"Invalid request: {text}", problems)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        # Log the trace for the operator; the client gets a plain message only.
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        if _wants_json(request):
            return JSONResponse(error_body("internal error"), status_code=500)
        return _error_page(
            request, 500, "Something went wrong on our side. Nothing you saved was lost."
        )

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    if settings.mediapipe_dir.is_dir():
        app.mount("/mp", StaticFiles(directory=str(settings.mediapipe_dir)), name="mediapipe")
    else:
        log.warning(
            "MediaPipe Pose files not found at %s: run `make frontend`", settings.mediapipe_dir
        )
    if settings.swagger_ui_dir.is_dir():
        app.mount(
            "/api/docs/assets",
            StaticFiles(directory=str(settings.swagger_ui_dir)),
            name="swagger-ui",
        )
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(apidocs.router)
    app.include_router(practice.router)
    app.include_router(clinic.router)
    return app


def _reap(ctx: AppContext) -> None:
    """Mark stale running sessions interrupted and forget ended sign-ins."""
    from twistcoach.web.services import reap_sessions

    marked = reap_sessions(ctx)
    if marked:
        log.info("marked sessions %s interrupted (no live socket)", marked)
    ctx.repo.purge_web_sessions()


async def _reaper(ctx: AppContext) -> None:
    """Run :func:`_reap` every ``reap_interval_s`` while the app runs."""
    while True:
        await asyncio.sleep(ctx.settings.reap_interval_s)
        try:
            await run_in_threadpool(_reap, ctx)
        except Exception:  # the reaper must outlive a database hiccup
            log.exception("reaping stale sessions failed")


def _templates() -> Jinja2Templates:
    """Jinja2 templates; a missing variable is an error, never a silently empty page."""
    from twistcoach import i18n

    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.undefined = StrictUndefined
    i18n.install(templates.env)  # _() and the | t filter, in the page's lang (twistcoach.i18n)
    return templates


def _signed_in_or_none(request: Request) -> tuple[AccountRecord, SessionData] | None:
    """The signed-in account for an error page, or None when it cannot be read: an error
    page must render whatever else is wrong."""
    try:
        return signed_in(request)
    except Exception:
        log.warning("error page without the account: its session could not be read")
        return None


#: Error pages' titles by status; the framework's own detail for these ("Not Found",
#: "Method Not Allowed") only repeats the title, so the page says this instead.
_ERROR_TITLES = {
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    422: "Invalid request",
    429: "Too many attempts",
    500: "Server error",
}
_FRAMEWORK_DETAILS = {
    "not found": "There is no page at this address.",
    "method not allowed": "This page cannot be used that way.",
}


def _error_page(
    request: Request,
    status: int,
    message: str,
    who: tuple[AccountRecord, SessionData] | None = None,
) -> HTMLResponse:
    ctx = request.app.state.ctx
    assert isinstance(ctx, AppContext)
    templates: Jinja2Templates = ctx.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "title": _ERROR_TITLES.get(status, "Problem"),
            "message": _FRAMEWORK_DETAILS.get(message.strip().lower(), message),
            "lang": request_language(request),
            "account": who[0] if who else None,
            "csrf": who[1].csrf if who else "",
            "flash": None,
        },
        status_code=status,
    )
