"""What the pages and the JSON API both do, once: accounts, intake, plans, roster, decisions.

Every rule about who may see or change what lives here and is enforced on the server:
a student sees only their own data, a teacher only their own students
(``people.teacher_id``), a clinician every student (clinicians are the deployment's
clinical reviewers: they sign off clearances for anyone, as the demo data assumes), and
only clinicians and teachers trained for back problems may clear a student who has a back
condition. Every change is written to the audit log with its actor.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException

from twistcoach.storage.db import StorageError
from twistcoach.storage.models import Role, SessionStatus
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
    """Validate and store a student's intake and make their plan.

    Clearances already recorded for the student are carried into the new intake, so a new
    intake never loses a clinician's clearance. Returns (plan, {}) or (None, errors by field).
    """
    person = own_person(ctx, account)
    if "clearances" in data:
        return None, {"clearances": "clearances are recorded by a teacher or clinician"}
    merged = dict(data)
    merged["clearances"] = _stored_clearances(ctx, person.id)
    intake, errors = domain.validate_intake(merged)
    if intake is None:
        return None, errors
    plan = domain.make_plan(intake)
    intake_row = ctx.repo.save_intake(person.id, intake.to_json_dict())
    plan_row = ctx.repo.save_plan(person.id, intake_row.id, plan, str(plan["status"]))
    ctx.repo.audit(
        account.id,
        "intake.submit",
        f"person:{person.id}",
        {"plan_id": plan_row.id, "status": plan["status"]},
    )
    return plan, {}


def _stored_clearances(ctx: AppContext, person_id: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in ctx.repo.list_clearances(person_id):
        item: dict[str, Any] = {
            "by": c.by_role,
            "name": c.name,
            "date": c.date.isoformat(),
            "variants": list(c.variants),
            "max_knee_drop_deg": c.max_knee_drop_deg,
        }
        if c.by_role == "teacher":
            item["teacher_trained_for_back_problems"] = c.teacher_trained_for_back_problems
        out.append(item)
    return out


def current_plan(ctx: AppContext, person_id: int) -> tuple[int | None, dict[str, Any] | None]:
    """(plan id, plan JSON) of the person's newest plan, or (None, None)."""
    row = ctx.repo.latest_plan(person_id)
    return (None, None) if row is None else (row.id, row.data)


def start_practice(
    ctx: AppContext, account: AccountRecord, variant_id: str, start_pain: int
) -> int:
    """Open a practice session for an allowed variant; returns its id.

    Refused (403) when the current plan does not allow the variant: the server, not the
    page, decides what may be practised.
    """
    person = own_person(ctx, account)
    if not 0 <= start_pain <= 10:
        raise HTTPException(422, "start_pain must be a whole number from 0 to 10")
    plan_id, plan = current_plan(ctx, person.id)
    allowed = {v["id"]: v for v in domain.allowed_variants(plan)}
    if variant_id not in allowed:
        raise Forbidden(f"your plan does not allow {variant_id!r} today")
    cap, why = session_cap(
        ctx, person.id, variant_id, float(allowed[variant_id]["max_knee_drop_deg"])
    )
    record = ctx.repo.start_session(
        person.id, variant_id, cap, source="browser", start_pain=start_pain, plan_id=plan_id
    )
    ctx.repo.audit(
        account.id,
        "session.start",
        f"session:{record.id}",
        {"variant": variant_id, "cap_deg": cap, "cap_reason": why},
    )
    return record.id


#: Progression actions whose lower cap applies even before anyone approves it (fail safe).
_LOWERING_ACTIONS = frozenset({"lower_cap", "pause", "see_clinician"})


