"""Progression from stored history: the edge between the database and the pure
:func:`twistcoach.progression.suggest_progression`.

Used by ``twistcoach progress`` and the web dashboard alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from twistcoach.storage.models import ClearanceBy, SessionStatus
from twistcoach.storage.records import ClearanceRecord, SessionSummary
from twistcoach.storage.repository import Repository

if TYPE_CHECKING:
    from twistcoach.progression import (
        ClearanceInfo,
        NextVariant,
        ProgressionSuggestion,
        SessionOutcome,
    )


def outcome_of(summary: SessionSummary) -> SessionOutcome | None:
    """A stored session as progression sees it (None while it is still running).

    Per-second samples over the cap count one second each; an interrupted session has the
    stop reason ``"interrupted"``.
    """
    from twistcoach.progression import SessionOutcome

    session = summary.session
    if session.status == SessionStatus.RUNNING:
        return None
    if session.status == SessionStatus.INTERRUPTED:
        stopped: str | None = "interrupted"
    elif session.status == SessionStatus.STOPPED:
        stopped = session.stop_reason or "quit"
    else:
        stopped = None
    return SessionOutcome(
        date=session.started_at,
        variant_id=session.variant_id,
        cap_deg=session.cap_deg,
        max_knee_drop_deg=summary.max_abs_knee_drop,
        over_cap_s=float(summary.over_cap_samples),
        start_pain=session.start_pain,
        end_pain=session.end_pain,
        max_pain=max(summary.pain_reports) if summary.pain_reports else None,
        stopped_reason=stopped,
    )


def clearance_info(record: ClearanceRecord) -> ClearanceInfo:
    """A recorded clearance; a teacher's counts only when trained for back problems."""
    from twistcoach.progression import ClearanceInfo

    counts = record.by_role == ClearanceBy.CLINICIAN or record.teacher_trained_for_back_problems
    return ClearanceInfo(tuple(record.variants), record.max_knee_drop_deg, counts)


def _intake_clearances(intake: Mapping[str, Any] | None) -> list[ClearanceInfo]:
    from twistcoach.progression import ClearanceInfo

    out = []
    for c in (intake or {}).get("clearances", []) or []:
        counts = c.get("by") == ClearanceBy.CLINICIAN or bool(
            c.get("teacher_trained_for_back_problems")
        )
        limit = c.get("max_knee_drop_deg")
        out.append(
            ClearanceInfo(
                tuple(str(v) for v in c.get("variants", [])),
                float(limit) if isinstance(limit, int | float) else None,
                counts,
            )
        )
    return out


def has_back_condition(intake: Mapping[str, Any] | None) -> bool:
    """True when the intake records a back condition, back pain or leg symptoms.

    No intake counts as True: fail safe, a harder variant then needs a clearance.
    """
    if intake is None:
        return True
    pain = intake.get("pain_now") or 0
    return (
        bool(intake.get("conditions"))
        or (isinstance(pain, int | float) and pain >= 1)
        or intake.get("leg_symptoms", "none") != "none"
    )


def _decisions(plan: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    return {str(v.get("id")): v for v in (plan or {}).get("variants", []) if isinstance(v, Mapping)}


def _next_variant(variant_id: str, plan: Mapping[str, Any] | None) -> NextVariant | None:
    """The next variant in the pose library's difficulty order, with the plan's status."""
    from twistcoach.poses.loader import load_library
    from twistcoach.progression import NextVariant

    ids: Sequence[str] = load_library().ids
    if variant_id not in ids:
        return None
    index = list(ids).index(variant_id)
    if index + 1 >= len(ids):
        return None
    following = ids[index + 1]
    status = str(_decisions(plan).get(following, {}).get("status", "not_allowed"))
    return NextVariant(following, status)


def suggest_for_person(
    repo: Repository, person_id: int, variant_id: str | None = None
) -> ProgressionSuggestion | None:
    """The progression suggestion for a person's stored history.

    Parameters
    ----------
    repo
        Where the history, plan, intake and clearances are.
    person_id
        The person.
    variant_id
        The variant to progress; default: the latest session's, else the plan's first
        allowed variant with a knee-drop cap.

    Returns
    -------
    ProgressionSuggestion or None
        None when there is neither a session nor an allowed variant to start with.
    """
    from twistcoach.progression import suggest_progression

    plan_record = repo.latest_plan(person_id)
    plan = plan_record.data if plan_record is not None else None
    intake_record = repo.latest_intake(person_id)
    intake = intake_record.data if intake_record is not None else None
    outcomes = [o for o in (outcome_of(s) for s in repo.history(person_id)) if o is not None]
    decisions = _decisions(plan)
    if variant_id is None:
        if outcomes:
            variant_id = outcomes[-1].variant_id
        else:
            allowed = [
                key
                for key, d in decisions.items()
                if d.get("status") == "allowed" and d.get("max_knee_drop_deg") is not None
            ]
            if not allowed:
                return None
            variant_id = allowed[0]
    decision = decisions.get(variant_id, {})
    cap = decision.get("max_knee_drop_deg") if decision.get("status") == "allowed" else None
    clearances = [clearance_info(c) for c in repo.list_clearances(person_id)]
    clearances += _intake_clearances(intake)
    return suggest_progression(
        [o for o in outcomes if o.variant_id == variant_id],
        variant_id=variant_id,
        plan_cap_deg=float(cap) if isinstance(cap, int | float) else None,
        back_condition=has_back_condition(intake),
        clearances=clearances,
        next_variant=_next_variant(variant_id, plan),
    )
