"""Database rows as the frozen records callers get (:mod:`twistcoach.storage.records`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from twistcoach.storage.models import (
    Account,
    AuditEntry,
    CheckIn,
    Clearance,
    ClearanceWithdrawal,
    ClinicianPlan,
    Intake,
    MetricSample,
    Person,
    Plan,
    PracticeSession,
    ProgressionDecision,
    SafetyReview,
    SessionEvent,
    StaffLink,
    WebSession,
)
from twistcoach.storage.records import (
    AccountRecord,
    AuditRecord,
    CheckInRecord,
    ClearanceRecord,
    ClinicianPlanRecord,
    DecisionRecord,
    EventRecord,
    IntakeRecord,
    LinkRecord,
    PersonRecord,
    PlanRecord,
    ReviewRecord,
    SampleRecord,
    SessionRecord,
    WebSessionRecord,
    WithdrawalRecord,
)


def account_record(row: Account) -> AccountRecord:
    return AccountRecord(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        password_hash=row.password_hash,
        role=row.role,
        trained_for_back_problems=row.trained_for_back_problems,
        created_at=row.created_at,
    )


def person_record(row: Person) -> PersonRecord:
    return PersonRecord(
        id=row.id,
        name=row.name,
        account_id=row.account_id,
        teacher_id=row.teacher_id,
        created_at=row.created_at,
    )


def intake_record(row: Intake) -> IntakeRecord:
    from twistcoach.intake import IntakeError, parse_intake

    try:
        parsed = parse_intake(row.data)
    except IntakeError:
        parsed = None  # an intake that no longer validates is treated as none (fail safe)
    return IntakeRecord(
        id=row.id,
        person_id=row.person_id,
        data=dict(row.data),
        created_at=row.created_at,
        intake=parsed,
    )


def plan_record(row: Plan) -> PlanRecord:
    return PlanRecord(
        id=row.id,
        person_id=row.person_id,
        intake_id=row.intake_id,
        data=dict(row.data),
        status=row.status,
        created_at=row.created_at,
    )


def withdrawal_record(row: ClearanceWithdrawal) -> WithdrawalRecord:
    return WithdrawalRecord(
        id=row.id,
        clearance_id=row.clearance_id,
        by_role=row.by_role,
        by_name=row.by_name,
        withdrawn_by=row.withdrawn_by,
        reason=row.reason,
        at=row.at,
    )


def clearance_record(
    row: Clearance, withdrawal: ClearanceWithdrawal | None = None
) -> ClearanceRecord:
    return ClearanceRecord(
        id=row.id,
        person_id=row.person_id,
        by_role=row.by_role,
        name=row.name,
        date=row.date,
        variants=[str(v) for v in row.variants],
        max_knee_drop_deg=row.max_knee_drop_deg,
        teacher_trained_for_back_problems=row.teacher_trained_for_back_problems,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
        max_trunk_rotation_deg=row.max_trunk_rotation_deg,
        withdrawal=None if withdrawal is None else withdrawal_record(withdrawal),
    )


def session_record(row: PracticeSession, person_name: str) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        person_id=row.person_id,
        person_name=person_name,
        plan_id=row.plan_id,
        variant_id=row.variant_id,
        cap_deg=row.cap_deg,
        started_at=row.started_at,
        ended_at=row.ended_at,
        status=row.status,
        stop_reason=row.stop_reason,
        start_pain=row.start_pain,
        end_pain=row.end_pain,
        source=row.source,
        time_zone=row.time_zone,
    )


def event_record(row: SessionEvent) -> EventRecord:
    return EventRecord(
        id=row.id,
        t=row.t,
        type=row.type,
        event_id=row.event_id,
        text=row.text,
        data=dict(row.data),
    )


def sample_record(row: MetricSample) -> SampleRecord:
    return SampleRecord(
        t=row.t,
        knee_drop=row.knee_drop,
        pelvis_roll=row.pelvis_roll,
        shoulder_roll=row.shoulder_roll,
        twist=row.twist,
        speed=row.speed,
        confidence=row.confidence,
        cap=row.cap,
    )


def decision_record(row: ProgressionDecision, name: str | None = None) -> DecisionRecord:
    suggestion = dict(row.suggestion)
    variant = suggestion.get("variant_id")
    action = suggestion.get("action")
    cap = suggestion.get("suggested_cap_deg")
    suggested = (
        float(cap)
        if isinstance(cap, int | float) and not isinstance(cap, bool) and math.isfinite(cap)
        else None
    )
    return DecisionRecord(
        id=row.id,
        person_id=row.person_id,
        suggestion=suggestion,
        decision=row.decision,
        decided_by=row.decided_by,
        at=row.at,
        variant_id=variant if isinstance(variant, str) else None,
        action=action if isinstance(action, str) else None,
        suggested_cap_deg=suggested,
        decided_by_name=name,
    )


def checkin_record(row: CheckIn) -> CheckInRecord:
    return CheckInRecord(
        id=row.id,
        person_id=row.person_id,
        back=row.back,
        new_leg_symptoms=row.new_leg_symptoms,
        weakness_or_numbness=row.weakness_or_numbness,
        at=row.at,
    )


def clinician_plan_record(row: ClinicianPlan) -> ClinicianPlanRecord:
    from twistcoach.planning import ClinicianPlan as Plan
    from twistcoach.planning import Prescription

    def number(value: object) -> float | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if ok and math.isfinite(float(value)) else None  # type: ignore[arg-type]

    prescriptions = tuple(
        Prescription(str(v["variant_id"]), number(v.get("cap_deg")), number(v.get("hold_s")))
        for v in row.variants
        if isinstance(v, dict) and isinstance(v.get("variant_id"), str)
    )
    plan = Plan(
        at=row.at,
        by_name=row.by_name,
        variants=prescriptions,
        sessions_per_week=row.sessions_per_week,
        review_date=row.review_date,
        note=row.note,
    )
    return ClinicianPlanRecord(row.id, row.person_id, row.written_by, plan)


def review_record(row: SafetyReview) -> ReviewRecord:
    return ReviewRecord(
        id=row.id,
        person_id=row.person_id,
        by_role=row.by_role,
        by_name=row.by_name,
        note=row.note,
        reviewed_by=row.reviewed_by,
        at=row.at,
    )


def audit_record(row: AuditEntry) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        actor_id=row.actor_id,
        action=row.action,
        target=row.target,
        details=dict(row.details),
        at=row.at,
    )


def web_session_record(row: WebSession) -> WebSessionRecord:
    return WebSessionRecord(row.id, row.account_id, row.csrf, row.created_at, row.expires_at)


def link_record(row: StaffLink) -> LinkRecord:
    return LinkRecord(row.id, row.person_id, row.staff_email, row.created_at)


def pain_level(data: Mapping[str, Any]) -> tuple[int | None, bool]:
    """(level, sharp) of a stored pain event; sharp pain counts as 10."""
    sharp = bool(data.get("sharp", False))
    level = data.get("level")
    if isinstance(level, int) and not isinstance(level, bool):
        return (10 if sharp else level), sharp
    return (10 if sharp else None), sharp
