"""What the pages and the JSON API both do, once: accounts, intake, plans, roster, decisions.

Every rule about who may see or change what lives here and is enforced on the server:
a student sees only their own data, a teacher only their own students
(``people.teacher_id``), a clinician every student (clinicians are the deployment's
clinical reviewers: they sign off clearances for anyone, as the demo data assumes), and
only clinicians and teachers trained for back problems may clear a student who has a back
condition (:func:`twistcoach.planning.may_clear`). Every change is written to the audit log
with its actor.

What a student may practise now, to what cap and why is never computed here: every service
asks :func:`twistcoach.storage.progress.decide_for_person` (planning), the same call as the
CLI, so the web and the CLI cannot disagree about safety.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException
from pydantic import ValidationError

from twistcoach.intake import Clearance, ClearanceBy, describe_validation_error
from twistcoach.planning import BackFeeling, PracticeDecision, may_clear
from twistcoach.storage.db import StorageError
from twistcoach.storage.models import Role, SessionStatus
from twistcoach.storage.progress import decide_for_person
from twistcoach.storage.records import (
    AccountRecord,
    PersonRecord,
    SessionDetail,
    SessionSummary,
)
from twistcoach.storage.repository import NotFoundError
from twistcoach.web import domain
from twistcoach.web.context import AppContext

MIN_PASSWORD = 10
MAX_PASSWORD = 200
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
#: How many recent sessions the roster's flags look at.
RECENT_SESSIONS = 5


class Forbidden(HTTPException):
    """403 with a plain reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(status_code=403, detail=reason)


