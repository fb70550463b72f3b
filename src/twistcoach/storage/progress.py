"""A person's stored history as planning's typed values, and planning's decision for them.

The edge between the database and the pure :func:`twistcoach.planning.decide`: every
surface that needs to know what a stored person may practise (``twistcoach coach
--person``, ``twistcoach progress``, the web's pages, API and practice socket, the
dashboard) calls :func:`decide_for_person`, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from typing import TYPE_CHECKING

from twistcoach.storage.models import ClearanceBy, Decision, SessionStatus
from twistcoach.storage.records import SessionRecord, SessionSummary
from twistcoach.storage.repository import Repository

if TYPE_CHECKING:
    from twistcoach.planning import PersonHistory, PracticeDecision
    from twistcoach.progression import ProgressionSuggestion, SessionOutcome


def stopped_at(summary: SessionSummary, stopped_reason: str | None) -> dt.datetime:
    """When a stored session is dated for planning: when what stopped it happened.

    Sharp pain: when it was first reported (``sharp_at_s``); a pain stop (``pain_high``,
    ``pain_rise``): when the session stopped (``ended_at``); anything else, or without
    that time: when it started. The one place both day locks get their date from: a
    session begun at 23:50 and stopped at 00:05 (for sharp pain or for pain) locks the day
    of 00:05; dated by its start, its lock had already ended when it was given.
    """
    from twistcoach.progression import PAIN_STOPS, SHARP_STOP

    session = summary.session
    if stopped_reason == SHARP_STOP and summary.sharp_at_s is not None:
        return session.started_at + dt.timedelta(seconds=summary.sharp_at_s)
    if stopped_reason in PAIN_STOPS and session.ended_at is not None:
        return max(session.started_at, session.ended_at)
    return session.started_at


def outcome_of(summary: SessionSummary) -> SessionOutcome | None:
    """A stored session as progression sees it (None while it is still running).

    Its seconds over the cap are the time its samples spent over it
    (:attr:`~twistcoach.storage.records.SessionSummary.over_cap_s`, from their own times, not
    one second a sample); an interrupted session has the stop reason ``"interrupted"``.
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
    if summary.sharp_pain:
        stopped = "sharp_pain"  # sharp pain always wins, however the session ended
    elif stopped in (None, "quit") and session.end_pain is not None:
        # A pain given after the end that would have stopped the session had it been said
        # during it (above 5/10, or 2 points over the start) ends that day's practice as a
        # pain stop does: one rule for both (coaching.Thresholds.pain_stop).
        from twistcoach.session import default_coaching_rules  # read once per process

        after = default_coaching_rules().thresholds.pain_stop(
            session.end_pain, session.start_pain if session.start_pain is not None else 10
        )
        stopped = after.value if after is not None else stopped
    return SessionOutcome(
        date=stopped_at(summary, stopped),
        variant_id=session.variant_id,
        cap_deg=session.cap_deg,
        max_knee_drop_deg=summary.max_abs_knee_drop,
        over_cap_s=summary.over_cap_s,
        start_pain=session.start_pain,
        end_pain=session.end_pain,
        max_pain=max(summary.pain_reports) if summary.pain_reports else None,
        stopped_reason=stopped,
    )


