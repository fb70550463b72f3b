"""The JSON API under ``/api`` (described by the OpenAPI schema at ``/openapi.json``).

Authentication is the same session cookie as the pages (``POST /api/signin`` sets it; the
server keeps the sign-in, ``POST /api/signout`` ends it); every state-changing call needs
the session's CSRF token in the ``X-CSRF-Token`` header (returned by sign-in and by
``GET /api/me``). Bodies are validated by pydantic models with size limits. Every route
declares its response model and every status it can answer (``responses=``); every 4xx
body is :class:`ErrorBody` (``{"detail": message, "problems": [{"field", "message"}]}``),
422 included, in the request's language (``?lang=``, the language cookie,
``Accept-Language``; English else: ``web.app``), and no answer carries a stack trace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from twistcoach.errors import DataError, NotAllowed
from twistcoach.intake import CLEARANCE_KNEE_DROP_DEG as _KNEE
from twistcoach.intake import CLEARANCE_ROTATION_DEG as _ROTATION
from twistcoach.planning import PracticeDecision
from twistcoach.safeload import check_json_keys_unique
from twistcoach.storage.records import AccountRecord
from twistcoach.web import domain, services
from twistcoach.web.app import error_body
from twistcoach.web.context import AppContext, client_address
from twistcoach.web.cookies import end_session, set_session_cookie
from twistcoach.web.deps import ApiChange, Ctx, CurrentUser, Id, StaffUser, StudentUser
from twistcoach.web.security import MAX_PASSWORD


class _StrictJSONRoute(APIRoute):
    """An API route whose JSON body names each key once: FastAPI's parser keeps the last of
    two equal keys, so ``{"red_flags": ["saddle_numbness"], "red_flags": []}`` would have lost
    a red flag. A repeated key is a 422 naming it (the body is read once and cached)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            if "json" in request.headers.get("content-type", ""):
                try:
                    body = await request.body()
                except Exception:
                    # Unreadable (too large, cut off), as FastAPI answers it; the body limit
                    # replaces this answer with its 413 when that was the cause.
                    return JSONResponse(
                        error_body("the request body could not be read"), status_code=400
                    )
                check_json_keys_unique(body)
            return await handler(request)

        return strict


router = APIRouter(prefix="/api", tags=["api"], route_class=_StrictJSONRoute)

#: A database id in a path: 1 to 2**63-1 (SQL's BIGINT); anything else is 422, never a 500.


class Problem(BaseModel):
    """One field's fault."""

    field: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx (and 500) answer: a plain message, with per-field problems when the input
    had several faults."""

    detail: str
    problems: list[Problem] = []


_WHY = {
    401: "Not signed in, or the sign-in ended (signed out, password changed, expired).",
    403: "Not allowed: the wrong role, a missing or wrong X-CSRF-Token, or a change that is "
    "not yours to make for a student you see.",
    404: "No such id, or not one you may see (the same answer: ids cannot be enumerated).",
    409: "A valid request at the wrong moment (see detail).",
    413: "The request body is too large.",
    422: "The input breaks a rule (see detail and problems).",
    429: "Too many attempts; the Retry-After header says when to try again.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry documenting these error statuses (all :class:`ErrorBody`)."""
    return {code: {"model": ErrorBody, "description": _WHY[code]} for code in (*codes, 413, 422)}


#: The statuses of a signed-in read / change.
READ = errors(401, 403)
CHANGE = errors(401, 403)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignInBody(_In):
    """Credentials."""

    email: Annotated[str, Field(max_length=320)]
    password: Annotated[str, Field(max_length=MAX_PASSWORD)]


class SignUpBody(_In):
    """A new student account (``teacher_email``: a teacher or clinician to link, optional)."""

    email: Annotated[str, Field(max_length=320)]
    display_name: Annotated[str, Field(min_length=1, max_length=200)]
    password: Annotated[str, Field(max_length=MAX_PASSWORD)]
    teacher_email: Annotated[str | None, Field(max_length=320)] = None  # null: not given


class SignedUp(BaseModel):
    """The same answer whether or not the address had an account: now sign in."""

    detail: str


class PasswordBody(_In):
    """Change the password: every other sign-in of the account ends."""

    current_password: Annotated[str, Field(max_length=MAX_PASSWORD)]
    new_password: Annotated[str, Field(max_length=MAX_PASSWORD)]


class Me(BaseModel):
    """The signed-in account and its CSRF token."""

    id: int
    email: str
    display_name: str
    role: str
    trained_for_back_problems: bool
    person_id: int | None
    csrf_token: str


