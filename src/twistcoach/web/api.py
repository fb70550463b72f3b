"""The JSON API under ``/api`` (described by the OpenAPI schema at ``/openapi.json``).

Authentication is the same signed session cookie as the pages (``POST /api/signin`` sets
it); every state-changing call needs the session's CSRF token in the ``X-CSRF-Token``
header (returned by sign-in and by ``GET /api/me``). Bodies are validated by pydantic
models with size limits; errors come back as ``{"detail": ...}`` with no stack trace.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from twistcoach.planning import PracticeDecision
from twistcoach.storage.records import AccountRecord
from twistcoach.web import domain, services
from twistcoach.web.context import AppContext, ctx_of, signed_in
from twistcoach.web.pages import set_session_cookie
from twistcoach.web.security import CSRF_HEADER, SESSION_COOKIE, SessionData, csrf_ok

router = APIRouter(prefix="/api", tags=["api"])

CsrfHeader = Annotated[str, Header(alias=CSRF_HEADER, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignInBody(_In):
    """Credentials."""

    email: Annotated[str, Field(max_length=320)]
    password: Annotated[str, Field(max_length=services.MAX_PASSWORD)]


class SignUpBody(_In):
    """A new student account."""

    email: Annotated[str, Field(max_length=320)]
    display_name: Annotated[str, Field(min_length=1, max_length=200)]
    password: Annotated[str, Field(max_length=services.MAX_PASSWORD)]
    teacher_email: Annotated[str, Field(max_length=320)] = ""


class Me(BaseModel):
    """The signed-in account and its CSRF token."""

    id: int
    email: str
    display_name: str
    role: str
    trained_for_back_problems: bool
    person_id: int | None
    csrf_token: str


class StartBody(_In):
    """Open a practice session."""

    variant_id: Annotated[str, Field(max_length=100)]
    start_pain: Annotated[int, Field(ge=0, le=10)]


class Started(BaseModel):
    """A new practice session and where to connect."""

    session_id: int
    websocket: str


class DecisionBody(_In):
    """Approve or decline the current progression suggestion."""

    decision: Literal["approved", "declined"]


class CheckInBody(_In):
    """The check-in after sharp pain (the questions are ``rules/safety.yaml``'s)."""

    back: Literal["better", "same", "worse"]
    new_leg_symptoms: bool
    weakness_or_numbness: bool


class ReviewBody(_In):
    """A teacher's or clinician's review of a student's open safety flags."""

    note: Annotated[str, Field(min_length=1, max_length=services.MAX_NOTE)]


class ClearanceBody(_In):
    """A clearance for named variants with a knee-drop limit."""

    variants: Annotated[
        list[Annotated[str, Field(max_length=100)]], Field(min_length=1, max_length=20)
    ]
    max_knee_drop_deg: Annotated[float, Field(ge=5, le=90, allow_inf_nan=False)]
    date: dt.date


def _me(request: Request) -> tuple[AccountRecord, SessionData]:
    who = signed_in(request)
    if who is None:
        raise HTTPException(401, "sign in first")
    return who


def _changing(request: Request, token: str) -> AccountRecord:
    who = _me(request)
    if not csrf_ok(who[1], token):
        raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header")
    return who[0]


def _me_out(request: Request, account: AccountRecord, csrf: str) -> Me:
    person = ctx_of(request).repo.person_for_account(account.id)
    return Me(
        id=account.id,
        email=account.email,
        display_name=account.display_name,
        role=account.role,
        trained_for_back_problems=account.trained_for_back_problems,
        person_id=None if person is None else person.id,
        csrf_token=csrf,
    )


@router.post("/signin", response_model=Me)
def api_signin(request: Request, body: SignInBody, response: Response) -> Me:
    """Sign in (rate-limited): sets the session cookie, returns the CSRF token."""
    ctx = ctx_of(request)
    client = request.client.host if request.client else "unknown"
    account = services.sign_in(ctx, body.email, body.password, client)
    data = set_session_cookie(ctx, response, account.id)
    ctx.repo.audit(account.id, "account.signin", f"account:{account.id}", {})
    return _me_out(request, account, data.csrf)


@router.post("/signup", response_model=Me, status_code=201)
def api_signup(request: Request, body: SignUpBody, response: Response) -> Me:
    """Create a student account (linked to a teacher by e-mail) and sign it in."""
    ctx = ctx_of(request)
    errors, teacher = services.validate_signup(
        ctx, body.email, body.display_name, body.password, body.teacher_email
    )
    if errors:
        raise HTTPException(422, errors)
    account = services.sign_up_student(ctx, body.email, body.display_name, body.password, teacher)
    data = set_session_cookie(ctx, response, account.id)
    return _me_out(request, account, data.csrf)


@router.post("/signout", status_code=204)
def api_signout(request: Request, csrf: CsrfHeader = "") -> Response:
    """Sign out."""
    account = _changing(request, csrf)
    ctx_of(request).repo.audit(account.id, "account.signout", f"account:{account.id}", {})
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=Me)
def api_me(request: Request) -> Me:
    """Who is signed in, with the CSRF token for changes."""
    account, data = _me(request)
    return _me_out(request, account, data.csrf)


