"""Clinicians' tools on the web (issue 21): records they can file, care they can plan.

- ``GET /students/{id}/fhir.json`` (a download on the student's page) and
  ``GET /api/students/{id}/fhir``: the student's record as an HL7 FHIR R4B Bundle
  (:func:`twistcoach.export.fhir.build_bundle`, the same as ``twistcoach export fhir``);
- ``GET /students/{id}/report.pdf?start=&end=``: the clinical report (the same as
  ``twistcoach report``);
- ``GET``/``POST /students/{id}/care-plan``: a clinician writes a plan for a linked student
  (variants, caps, hold times, sessions a week, a review date). It is stored as planning's
  input (:class:`twistcoach.planning.ClinicianPlan`): planning only lets it narrow, never go
  above what screening and the history allow, and the coach follows it;
- ``GET /audit``: who read and changed each of the clinician's students' records.

Who may: staff who can see the student (linked, or their assigned teacher) may export;
only clinicians write plans and read the audit view. Every export and plan is audited.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from twistcoach.errors import DataError, NotAllowed, StorageError
from twistcoach.intake import CLEARANCE_KNEE_DROP_DEG, CLEARANCE_ROTATION_DEG, latest_today
from twistcoach.storage.models import Role
from twistcoach.storage.records import AccountRecord, AuditRecord
from twistcoach.web import domain, services
from twistcoach.web.api import errors
from twistcoach.web.context import AppContext, request_language
from twistcoach.web.deps import Ctx, FormChange, Id, StaffUser

router = APIRouter()


class FhirBundle(BaseModel):
    """An HL7 FHIR R4B Bundle of type ``collection`` (validated with ``fhir.resources``)."""

    model_config = ConfigDict(extra="allow")

    resourceType: Literal["Bundle"]  # noqa: N815 (FHIR's own field name)
    type: Literal["collection"]
    entry: list[dict[str, Any]] = []


#: How many audit entries the audit view reads back (newest first).
AUDIT_WINDOW = 2000

#: The caps a care plan may set, in each measure's degrees: the same ranges as a clearance's
#: limits (``twistcoach.intake``); planning then holds them within what it allows.
CAP_RANGE_DEG = {"knee_drop": CLEARANCE_KNEE_DROP_DEG, "trunk_rotation": CLEARANCE_ROTATION_DEG}
#: Seconds to hold each side, and sessions a week, a care plan may set (the store refuses
#: anything else too).
HOLD_RANGE_S = (5.0, 600.0)
SESSIONS_RANGE = (1, 14)
#: How far ahead a care plan's review may be set: two years (731 days, a leap day included).
REVIEW_AHEAD = dt.timedelta(days=731)
#: The earliest "today" anywhere on Earth is UTC-12: a clinician writing late in their day
#: west of the server may still give their own today.
_EARLIEST_ZONE = dt.timedelta(hours=12)
REVIEW_DATE_WORDS = (
    "review date: give today or a later day, up to two years ahead ({first} to {last})"
)
#: The longest note for the student a care plan keeps (characters): a longer one is
#: refused (422), never cut (it was cut to this silently, and "saved").
MAX_CARE_NOTE = 2000
#: The care-plan form's messages in plain words, each shown beside its field (one table,
#: catalogued for the pages' language: ``twistcoach.i18n`` reads it).
CARE_PLAN_WORDS = {
    "choose_twists": "choose at least one twist",
    "not_allowed": "screening does not allow {twists} for this student",
    "cap_number": "{twist}: cap: give a number",
    "cap_range": "{twist}: cap: give {low} to {high}° (got {got}°)",
    "hold_number": "{twist}: hold time: give a number",
    "hold_range": "{twist}: hold time: give {low} to {high} seconds (got {got} seconds)",
    "sessions": "sessions a week: give a whole number from {low} to {high}",
    "review_date": "review date: give a date (YYYY-MM-DD)",
    "note": "the note for the student can be at most {n} characters (this one has {got})",
    "period": "the period ends before it starts",
    "period_start": "the period's first day: give a date (YYYY-MM-DD)",
    "period_end": "the period's last day: give a date (YYYY-MM-DD)",
}


# ------------------------------------------------------------------------ services


def require_clinician(account: AccountRecord) -> None:
    """Only clinicians write plans and read the audit view."""
    if account.role != Role.CLINICIAN:
        raise NotAllowed("only clinicians may do this")


def fhir_bundle(ctx: AppContext, viewer: AccountRecord, person_id: int) -> dict[str, Any]:
    """The student's record as a FHIR Bundle, for staff who can see them (audited)."""
    from twistcoach.export.facts import gather
    from twistcoach.export.fhir import build_bundle

    person = services.visible_person(ctx, viewer, person_id, read=False)
    bundle = build_bundle(gather(ctx.repo, person.id))
    ctx.repo.audit(viewer.id, "export.fhir", f"person:{person.id}", {"role": viewer.role})
    return bundle