def session_cap(
    ctx: AppContext, person_id: int, variant_id: str, plan_cap_deg: float
) -> tuple[float, str]:
    """The knee-drop cap a new session of ``variant_id`` starts with, and why.

    The plan's cap is the ceiling. A progression suggestion a teacher or clinician
    approved after the plan was made sets the cap below it (or back up to it); a current
    suggestion to lower the cap, pause or see a clinician lowers it at once, approved or
    not: when unsure, never go further.
    """
    cap, why = plan_cap_deg, "the plan's cap"
    plan = ctx.repo.latest_plan(person_id)
    approved = [
        d
        for d in ctx.repo.list_decisions(person_id)
        if d.decision == "approved"
        and d.suggestion.get("variant_id") == variant_id
        and (plan is None or d.at >= plan.created_at)
    ]
    if approved:
        suggested = approved[-1].suggestion.get("suggested_cap_deg")
        if isinstance(suggested, int | float):
            cap, why = min(cap, float(suggested)), "the approved progression"
    current = domain.suggest_progression(ctx.repo, person_id)
    if (
        current is not None
        and current.get("variant_id") == variant_id
        and current.get("action") in _LOWERING_ACTIONS
    ):
        suggested = current.get("suggested_cap_deg")
        if isinstance(suggested, int | float) and float(suggested) < cap:
            cap, why = float(suggested), f"progression: {current.get('action')}"
    return cap, why


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
        Plain reasons needing attention: pain rose in a session, a session was stopped,
        sessions went over the cap, or the plan says to see a clinician.
    """

    person: PersonRecord
    plan_status: str
    last: SessionSummary | None
    pain_trend: str
    flags: tuple[str, ...]


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
        _, plan = current_plan(ctx, person.id)
        status = "no intake" if plan is None else str(plan.get("status"))
        recent = ctx.repo.list_sessions(person.id, limit=RECENT_SESSIONS)  # newest first
        oldest_first = list(reversed(recent))
        rows.append(
            RosterRow(
                person=person,
                plan_status=status,
                last=recent[0] if recent else None,
                pain_trend=pain_trend(oldest_first),
                flags=flags_for(status, oldest_first),
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
    suggestion = domain.suggest_progression(ctx.repo, person.id)
    if suggestion is None:
        raise HTTPException(409, "there is no progression suggestion to decide on")
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
) -> dict[str, Any]:
    """Record a clearance and re-screen the student with it; returns the new plan.

    Only clinicians, and teachers recorded as trained for back problems, may clear a
    student with a back condition (issue 5; CLINICAL.md §3-4: where and with whom one
    practises matters). A teacher not so trained gets 403.
    """
    require_staff(staff)
    person = visible_person(ctx, staff, person_id)
    intake_row = ctx.repo.latest_intake(person.id)
    if intake_row is None:
        raise HTTPException(409, "this student has no intake yet: nothing to clear")
    if (
        staff.role == Role.TEACHER
        and not staff.trained_for_back_problems
        and domain.has_back_condition(intake_row.data)
    ):
        raise Forbidden(
            "this student has a back condition: only a clinician or a teacher trained for "
            "back problems may clear them"
        )
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
    by = "clinician" if staff.role == Role.CLINICIAN else "teacher"
    clearance: dict[str, Any] = {
        "by": by,
        "name": staff.display_name,
        "date": date.isoformat(),
        "variants": list(variants),
        "max_knee_drop_deg": max_knee_drop_deg,
    }
    if by == "teacher":
        clearance["teacher_trained_for_back_problems"] = staff.trained_for_back_problems
    try:
        intake = domain.with_clearance(intake_row.data, clearance)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    try:
        record = ctx.repo.record_clearance(
            person.id,
            by,
            staff.display_name,
            date,
            list(variants),
            max_knee_drop_deg,
            teacher_trained_for_back_problems=by == "teacher" and staff.trained_for_back_problems,
            recorded_by=staff.id,
        )
    except StorageError as exc:
        raise HTTPException(422, str(exc)) from None
    plan = domain.make_plan(intake)
    new_intake = ctx.repo.save_intake(person.id, intake.to_json_dict())
    plan_row = ctx.repo.save_plan(person.id, new_intake.id, plan, str(plan["status"]))
    ctx.repo.audit(
        staff.id,
        "clearance.record",
        f"person:{person.id}",
        {
            "clearance_id": record.id,
            "variants": list(variants),
            "max_knee_drop_deg": max_knee_drop_deg,
            "plan_id": plan_row.id,
        },
    )
    return plan