def load_history(
    repo: Repository, person_id: int, summaries: Sequence[SessionSummary] | None = None
) -> PersonHistory:
    """Everything planning needs about a stored person, parsed once into typed values
    (``summaries``: their sessions oldest first, when already read)."""
    from pydantic import ValidationError

    from twistcoach.intake import Clearance
    from twistcoach.intake import ClearanceBy as By
    from twistcoach.planning import (
        BackFeeling,
        CheckIn,
        ClearanceWithdrawal,
        DatedClearance,
        DatedIntake,
        PastSession,
        PersonHistory,
        SafetyReview,
        StaffDecision,
    )

    intakes = tuple(
        DatedIntake(r.intake, r.created_at)
        for r in repo.list_intakes(person_id)
        if r.intake is not None
    )
    clearances: list[DatedClearance] = []
    for c in repo.list_clearances(person_id):
        try:
            clearance = Clearance(
                by=By(c.by_role),
                name=c.name,
                date=c.date,
                variants=tuple(c.variants),
                max_knee_drop_deg=c.max_knee_drop_deg,
                max_trunk_rotation_deg=c.max_trunk_rotation_deg,
                teacher_trained_for_back_problems=(
                    c.by_role == ClearanceBy.TEACHER and c.teacher_trained_for_back_problems
                ),
            )
        except ValidationError:
            continue  # stored before a check it fails (a year 1 date): it unlocks nothing
        w = c.withdrawal
        withdrawal = (
            None if w is None else ClearanceWithdrawal(w.at, By(w.by_role), w.by_name, w.reason)
        )
        clearances.append(DatedClearance(clearance, c.created_at, withdrawal, c.id))
    sessions = []
    for summary in repo.history(person_id) if summaries is None else summaries:
        outcome = outcome_of(summary)
        if outcome is not None:
            sessions.append(PastSession(outcome, summary.session.id))
    decisions = tuple(
        StaffDecision(
            at=d.at,
            variant_id=d.variant_id,
            approved=d.decision == Decision.APPROVED,
            cap_deg=d.suggested_cap_deg,
            by_name=d.decided_by_name or "your teacher or clinician",
        )
        for d in repo.list_decisions(person_id)
        if d.variant_id is not None
    )
    reviews = tuple(
        SafetyReview(r.at, By(r.by_role), r.by_name, r.note) for r in repo.list_reviews(person_id)
    )
    checkins = tuple(
        CheckIn(c.at, BackFeeling(c.back), c.new_leg_symptoms, c.weakness_or_numbness)
        for c in repo.list_checkins(person_id)
    )
    return PersonHistory(
        intakes=intakes,
        clearances=tuple(clearances),
        sessions=tuple(sessions),
        decisions=decisions,
        reviews=reviews,
        checkins=checkins,
        clinician_plans=tuple(p.plan for p in repo.list_clinician_plans(person_id)),
    )


def local_zone() -> dt.tzinfo:
    """This machine's time zone (the CLI's person's own)."""
    zone = dt.datetime.now().astimezone().tzinfo
    return zone if zone is not None else dt.UTC


def session_zone(session: SessionRecord) -> dt.tzinfo:
    """The time zone a session is read in: the one it was practised in (as the person's
    browser said), else this machine's (:func:`local_zone`), as for the CLI."""
    if session.time_zone:
        try:
            return zoneinfo.ZoneInfo(session.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            pass  # a name this machine's zone database no longer knows
    return local_zone()


def session_started(session: SessionRecord) -> dt.datetime:
    """When a session started, on the clock of :func:`session_zone`: a session practised at
    8 pm in New York reads 8 pm that day, never 01:00 the next day (the stored moment is
    UTC)."""
    moment = session.started_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(session_zone(session))


def lock_zone(summaries: Sequence[SessionSummary]) -> dt.tzinfo:
    """The time zone whose day a sharp-pain lock lasts for: the one the person's last
    sharp-pain stop was practised in (as their browser said; a later session said to be
    elsewhere cannot shorten it), else this machine's (:func:`local_zone`), as for the CLI.

    ``summaries``: the person's sessions, oldest first.
    """
    from twistcoach.progression import SHARP_STOP

    for summary in reversed(summaries):
        outcome = outcome_of(summary)
        if outcome is not None and outcome.stopped_reason == SHARP_STOP:
            name = summary.session.time_zone
            if not name:
                return local_zone()
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
                # A name this machine's zone database no longer knows: the zone whose day
                # ends last on Earth (UTC-12), so that the lock is never shorter.
                return dt.timezone(dt.timedelta(hours=-12))
    return local_zone()


def decide_for_person(
    repo: Repository,
    person_id: int,
    now: dt.datetime | None = None,
    *,
    progression_variant: str | None = None,
) -> PracticeDecision:
    """Planning's decision for a stored person now (the repository's clock by default).

    ``progression_variant`` asks progression about that variant instead of the one
    practised last.
    """
    from twistcoach.planning import decide
    from twistcoach.poses.loader import load_library

    when = now if now is not None else repo.now()
    summaries = repo.history(person_id)
    return decide(
        load_history(repo, person_id, summaries),
        load_library(),
        now=when,
        tz=lock_zone(summaries),
        progression_variant=progression_variant,
    )


def suggest_for_person(
    repo: Repository, person_id: int, variant_id: str | None = None
) -> ProgressionSuggestion | None:
    """The progression suggestion for a stored person (planning's, see
    :func:`decide_for_person`); ``variant_id`` asks about one variant."""
    return decide_for_person(repo, person_id, progression_variant=variant_id).progression