def clinical_pdf(
    ctx: AppContext,
    viewer: AccountRecord,
    person_id: int,
    start: dt.date | None,
    end: dt.date | None,
    lang: str = "en",
) -> bytes:
    """The clinical report (PDF bytes) over ``start``..``end`` (days, inclusive), in
    ``lang``, audited."""
    from twistcoach.export.clinical_report import render_report
    from twistcoach.export.facts import check_period, gather

    if start is not None and end is not None and end < start:
        raise DataError(care_words("period"))
    check_period(start, end)
    person = services.visible_person(ctx, viewer, person_id, read=False)
    # Days of the student's own calendar (the zone each session was practised in, as the
    # pages show it), never this server's.
    facts = gather(ctx.repo, person.id, days=(start, end))
    data = render_report(facts, period=(start, end), lang=lang)
    ctx.repo.audit(viewer.id, "export.report", f"person:{person.id}", {"role": viewer.role})
    return data


@dataclass(frozen=True)
class PlanRow:
    """One variant on the care-plan form: what planning allows it now, and the clinician's
    last choice (or what they just typed, when the form comes back to be corrected)."""

    variant_id: str
    name: str
    planning_cap_deg: float | None
    chosen: bool
    #: The cap and the hold time as the form shows them (typed text kept as typed).
    cap_text: str
    hold_text: str
    #: The range the cap may be set in (its measure's degrees: :data:`CAP_RANGE_DEG`).
    cap_range: tuple[float, float] = CLEARANCE_KNEE_DROP_DEG