class Variant(BaseModel):
    """A variant of the pose library."""

    id: str
    name: str


class StartBody(_In):
    """Open a practice session."""

    variant_id: Annotated[str, Field(max_length=100)]
    start_pain: Annotated[int, Field(ge=0, le=10, strict=True)]  # true is not a pain of 1
    #: The IANA time zone the student practises in (``Europe/Madrid``): a sharp-pain stop
    #: locks practice for the rest of that day there. Default: the server's zone.
    time_zone: Annotated[str | None, Field(max_length=64)] = None


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

    #: Checked by the service (``record_review``), as the page's form is: one limit, one
    #: plain message in the request's language ("write a note of 1 to 2000 characters"),
    #: never pydantic's "String should have at most 2000 characters". The schema still
    #: shows the limits.
    note: Annotated[
        str, Field(json_schema_extra={"minLength": 1, "maxLength": services.MAX_NOTE})
    ] = ""
    #: Confirms that the clearances given before nerve signs, which this review makes count
    #: again (``review_revives`` of ``GET /api/students/{id}``), still stand; without it
    #: such a review is refused (422).
    keep_clearances: bool = False
    #: Withdraws those clearances with the review instead, in the same step (for
    #: ``withdrawal_reason``, which the student reads), as the student page's form can;
    #: both at once is refused (422).
    withdraw_clearances: bool = False
    withdrawal_reason: str = ""


class WithdrawBody(_In):
    """Why a clearance is withdrawn (1 to ``MAX_WITHDRAWAL_REASON`` characters once its
    white space is made single: the student reads it). Checked by the service, as the
    page's form is (one plain message in the request's language)."""

    reason: str = ""


class ClearanceBody(_In):
    """A clearance for named variants with a knee-drop limit (supine variants) and an
    optional trunk-rotation limit (seated and standing variants)."""

    variants: Annotated[
        list[Annotated[str, Field(max_length=100)]], Field(min_length=1, max_length=20)
    ]
    max_knee_drop_deg: Annotated[float, Field(ge=_KNEE[0], le=_KNEE[1], allow_inf_nan=False)]
    date: dt.date
    max_trunk_rotation_deg: (
        Annotated[float, Field(ge=_ROTATION[0], le=_ROTATION[1], allow_inf_nan=False)] | None
    ) = None


class LinkBody(_In):
    """A teacher or clinician to link, by e-mail."""

    email: Annotated[str, Field(max_length=320)]


class Link(BaseModel):
    """A link to a teacher or clinician, as the student typed it (never says whether the
    address is a staff account)."""

    id: int
    email: str
    created_at: dt.datetime


class RosterEntry(BaseModel):
    """One student on the roster."""

    person_id: int
    name: str
    plan_status: str
    last_session: dict[str, Any] | None
    pain_trend: str
    flags: list[str]
    open_flags: list[str]


def _me_out(ctx: AppContext, account: AccountRecord, csrf: str) -> Me:
    person = ctx.repo.person_for_account(account.id)
    return Me(
        id=account.id,
        email=account.email,
        display_name=account.display_name,
        role=account.role,
        trained_for_back_problems=account.trained_for_back_problems,
        person_id=None if person is None else person.id,
        csrf_token=csrf,
    )


# ------------------------------------------------------------------------ accounts


@router.post("/signin", response_model=Me, responses=errors(401, 429))
def api_signin(ctx: Ctx, request: Request, body: SignInBody, response: Response) -> Me:
    """Sign in (rate-limited per client and e-mail, and per client): sets the session
    cookie, returns the CSRF token."""
    account = services.sign_in(ctx, body.email, body.password, client_address(request))
    data = set_session_cookie(ctx, response, account.id)
    ctx.repo.audit(account.id, "account.signin", f"account:{account.id}", {})
    return _me_out(ctx, account, data.csrf)


@router.post("/signup", response_model=SignedUp, status_code=202, responses=errors(429))
def api_signup(ctx: Ctx, request: Request, body: SignUpBody) -> SignedUp:
    """Create a student account, then sign in with ``POST /api/signin``.

    The answer is the same whether or not the address already had an account, and a
    ``teacher_email`` is linked as typed whether or not it is a staff address: nothing
    here tells who has an account. Weak passwords (zxcvbn), passwords equal to the e-mail
    and all-space passwords are refused (422). Rate-limited per client.
    """
    services.sign_up(
        ctx,
        client_address(request),
        body.email,
        body.display_name,
        body.password,
        body.teacher_email or "",
    )
    return SignedUp(detail=services.SIGNUP_DONE)