class NotFound(HTTPException):
    """404 with a plain reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(status_code=404, detail=reason)


def require_student(account: AccountRecord) -> None:
    """Only students have intakes, plans and practice of their own."""
    if account.role != Role.STUDENT:
        raise Forbidden("this page is for students; teachers and clinicians use the dashboard")


def require_staff(account: AccountRecord) -> None:
    """Only teachers and clinicians see rosters and make decisions."""
    if account.role not in (Role.TEACHER, Role.CLINICIAN):
        raise Forbidden("only teachers and clinicians may do this")


# ------------------------------------------------------------------------- accounts


def validate_signup(
    ctx: AppContext, email: str, display_name: str, password: str, teacher_email: str
) -> tuple[dict[str, str], AccountRecord | None]:
    """Check a sign-up; returns (errors by field, the teacher's account if one was named)."""
    errors: dict[str, str] = {}
    if not display_name.strip() or len(display_name) > 200:
        errors["display_name"] = "Give your name (1 to 200 characters)."
    if not EMAIL_RE.match(email.strip()):
        errors["email"] = "Give a valid e-mail address."
    elif ctx.repo.find_account(email) is not None:
        errors["email"] = "An account with this e-mail already exists; sign in instead."
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        errors["password"] = f"The password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters."
    teacher: AccountRecord | None = None
    if teacher_email.strip():
        teacher = ctx.repo.find_account(teacher_email)
        if teacher is None or teacher.role not in (Role.TEACHER, Role.CLINICIAN):
            errors["teacher_email"] = "No teacher or clinician has this e-mail address."
            teacher = None
    return errors, teacher


def sign_up_student(
    ctx: AppContext, email: str, display_name: str, password: str, teacher: AccountRecord | None
) -> AccountRecord:
    """Create a student account and profile (linked to ``teacher``), audited."""
    account = ctx.repo.create_account(
        email, display_name, ctx.passwords.hash(password), Role.STUDENT.value
    )
    name = display_name.strip()
    suffix = 1
    while ctx.repo.find_person(name) is not None:  # people's names are unique
        suffix += 1
        name = f"{display_name.strip()} ({suffix})"
    person = ctx.repo.create_person(
        name, account_id=account.id, teacher_id=None if teacher is None else teacher.id
    )
    ctx.repo.audit(
        account.id,
        "account.signup",
        f"person:{person.id}",
        {"role": account.role, "teacher_id": person.teacher_id},
    )
    return account


class SignInRefused(HTTPException):
    """401 (bad credentials) or 429 (rate limited), without saying which part was wrong."""


def sign_in(ctx: AppContext, email: str, password: str, client: str) -> AccountRecord:
    """Check credentials under the rate limit (per e-mail and per client address).

    Raises
    ------
    SignInRefused
        429 with ``Retry-After`` when too many recent failures, else 401.
    """
    now = ctx.monotonic_s()
    keys = (f"email:{email.strip().lower()}", f"client:{client}")
    limiter = ctx.signin_limiter
    if any(limiter.blocked(k, now) for k in keys):
        wait = max(limiter.retry_after_s(k, now) for k in keys)
        raise SignInRefused(
            status_code=429,
            detail=f"Too many failed sign-ins. Try again in {int(wait) + 1} seconds.",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    account = ctx.repo.find_account(email) if len(email) <= 320 else None
    if account is None or not ctx.passwords.verify(account.password_hash, password):
        for k in keys:
            limiter.fail(k, now)
        raise SignInRefused(status_code=401, detail="Wrong e-mail or password.")
    limiter.reset(keys[0])
    return account


# ---------------------------------------------------------------------- students


def own_person(ctx: AppContext, account: AccountRecord) -> PersonRecord:
    """The signed-in student's profile (created when an old account lacks one)."""
    require_student(account)
    person = ctx.repo.person_for_account(account.id)
    if person is None:
        person = ctx.repo.create_person(f"{account.display_name} <{account.email}>", account.id)
    return person


def visible_person(ctx: AppContext, viewer: AccountRecord, person_id: int) -> PersonRecord:
    """A person the viewer may see; 404 when unknown, 403 when not theirs."""
    try:
        person = ctx.repo.get_person(person_id)
    except NotFoundError:
        raise NotFound(f"no student with id {person_id}") from None
    if viewer.role == Role.STUDENT:
        if person.account_id != viewer.id:
            raise Forbidden("you may only see your own practice")
    elif viewer.role == Role.TEACHER and person.teacher_id != viewer.id:
        raise Forbidden("this student is not one of yours")
    return person


def visible_session(ctx: AppContext, viewer: AccountRecord, session_id: int) -> SessionDetail:
    """A session the viewer may see; 404 when unknown, 403 when not theirs."""
    try:
        detail = ctx.repo.get_session(session_id)
    except NotFoundError:
        raise NotFound(f"no session with id {session_id}") from None
    visible_person(ctx, viewer, detail.session.person_id)
    return detail


def submit_intake(
    ctx: AppContext, account: AccountRecord, data: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Validate and store a student's intake (their answers only) and make their plan.

    Clearances are recorded by staff and stored apart; planning merges them with the newest
    intake, so a new intake never loses a clinician's clearance. The stored plan is
    planning's (screening with those clearances). Returns (plan, {}) or (None, errors by
    field).
    """
    person = own_person(ctx, account)
    if "clearances" in data:
        return None, {"clearances": "clearances are recorded by a teacher or clinician"}
    intake, errors = domain.validate_intake(data)
    if intake is None:
        return None, errors
    intake_row = ctx.repo.save_intake(person.id, intake.to_json_dict())
    decision = decision_for(ctx, person.id)
    plan = {} if decision.plan is None else decision.plan.to_json_dict()
    plan_row = ctx.repo.save_plan(person.id, intake_row.id, plan, str(plan.get("status")))
    ctx.repo.audit(
        account.id,
        "intake.submit",
        f"person:{person.id}",
        {"plan_id": plan_row.id, "status": plan.get("status")},
    )
    return plan, {}


def decision_for(
    ctx: AppContext, person_id: int, *, progression_variant: str | None = None
) -> PracticeDecision:
    """Planning's decision for a person now (the repository's clock): the one authority on
    what they may practise, to what cap, and why."""
    return decide_for_person(ctx.repo, person_id, progression_variant=progression_variant)


def _plan_row_for(ctx: AppContext, person_id: int, decision: PracticeDecision) -> int | None:
    """The id of a stored plan equal to planning's current plan (stored anew when the
    newest one differs), so a session's plan row never disagrees with its permission."""
    if decision.plan is None:
        return None
    plan = decision.plan.to_json_dict()
    row = ctx.repo.latest_plan(person_id)
    if row is not None and row.data == plan:
        return row.id
    intake = ctx.repo.latest_intake(person_id)
    stored = ctx.repo.save_plan(
        person_id, None if intake is None else intake.id, plan, str(plan["status"])
    )
    return stored.id


