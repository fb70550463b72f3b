"""What the pages and the JSON API both do, once: accounts, intake, plans, roster, decisions.

Every rule about who may see or change what lives here and is enforced on the server:
a student sees only their own data; a teacher or a clinician sees only the students who
linked them (least privilege: the ``links`` table, by the e-mail the student typed, at
sign-up or later from their account page, and removable there) or whom an administrator
assigned (``people.teacher_id``); only clinicians and teachers trained for back problems
may clear a student who has a back condition (:func:`twistcoach.planning.may_clear`). Every
change is written to the audit log with its actor, and so is every read of a student's
health data by staff (``read.*`` entries).

Services raise :mod:`twistcoach.errors` errors, never HTTP ones; the web app maps them to
HTTP statuses in one table (``twistcoach.web.app.ERROR_STATUS``).

What a student may practise now, to what cap and why is never computed here: every service
asks :func:`twistcoach.storage.progress.decide_for_person` (planning), the same call as the
CLI, so the web and the CLI cannot disagree about safety.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from twistcoach.errors import ConflictError, DataError, NotAllowed, NotFound
from twistcoach.i18n import join_words
from twistcoach.intake import (
    CLEARANCE_KNEE_DROP_DEG,
    CLEARANCE_ROTATION_DEG,
    Clearance,
    ClearanceBy,
    describe_validation_error,
    latest_today,
)
from twistcoach.planning import (
    BackFeeling,
    PracticeDecision,
    may_clear,
    may_review,
    may_withdraw,
    start_pain_refusal,
)
from twistcoach.storage.db import StorageError
from twistcoach.storage.models import Role, SessionStatus
from twistcoach.storage.progress import decide_for_person
from twistcoach.storage.records import (
    AccountRecord,
    LinkRecord,
    PersonRecord,
    SessionDetail,
    SessionRecord,
    SessionSummary,
)
from twistcoach.storage.repository import (
    MAX_WITHDRAWAL_REASON,
    NotFoundError,
    check_time_zone,
)
from twistcoach.web import domain
from twistcoach.web.context import AppContext
from twistcoach.web.security import MAX_PASSWORD, MIN_PASSWORD, password_problem

__all__ = ["MAX_PASSWORD", "MAX_WITHDRAWAL_REASON", "MIN_PASSWORD"]

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
#: How many recent sessions the roster's flags look at.
RECENT_SESSIONS = 5


#: Kept for callers that still say ``services.Forbidden`` (a :class:`NotAllowed`).
Forbidden = NotAllowed


def require_student(account: AccountRecord) -> None:
    """Only students have intakes, plans and practice of their own."""
    if account.role != Role.STUDENT:
        raise NotAllowed("this page is for students; teachers and clinicians use the dashboard")


def require_staff(account: AccountRecord) -> None:
    """Only teachers and clinicians see rosters and make decisions."""
    if account.role not in (Role.TEACHER, Role.CLINICIAN):
        raise NotAllowed("only teachers and clinicians may do this")


# ------------------------------------------------------------------------- accounts


def validate_signup(
    email: str, display_name: str, password: str, teacher_email: str
) -> dict[str, str]:
    """Check a sign-up's fields; returns errors by field (empty when fine).

    Nothing here looks at stored accounts: the answer is the same whether or not the
    e-mail or the teacher's e-mail has an account (no enumeration).
    """
    errors: dict[str, str] = {}
    if not display_name.strip() or len(display_name) > 200:
        errors["display_name"] = "Give your name (1 to 200 characters)."
    if not EMAIL_RE.match(email.strip()):
        errors["email"] = "Give a valid e-mail address."
    problem = password_problem(password, email, display_name)
    if problem is not None:
        errors["password"] = problem
    if teacher_email.strip() and not EMAIL_RE.match(teacher_email.strip()):
        errors["teacher_email"] = "Give a valid e-mail address, or leave it empty."
    return errors


#: What sign-up answers for every valid request, whether or not the address had an account.
SIGNUP_DONE = (
    "If this e-mail address had no account, your account is ready: sign in with it. "
    "If it had one, sign in with its password."
)


def sign_up(
    ctx: AppContext,
    client: str,
    email: str,
    display_name: str,
    password: str,
    teacher_email: str = "",
) -> AccountRecord | None:
    """Create a student account (rate-limited per client); None when the address already
    has one (the caller answers the same either way: :data:`SIGNUP_DONE`).

    The teacher's or clinician's e-mail becomes a link (:func:`add_link`), stored as typed
    whether or not it is a staff address, so the answer never says which it is.

    Raises
    ------
    RateLimited
        Too many sign-ups from this client.
    DataError
        A field is wrong (``problems`` by field).
    """
    ctx.limits.count_signup(client)
    errors = validate_signup(email, display_name, password, teacher_email)
    if errors:
        raise DataError("; ".join(errors.values()), problems=errors)
    existing = ctx.repo.find_account(email)
    if existing is not None:
        ctx.passwords.hash(password)  # the same work as a new account: no timing tell
        ctx.repo.audit(existing.id, "account.signup_existing", f"account:{existing.id}", {})
        return None
    from twistcoach.storage.db import StorageError

    try:
        account = ctx.repo.create_account(
            email, display_name, ctx.passwords.hash(password), Role.STUDENT.value
        )
    except StorageError:
        return None  # a concurrent sign-up with the same address won
    name = display_name.strip()
    suffix = 1
    while ctx.repo.find_person(name) is not None:  # people's names are unique
        suffix += 1
        name = f"{display_name.strip()} ({suffix})"
    person = ctx.repo.create_person(name, account_id=account.id)
    if teacher_email.strip():
        ctx.repo.add_link(person.id, teacher_email)
    ctx.repo.audit(
        account.id,
        "account.signup",
        f"person:{person.id}",
        {"role": account.role, "linked": bool(teacher_email.strip())},
    )
    return account


def sign_in(ctx: AppContext, email: str, password: str, client: str) -> AccountRecord:
    """Check credentials under the rate limits (per client and e-mail pair, per client).

    An unknown address costs the same argon2 work as a real one (a dummy hash), so the
    time taken does not tell whether the address has an account.

    Raises
    ------
    RateLimited
        Too many recent failures from this client (for this address, or in all).
    NotSignedIn
        Wrong e-mail or password (never which).
    """
    from twistcoach.errors import NotSignedIn

    ctx.limits.check_signin(client, email)
    account = ctx.repo.find_account(email) if len(email) <= 320 else None
    if not ctx.passwords.verify(None if account is None else account.password_hash, password):
        ctx.limits.signin_failed(client, email)
        raise NotSignedIn("Wrong e-mail or password.")
    assert account is not None
    ctx.limits.signin_succeeded(client, email)
    return account


def change_password(
    ctx: AppContext, account: AccountRecord, current: str, new: str
) -> AccountRecord:
    """Replace a password after checking the current one; every sign-in of the account is
    revoked (the caller signs this device in again). Audited.

    Raises
    ------
    NotAllowed
        The current password is wrong.
    DataError
        The new password is too weak (``problems["new_password"]``).
    """
    if not ctx.passwords.verify(account.password_hash, current):
        raise NotAllowed("The current password is wrong.")
    problem = password_problem(new, account.email, account.display_name)
    if problem is not None:
        raise DataError(problem, problems={"new_password": problem})
    ctx.repo.set_password_hash(account.id, ctx.passwords.hash(new))
    ctx.repo.audit(account.id, "account.password", f"account:{account.id}", {})
    return ctx.repo.get_account(account.id)


# ------------------------------------------------------------------------ links


def links_of(ctx: AppContext, account: AccountRecord) -> list[LinkRecord]:
    """The signed-in student's links to teachers and clinicians, oldest first."""
    return ctx.repo.list_links(own_person(ctx, account).id)