@router.post("/signout", status_code=204, responses=CHANGE)
def api_signout(ctx: Ctx, who: ApiChange) -> Response:
    """Sign out: the server ends this sign-in (a copy of the cookie no longer works)."""
    ctx.repo.audit(who.account.id, "account.signout", f"account:{who.account.id}", {})
    response = Response(status_code=204)
    end_session(ctx, response, who.session)
    return response


@router.post("/password", response_model=Me, responses=errors(401, 403, 429))
def api_password(
    ctx: Ctx, request: Request, who: ApiChange, body: PasswordBody, response: Response
) -> Me:
    """Change the password: every sign-in of the account ends (other devices, copied
    cookies); this one is signed in again (a new cookie and CSRF token). A wrong current
    password counts as a failed sign-in, under the sign-in's limits (429 with Retry-After
    over them): a signed-in browser is no way round them."""
    client, email = client_address(request), who.account.email
    ctx.limits.check_password_change(client, email)
    try:
        account = services.change_password(
            ctx, who.account, body.current_password, body.new_password
        )
    except NotAllowed:  # only the wrong current password (services.change_password)
        ctx.limits.password_change_failed(client, email)
        raise
    ctx.limits.password_change_succeeded(client, email)
    data = set_session_cookie(ctx, response, account.id)
    return _me_out(ctx, account, data.csrf)


@router.get("/me", response_model=Me, responses=errors(401))
def api_me(ctx: Ctx, who: CurrentUser) -> Me:
    """Who is signed in, with the CSRF token for changes."""
    return _me_out(ctx, who.account, who.session.csrf)


@router.get("/links", response_model=list[Link], responses=READ)
def api_links(ctx: Ctx, who: StudentUser) -> list[Link]:
    """The teachers and clinicians the signed-in student linked (they see this student)."""
    return [
        Link(id=k.id, email=k.staff_email, created_at=k.created_at)
        for k in services.links_of(ctx, who.account)
    ]


@router.post("/links", response_model=Link, status_code=201, responses={**CHANGE, **errors(409)})
def api_link(ctx: Ctx, who: ApiChange, body: LinkBody) -> Link:
    """Link a teacher or clinician by e-mail (students only): they may then see this
    student's plan and sessions. Kept as typed: the answer never says whether the address
    is a staff account."""
    link = services.add_link(ctx, who.account, body.email)
    return Link(id=link.id, email=link.staff_email, created_at=link.created_at)


@router.delete("/links/{link_id}", status_code=204, responses={**CHANGE, **errors(404)})
def api_unlink(ctx: Ctx, who: ApiChange, link_id: Id) -> Response:
    """Remove a link: that teacher or clinician no longer sees this student."""
    services.remove_link(ctx, who.account, link_id)
    return Response(status_code=204)


# ------------------------------------------------------------------------ library


@router.get("/variants", response_model=list[Variant], responses=errors())
def api_variants() -> list[Variant]:
    """The pose library's variants (id and name), in difficulty order."""
    return [Variant(id=k, name=v) for k, v in domain.variant_names().items()]


@router.get("/intake/schema", response_model=dict[str, Any], responses=errors())
def api_intake_schema() -> dict[str, Any]:
    """The intake's JSON schema (the same model the intake file uses)."""
    from twistcoach.intake import Intake

    return Intake.model_json_schema()


# ------------------------------------------------------------------------ students


@router.post("/intake", response_model=dict[str, Any], responses=CHANGE)
def api_intake(
    ctx: Ctx,
    who: ApiChange,
    body: Annotated[dict[str, Any], Field(max_length=20)],
) -> dict[str, Any]:
    """Submit an intake (the intake file's fields, without clearances); returns the plan.

    Bad fields give 422 with one problem per field.
    """
    services.require_student(who.account)
    plan, problems = services.submit_intake(ctx, who.account, body)
    if plan is None:
        raise DataError(services.INTAKE_MISTAKES, problems=problems)
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


@router.get("/plan", response_model=dict[str, Any], responses=READ)
def api_plan(ctx: Ctx, who: StudentUser) -> dict[str, Any]:
    """Planning's decision for the signed-in student now: per variant allowed or not, the
    cap for this session and every reason; person-level reasons (a sharp-pain lock, a
    check-in first, flags waiting for review); and the readiness plan (``plan``)."""
    person = services.own_person(ctx, who.account)
    return decision_payload(ctx, person.id, services.decision_for(ctx, person.id))


