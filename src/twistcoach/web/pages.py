"""HTML pages (Jinja2, server-rendered): sign up/in/out, intake, plan, practice, history,
the teacher/clinician dashboard and a student's page.

Every POST form carries a CSRF token: the session's (kept with the server-side sign-in)
once signed in, or a double-submit token whose short-lived cookie is signed on the sign-in
and sign-up forms. Services raise :mod:`twistcoach.errors` errors; the app's one table
turns them into statuses (401 redirects to the sign-in page). Handlers are synchronous
where they only touch the database (FastAPI runs them in its thread pool), so argon2 and
SQLite never block the event loop.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from twistcoach import estimator, i18n
from twistcoach.errors import ConflictError, DataError, NotAllowed, NotSignedIn, RateLimited
from twistcoach.intake import ClearanceBy, latest_today
from twistcoach.planning import (
    PracticeDecision,
    has_back_condition,
    load_safety_rules,
    may_withdraw,
)
from twistcoach.poses.schema import TwistFamily
from twistcoach.screening import VariantStatus
from twistcoach.storage.models import Role
from twistcoach.storage.progress import session_started
from twistcoach.storage.records import AccountRecord, SessionDetail
from twistcoach.web import cookies, domain, services
from twistcoach.web.context import (
    AppContext,
    client_address,
    ctx_of,
    remember_language,
    request_language,
    signed_in,
)
from twistcoach.web.deps import CurrentUser, FormChange, Id, StudentUser
from twistcoach.web.security import PRE_CSRF_COOKIE, SessionData
from twistcoach.wording import TIMELINE_KINDS, Reader

router = APIRouter(include_in_schema=False)

__all__ = ["PRE_CSRF_COOKIE", "router"]
#: A database id in a path: 1 to 2**63-1; anything else is 422, never a 500.
#: Status messages a redirect may show (by code: a page never echoes text from the URL).
FLASH = {
    "approved": "Progression approved and recorded.",
    "declined": "Progression declined and recorded.",
    "cleared": "Clearance recorded; the plan was made again with it.",
    "cleared_held": (
        "Clearance recorded. A safety flag is waiting for review: the clearance will not "
        "raise the cap or open a twist until you record a review."
    ),
    "cleared_nothing": (
        "Clearance recorded, but it opens none of the twists it names: a rule it cannot lift "
        "holds them (the reasons are under each twist below)."
    ),
    # Planning counts a clearance from its own date on the student's calendar: one dated
    # after the student's today opens nothing yet (it said "a rule it cannot lift").
    "cleared_not_yet": (
        "Clearance recorded, but it does not count yet: its date is after the student's "
        "today, and it counts from that day (the reasons are under each twist below)."
    ),
    "reviewed": "Review recorded: the student's safety flags are closed.",
    "reviewed_withdrawn": (
        "Review recorded: the student's safety flags are closed, and the clearances given "
        "before them are withdrawn."
    ),
    "withdrawn": "Clearance withdrawn: it no longer counts, and the student's plan says why.",
    "reviewed_some": (
        "Review recorded. A flag about new leg symptoms, numbness or weakness stays open: "
        "only a clinician's review closes it."
    ),
    "checkin": "Thank you: your check-in is recorded.",
    "signed_up": (
        "If this e-mail address had no account, your account is ready: sign in with it. "
        "If it had one, sign in with its password."
    ),
    "linked": "Saved. If that address belongs to a teacher or clinician, they now follow you.",
    "unlinked": "Removed: they no longer see your practice.",
}
Text = Annotated[str, Form(max_length=320)]
Password = Annotated[str, Form(max_length=services.MAX_PASSWORD)]
Token = Annotated[str, Form(max_length=200)]


def _base(request: Request, who: tuple[AccountRecord, SessionData] | None) -> dict[str, Any]:
    return {
        "account": who[0] if who else None,
        "csrf": who[1].csrf if who else "",
        "flash": FLASH.get(request.query_params.get("msg", "")),
        # Plain words for stored ids (rules/wording.yaml): pages never show an id.
        "stop_words": domain.stop_words,
        "status_words": domain.status_words,
        # A session's time over the cap in words (the CLI's own): "3 seconds over the cap".
        "over_cap_words": domain.over_cap_words,
        "choice_words": domain.choice_words,
        # A session's start on the clock it was practised by (storage.progress).
        "started": session_started,
        # Any other stored moment, on the reader's clock (domain.moment, local_time.js).
        "moment": domain.moment,
    }


def render(
    request: Request,
    name: str,
    who: tuple[AccountRecord, SessionData] | None,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """Render a template with the signed-in account, its CSRF token and ``values``."""
    ctx = ctx_of(request)
    lang = request_language(request)
    context = _base(request, who) | {"lang": lang} | values
    page = ctx.templates.TemplateResponse(request, name, context, status_code=status_code)
    page.headers["Content-Language"] = lang
    remember_language(request, page, lang)
    return page


set_session_cookie = cookies.set_session_cookie


def _pre_ok(request: Request, token: str) -> bool:
    return cookies.pre_ok(ctx_of(request), request, token)


def _pre_form(request: Request) -> tuple[str, str | None]:
    """The sign-in/sign-up form's token and the signed cookie to set (None: keep)."""
    return cookies.pre_token(ctx_of(request), request)