def add_link(ctx: AppContext, account: AccountRecord, staff_email: str) -> LinkRecord:
    """Link the signed-in student to a teacher or clinician by e-mail (audited).

    The link is kept as typed: the answer is the same whether or not the address belongs
    to a staff account, so linking cannot be used to find staff addresses.
    """
    person = own_person(ctx, account)
    if not EMAIL_RE.match(staff_email.strip()):
        message = "Give the e-mail address of your teacher or clinician."
        raise DataError(message, problems={"email": message})
    if len(ctx.repo.list_links(person.id)) >= MAX_LINKS:
        raise ConflictError(f"You can link at most {MAX_LINKS} people; remove one first.")
    link = ctx.repo.add_link(person.id, staff_email)
    ctx.repo.audit(account.id, "link.add", f"person:{person.id}", {"link_id": link.id})
    return link


#: The most teachers and clinicians one student may link.
MAX_LINKS = 10


def remove_link(ctx: AppContext, account: AccountRecord, link_id: int) -> None:
    """Remove one of the signed-in student's links (audited); 404 when not theirs."""
    person = own_person(ctx, account)
    link = ctx.repo.remove_link(person.id, link_id)
    ctx.repo.audit(account.id, "link.remove", f"person:{person.id}", {"link_id": link.id})


# ---------------------------------------------------------------------- students


def own_person(ctx: AppContext, account: AccountRecord) -> PersonRecord:
    """The signed-in student's profile (created when an old account lacks one)."""
    require_student(account)
    person = ctx.repo.person_for_account(account.id)
    if person is None:
        person = ctx.repo.create_person(f"{account.display_name} <{account.email}>", account.id)
    return person


#: The one answer (404) for an id that does not exist and for one that is not the viewer's:
#: the same words whatever the id, so the answers never tell which ids exist.
NOT_VISIBLE_STUDENT = "There is no such student, or not one you may see."
NOT_VISIBLE_SESSION = "There is no such session, or not one you may see."