@router.post("/checkin", response_model=dict[str, Any], responses={**CHANGE, **errors(409)})
def api_checkin(ctx: Ctx, who: ApiChange, body: CheckInBody) -> dict[str, Any]:
    """Answer the check-in planning asks for after sharp pain (409 when none is needed);
    returns the new decision (new leg symptoms, numbness or weakness refuse practice and
    send the student to care)."""
    decision = services.record_checkin(
        ctx, who.account, body.back, body.new_leg_symptoms, body.weakness_or_numbness
    )
    person = services.own_person(ctx, who.account)
    return decision_payload(ctx, person.id, decision)


@router.get("/sessions", response_model=list[dict[str, Any]], responses=READ)
def api_sessions(ctx: Ctx, who: StudentUser) -> list[dict[str, Any]]:
    """The signed-in student's sessions, newest first."""
    person = services.own_person(ctx, who.account)
    return [s.to_json() for s in ctx.repo.list_sessions(person.id)]


@router.post(
    "/sessions", response_model=Started, status_code=201, responses={**CHANGE, **errors(409)}
)
def api_start_session(ctx: Ctx, who: ApiChange, body: StartBody) -> Started:
    """Open a practice session for a variant planning allows now, at planning's cap (403
    with the plain reason when it is not allowed now). One running session per student:
    an older one with no socket is closed as interrupted; one still live refuses (409)."""
    session_id = services.start_practice(
        ctx, who.account, body.variant_id, body.start_pain, body.time_zone
    )
    return Started(session_id=session_id, websocket=f"/ws/practice/{session_id}")


class SharpAfter(BaseModel):
    """A sharp-pain report taken after the session ended."""

    #: The session that carries it: the one reported on, or (reported more than an hour
    #: after it ended) the report stored on its own.
    session_id: int
    stop_reason: str
    advice: str


@router.post(
    "/sessions/{session_id}/sharp",
    response_model=SharpAfter,
    responses={**CHANGE, **errors(404)},
)
def api_sharp_after(ctx: Ctx, who: ApiChange, session_id: Id) -> SharpAfter:
    """Sharp pain felt after a session of yours ended (coming out of the twist): the
    session is stored as stopped for sharp pain, so no twists for the rest of the day and
    the flag waits for a review, as for a stop in the session. More than an hour after it
    ended the pain is stored as a report of its own, made now, with the same effect. While
    the session still runs (pressed in another window) it is stored in it, and the socket
    coaching it stops for it within seconds."""
    stored, advice = services.report_late_sharp_pain(ctx, who.account, session_id)
    return SharpAfter(session_id=stored, stop_reason="sharp_pain", advice=advice)


class EndPainBody(_In):
    """The pain after a session: "How is your back now?" (0 = none, 10 = worst)."""

    end_pain: Annotated[int, Field(ge=0, le=10, strict=True)]  # true is not a pain of 1


class EndPain(BaseModel):
    """The end pain stored for a session."""

    session_id: int
    end_pain: int


@router.post(
    "/sessions/{session_id}/end-pain",
    response_model=EndPain,
    responses={**CHANGE, **errors(404, 409)},
)
def api_end_pain(ctx: Ctx, who: ApiChange, session_id: Id, body: EndPainBody) -> EndPain:
    """The pain after a session of yours ended, as the practice page asks it ("How is your
    back now?", 0-10): stored once as the session's end ("after") pain, read by planning as
    every end pain (a rise from the start pain lowers the next cap). 409 while the session
    still runs, when its end pain is already given, or more than an hour after it ended;
    422 for anything but a whole number 0-10."""
    stored = services.report_end_pain(ctx, who.account, session_id, body.end_pain)
    assert stored.end_pain is not None
    return EndPain(session_id=stored.id, end_pain=stored.end_pain)


@router.get(
    "/sessions/{session_id}", response_model=dict[str, Any], responses={**READ, **errors(404)}
)
def api_session(ctx: Ctx, who: CurrentUser, session_id: Id) -> dict[str, Any]:
    """One session with samples and events (own, or one of a student who linked you)."""
    return services.visible_session(ctx, who.account, session_id).to_json()


# ---------------------------------------------------------------------------- staff


@router.get("/students", response_model=list[RosterEntry], responses=READ)
def api_students(ctx: Ctx, who: StaffUser) -> list[RosterEntry]:
    """The roster of the signed-in teacher or clinician: the students who linked them."""
    return [
        RosterEntry(
            person_id=r.person.id,
            name=r.person.name,
            plan_status=r.plan_status,
            last_session=None if r.last is None else r.last.to_json(),
            pain_trend=r.pain_trend,
            flags=list(r.flags),
            open_flags=list(r.open_flags),
        )
        for r in services.roster(ctx, who.account)
    ]


