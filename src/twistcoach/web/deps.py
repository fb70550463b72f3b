"""FastAPI dependencies: the app context, the signed-in account, roles and CSRF.

Handlers declare what they need with these ``Annotated`` types (FastAPI's own pattern)
instead of calling helpers in every handler::

    @router.get("/api/plan")
    def api_plan(ctx: Ctx, who: StudentUser) -> ...

Each raises a :mod:`twistcoach.errors` error (the app maps it to HTTP in one table):
:class:`~twistcoach.errors.NotSignedIn` (401; pages redirect to the sign-in page) or
:class:`~twistcoach.errors.NotAllowed` (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Header, Path, Request

from twistcoach.errors import NotAllowed, NotSignedIn
from twistcoach.storage.records import AccountRecord
from twistcoach.web.context import AppContext, ctx_of, signed_in
from twistcoach.web.security import CSRF_HEADER, SessionData, csrf_ok
from twistcoach.web.services import require_staff, require_student


def _ctx(request: Request) -> AppContext:
    return ctx_of(request)


#: The app's shared state.
Ctx = Annotated[AppContext, Depends(_ctx)]


@dataclass(frozen=True)
class Who:
    """The signed-in account and its live session (CSRF token, session id)."""

    account: AccountRecord
    session: SessionData

    def pair(self) -> tuple[AccountRecord, SessionData]:
        """As the (account, session) pair the page helpers take."""
        return self.account, self.session


def _current(request: Request) -> Who:
    who = signed_in(request)
    if who is None:
        raise NotSignedIn("sign in first")
    return Who(*who)


#: Anyone signed in (401 otherwise).
CurrentUser = Annotated[Who, Depends(_current)]


def _student(who: CurrentUser) -> Who:
    require_student(who.account)
    return who


def _staff(who: CurrentUser) -> Who:
    require_staff(who.account)
    return who


#: A signed-in student (403 for staff).
StudentUser = Annotated[Who, Depends(_student)]
#: A signed-in teacher or clinician (403 for students).
StaffUser = Annotated[Who, Depends(_staff)]


def _api_csrf(
    who: CurrentUser, token: Annotated[str, Header(alias=CSRF_HEADER, max_length=200)] = ""
) -> Who:
    if not csrf_ok(who.session, token):
        raise NotAllowed(f"missing or wrong {CSRF_HEADER} header")
    return who


def _form_csrf(who: CurrentUser, csrf_token: Annotated[str, Form(max_length=200)] = "") -> Who:
    if not csrf_ok(who.session, csrf_token):
        raise NotAllowed("The form was stale or forged (CSRF check failed). Reload and try again.")
    return who


#: A signed-in account whose API call carries the session's CSRF token (``X-CSRF-Token``).
ApiChange = Annotated[Who, Depends(_api_csrf)]
#: A signed-in account whose form carries the session's CSRF token (``csrf_token``).
FormChange = Annotated[Who, Depends(_form_csrf)]

#: A database id in a path: 1 .. 2**63-1 (past it SQLite overflows: a 404/422, never a 500).
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