def start_practice(
    ctx: AppContext, account: AccountRecord, variant_id: str, start_pain: int
) -> int:
    """Open a practice session for a variant planning allows now; returns its id.

    The session's cap is planning's cap for this session. Refused with 403 and planning's
    plain reason (a sharp-pain lock for the rest of the day, a check-in first, a flag
    waiting for review, the plan) when the variant is not allowed now: the server, not the
    page, decides what may be practised. An unknown variant is 422.
    """
    person = own_person(ctx, account)
    if not 0 <= start_pain <= 10:
        raise HTTPException(422, "start_pain must be a whole number from 0 to 10")
    decision = decision_for(ctx, person.id)
    try:
        permission = decision.permission(variant_id)
    except KeyError as exc:
        raise HTTPException(422, str(exc.args[0])) from None
    if not permission.allowed or permission.cap_deg is None:
        raise Forbidden(decision.refusal(variant_id) or "not allowed now")
    plan_id = _plan_row_for(ctx, person.id, decision)
    record = ctx.repo.start_session(
        person.id,
        variant_id,
        permission.cap_deg,
        source="browser",
        start_pain=start_pain,
        plan_id=plan_id,
    )
    ctx.repo.audit(
        account.id,
        "session.start",
        f"session:{record.id}",
        {
            "variant": variant_id,
            "cap_deg": permission.cap_deg,
            "plan_cap_deg": permission.plan_cap_deg,
            "rules": [r.rule for r in permission.reasons],
        },
    )
    return record.id


def record_checkin(
    ctx: AppContext,
    account: AccountRecord,
    back: str,
    new_leg_symptoms: bool,
    weakness_or_numbness: bool,
) -> PracticeDecision:
    """Store a student's check-in after sharp pain (audited); returns planning's new decision.

    Only when planning asks for one (``decision.needs_checkin``); 409 otherwise, 422 for an
    answer that is not ``better``, ``same`` or ``worse``.
    """
    person = own_person(ctx, account)
    try:
        feeling = BackFeeling(back)
    except ValueError:
        choices = ", ".join(b.value for b in BackFeeling)
        raise HTTPException(422, f"back must be one of {choices}") from None
    if not decision_for(ctx, person.id).needs_checkin:
        raise HTTPException(409, "no check-in is needed now")
    record = ctx.repo.record_checkin(
        person.id, feeling.value, bool(new_leg_symptoms), bool(weakness_or_numbness)
    )
    decision = decision_for(ctx, person.id)
    ctx.repo.audit(
        account.id,
        "safety.checkin",
        f"person:{person.id}",
        {
            "checkin_id": record.id,
            "back": feeling.value,
            "new_leg_symptoms": bool(new_leg_symptoms),
            "weakness_or_numbness": bool(weakness_or_numbness),
            "allowed": [p.variant_id for p in decision.allowed],
            "rules": [r.rule for r in decision.reasons],
        },
    )
    return decision


#: The longest review note kept (characters).
MAX_NOTE = 2000