def _home_for(account: AccountRecord) -> str:
    return "/plan" if account.role == Role.STUDENT else "/dashboard"


@router.get("/")
def home(request: Request) -> Response:
    """Students to their plan, staff to their dashboard, others to sign in."""
    who = signed_in(request)
    return RedirectResponse("/signin" if who is None else _home_for(who[0]), status_code=303)


# ---------------------------------------------------------------- sign in / up / out


@router.get("/signin")
def signin_page(request: Request) -> Response:
    """The sign-in form."""
    token, cookie = _pre_form(request)
    page = render(request, "signin.html", None, error=None, email="", pre=token)
    cookies.set_pre_cookie(ctx_of(request), page, cookie)
    return page


@router.post("/signin")
def signin_submit(request: Request, email: Text, password: Password, pre: Token = "") -> Response:
    """Check credentials (rate-limited) and set the session cookie."""
    ctx = ctx_of(request)
    if not _pre_ok(request, pre):
        return render(
            request,
            "signin.html",
            None,
            403,
            pre=_pre_form(request)[0],
            email=email,
            error="The form was stale (CSRF check failed). Try again.",
        )
    try:
        account = services.sign_in(ctx, email, password, client_address(request))
    except (NotSignedIn, RateLimited) as exc:
        limited = isinstance(exc, RateLimited)
        page = render(
            request,
            "signin.html",
            None,
            429 if limited else 401,
            pre=pre,
            email=email,
            error=str(exc),
        )
        if isinstance(exc, RateLimited):
            page.headers["Retry-After"] = str(exc.retry_after_s)
        return page
    response = RedirectResponse(_home_for(account), status_code=303)
    set_session_cookie(ctx, response, account.id)
    ctx.repo.audit(account.id, "account.signin", f"account:{account.id}", {})
    return response


@router.get("/signup")
def signup_page(request: Request) -> Response:
    """The sign-up form (students; teachers and clinicians are created by an administrator)."""
    token, cookie = _pre_form(request)
    page = render(
        request,
        "signup.html",
        None,
        errors={},
        values={},
        pre=token,
        min_password=services.MIN_PASSWORD,
    )
    cookies.set_pre_cookie(ctx_of(request), page, cookie)
    return page