@router.get("/variants")
def api_variants() -> list[dict[str, str]]:
    """The pose library's variants (id and name), in difficulty order."""
    return [{"id": k, "name": v} for k, v in domain.variant_names().items()]


@router.get("/intake/schema")
def api_intake_schema() -> dict[str, Any]:
    """The intake's JSON schema (the same model the intake file uses)."""
    from twistcoach.intake import Intake

    return Intake.model_json_schema()


@router.post("/intake")
def api_intake(
    request: Request,
    body: Annotated[dict[str, Any], Field(max_length=20)],
    csrf: CsrfHeader = "",
) -> dict[str, Any]:
    """Submit an intake (the intake file's fields, without clearances); returns the plan.

    Bad fields give 422 with ``{"detail": {"errors": {field: message}}}``.
    """
    account = _changing(request, csrf)
    plan, errors = services.submit_intake(ctx_of(request), account, body)
    if plan is None:
        raise HTTPException(422, {"errors": errors})
    return plan


def decision_payload(ctx: AppContext, person_id: int, decision: PracticeDecision) -> dict[str, Any]:
    """Planning's decision as JSON (:meth:`~twistcoach.planning.PracticeDecision.to_json_dict`)
    with the readiness plan it was made from (``plan``, None before the first intake) and
    the stored plan's id (``plan_id``) and the open flags in plain words (``flag_words``)."""
    row = ctx.repo.latest_plan(person_id)
    return {
        **decision.to_json_dict(),
        "plan": None if decision.plan is None else decision.plan.to_json_dict(),
        "plan_id": None if row is None else row.id,
        "flag_words": list(domain.flag_words(decision)),
    }


@router.get("/plan")
def api_plan(request: Request) -> dict[str, Any]:
    """Planning's decision for the signed-in student now: per variant allowed or not, the
    cap for this session and every reason; person-level reasons (a sharp-pain lock, a
    check-in first, flags waiting for review); and the readiness plan (``plan``)."""
    account, _ = _me(request)
    ctx = ctx_of(request)
    person = services.own_person(ctx, account)
    return decision_payload(ctx, person.id, services.decision_for(ctx, person.id))


@router.post("/checkin")
def api_checkin(request: Request, body: CheckInBody, csrf: CsrfHeader = "") -> dict[str, Any]:
    """Answer the check-in planning asks for after sharp pain (409 when none is needed);
    returns the new decision (new leg symptoms, numbness or weakness refuse practice and
    send the student to care)."""
    account = _changing(request, csrf)
    ctx = ctx_of(request)
    decision = services.record_checkin(
        ctx, account, body.back, body.new_leg_symptoms, body.weakness_or_numbness
    )
    person = services.own_person(ctx, account)
    return decision_payload(ctx, person.id, decision)


@router.get("/sessions")
def api_sessions(request: Request) -> list[dict[str, Any]]:
    """The signed-in student's sessions, newest first."""
    account, _ = _me(request)
    ctx = ctx_of(request)
    person = services.own_person(ctx, account)
    return [s.to_json() for s in ctx.repo.list_sessions(person.id)]