def record_review(
    ctx: AppContext, staff: AccountRecord, person_id: int, note: str
) -> PracticeDecision:
    """A teacher or clinician who can see the student reviews their open safety flags
    (audited); returns planning's new decision.

    The review closes every flag raised before it. 409 when no flag is open, 422 for an
    empty or over-long note.
    """
    require_staff(staff)
    person = visible_person(ctx, staff, person_id)
    text = note.strip()
    if not text or len(text) > MAX_NOTE:
        raise HTTPException(422, f"write a note of 1 to {MAX_NOTE} characters")
    before = decision_for(ctx, person.id)
    if not before.open_flags:
        raise HTTPException(409, "this student has no safety flag waiting for review")
    by = ClearanceBy.CLINICIAN if staff.role == Role.CLINICIAN else ClearanceBy.TEACHER
    record = ctx.repo.record_review(
        person.id, by.value, staff.display_name, text, reviewed_by=staff.id
    )
    ctx.repo.audit(
        staff.id,
        "safety.review",
        f"person:{person.id}",
        {
            "review_id": record.id,
            "flags": [
                {"kind": f.kind.value, "rule": f.reason.rule, "raised_at": f.raised_at.isoformat()}
                for f in before.open_flags
            ],
        },
    )
    return decision_for(ctx, person.id)


# ------------------------------------------------------------------------ roster


@dataclass(frozen=True)
class RosterRow:
    """One student on a teacher's or clinician's dashboard.

    Attributes
    ----------
    pain_trend
        ``rising``, ``falling``, ``steady`` or ``no data``: the highest pain of each of the
        last sessions, oldest to newest, last against first.
    flags
        Plain reasons needing attention: first planning's open safety flags (each "...
        waiting for review"), then pain rose in a session, a session was stopped, sessions
        went over the cap, or the plan says to see a clinician.
    open_flags
        Planning's open safety flags alone (the first ``len(open_flags)`` of ``flags``).
    """

    person: PersonRecord
    plan_status: str
    last: SessionSummary | None
    pain_trend: str
    flags: tuple[str, ...]
    open_flags: tuple[str, ...] = ()


def pain_trend(summaries_oldest_first: Sequence[SessionSummary]) -> str:
    """Trend of the per-session highest pain over the recent sessions."""
    peaks = [s.max_pain for s in summaries_oldest_first if s.max_pain is not None]
    if len(peaks) < 2:
        return "no data"
    if peaks[-1] > peaks[0]:
        return "rising"
    if peaks[-1] < peaks[0]:
        return "falling"
    return "steady"


def flags_for(plan_status: str, recent_oldest_first: Sequence[SessionSummary]) -> tuple[str, ...]:
    """The reasons a student needs attention (see :class:`RosterRow`)."""
    flags: list[str] = []
    if plan_status in ("see_clinician_first", "seek_care_now"):
        flags.append("see a clinician first")
    rises = [s for s in recent_oldest_first if (s.pain_rise or 0) >= 2 or s.sharp_pain]
    if rises or pain_trend(recent_oldest_first) == "rising":
        flags.append("pain rises")
    stops = [s for s in recent_oldest_first if s.session.status == SessionStatus.STOPPED]
    if stops:
        flags.append(f"{len(stops)} stopped")
    over = [s for s in recent_oldest_first if s.over_cap_samples > 0]
    if over:
        flags.append(f"{len(over)} over the cap")
    return tuple(flags)


def roster(ctx: AppContext, staff: AccountRecord) -> list[RosterRow]:
    """The staff member's students with plan status, last session, pain trend and flags."""
    require_staff(staff)
    rows: list[RosterRow] = []
    # A teacher's own students; a clinician reviews every student (see the module docs).
    teacher_id = staff.id if staff.role == Role.TEACHER else None
    for person in ctx.repo.list_people(teacher_id=teacher_id):
        decision = decision_for(ctx, person.id)
        status = "no intake" if decision.plan is None else decision.plan.status.value
        recent = ctx.repo.list_sessions(person.id, limit=RECENT_SESSIONS)  # newest first
        oldest_first = list(reversed(recent))
        open_flags = domain.flag_words(decision)
        rows.append(
            RosterRow(
                person=person,
                plan_status=status,
                last=recent[0] if recent else None,
                pain_trend=pain_trend(oldest_first),
                flags=open_flags + flags_for(status, oldest_first),
                open_flags=open_flags,
            )
        )
    return rows