@router.post("/signup")
def signup_submit(
    request: Request,
    email: Text,
    display_name: Annotated[str, Form(max_length=200)],
    password: Password,
    teacher_email: Text = "",
    pre: Token = "",
) -> Response:
    """Create a student account, then the sign-in page (the same answer whether or not the
    address had an account: nothing here tells who has one); errors are shown per field."""
    ctx = ctx_of(request)
    values = {"email": email, "display_name": display_name, "teacher_email": teacher_email}
    if not _pre_ok(request, pre):
        errors = {"_form": "The form was stale (CSRF check failed). Try again."}
        return render(
            request,
            "signup.html",
            None,
            403,
            errors=errors,
            values=values,
            pre=pre,
            min_password=services.MIN_PASSWORD,
        )
    try:
        services.sign_up(ctx, client_address(request), email, display_name, password, teacher_email)
    except (DataError, RateLimited) as exc:
        errors = exc.problems if isinstance(exc, DataError) else {"_form": str(exc)}
        return render(
            request,
            "signup.html",
            None,
            422 if isinstance(exc, DataError) else 429,
            errors=errors,
            values=values,
            pre=pre,
            min_password=services.MIN_PASSWORD,
        )
    return RedirectResponse("/signin?msg=signed_up", status_code=303)


@router.post("/signout")
def signout(request: Request, user: FormChange) -> Response:
    """Sign out: the server ends the sign-in (a copied cookie stops working)."""
    who = user.pair()
    ctx = ctx_of(request)
    ctx.repo.audit(who[0].id, "account.signout", f"account:{who[0].id}", {})
    response = RedirectResponse("/signin", status_code=303)
    cookies.end_session(ctx, response, who[1])
    return response


@router.get("/account")
def account_page(request: Request, user: CurrentUser) -> Response:
    """A student's account: the teachers and clinicians who follow their practice, a form
    to link one by e-mail and a button to remove each."""
    who = user.pair()
    links = services.links_of(ctx_of(request), who[0])
    return render(request, "account.html", who, links=links, error=None)


@router.post("/account/links")
def link_submit(request: Request, email: Text, user: FormChange) -> Response:
    """Link a teacher or clinician by e-mail (the same answer whether or not it is one)."""
    who = user.pair()
    ctx = ctx_of(request)
    try:
        services.add_link(ctx, who[0], email)
    except (DataError, ConflictError) as exc:
        links = services.links_of(ctx, who[0])
        status = 422 if isinstance(exc, DataError) else 409
        return render(request, "account.html", who, status, links=links, error=str(exc))
    return RedirectResponse("/account?msg=linked", status_code=303)


@router.post("/account/links/{link_id}/delete")
def unlink_submit(request: Request, link_id: Id, user: FormChange) -> Response:
    """Remove a link: that teacher or clinician no longer sees this student."""
    who = user.pair()
    services.remove_link(ctx_of(request), who[0], link_id)
    return RedirectResponse("/account?msg=unlinked", status_code=303)


# ---------------------------------------------------------------------- students


@router.get("/intake")
def intake_page(request: Request, user: StudentUser) -> Response:
    """The intake form, pre-filled with the last answers."""
    who = user.pair()
    ctx = ctx_of(request)
    person = services.own_person(ctx, who[0])
    last = ctx.repo.latest_intake(person.id)
    values = domain.form_values(last.data) if last else {}
    return render(
        request, "intake.html", who, fields=domain.intake_form_fields(), values=values, errors={}
    )


@router.post("/intake")
async def intake_submit(request: Request, user: FormChange) -> Response:
    """Validate the intake (errors per field), store it with a new plan, show the plan."""
    form = await request.form(max_files=0, max_fields=200)
    who = user.pair()
    services.require_student(who[0])
    raw = {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}
    data = domain.form_to_intake_data(raw)
    unknown = sorted(set(raw) - {f.name for f in domain.intake_form_fields()} - {"csrf_token"})
    if unknown:
        return render(
            request,
            "intake.html",
            who,
            422,
            fields=domain.intake_form_fields(),
            values=domain.form_values(data),
            errors={"_form": f"unknown fields: {', '.join(unknown)}"},
        )
    plan, errors = await run_in_threadpool(services.submit_intake, ctx_of(request), who[0], data)
    if plan is None:
        return render(
            request,
            "intake.html",
            who,
            422,
            fields=domain.intake_form_fields(),
            values=domain.form_values(data),
            errors=errors,
        )
    return RedirectResponse("/plan", status_code=303)


