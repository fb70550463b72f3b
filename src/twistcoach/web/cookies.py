"""Setting and clearing the sign-in and pre-sign-in cookies (the web edge of
:mod:`twistcoach.web.security`)."""

from __future__ import annotations

from fastapi import Request, Response

from twistcoach.web.context import AppContext
from twistcoach.web.security import PRE_CSRF_COOKIE, SESSION_COOKIE, SessionData


def set_session_cookie(ctx: AppContext, response: Response, account_id: int) -> SessionData:
    """Sign ``account_id`` in: a new ``web_sessions`` row and its cookie on ``response``
    (HttpOnly, SameSite=Lax, signed; Secure when ``cookie_secure``)."""
    value, session_id, csrf = ctx.signer.new()
    ctx.repo.create_web_session(session_id, account_id, csrf, ctx.settings.session_max_age_s)
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=ctx.settings.session_max_age_s,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
        path="/",
    )
    return SessionData(account_id, csrf, session_id)


def end_session(ctx: AppContext, response: Response, session: SessionData) -> None:
    """Sign out: revoke the session row (a copied cookie stops working) and clear the cookie."""
    ctx.repo.revoke_web_session(session.session_id)
    response.delete_cookie(SESSION_COOKIE, path="/")


def pre_token(ctx: AppContext, request: Request) -> tuple[str, str | None]:
    """The sign-in/sign-up forms' token: (form token, new cookie value or None to keep)."""
    token = ctx.pre_tokens.token(request.cookies.get(PRE_CSRF_COOKIE))
    if token is not None:
        return token, None
    cookie, token = ctx.pre_tokens.new()
    return token, cookie


def set_pre_cookie(ctx: AppContext, response: Response, cookie: str | None) -> None:
    """Set the signed pre-sign-in cookie when a new one was made."""
    if cookie is None:
        return
    response.set_cookie(
        PRE_CSRF_COOKIE,
        cookie,
        max_age=ctx.pre_tokens.MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
        path="/",
    )


def pre_ok(ctx: AppContext, request: Request, form_token: str) -> bool:
    """True when the form's token matches the signed pre-sign-in cookie."""
    return ctx.pre_tokens.ok(request.cookies.get(PRE_CSRF_COOKIE), form_token)