def visible_person(
    ctx: AppContext, viewer: AccountRecord, person_id: int, *, read: bool = True
) -> PersonRecord:
    """A person the viewer may see; 404 when unknown and 404, with the same body, when not
    theirs: a 403 there had told which ids are students, one by one.

    Staff see only the students who linked them (or were assigned to them); with ``read``
    (a page or API read, not a change, which has its own entry) the read is written to the
    audit log (``read.person``).
    """
    hidden = NotFound(NOT_VISIBLE_STUDENT)
    try:
        person = ctx.repo.get_person(person_id)
    except NotFoundError:
        raise hidden from None
    if viewer.role == Role.STUDENT:
        if person.account_id != viewer.id:
            raise hidden
        return person
    if not ctx.repo.follows(viewer.id, person.id):
        raise hidden
    if read:
        audit_read(ctx, viewer, "read.person", f"person:{person.id}")
    return person


def audit_read(ctx: AppContext, viewer: AccountRecord, action: str, target: str) -> None:
    """Write a staff read of a student's health data to the audit log."""
    if viewer.role != Role.STUDENT:
        ctx.repo.audit(viewer.id, action, target, {"role": viewer.role})


def visible_session(ctx: AppContext, viewer: AccountRecord, session_id: int) -> SessionDetail:
    """A session the viewer may see; 404 when unknown and the same 404 when not theirs
    (never which: session ids cannot be enumerated)."""
    hidden = NotFound(NOT_VISIBLE_SESSION)
    try:
        detail = ctx.repo.get_session(session_id)
    except NotFoundError:
        raise hidden from None
    try:
        visible_person(ctx, viewer, detail.session.person_id, read=False)
    except NotFound:
        raise hidden from None  # the session's own 404, never its student's id
    audit_read(ctx, viewer, "read.session", f"session:{session_id}")
    return detail


def own_session(ctx: AppContext, account: AccountRecord, session_id: int) -> SessionDetail:
    """A session of the student's own (what they may report pain on); 404 when unknown and
    the same 404 when it is someone else's."""
    person = own_person(ctx, account)
    try:
        detail = ctx.repo.get_session(session_id)
    except NotFoundError:
        raise NotFound(NOT_VISIBLE_SESSION) from None
    if detail.session.person_id != person.id:
        raise NotFound(NOT_VISIBLE_SESSION)
    return detail


def report_late_sharp_pain(
    ctx: AppContext, account: AccountRecord, session_id: int
) -> tuple[int, str]:
    """Sharp pain a student reports on the end screen of a session of theirs that has ended
    (felt coming out of the twist): stored as the session's sharp-pain stop, so planning
    locks the rest of the day and raises the flag for review, as for a stop in the session.
    Returns the id of the session that carries it and the coach's sharp-pain advice. 404
    when the session is not theirs (or does not exist). While it still runs (pressed in
    another window) the pain is stored in it and its socket stops for it. Reported more
    than an hour after it ended, the pain is stored as a report of its own, made now
    (:meth:`~twistcoach.storage.repository.Repository.add_late_sharp_pain`).
    """
    from twistcoach.session import default_coaching_rules

    own_session(ctx, account, session_id)
    record = ctx.repo.add_late_sharp_pain(session_id)
    ctx.repo.audit(
        account.id, "session.sharp_after", f"session:{session_id}", {"status": record.status}
    )
    advice = " ".join(default_coaching_rules().rule_for("stop_sharp_pain").text.split())
    return record.id, advice


def report_end_pain(
    ctx: AppContext, account: AccountRecord, session_id: int, level: int
) -> SessionRecord:
    """The pain a student gives on the end screen of a session of theirs ("How is your
    back now?"): stored once as the session's end pain, within an hour of its end
    (:meth:`~twistcoach.storage.repository.Repository.add_end_pain`); planning reads it as
    every end pain. 404 when the session is not theirs (or does not exist); 409 while it
    runs, when one is already stored, or more than an hour after it ended.
    """
    own_session(ctx, account, session_id)
    try:
        record = ctx.repo.add_end_pain(session_id, level)
    except StorageError as exc:
        raise ConflictError(str(exc)) from None
    ctx.repo.audit(account.id, "session.end_pain", f"session:{session_id}", {"level": level})
    return record


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


#: The answer (422) to an intake with mistakes, each named beside its field (``problems``).
INTAKE_MISTAKES = "the intake has mistakes"

#: The answer (422) to a start of a twist the pose library does not have: plain words,
#: never the library's ids (planning's own KeyError lists them, for programmers).
UNKNOWN_TWIST = "That twist is not one the coach knows: choose one of the twists offered."