@router.post("/sessions", response_model=Started, status_code=201)
def api_start_session(request: Request, body: StartBody, csrf: CsrfHeader = "") -> Started:
    """Open a practice session for a variant planning allows now, at planning's cap (403
    with the plain reason when it is not allowed now)."""
    account = _changing(request, csrf)
    session_id = services.start_practice(ctx_of(request), account, body.variant_id, body.start_pain)
    return Started(session_id=session_id, websocket=f"/ws/practice/{session_id}")


@router.get("/sessions/{session_id}")
def api_session(request: Request, session_id: int) -> dict[str, Any]:
    """One session with samples and events (own, or one of your students')."""
    account, _ = _me(request)
    return services.visible_session(ctx_of(request), account, session_id).to_json()


@router.get("/students")
def api_students(request: Request) -> list[dict[str, Any]]:
    """The roster of the signed-in teacher or clinician."""
    account, _ = _me(request)
    return [
        {
            "person_id": r.person.id,
            "name": r.person.name,
            "plan_status": r.plan_status,
            "last_session": None if r.last is None else r.last.to_json(),
            "pain_trend": r.pain_trend,
            "flags": list(r.flags),
            "open_flags": list(r.open_flags),
        }
        for r in services.roster(ctx_of(request), account)
    ]


@router.get("/students/{person_id}")
def api_student(request: Request, person_id: int) -> dict[str, Any]:
    """A student's decision (planning's, with open flags), plan, sessions, clearances,
    suggestion and staff decisions."""
    account, _ = _me(request)
    services.require_staff(account)
    ctx = ctx_of(request)
    person = services.visible_person(ctx, account, person_id)
    decision = services.decision_for(ctx, person.id)
    payload = decision_payload(ctx, person.id, decision)
    return {
        "person_id": person.id,
        "name": person.name,
        "plan": payload["plan"],
        "decision": payload,
        "open_flags": payload["open_flags"],
        "sessions": [s.to_json() for s in ctx.repo.list_sessions(person.id)],
        "clearances": [
            {
                "by": c.by_role,
                "name": c.name,
                "date": c.date.isoformat(),
                "variants": c.variants,
                "max_knee_drop_deg": c.max_knee_drop_deg,
            }
            for c in ctx.repo.list_clearances(person.id)
        ],
        "suggestion": payload["progression"],
        "decisions": [
            {"decision": d.decision, "at": d.at.isoformat(), "by": d.decided_by}
            for d in ctx.repo.list_decisions(person.id)
        ],
    }


@router.post("/students/{person_id}/progression", status_code=204)
def api_decide(
    request: Request, person_id: int, body: DecisionBody, csrf: CsrfHeader = ""
) -> Response:
    """Approve or decline the student's progression suggestion."""
    account = _changing(request, csrf)
    services.decide_progression(ctx_of(request), account, person_id, body.decision)
    return Response(status_code=204)


@router.post("/students/{person_id}/clearances")
def api_clearance(
    request: Request, person_id: int, body: ClearanceBody, csrf: CsrfHeader = ""
) -> dict[str, Any]:
    """Record a clearance (403 with the reason when you may not clear this student);
    returns planning's decision with it. While a safety flag is open the clearance is kept
    but raises no cap and opens no twist (the decision's reasons say so)."""
    account = _changing(request, csrf)
    ctx = ctx_of(request)
    decision = services.record_clearance(
        ctx, account, person_id, body.variants, body.max_knee_drop_deg, body.date
    )
    return decision_payload(ctx, person_id, decision)


@router.post("/students/{person_id}/review")
def api_review(
    request: Request, person_id: int, body: ReviewBody, csrf: CsrfHeader = ""
) -> dict[str, Any]:
    """Record a review of the student's open safety flags, closing them (409 when none is
    open); returns planning's new decision."""
    account = _changing(request, csrf)
    ctx = ctx_of(request)
    decision = services.record_review(ctx, account, person_id, body.note)
    return decision_payload(ctx, person_id, decision)