def _decision_words(decision: PracticeDecision) -> dict[str, Any]:
    """Planning's decision in plain words for the templates (never a rule id)."""
    plan = decision.plan
    status = decision.headline_status  # never "ready" above twists all shut
    views = domain.variant_views(decision)
    return {
        "plan": None if plan is None else plan.to_json_dict(),
        "headline": decision.headline,
        "headline_status": status,
        "names": domain.variant_names(),
        "views": views,
        "guides": [domain.pose_guide(p.variant_id, p.cap_deg) for p in decision.allowed],
        "reason_groups": domain.reason_groups(views),
        "pain_rule": domain.wording().pain_rule,
        "allowed": domain.allowed_variants(decision),
        "decision_reasons": tuple(r.text for r in decision.reasons),
        "open_flags": domain.flag_words(decision),
        "needs_checkin": decision.needs_checkin,
        "care_plan": decision.clinician_plan,
        # The care plan as planning uses it (its caps clipped where planning clips them).
        "care_twists": domain.care_plan_twists(decision),
    }


@router.get("/plan")
def plan_page(request: Request, user: CurrentUser) -> Response:
    """The plan in plain words: planning's verdict on every variant, with its reasons."""
    who = user.pair()
    ctx = ctx_of(request)
    person = services.own_person(ctx, who[0])
    decision = services.decision_for(ctx, person.id)
    return render(
        request,
        "plan.html",
        who,
        nobody_linked=not services.links_of(ctx, who[0]),
        **_decision_words(decision),
    )


def _camera_advice(family: str = "supine_twist") -> str:
    """Where to put the camera, in the tracker's own words (one source for every page): the
    knee-drop tracker's for a supine twist, the trunk-rotation tracker's for the others
    (``rules/seated_camera.yaml``; :meth:`twistcoach.session.LiveSession.create`)."""
    if family != "supine_twist":
        from twistcoach.seated_tracking import load_seated_camera_advice

        return load_seated_camera_advice().recommended
    from twistcoach.recognition import ADVICE_RECOMMENDED

    return ADVICE_RECOMMENDED


def _practice_start(
    request: Request, who: tuple[AccountRecord, SessionData], error: str | None, status: int
) -> Response:
    ctx = ctx_of(request)
    person = services.own_person(ctx, who[0])
    decision = services.decision_for(ctx, person.id)
    return render(
        request,
        "practice_start.html",
        who,
        status,
        error=error,
        checkin=load_safety_rules().checkin,
        camera_advice={f.value: _camera_advice(f.value) for f in TwistFamily},
        nobody_linked=not services.links_of(ctx, who[0]),
        **_decision_words(decision),
    )


@router.get("/practice")
def practice_start_page(request: Request, user: StudentUser) -> Response:
    """Choose a variant planning allows now (with its cap for this session) and say the
    pain now; when nothing is allowed, why; when planning asks for one, the check-in."""
    who = user.pair()
    return _practice_start(request, who, None, 200)


def _yes_no(value: str, what: str) -> bool:
    if value not in ("yes", "no"):
        raise DataError(f"answer {what} with yes or no")
    return value == "yes"


@router.post("/practice/checkin")
def checkin_submit(
    request: Request,
    back: Annotated[str, Form(max_length=20)],
    new_leg_symptoms: Annotated[str, Form(max_length=5)],
    weakness_or_numbness: Annotated[str, Form(max_length=5)],
    user: FormChange,
) -> Response:
    """Store the check-in after sharp pain; back to the practice page, which then offers
    practice or says why not."""
    who = user.pair()
    services.record_checkin(
        ctx_of(request),
        who[0],
        back,
        _yes_no(new_leg_symptoms, "the question about leg symptoms"),
        _yes_no(weakness_or_numbness, "the question about weakness or numbness"),
    )
    return RedirectResponse("/practice?msg=checkin", status_code=303)