def start_practice(
    ctx: AppContext,
    account: AccountRecord,
    variant_id: str,
    start_pain: int,
    time_zone: str | None = None,
) -> int:
    """Open a practice session for a variant planning allows now; returns its id.

    ``time_zone`` is the IANA zone the student practises in (their browser's): a sharp-pain
    stop in this session locks practice for the rest of that day there
    (:func:`twistcoach.storage.progress.lock_zone`). An unknown zone is 422.

    The session's cap is planning's cap for this session. Refused with 403 and planning's
    plain reason (a sharp-pain lock for the rest of the day, a check-in first, a flag
    waiting for review, the plan) when the variant is not allowed now: the server, not the
    page, decides what may be practised. An unknown variant is 422.

    One running session per student: an older one that no socket is connected to is
    closed as ``interrupted`` ("replaced by a new session"); one still being practised in
    another window refuses the start (409) until it ends.
    """
    person = own_person(ctx, account)
    if not 0 <= start_pain <= 10:
        raise DataError("start_pain must be a whole number from 0 to 10")
    too_much = start_pain_refusal(start_pain)
    if too_much is not None:
        raise NotAllowed(too_much.text)
    if time_zone is not None:
        try:
            check_time_zone(time_zone)
        except StorageError as exc:
            raise DataError(str(exc)) from None
    decision = decision_for(ctx, person.id)
    try:
        permission = decision.permission(variant_id)
    except KeyError:
        raise DataError(UNKNOWN_TWIST) from None
    if not permission.allowed or permission.cap_deg is None:
        raise NotAllowed(decision.refusal(variant_id) or "not allowed now")
    close_open_sessions(ctx, person.id)
    plan_id = _plan_row_for(ctx, person.id, decision)
    record = ctx.repo.start_session(
        person.id,
        variant_id,
        permission.cap_deg,
        source="browser",
        start_pain=start_pain,
        plan_id=plan_id,
        time_zone=time_zone,
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


def close_open_sessions(ctx: AppContext, person_id: int) -> None:
    """Close the student's running sessions that no socket holds; ConflictError when one is
    live (practised now in another window or tab)."""
    from twistcoach.storage.recorder import process_holds, socket_holds

    for session in ctx.repo.running_sessions(person_id):
        # The desktop coach practising now (its process runs): never cut off mid-hold.
        if session.source != "browser" and process_holds(
            ctx.repo, session.id, ctx.settings.stale_session_s
        ):
            raise ConflictError(
                f"Session {session.id} is being coached by the desktop coach now: end it "
                "there first."
            )
        # This process's sockets, then any server process's (the database's claim).
        if session.id in ctx.live or socket_holds(
            ctx.repo, session.id, ctx.settings.stale_session_s
        ):
            raise ConflictError(
                f"Session {session.id} is still running in another window: end it there "
                "first (or close that window)."
            )
        _interrupt(ctx, session.id, "replaced by a new session")


def _interrupt(ctx: AppContext, session_id: int, reason: str) -> bool:
    from twistcoach.storage.db import StorageError

    try:
        ctx.repo.end_session(session_id, SessionStatus.INTERRUPTED, reason)
    except StorageError:
        return False  # ended meanwhile
    ctx.repo.audit(
        None,
        "session.end",
        f"session:{session_id}",
        {"status": "interrupted", "stop_reason": reason},
    )
    return True


def reap_sessions(ctx: AppContext) -> list[int]:
    """Mark ``interrupted`` the running browser sessions of this process that no socket
    holds and that have had no heartbeat for ``stale_session_s`` (never connected, or left
    by a dead socket), and those whose recording process died (any source). Returns the
    ids marked.

    Run when the app starts and every ``reap_interval_s`` while it runs.
    """
    from twistcoach.storage.repository import process_owner

    marked = ctx.repo.mark_interrupted_sessions()
    idle = ctx.repo.idle_running_sessions(process_owner(), ctx.settings.stale_session_s)
    for session_id, never in idle:
        if session_id in ctx.live:
            continue
        reason = "never connected" if never else "the connection was lost"
        if _interrupt(ctx, session_id, reason):
            marked.append(session_id)
    return marked


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
        raise DataError(f"back must be one of {choices}") from None
    if not decision_for(ctx, person.id).needs_checkin:
        raise ConflictError("no check-in is needed now")
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

#: The staff forms' messages (teachers' and clinicians': reviews, clearances, withdrawals,
#: progression decisions) in plain words, each a template filled in where it is raised:
#: one table, catalogued for the pages' language (``twistcoach.i18n`` reads it), never a
#: field's id, a value's repr or an enum.
STAFF_WORDS = {
    "note": "write a note of 1 to {n} characters",
    "note_long": "write a note of 1 to {n} characters (this one has {got})",
    "no_flag": "this student has no safety flag waiting for review",
    "keep_or_withdraw": "keep the clearances or withdraw them, not both",
    "choose_revived": "choose to keep or withdraw them",
    "withdrawal_reason": ("write why you withdraw it (1 to {n} characters): the student reads it"),
    "withdrawal_reason_long": (
        "write why you withdraw it (1 to {n} characters): the student reads it (this one has {got})"
    ),
    "already_withdrawn": "this clearance was already withdrawn on {date}",
    "decision": "choose Approve or Decline",
    "no_suggestion": "there is no progression suggestion to decide on",
    "no_intake": "this student has no intake yet: nothing to clear",
    "choose_twists": "choose at least one twist to clear",
    "unknown_twists": "these are not twists of the pose library: {names}",
    "knee_drop": "give the knee-drop limit in degrees, from {low} to {high}",
    "rotation": (
        "give the trunk-rotation limit in degrees, from {low} to {high}, or leave it empty"
    ),
    "clearance_date": "give the day the clearance was given (a date, not after today)",
    "revived_one": "{who}'s clearance of {date} ({twists})",
    "revives": (
        "This review would make clearances given before the signs it closes count again: "
        "{clearances}. If they still stand, confirm it and record the review; if not, "
        "withdraw them with the review, giving your reason."
    ),
    "date_after_today": (
        "the clearance's date ({date}) is after today: record a clearance on or after the "
        "day it is given"
    ),
}


def staff_words(key: str, **values: object) -> str:
    """A staff form's message (:data:`STAFF_WORDS`) with its values filled in."""
    return STAFF_WORDS[key].format(**values)


def _staff_role(staff: AccountRecord) -> ClearanceBy:
    return ClearanceBy.CLINICIAN if staff.role == Role.CLINICIAN else ClearanceBy.TEACHER


def review_refusal(staff: AccountRecord, decision: PracticeDecision) -> str | None:
    """Why ``staff``'s review would close none of the open flags of ``decision`` (planning's
    :func:`~twistcoach.planning.may_review`), else None."""
    refused = may_review(_staff_role(staff), decision.open_flags)
    return None if refused is None else refused.text


def review_revives(
    ctx: AppContext, staff: AccountRecord, person_id: int, decision: PracticeDecision
) -> tuple[domain.RevivedClearance, ...]:
    """The clearances given before the open nerve signs that ``staff``'s review would make
    count again (:func:`twistcoach.web.domain.review_revives`)."""
    return domain.review_revives(
        ctx.repo, person_id, decision, _staff_role(staff), staff.display_name
    )


def revives_words(revived: Sequence[domain.RevivedClearance]) -> str:
    """The refusal of a review that neither confirmed nor withdrew the clearances it makes
    count again. Made in English, as every message here, and translated where it is shown:
    the twists' names are joined by :func:`twistcoach.i18n.join_words`, which the
    translator takes apart and joins again in the reader's language ("A y B")."""
    said = "; ".join(
        staff_words(
            "revived_one",
            who=r.who,
            date=r.date.isoformat(),
            twists=join_words(name for name, _ in r.twists),
        )
        for r in revived
    )
    return staff_words("revives", clearances=said)


#: A withdrawal without a reason (the reason is what the student reads).
WITHDRAWAL_REASON_NEEDED = staff_words("withdrawal_reason", n=MAX_WITHDRAWAL_REASON)
#: A clearance id that is unknown or not the student's (one answer: ids cannot be probed).
NOT_VISIBLE_CLEARANCE = "There is no such clearance, or not one you may see."


def _withdrawal_reason(reason: str, field: str = "reason") -> str:
    """The withdrawal's reason, its white space made single; 422 (on ``field``) when empty
    or longer than :data:`MAX_WITHDRAWAL_REASON`: the one limit the forms, the API and the
    store share, and the one the message names."""
    said = " ".join(reason.split())
    if not said:
        raise DataError(WITHDRAWAL_REASON_NEEDED, problems={field: WITHDRAWAL_REASON_NEEDED})
    if len(said) > MAX_WITHDRAWAL_REASON:
        message = staff_words("withdrawal_reason_long", n=MAX_WITHDRAWAL_REASON, got=len(said))
        raise DataError(message, problems={field: message})
    return said


def withdraw_clearance(
    ctx: AppContext, staff: AccountRecord, person_id: int, clearance_id: int, reason: str
) -> PracticeDecision:
    """Withdraw one of a student's clearances, with a reason (audited); returns planning's
    new decision, which no longer counts it (every surface asks planning).

    Who may withdraw which is planning's rule (:func:`twistcoach.planning.may_withdraw`):
    a clinician any clearance of a student they see, a teacher only a teacher's clearance
    they recorded (403 with the reason otherwise). 404 for a student not theirs (as
    everywhere) and, with one answer, for a clearance that is unknown or another
    student's; 409 for one already withdrawn; 422 for an empty or over-long reason. The
    clearance stays on record with who withdrew it, when and why.
    """
    require_staff(staff)
    person = visible_person(ctx, staff, person_id, read=False)
    try:
        clearance = ctx.repo.get_clearance(person.id, clearance_id)
    except NotFoundError:
        raise NotFound(NOT_VISIBLE_CLEARANCE) from None
    if clearance.withdrawal is not None:
        when = clearance.withdrawal.at.date().isoformat()
        raise ConflictError(staff_words("already_withdrawn", date=when))
    refused = may_withdraw(
        _staff_role(staff), ClearanceBy(clearance.by_role), clearance.recorded_by == staff.id
    )
    if refused is not None:
        raise NotAllowed(refused.text)
    said = _withdrawal_reason(reason)
    by = _staff_role(staff)
    try:
        ctx.repo.withdraw_clearance(
            person.id, clearance.id, by.value, staff.display_name, said, withdrawn_by=staff.id
        )
    except StorageError as exc:  # withdrawn meanwhile by another request
        raise ConflictError(str(exc)) from None
    decision = decision_for(ctx, person.id)
    plan_id = _plan_row_for(ctx, person.id, decision)
    ctx.repo.audit(
        staff.id,
        "clearance.withdraw",
        f"person:{person.id}",
        {
            "clearance_id": clearance.id,
            "reason": said,
            "plan_id": plan_id,
            "allowed": [p.variant_id for p in decision.allowed],
        },
    )
    return decision


def record_review(
    ctx: AppContext,
    staff: AccountRecord,
    person_id: int,
    note: str,
    *,
    keep_clearances: bool = False,
    withdraw_clearances: bool = False,
    withdrawal_reason: str = "",
) -> PracticeDecision:
    """A teacher or clinician who can see the student reviews their open safety flags
    (audited); returns planning's new decision.

    The review closes every flag raised before it that its author may close
    (:func:`twistcoach.planning.may_review`: nerve signs after sharp pain only a clinician's).
    409 when no flag is open, 403 when none of them is the reviewer's to close, 422 for an
    empty or over-long note.

    Closing nerve signs makes every clearance recorded before them count again, though
    whoever gave it never knew of them: unless ``keep_clearances`` confirms that they still
    stand, or ``withdraw_clearances`` withdraws them with the review (for
    ``withdrawal_reason``, in the same step: the flags close and they stop counting at the
    same moment), such a review is refused (422, naming them), so it never revives one
    silently. Both at once is refused too (422).
    """
    require_staff(staff)
    person = visible_person(ctx, staff, person_id, read=False)
    text = note.strip()
    if not text:
        said = staff_words("note", n=MAX_NOTE)
        raise DataError(said, problems={"note": said})
    if len(text) > MAX_NOTE:
        said = staff_words("note_long", n=MAX_NOTE, got=len(text))
        raise DataError(said, problems={"note": said})
    before = decision_for(ctx, person.id)
    if not before.open_flags:
        raise ConflictError(staff_words("no_flag"))
    refused = review_refusal(staff, before)
    if refused is not None:
        raise NotAllowed(refused)
    revived = review_revives(ctx, staff, person.id, before)
    if keep_clearances and withdraw_clearances:
        said = staff_words("keep_or_withdraw")
        raise DataError(said, problems={"revived_clearances": said})
    withdrawing: list[int] = []
    reason = ""
    if revived and withdraw_clearances:
        reason = _withdrawal_reason(withdrawal_reason, "withdrawal_reason")
        by_role = _staff_role(staff)
        for r in revived:
            denied = may_withdraw(by_role, r.by_role, r.recorded_by == staff.id)
            if denied is not None:
                raise NotAllowed(denied.text)
            if r.clearance_id is not None:
                withdrawing.append(r.clearance_id)
    elif revived and not keep_clearances:
        said = revives_words(revived)
        raise DataError(said, problems={"keep_clearances": said})
    by = _staff_role(staff)
    try:
        record = ctx.repo.record_review(
            person.id,
            by.value,
            staff.display_name,
            text,
            reviewed_by=staff.id,
            withdrawing=withdrawing,
            withdrawal_reason=reason,
        )
    except StorageError as exc:  # one was withdrawn meanwhile: nothing was stored
        raise ConflictError(str(exc)) from None
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
            # The clearances the reviewer confirmed still stand (given before nerve signs),
            # or withdrew with the review, and why.
            ("withdrawn_clearances" if withdrawing else "kept_clearances"): [
                {
                    "clearance_id": r.clearance_id,
                    "who": r.who,
                    "date": r.date.isoformat(),
                    "recorded_at": r.recorded_at.isoformat(),
                }
                for r in revived
            ],
            **({"withdrawal_reason": reason} if withdrawing else {}),
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
    review_date
        When the clinician's care plan in force is due for review (None without one).
    review_due
        True when that date has come.
    """

    person: PersonRecord
    plan_status: str
    last: SessionSummary | None
    pain_trend: str
    flags: tuple[str, ...]
    open_flags: tuple[str, ...] = ()
    review_date: dt.date | None = None
    review_due: bool = False


#: A student with no intake yet, in the roster's plan column.
NO_INTAKE = "no intake"
#: The roster's pain trends and flags, as the dashboard says them (translated there: the
#: ``i18n`` catalogue holds these texts).
PAIN_TRENDS = ("rising", "falling", "steady", "no data")
ROSTER_FLAGS = {
    # The plan's status that sends to care, planning's verdict (headline_status): the most
    # serious alone, so "see a clinician first" never stands beside "seek care now".
    "seek_care_now": "seek care now",
    "see_clinician_first": "see a clinician first",
    "pain": "pain rises",
    "stopped": "{n} stopped",
    "over_cap": "{n} over the cap",
}


def pain_trend(summaries_oldest_first: Sequence[SessionSummary]) -> str:
    """Trend of every pain report over the recent sessions, in time order.

    Each session gives its starting pain, each report during it (sharp pain as 10) and its
    end pain; the trend compares the newest with the oldest. Two reports in one session
    (3 then 5) are a trend ("rising"), not "no data" as per-session peaks made them.
    """
    reports: list[int] = []
    for s in summaries_oldest_first:
        for level in (s.session.start_pain, *s.pain_reports, s.session.end_pain):
            if level is not None:
                reports.append(level)
    rising, falling, steady, no_data = PAIN_TRENDS
    if len(reports) < 2:
        return no_data
    if reports[-1] > reports[0]:
        return rising
    if reports[-1] < reports[0]:
        return falling
    return steady


def flags_for(plan_status: str, recent_oldest_first: Sequence[SessionSummary]) -> tuple[str, ...]:
    """The reasons a student needs attention (see :class:`RosterRow`)."""
    flags: list[str] = []
    if plan_status in ("see_clinician_first", "seek_care_now"):
        flags.append(ROSTER_FLAGS[plan_status])
    rises = [s for s in recent_oldest_first if (s.pain_rise or 0) >= 2 or s.sharp_pain]
    if rises or pain_trend(recent_oldest_first) == PAIN_TRENDS[0]:
        flags.append(ROSTER_FLAGS["pain"])
    stops = [s for s in recent_oldest_first if s.session.status == SessionStatus.STOPPED]
    if stops:
        flags.append(ROSTER_FLAGS["stopped"].format(n=len(stops)))
    over = [s for s in recent_oldest_first if s.over_cap_samples > 0]
    if over:
        flags.append(ROSTER_FLAGS["over_cap"].format(n=len(over)))
    return tuple(flags)


def roster(ctx: AppContext, staff: AccountRecord) -> list[RosterRow]:
    """The staff member's students with plan status, last session, pain trend and flags."""
    require_staff(staff)
    rows: list[RosterRow] = []
    # Only the students who linked this teacher or clinician (see the module docs).
    audit_read(ctx, staff, "read.roster", f"account:{staff.id}")
    for person in ctx.repo.people_followed_by(staff.id):
        decision = decision_for(ctx, person.id)
        status = decision.headline_status or NO_INTAKE
        recent = ctx.repo.list_sessions(person.id, limit=RECENT_SESSIONS)  # newest first
        oldest_first = list(reversed(recent))
        open_flags = domain.flag_words(decision)
        care = decision.clinician_plan
        review = None if care is None else care.review_date
        rows.append(
            RosterRow(
                person=person,
                plan_status=status,
                last=recent[0] if recent else None,
                pain_trend=pain_trend(oldest_first),
                flags=open_flags + flags_for(status, oldest_first),
                open_flags=open_flags,
                review_date=review,
                review_due=review is not None and review <= ctx.repo.now().date(),
            )
        )
    return rows


# -------------------------------------------------------------- staff decisions


def decide_progression(
    ctx: AppContext, staff: AccountRecord, person_id: int, decision: str
) -> None:
    """Approve or decline the student's current progression suggestion (audited)."""
    require_staff(staff)
    person = visible_person(ctx, staff, person_id, read=False)
    if decision not in ("approved", "declined"):
        said = staff_words("decision")
        raise DataError(said, problems={"decision": said})
    progression = decision_for(ctx, person.id).progression
    if progression is None:
        raise ConflictError(staff_words("no_suggestion"))
    suggestion = progression.to_dict()
    record = ctx.repo.record_decision(person.id, suggestion, decision, staff.id)
    ctx.repo.audit(
        staff.id,
        f"progression.{decision}",
        f"person:{person.id}",
        {"decision_id": record.id, "suggestion": suggestion},
    )


@dataclass(frozen=True)
class ClearanceForm:
    """The clearance form's values, read (see :func:`read_clearance_form`)."""

    variants: tuple[str, ...]
    max_knee_drop_deg: float
    date: dt.date
    max_trunk_rotation_deg: float | None


def _degrees(text: str, bounds: tuple[float, float]) -> float | None:
    """A limit typed in a form, in degrees within ``bounds``; None when it is not one."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    low, high = bounds
    return value if math.isfinite(value) and low <= value <= high else None


def read_clearance_form(
    variants: Sequence[str], knee_drop: str, date: str, trunk_rotation: str
) -> tuple[ClearanceForm | None, dict[str, str]]:
    """The clearance form's typed values read as a clearance: (the values, {}) or (None,
    {field: plain message}) naming each field to correct (the page shows each beside its
    field and keeps what was typed; it had shown pydantic's "max_knee_drop_deg: Input
    should be less than or equal to 90" on a page that lost it all)."""
    problems: dict[str, str] = {}
    chosen = tuple(v for v in variants if v)
    if not chosen:
        problems["variants"] = staff_words("choose_twists")
    knee = _degrees(knee_drop, CLEARANCE_KNEE_DROP_DEG)
    if knee is None:
        low, high = CLEARANCE_KNEE_DROP_DEG
        problems["max_knee_drop_deg"] = staff_words("knee_drop", low=f"{low:g}", high=f"{high:g}")
    rotation: float | None = None
    if trunk_rotation.strip():
        rotation = _degrees(trunk_rotation, CLEARANCE_ROTATION_DEG)
        if rotation is None:
            low, high = CLEARANCE_ROTATION_DEG
            problems["max_trunk_rotation_deg"] = staff_words(
                "rotation", low=f"{low:g}", high=f"{high:g}"
            )
    day: dt.date | None = None
    try:
        day = dt.date.fromisoformat(date.strip())
    except ValueError:
        problems["date"] = staff_words("clearance_date")
    if problems or knee is None or day is None:
        return None, problems
    return ClearanceForm(chosen, knee, day, rotation), {}


def record_clearance(
    ctx: AppContext,
    staff: AccountRecord,
    person_id: int,
    variants: Sequence[str],
    max_knee_drop_deg: float | None,
    date: dt.date,
    max_trunk_rotation_deg: float | None = None,
) -> PracticeDecision:
    """Record a clearance; returns planning's decision with it.

    ``max_knee_drop_deg`` limits the cleared supine variants (5-90 degrees),
    ``max_trunk_rotation_deg`` the seated and standing ones (5-45 degrees: the normal active
    trunk rotation is about 45 degrees each way, CLINICAL.md §5); either may be None.

    Who may clear whom is planning's rule (:func:`twistcoach.planning.may_clear`): only
    clinicians, and teachers recorded as trained for back problems, may clear a student
    with a back condition (CLINICAL.md §3); anyone else gets 403 with the reason. The
    clearance is stored on its own (planning merges it with the intake); while a safety
    flag is open it is kept but raises no cap and unlocks nothing until a review.
    """
    require_staff(staff)
    person = visible_person(ctx, staff, person_id, read=False)
    intake_row = ctx.repo.latest_intake(person.id)
    if intake_row is None:
        raise ConflictError(staff_words("no_intake"))
    by = ClearanceBy.CLINICIAN if staff.role == Role.CLINICIAN else ClearanceBy.TEACHER
    trained = by is ClearanceBy.TEACHER and staff.trained_for_back_problems
    refusal = may_clear(by, trained, intake_row.intake)
    if refusal is not None:
        raise NotAllowed(refusal.text)
    names = domain.variant_names()
    unknown = [v for v in variants if v not in names]
    if not variants:
        said = staff_words("choose_twists")
        raise DataError(said, problems={"variants": said})
    if unknown:
        # In the poses' names, never their ids (people never see internal ids).
        name_of = domain.library().name_of
        said = staff_words("unknown_twists", names="; ".join(map(name_of, unknown)))
        raise DataError(said, problems={"variants": said})
    if date > latest_today(ctx.repo.now()):
        said = staff_words("date_after_today", date=date.isoformat())
        raise DataError(said, problems={"date": said})
    try:  # the limits' range and the rest: the one Clearance model
        Clearance(
            by=by,
            name=staff.display_name,
            date=date,
            variants=tuple(variants),
            max_knee_drop_deg=max_knee_drop_deg,
            max_trunk_rotation_deg=max_trunk_rotation_deg,
            teacher_trained_for_back_problems=trained,
        )
    except ValidationError as exc:
        raise DataError(describe_validation_error(exc)) from None
    try:
        record = ctx.repo.record_clearance(
            person.id,
            by.value,
            staff.display_name,
            date,
            list(dict.fromkeys(variants)),
            max_knee_drop_deg,
            teacher_trained_for_back_problems=trained,
            recorded_by=staff.id,
            max_trunk_rotation_deg=max_trunk_rotation_deg,
        )
    except StorageError as exc:
        raise DataError(str(exc)) from None
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
            "max_trunk_rotation_deg": max_trunk_rotation_deg,
            "plan_id": plan_id,
            "open_flags": [f.reason.rule for f in decision.open_flags],
        },
    )
    return decision