# -------------------------------------------------------------- staff decisions


def decide_progression(
    ctx: AppContext, staff: AccountRecord, person_id: int, decision: str
) -> None:
    """Approve or decline the student's current progression suggestion (audited)."""
    require_staff(staff)
    person = visible_person(ctx, staff, person_id)
    if decision not in ("approved", "declined"):
        raise HTTPException(422, "decision must be 'approved' or 'declined'")
    progression = decision_for(ctx, person.id).progression
    if progression is None:
        raise HTTPException(409, "there is no progression suggestion to decide on")
    suggestion = progression.to_dict()
    record = ctx.repo.record_decision(person.id, suggestion, decision, staff.id)
    ctx.repo.audit(
        staff.id,
        f"progression.{decision}",
        f"person:{person.id}",
        {"decision_id": record.id, "suggestion": suggestion},
    )


def record_clearance(
    ctx: AppContext,
    staff: AccountRecord,
    person_id: int,
    variants: Sequence[str],
    max_knee_drop_deg: float | None,
    date: dt.date,
) -> PracticeDecision:
    """Record a clearance; returns planning's decision with it.

    Who may clear whom is planning's rule (:func:`twistcoach.planning.may_clear`): only
    clinicians, and teachers recorded as trained for back problems, may clear a student
    with a back condition (CLINICAL.md §3); anyone else gets 403 with the reason. The
    clearance is stored on its own (planning merges it with the intake); while a safety
    flag is open it is kept but raises no cap and unlocks nothing until a review.
    """
    require_staff(staff)
    person = visible_person(ctx, staff, person_id)
    intake_row = ctx.repo.latest_intake(person.id)
    if intake_row is None:
        raise HTTPException(409, "this student has no intake yet: nothing to clear")
    by = ClearanceBy.CLINICIAN if staff.role == Role.CLINICIAN else ClearanceBy.TEACHER
    trained = by is ClearanceBy.TEACHER and staff.trained_for_back_problems
    refusal = may_clear(by, trained, intake_row.intake)
    if refusal is not None:
        raise Forbidden(refusal.text)
    known = set(domain.variant_names())
    unknown = [v for v in variants if v not in known]
    if not variants or unknown:
        raise HTTPException(
            422,
            f"choose variants from: {', '.join(sorted(known))}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
        )
    if max_knee_drop_deg is not None and not 5 <= max_knee_drop_deg <= 90:
        raise HTTPException(422, "max_knee_drop_deg must be from 5 to 90 degrees")
    try:
        Clearance(
            by=by,
            name=staff.display_name,
            date=date,
            variants=tuple(variants),
            max_knee_drop_deg=max_knee_drop_deg,
            teacher_trained_for_back_problems=trained,
        )
    except ValidationError as exc:
        raise HTTPException(422, describe_validation_error(exc)) from None
    try:
        record = ctx.repo.record_clearance(
            person.id,
            by.value,
            staff.display_name,
            date,
            list(variants),
            max_knee_drop_deg,
            teacher_trained_for_back_problems=trained,
            recorded_by=staff.id,
        )
    except StorageError as exc:
        raise HTTPException(422, str(exc)) from None
    decision = decision_for(ctx, person.id)
    plan_id = _plan_row_for(ctx, person.id, decision)
    ctx.repo.audit(
        staff.id,
        "clearance.record",
        f"person:{person.id}",
        {
            "clearance_id": record.id,
            "variants": list(variants),
            "max_knee_drop_deg": max_knee_drop_deg,
            "plan_id": plan_id,
            "open_flags": [f.reason.rule for f in decision.open_flags],
        },
    )
    return decision