@router.post("/practice")
def practice_start(
    request: Request,
    variant: Annotated[str, Form(max_length=100)],
    start_pain: Annotated[int, Form(ge=0, le=10)],
    user: FormChange,
    body: Annotated[str, Form(max_length=20)] = "neutral",
    time_zone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Open a session for an allowed variant and go to the live page (``time_zone``: the
    browser's, filled in by the page's script; empty when it has none)."""
    who = user.pair()
    body_type = _body_type(body)
    if who[0].role == Role.STUDENT and variant not in domain.variant_names():
        # On the start page, in the same words as the API's 422 (never the library's ids).
        return _practice_start(request, who, services.UNKNOWN_TWIST, 422)
    try:
        session_id = services.start_practice(
            ctx_of(request), who[0], variant, start_pain, time_zone or None
        )
    except (NotAllowed, ConflictError) as exc:
        if who[0].role != Role.STUDENT:
            raise
        return _practice_start(request, who, str(exc), 403 if isinstance(exc, NotAllowed) else 409)
    return RedirectResponse(f"/practice/{session_id}?body={body_type}", status_code=303)


def _body_type(body: str) -> str:
    """The ``metrics.BodyType`` value of a form or query field (400 when unknown)."""
    from twistcoach.metrics import BodyType

    try:
        return BodyType.parse(body).value
    except ValueError as e:
        raise HTTPException(400, f"unknown body type: {e}") from None


#: MediaPipe's options in the browser (``@mediapipe/pose``), the same as the Python
#: estimator's for live streams, so the live coach gets the landmarks it was measured with.
_BROWSER_POSE_OPTIONS = {
    "modelComplexity": estimator.LIVE_MODEL,
    "smoothLandmarks": estimator.SMOOTH_LANDMARKS,
    "minDetectionConfidence": estimator.MIN_DETECTION_CONFIDENCE,
    "minTrackingConfidence": estimator.MIN_TRACKING_CONFIDENCE,
}


@router.get("/practice/{session_id}")
def practice_page(
    request: Request, user: CurrentUser, session_id: Id, body: str = "neutral"
) -> Response:
    """The live coach page (camera, skeleton, gauge, cues, pain buttons); ``body`` is the
    body type the camera's body model uses (chosen on the start page)."""
    who = user.pair()
    body_type = _body_type(body)
    detail = services.visible_session(ctx_of(request), who[0], session_id)
    if who[0].role != Role.STUDENT:
        raise NotAllowed("only the student practises their own session")
    names = domain.variant_names()
    guide = domain.pose_guide(detail.session.variant_id, detail.session.cap_deg)
    return render(
        request,
        "practice.html",
        who,
        session=detail.session,
        variant_name=names.get(detail.session.variant_id, detail.session.variant_id),
        body=body_type,
        guide=guide,
        pain_rule=domain.wording().pain_rule,
        camera_advice=_camera_advice(guide.family),
        pose_options=_BROWSER_POSE_OPTIONS,
    )


def _sessions_context(
    ctx: AppContext, person_id: int, decision: PracticeDecision
) -> dict[str, Any]:
    progression = decision.progression
    summaries = ctx.repo.list_sessions(person_id)
    return {
        "summaries": summaries,
        "chart": domain.progress_chart(summaries),
        "names": domain.variant_names(),
        "suggestion": domain.suggestion_view(progression),
        "decisions": list(reversed(ctx.repo.list_decisions(person_id))),
    }


@router.get("/history")
def history_page(request: Request, user: CurrentUser) -> Response:
    """The student's sessions with plots and the progression suggestion."""
    who = user.pair()
    ctx = ctx_of(request)
    person = services.own_person(ctx, who[0])
    decision = services.decision_for(ctx, person.id)
    return render(
        request,
        "history.html",
        who,
        person=person,
        person_view=False,
        reader="person",  # the student's own sessions, in the words said to them
        # Waiting for a review nobody can give: say how to link someone who can.
        no_reviewer=decision.awaits_review and not services.links_of(ctx, who[0]),
        **_sessions_context(ctx, person.id, decision),
    )


def _plot_png(detail: SessionDetail, lang: str = "en", narrow: bool = False) -> bytes:
    """The session's plot (the same drawing as ``twistcoach sessions show --plot``; drawn
    for a phone's screen when ``narrow``), PNG."""
    from twistcoach.storage.plot import plot_session

    with tempfile.TemporaryDirectory(prefix="twistcoach-plot-") as folder:
        words = i18n.translator(lang).text  # the plot's words in the reader's language
        return plot_session(detail, Path(folder) / "plot.png", t=words, narrow=narrow).read_bytes()


@router.get("/sessions/{session_id}")
def session_page(request: Request, user: CurrentUser, session_id: Id) -> Response:
    """One session: plot and every event."""
    who = user.pair()
    ctx = ctx_of(request)
    detail = services.visible_session(ctx, who[0], session_id)
    person = ctx.repo.get_person(detail.session.person_id)
    # The student reading their own session reads its events as said to them ("you paused
    # it"), the staff as said about the student ("the student paused it").
    reader: Reader = "person" if person.account_id == who[0].id else "staff"
    return render(
        request,
        "session.html",
        who,
        session=detail.session,
        person=person,
        reader=reader,
        events=detail.events,
        timeline=domain.timeline(detail.events, reader),
        timeline_kinds=TIMELINE_KINDS,
        names=domain.variant_names(),
    )


@router.get("/sessions/{session_id}/plot.png")
def session_plot(
    request: Request, user: CurrentUser, session_id: Id, narrow: bool = False
) -> Response:
    """The session's plot: knee drop against the cap band, pain reports marked
    (``?narrow=true``: drawn for a phone's screen, which the session page asks for there)."""
    who = user.pair()
    detail = services.visible_session(ctx_of(request), who[0], session_id)
    # Health data like the page: never cached (the app's no-store; it was kept for a
    # minute, and showed after sign-out).
    return Response(_plot_png(detail, request_language(request), narrow), media_type="image/png")


# ------------------------------------------------------------------------- staff


@router.get("/dashboard")
def dashboard(request: Request, user: CurrentUser) -> Response:
    """The roster: plan status, last session, pain trend and flags of each student."""
    who = user.pair()
    rows = services.roster(ctx_of(request), who[0])
    return render(request, "dashboard.html", who, rows=rows, recent=services.RECENT_SESSIONS)


def _student_context(ctx: AppContext, person_id: int, staff: AccountRecord) -> dict[str, Any]:
    decision = services.decision_for(ctx, person_id)
    intake = ctx.repo.latest_intake(person_id)
    clearances = ctx.repo.list_clearances(person_id)
    role = ClearanceBy.CLINICIAN if staff.role == Role.CLINICIAN else ClearanceBy.TEACHER
    return {
        # A teacher cannot close nerve signs after sharp pain: the form says so instead.
        "review_refused": services.review_refusal(staff, decision),
        # Clearances given before nerve signs that this reviewer's review makes count again.
        "review_revives": services.review_revives(ctx, staff, person_id, decision),
        **_decision_words(decision),
        **_sessions_context(ctx, person_id, decision),
        "back_condition": has_back_condition(intake.intake if intake else None),
        "clearances": clearances,
        # The clearances this viewer may withdraw (planning's rule: may_withdraw).
        "withdrawable": {
            c.id
            for c in clearances
            if c.withdrawal is None
            and may_withdraw(role, ClearanceBy(c.by_role), c.recorded_by == staff.id) is None
        },
        "withdraw_error": None,
        "withdraw_failed": None,
        "withdraw_reason": "",
        "max_withdrawal_reason": services.MAX_WITHDRAWAL_REASON,
        "max_note": services.MAX_NOTE,
        "variant_ids": list(domain.variant_names()),
        "today": ctx.repo.now().date().isoformat(),
        # The browser's date picker stops where the server's check does.
        "latest_date": latest_today(ctx.repo.now()).isoformat(),
        "clearance_error": None,
        # A form sent back to be corrected: each problem beside its field, what was typed
        # kept (it was a generic page naming the fields' ids, and the typing was lost).
        "clearance_errors": {},
        "clearance_values": {},
        "review_error": None,
        "review_errors": {},
        "review_values": {},
        "progression_error": None,
    }


def _student_page(
    request: Request,
    who: tuple[AccountRecord, SessionData],
    person_id: int,
    status: int = 200,
    **errors: Any,
) -> Response:
    ctx = ctx_of(request)
    person = services.visible_person(ctx, who[0], person_id)
    values = _student_context(ctx, person.id, who[0]) | errors
    return render(request, "student.html", who, status, person=person, **values)


@router.get("/students/{person_id}")
def student_page(request: Request, user: CurrentUser, person_id: Id) -> Response:
    """A student's plan as planning decides it, open safety flags with the review form,
    sessions with plots, progression and the clearance form."""
    who = user.pair()
    services.require_staff(who[0])
    return _student_page(request, who, person_id)


@router.post("/students/{person_id}/progression")
def progression_decision(
    request: Request,
    person_id: Id,
    user: FormChange,
    decision: Annotated[str, Form()] = "",
) -> Response:
    """Approve or decline the progression suggestion (anything else: the page again, saying
    so in plain words)."""
    who = user.pair()
    try:
        services.decide_progression(ctx_of(request), who[0], person_id, decision)
    except (ConflictError, DataError) as exc:
        status = 409 if isinstance(exc, ConflictError) else 422
        return _student_page(request, who, person_id, status, progression_error=str(exc))
    return RedirectResponse(f"/students/{person_id}?msg={decision}", status_code=303)


@router.post("/students/{person_id}/review")
def review_submit(
    request: Request,
    person_id: Id,
    user: FormChange,
    note: Annotated[str, Form()] = "",
    keep_clearances: Annotated[str, Form()] = "",
    revived_clearances: Annotated[str, Form()] = "",
    withdrawal_reason: Annotated[str, Form()] = "",
) -> Response:
    """Record a review of the student's open safety flags (closes them). When it would make
    clearances given before them count again, the form asks: ``revived_clearances`` is
    ``keep`` (they still stand; ``keep_clearances`` says the same) or ``withdraw`` (withdrawn
    with the review, in one step, for ``withdrawal_reason``)."""
    who = user.pair()
    # The lengths are the service's to check (one limit, one message, the typing kept).
    typed = {
        "note": note,
        "revived_clearances": revived_clearances,
        "withdrawal_reason": withdrawal_reason,
    }
    if revived_clearances not in ("", "keep", "withdraw"):
        said = services.staff_words("choose_revived")
        return _student_page(
            request,
            who,
            person_id,
            422,
            review_errors={"revived_clearances": said},
            review_values=typed,
        )
    withdraw = revived_clearances == "withdraw"
    try:
        after = services.record_review(
            ctx_of(request),
            who[0],
            person_id,
            note,
            keep_clearances=keep_clearances in ("true", "on", "1") or revived_clearances == "keep",
            withdraw_clearances=withdraw,
            withdrawal_reason=withdrawal_reason,
        )
    except (ConflictError, DataError, NotAllowed) as exc:
        status = {ConflictError: 409, NotAllowed: 403}.get(type(exc), 422)
        problems = exc.problems or {}
        return _student_page(
            request,
            who,
            person_id,
            status,
            review_error=None if problems else str(exc),
            review_errors=problems,
            review_values=typed,
        )
    # Never "flags are closed" while one stays open (a teacher cannot close nerve signs).
    said = "reviewed_some" if after.open_flags else "reviewed"
    if withdraw and not after.open_flags:
        said = "reviewed_withdrawn"
    return RedirectResponse(f"/students/{person_id}?msg={said}", status_code=303)


@router.post("/students/{person_id}/clearances/{clearance_id}/withdraw")
def clearance_withdraw(
    request: Request,
    person_id: Id,
    clearance_id: Id,
    user: FormChange,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Withdraw one clearance of the student, with a reason (planning's ``may_withdraw``
    decides who may): it stays on record and counts no more, on every surface. The
    reason's length is the service's to check: one limit (``MAX_WITHDRAWAL_REASON``), the
    one the form and its message name."""
    who = user.pair()
    services.require_staff(who[0])
    try:
        services.withdraw_clearance(ctx_of(request), who[0], person_id, clearance_id, reason)
    except (ConflictError, DataError, NotAllowed) as exc:
        status = {ConflictError: 409, NotAllowed: 403}.get(type(exc), 422)
        return _student_page(
            request,
            who,
            person_id,
            status,
            withdraw_error=str(exc),
            withdraw_failed=str(clearance_id),
            withdraw_reason=reason,
        )
    return RedirectResponse(f"/students/{person_id}?msg=withdrawn", status_code=303)


@router.post("/students/{person_id}/clearance")
def clearance_submit(
    request: Request,
    person_id: Id,
    user: FormChange,
    variants: Annotated[list[str] | None, Form()] = None,
    max_knee_drop_deg: Annotated[str, Form()] = "",
    date: Annotated[str, Form()] = "",
    max_trunk_rotation_deg: Annotated[str, Form()] = "",
) -> Response:
    """Record a clearance (planning decides who may clear whom) and show the new plan;
    the trunk-rotation limit (seated and standing variants) is optional: left empty, the
    clearance sets none. A value to correct brings the form back with each problem beside
    its field, in plain words, and what was typed kept."""
    who = user.pair()
    ctx = ctx_of(request)
    chosen = list(variants or ())
    typed = {
        "variants": chosen,
        "max_knee_drop_deg": max_knee_drop_deg,
        "date": date,
        "max_trunk_rotation_deg": max_trunk_rotation_deg,
    }
    form, problems = services.read_clearance_form(
        chosen, max_knee_drop_deg, date, max_trunk_rotation_deg
    )
    if form is None:
        return _student_page(
            request, who, person_id, 422, clearance_errors=problems, clearance_values=typed
        )
    try:
        decision = services.record_clearance(
            ctx,
            who[0],
            person_id,
            form.variants,
            form.max_knee_drop_deg,
            form.date,
            max_trunk_rotation_deg=form.max_trunk_rotation_deg,
        )
    except (NotAllowed, ConflictError, DataError) as exc:
        status = (
            403 if isinstance(exc, NotAllowed) else 409 if isinstance(exc, ConflictError) else 422
        )
        problems = exc.problems if isinstance(exc, DataError) else {}
        return _student_page(
            request,
            who,
            person_id,
            status,
            clearance_error=None if problems else str(exc),
            clearance_errors=problems,
            clearance_values=typed,
        )
    return RedirectResponse(
        f"/students/{person_id}?msg={_cleared_words(decision, form)}", status_code=303
    )


def _cleared_words(decision: PracticeDecision, form: services.ClearanceForm) -> str:
    """The status message (a :data:`FLASH` code) after a clearance, from planning's decision
    with it: what it did, or the real cause when it opened nothing."""
    if decision.open_flags:
        return "cleared_held"
    named = [decision.permission(v) for v in form.variants]
    if any(p.plan_status is VariantStatus.ALLOWED for p in named):
        return "cleared"
    # Recorded, but it opens none of the twists it names. Planning counts a clearance from
    # its date on the student's calendar: one dated after their today waits for that day
    # (screening's reason on each twist says so); else a rule it cannot lift holds them (a
    # red flag for a teacher, emergency signs for anyone). Never "the plan was made again".
    dated = form.date.isoformat()
    if any(r.rule == domain.NOT_YET_RULE and dated in r.text for p in named for r in p.reasons):
        return "cleared_not_yet"
    return "cleared_nothing"