def _shown(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _first(form: Mapping[str, Sequence[str]], key: str) -> str:
    return (form.get(key) or [""])[0]


def care_plan_form(
    ctx: AppContext,
    clinician: AccountRecord,
    person_id: int,
    typed: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """What the care-plan form shows: the variants screening allows (with planning's cap
    now), the plan in force and when it is due for review; with ``typed`` (a form sent
    back to be corrected) the values typed, never the stored ones."""
    require_clinician(clinician)
    person = services.visible_person(ctx, clinician, person_id)
    decision = services.decision_for(ctx, person.id)
    plan = decision.clinician_plan
    names = domain.variant_names()
    chosen_now = None if typed is None else set(typed.get("variant", ()))
    rows = []
    for v in decision.variants:
        if v.plan_status.value != "allowed" or v.plan_cap_deg is None:
            continue  # the coach can only keep people under a cap it can measure
        given = None if plan is None else plan.prescription(v.variant_id)
        if typed is None:
            chosen = given is not None
            cap = _shown(None if given is None else given.cap_deg)
            hold = _shown(None if given is None else given.hold_s)
        else:
            chosen = chosen_now is not None and v.variant_id in chosen_now
            cap = _first(typed, f"cap_{v.variant_id}")
            hold = _first(typed, f"hold_{v.variant_id}")
        rows.append(
            PlanRow(
                v.variant_id,
                names.get(v.variant_id, v.variant_id),
                v.cap_deg,
                chosen,
                cap,
                hold,
                CAP_RANGE_DEG.get(v.measure, CLEARANCE_KNEE_DROP_DEG),
            )
        )
    if typed is None:
        values = {
            "sessions_per_week": str(plan.sessions_per_week) if plan else "3",
            "review_date": plan.review_date.isoformat() if plan else "",
            "note": plan.note if plan else "",
        }
    else:
        values = {key: _first(typed, key) for key in ("sessions_per_week", "review_date", "note")}
    return {
        "person": person,
        "rows": rows,
        "plan": plan,
        "open_flags": decision.open_flags,
        "hold_range": HOLD_RANGE_S,
        "sessions_range": SESSIONS_RANGE,
        "values": values,
        "max_note": MAX_CARE_NOTE,
    }


def care_words(key: str, **values: object) -> str:
    """A care-plan form's message (:data:`CARE_PLAN_WORDS`) with its values filled in."""
    return CARE_PLAN_WORDS[key].format(**values)


class _NotANumberError(Exception):
    """A typed number that is not one (its field's message is said by the caller)."""


def _number(text: str) -> float | None:
    """A typed number (None when left empty); :class:`_NotANumberError` when it is not a finite one
    ("nan" had meant no cap at all, "inf" a storage error)."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _NotANumberError from None
    if not math.isfinite(value):
        raise _NotANumberError
    return value


def _out_of(value: float | None, bounds: tuple[float, float]) -> bool:
    """A value out of its range is bad input (422) said plainly, never a store's refusal
    (which answered 409, the status of a conflict)."""
    low, high = bounds
    return value is not None and not low <= value <= high


def review_date_range(now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The first and last review date a care plan written at ``now`` (aware) may give:
    today (anywhere on Earth: the clinician's day, whatever the server's zone) to two years
    after the latest today."""
    first = (now.astimezone(dt.UTC) - _EARLIEST_ZONE).date()
    return first, latest_today(now) + REVIEW_AHEAD


def _ranged_field(
    form: Mapping[str, Sequence[str]],
    what: str,
    variant: str,
    name: str,
    bounds: tuple[float, float],
    problems: dict[str, str],
) -> float | None:
    """The care plan's ``{what}_{variant}`` number (``cap`` or ``hold``), or None; a value
    that is not a number or lies outside ``bounds`` is put in ``problems`` in plain words."""
    key = f"{what}_{variant}"
    try:
        value = _number(_first(form, key))
    except _NotANumberError:
        problems[key] = care_words(f"{what}_number", twist=name)
        return None
    if _out_of(value, bounds):
        low, high = bounds
        problems[key] = care_words(
            f"{what}_range", twist=name, low=f"{low:g}", high=f"{high:g}", got=f"{value:g}"
        )
    return value


def write_care_plan(
    ctx: AppContext,
    clinician: AccountRecord,
    person_id: int,
    form: dict[str, list[str]],
) -> None:
    """Store a clinician's plan from the form (audited). Planning clips it to what
    screening and the history allow; it can never raise a cap."""
    require_clinician(clinician)
    person = services.visible_person(ctx, clinician, person_id, read=False)
    allowed = {  # variant id -> what its cap measures
        v.variant_id: v.measure
        for v in services.decision_for(ctx, person.id).variants
        if v.plan_status.value == "allowed" and v.plan_cap_deg is not None
    }
    problems: dict[str, str] = {}
    chosen = [v for v in form.get("variant", []) if v]
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        # The poses' names, never their ids (people never see internal ids).
        named = "; ".join(domain.library().name_of(v) for v in dict.fromkeys(unknown))
        problems["variant"] = care_words("not_allowed", twists=named)
    elif not chosen:
        problems["variant"] = care_words("choose_twists")
    prescriptions = []
    for v in dict.fromkeys(c for c in chosen if c in allowed):
        name = domain.library().name_of(v)
        cap_range = CAP_RANGE_DEG.get(allowed[v], CLEARANCE_KNEE_DROP_DEG)
        cap = _ranged_field(form, "cap", v, name, cap_range, problems)
        hold = _ranged_field(form, "hold", v, name, HOLD_RANGE_S, problems)
        prescriptions.append((v, cap, hold))
    low, high = SESSIONS_RANGE
    try:
        weekly = _number(_first(form, "sessions_per_week"))
    except _NotANumberError:
        weekly = None
    if weekly is None or not weekly.is_integer() or not low <= weekly <= high:
        problems["sessions_per_week"] = care_words("sessions", low=low, high=high)
    review: dt.date | None = None
    try:
        review = dt.date.fromisoformat(_first(form, "review_date").strip())
    except ValueError:
        problems["review_date"] = care_words("review_date")
    first, last = review_date_range(ctx.repo.now())
    if review is not None and not first <= review <= last:
        # 1900-01-01 was stored: the plan was due for review the day it was written.
        problems["review_date"] = REVIEW_DATE_WORDS.format(
            first=first.isoformat(), last=last.isoformat()
        )
    note = _first(form, "note")
    if len(note) > MAX_CARE_NOTE:
        problems["note"] = care_words("note", n=MAX_CARE_NOTE, got=len(note))
    if problems or weekly is None or review is None:
        raise DataError("; ".join(problems.values()), problems=problems)
    try:
        record = ctx.repo.record_clinician_plan(
            person.id,
            clinician.display_name,
            prescriptions,
            int(weekly),
            review,
            note,
            written_by=clinician.id,
        )
    except StorageError as exc:  # the store's own checks of the values: bad input too
        raise DataError(str(exc)) from None
    ctx.repo.audit(
        clinician.id,
        "care_plan.write",
        f"person:{person.id}",
        {"plan_id": record.id, "variants": [p[0] for p in prescriptions]},
    )


@dataclass(frozen=True)
class AuditRow:
    """One audit entry about one of the clinician's students, in plain words."""

    at: dt.datetime
    student: str
    who: str
    what: str


def audit_view(ctx: AppContext, clinician: AccountRecord) -> list[AuditRow]:
    """Who read and changed each of the clinician's students' records, newest first."""
    require_clinician(clinician)
    students = {
        p.id: p.name for p in ctx.repo.list_people() if ctx.repo.follows(clinician.id, p.id)
    }
    targets: dict[str, str] = {}
    for person_id, name in students.items():
        targets[f"person:{person_id}"] = name
        for s in ctx.repo.list_sessions(person_id):
            targets[f"session:{s.session.id}"] = name
    accounts = {a.id: a.display_name for a in ctx.repo.list_accounts()}
    rows = []
    for entry in ctx.repo.list_audit(limit=AUDIT_WINDOW):
        student = targets.get(entry.target)
        if student is not None:
            rows.append(AuditRow(entry.at, student, _who(entry, accounts), _what(entry)))
    return rows


def _who(entry: AuditRecord, accounts: dict[int, str]) -> str:
    if entry.actor_id is None:
        return "twistcoach"
    return accounts.get(entry.actor_id, "a removed account")


#: Each audited action in plain words (never the internal action id); the page translates
#: them (``i18n`` catalogues these values).
AUDIT_WORDS = {
    "read.person": "read the record",
    "read.session": "read a session",
    "read.sessions": "read the sessions",
    "export.fhir": "exported the record (FHIR)",
    "export.report": "made the clinical report",
    "care_plan.write": "wrote a care plan",
    "clearance.record": "recorded a clearance",
    "progression.approved": "approved a progression",
    "progression.declined": "declined a progression",
    "review.record": "recorded a review",
    "safety.review": "recorded a review",
    "session.start": "started a session",
    "session.end": "ended a session",
    "intake.submit": "submitted an intake",
    "safety.checkin": "answered the check-in",
    "clearance.withdraw": "withdrew a clearance",
    "session.sharp_after": "reported sharp pain after a session",
    "session.end_pain": "gave the pain after a session",
    "account.signup": "signed up",
    "account.signup_existing": "tried to sign up again",
    "account.signin": "signed in",
    "account.signout": "signed out",
    "account.password": "changed the password",
    "link.add": "linked a teacher or clinician",
    "link.remove": "removed a teacher or clinician",
    "read.roster": "read the roster",
    "demo.seed": "made the demo data",
}
#: An action the table lacks (a test fails on any the code records; this is only what a
#: reader sees meanwhile): never the id or its prefix.
UNKNOWN_ACTION = "another change"


def _what(entry: AuditRecord) -> str:
    """The action in plain words (never the internal action id)."""
    return AUDIT_WORDS.get(entry.action, UNKNOWN_ACTION)


# -------------------------------------------------------------------------- routes


@router.get(
    "/api/students/{person_id}/fhir",
    response_model=FhirBundle,
    responses={
        200: {"content": {"application/fhir+json": {}}},
        **errors(401, 403, 404),
    },
)
def api_fhir(person_id: Id, who: StaffUser, ctx: Ctx) -> JSONResponse:
    """The student's record as an HL7 FHIR R4B Bundle (JSON, ``application/fhir+json``)."""
    bundle = fhir_bundle(ctx, who.account, person_id)
    return JSONResponse(bundle, media_type="application/fhir+json")


@router.get("/students/{person_id}/fhir.json", include_in_schema=False)
def fhir_download(person_id: Id, who: StaffUser, ctx: Ctx) -> JSONResponse:
    """The FHIR Bundle as a file to save."""
    bundle = fhir_bundle(ctx, who.account, person_id)
    return JSONResponse(
        bundle,
        media_type="application/fhir+json",
        headers={"Content-Disposition": f'attachment; filename="student-{person_id}-fhir.json"'},
    )


@router.get("/students/{person_id}/report.pdf", include_in_schema=False)
def report_download(
    request: Request,
    person_id: Id,
    who: StaffUser,
    ctx: Ctx,
    start: Annotated[str, Query(max_length=100)] = "",
    end: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """The clinical report over a period (PDF), in the pages' language; a day that is not
    one is said plainly (it was "query.start: Input should be a valid date...")."""
    data = clinical_pdf(
        ctx,
        who.account,
        person_id,
        _period_day(start, "start"),
        _period_day(end, "end"),
        request_language(request),
    )
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="student-{person_id}-report.pdf"'},
    )


def _period_day(text: str, which: str) -> dt.date | None:
    """A report period's ``start`` or ``end`` (None when not given)."""
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DataError(care_words(f"period_{which}")) from None


def _render(request: Request, name: str, who: Any, **values: Any) -> HTMLResponse:
    from twistcoach.web.pages import render

    return render(request, name, who.pair(), **values)


@router.get("/students/{person_id}/care-plan", include_in_schema=False)
def care_plan_page(request: Request, person_id: Id, who: StaffUser, ctx: Ctx) -> HTMLResponse:
    """The clinician's care-plan form."""
    form = care_plan_form(ctx, who.account, person_id)
    return _render(request, "care_plan.html", who, **form, errors={})


@router.post("/students/{person_id}/care-plan", include_in_schema=False)
async def care_plan_submit(
    request: Request,
    person_id: Id,
    who: FormChange,
    ctx: Ctx,
    variant: Annotated[list[str] | None, Form()] = None,  # read below with the rest
) -> Response:
    """Store the clinician's plan, then back to the student's page."""
    raw = await request.form()
    form = {key: [str(v) for v in raw.getlist(key)] for key in raw}
    try:
        write_care_plan(ctx, who.account, person_id, form)
    except DataError as exc:
        # The form again, with each problem beside its field and what was typed kept.
        values = care_plan_form(ctx, who.account, person_id, form)
        problems = exc.problems or {"_form": str(exc)}
        page = _render(request, "care_plan.html", who, **values, errors=problems)
        page.status_code = 422
        return page
    return RedirectResponse(f"/students/{person_id}?msg=care_plan", status_code=303)


@router.get("/audit", include_in_schema=False)
def audit_page(request: Request, who: StaffUser, ctx: Ctx) -> HTMLResponse:
    """Who read and changed the clinician's students' records."""
    rows = audit_view(ctx, who.account)
    return _render(request, "audit.html", who, rows=rows)