@router.get(
    "/students/{person_id}", response_model=dict[str, Any], responses={**READ, **errors(404)}
)
def api_student(ctx: Ctx, who: StaffUser, person_id: Id) -> dict[str, Any]:
    """A student's decision (planning's, with open flags), plan, sessions, clearances,
    suggestion and staff decisions (only a student who linked you; the read is audited)."""
    person = services.visible_person(ctx, who.account, person_id)
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
                "max_trunk_rotation_deg": c.max_trunk_rotation_deg,
                # The id to withdraw it with (POST .../clearances/{id}/withdraw).
                "id": c.id,
                # Who withdrew it, when and why (None: it was never withdrawn); planning
                # counts a withdrawn clearance no more.
                "withdrawn": None
                if c.withdrawal is None
                else {
                    "by": c.withdrawal.by_role,
                    "name": c.withdrawal.by_name,
                    "at": c.withdrawal.at.isoformat(),
                    "reason": c.withdrawal.reason,
                },
            }
            for c in ctx.repo.list_clearances(person.id)
        ],
        "suggestion": payload["progression"],
        "decisions": [
            {"decision": d.decision, "at": d.at.isoformat(), "by": d.decided_by}
            for d in ctx.repo.list_decisions(person.id)
        ],
        # Clearances given before open nerve signs that your review would make count again.
        "review_revives": [
            {
                "who": r.who,
                "date": r.date.isoformat(),
                "recorded_at": r.recorded_at.isoformat(),
                "nerve_signs_at": r.nerve_signs_at.isoformat(),
                "twists": [{"name": name, "plan_cap_deg": cap} for name, cap in r.twists],
            }
            for r in services.review_revives(ctx, who.account, person.id, decision)
        ],
    }


@router.post(
    "/students/{person_id}/progression",
    status_code=204,
    responses={**CHANGE, **errors(404, 409)},
)
def api_decide(ctx: Ctx, who: ApiChange, person_id: Id, body: DecisionBody) -> Response:
    """Approve or decline the student's progression suggestion."""
    services.decide_progression(ctx, who.account, person_id, body.decision)
    return Response(status_code=204)


@router.post(
    "/students/{person_id}/clearances",
    response_model=dict[str, Any],
    responses={**CHANGE, **errors(404, 409)},
)
def api_clearance(ctx: Ctx, who: ApiChange, person_id: Id, body: ClearanceBody) -> dict[str, Any]:
    """Record a clearance (403 with the reason when you may not clear this student);
    returns planning's decision with it. While a safety flag is open the clearance is kept
    but raises no cap and opens no twist (the decision's reasons say so)."""
    decision = services.record_clearance(
        ctx,
        who.account,
        person_id,
        body.variants,
        body.max_knee_drop_deg,
        body.date,
        max_trunk_rotation_deg=body.max_trunk_rotation_deg,
    )
    return decision_payload(ctx, person_id, decision)


@router.post(
    "/students/{person_id}/review",
    response_model=dict[str, Any],
    responses={**CHANGE, **errors(404, 409)},
)
def api_review(ctx: Ctx, who: ApiChange, person_id: Id, body: ReviewBody) -> dict[str, Any]:
    """Record a review of the student's open safety flags, closing them (409 when none is
    open); returns planning's new decision. A review that would make clearances given
    before nerve signs count again needs ``keep_clearances: true``, or
    ``withdraw_clearances: true`` with a ``withdrawal_reason`` to withdraw them with it
    (422 naming them otherwise)."""
    decision = services.record_review(
        ctx,
        who.account,
        person_id,
        body.note,
        keep_clearances=body.keep_clearances,
        withdraw_clearances=body.withdraw_clearances,
        withdrawal_reason=body.withdrawal_reason,
    )
    return decision_payload(ctx, person_id, decision)


@router.post(
    "/students/{person_id}/clearances/{clearance_id}/withdraw",
    response_model=dict[str, Any],
    responses={**CHANGE, **errors(404, 409)},
)
def api_withdraw(
    ctx: Ctx, who: ApiChange, person_id: Id, clearance_id: Id, body: WithdrawBody
) -> dict[str, Any]:
    """Withdraw one of the student's clearances, with a reason the student reads; returns
    planning's new decision, which counts it no more. The same rules as the student page's
    form (planning's ``may_withdraw``): a clinician any clearance of a student they see, a
    teacher only a teacher's clearance they recorded (403 with the reason); 404 for a
    student or a clearance that is not theirs to see, 409 for one already withdrawn, 422
    for an empty or over-long reason."""
    decision = services.withdraw_clearance(ctx, who.account, person_id, clearance_id, body.reason)
    return decision_payload(ctx, person_id, decision)
