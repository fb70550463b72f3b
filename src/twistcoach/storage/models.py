"""SQLAlchemy 2 models: the tables twistcoach keeps.

The schema itself is created by the Alembic migrations in ``storage/migrations`` (never by
``metadata.create_all``), so a database made by an older version is upgraded in place and
nothing already stored is lost. These models must match the latest migration; a test
compares them.

Conventions
-----------
- Times of day are stored as timezone-aware UTC (:class:`UTCDateTime`); SQLite keeps naive
  values, so they are normalised to UTC on the way in and out.
- Times inside a practice session (``t`` of samples and events) are seconds from the
  session's start, floats.
- Angles are degrees, signed as in :mod:`twistcoach.metrics` (positive towards the
  person's right).
- Free-form documents (an intake, a plan, a suggestion, event data) are JSON columns,
  which both SQLite and PostgreSQL support.
- Vocabularies (roles, statuses) are strings checked by CHECK constraints, mirrored by the
  StrEnums below, so a new value needs a migration rather than a silent new spelling.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from twistcoach.planning import BackFeeling as BackFeeling  # the check-in's vocabulary


class Role(StrEnum):
    """What an account may do (the web app enforces it)."""

    STUDENT = "student"
    TEACHER = "teacher"
    CLINICIAN = "clinician"


class SessionStatus(StrEnum):
    """Life of a practice session.

    ``running`` while it is recorded; ``completed`` when the coach finished the sequence;
    ``stopped`` when it was stopped early (pain, the person, wrong pose); ``interrupted``
    when the process recording it died (set at the next start, keeping what was written).
    """

    RUNNING = "running"
    COMPLETED = "completed"
    STOPPED = "stopped"
    INTERRUPTED = "interrupted"


class EventType(StrEnum):
    """Kinds of session events: a coaching cue, a coach event, or a pain report."""

    CUE = "cue"
    EVENT = "event"
    PAIN = "pain"


class ClearanceBy(StrEnum):
    """Who gave a clearance."""

    CLINICIAN = "clinician"
    TEACHER = "teacher"


class Decision(StrEnum):
    """What a teacher or clinician decided about a progression suggestion."""

    APPROVED = "approved"
    DECLINED = "declined"


def _in(column: str, enum: type[StrEnum]) -> str:
    """SQL CHECK expression restricting ``column`` to the values of ``enum``."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend.

    Raises ``ValueError`` for naive datetimes: the caller must say which time zone it means.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Convert to UTC before storing."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC time")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        """Return aware UTC times (SQLite gives naive ones back)."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of the twistcoach tables."""


class Account(Base):
    """A person who signs in: a student, a teacher or a clinician."""

    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint(_in("role", Role), name="ck_accounts_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(500))
    role: Mapped[str] = mapped_column(String(16))
    trained_for_back_problems: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Person(Base):
    """A student profile: the person who practises (may have no account, e.g. CLI use)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), unique=True
    )
    teacher_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Intake(Base):
    """One filled-in intake (the screening answers), as JSON."""

    __tablename__ = "intakes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Plan(Base):
    """A readiness plan made from an intake, as JSON, with its overall status."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intakes.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Clearance(Base):
    """A clinician's or trained teacher's clearance for variants and a knee-drop limit."""

    __tablename__ = "clearances"
    __table_args__ = (CheckConstraint(_in("by_role", ClearanceBy), name="ck_clearances_by_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    by_role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    date: Mapped[dt.date] = mapped_column(Date)
    variants: Mapped[list[Any]] = mapped_column(JSON)
    max_knee_drop_deg: Mapped[float | None] = mapped_column(Float)
    teacher_trained_for_back_problems: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: The trunk-rotation limit for seated and standing variants (issue 20; migration 0005).
    max_trunk_rotation_deg: Mapped[float | None] = mapped_column(Float, nullable=True)


class ClearanceWithdrawal(Base):
    """A clearance withdrawn, with who, when and why (table ``clearance_withdrawals``;
    migration 0007).

    The clearance row itself is never changed or deleted: the history keeps it, and this row
    says from when it no longer counts. One withdrawal per clearance (a unique key).
    """

    __tablename__ = "clearance_withdrawals"
    __table_args__ = (
        CheckConstraint(_in("by_role", ClearanceBy), name="ck_clearance_withdrawals_by_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clearance_id: Mapped[int] = mapped_column(ForeignKey("clearances.id"), unique=True)
    by_role: Mapped[str] = mapped_column(String(16))
    by_name: Mapped[str] = mapped_column(String(200))
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class PracticeSession(Base):
    """One coached practice session (table ``sessions``).

    ``owner`` names the process recording it (``host:pid``) and ``updated_at`` is its
    heartbeat, refreshed with every sample: together they tell a session whose recorder
    died from one still being recorded elsewhere.
    """

    __tablename__ = "sessions"
    __table_args__ = (CheckConstraint(_in("status", SessionStatus), name="ck_sessions_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    variant_id: Mapped[str] = mapped_column(String(100))
    cap_deg: Mapped[float] = mapped_column(Float)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), index=True)
    stop_reason: Mapped[str | None] = mapped_column(Text)
    start_pain: Mapped[int | None] = mapped_column(Integer)
    end_pain: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(300))
    #: The IANA time zone the person practised in (their browser's), None when not said
    #: (the CLI: the machine's own zone is the person's). A sharp-pain stop locks the rest
    #: of the day in this zone.
    time_zone: Mapped[str | None] = mapped_column(String(64))


class MetricSample(Base):
    """One per-second sample of the measured twist (degrees; None when unknown)."""

    __tablename__ = "metric_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    t: Mapped[float] = mapped_column(Float)
    knee_drop: Mapped[float | None] = mapped_column(Float)
    pelvis_roll: Mapped[float | None] = mapped_column(Float)
    shoulder_roll: Mapped[float | None] = mapped_column(Float)
    twist: Mapped[float | None] = mapped_column(Float)
    speed: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    cap: Mapped[float | None] = mapped_column(Float)


class SessionEvent(Base):
    """A cue, coach event or pain report, written the moment it happens."""

    __tablename__ = "events"
    __table_args__ = (CheckConstraint(_in("type", EventType), name="ck_events_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    t: Mapped[float] = mapped_column(Float)
    type: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class ProgressionDecision(Base):
    """A teacher's or clinician's answer to a progression suggestion."""

    __tablename__ = "progression_decisions"
    __table_args__ = (
        CheckConstraint(_in("decision", Decision), name="ck_progression_decisions_decision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    suggestion: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who changed what, when (table ``audit_log``)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class CheckIn(Base):
    """A person's answers before practising again after sharp pain (table ``checkins``)."""

    __tablename__ = "checkins"
    __table_args__ = (CheckConstraint(_in("back", BackFeeling), name="ck_checkins_back"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    back: Mapped[str] = mapped_column(String(16))
    new_leg_symptoms: Mapped[bool] = mapped_column(Boolean)
    weakness_or_numbness: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class SafetyReview(Base):
    """A teacher's or clinician's review of a student's safety flags (table ``reviews``).

    It closes every flag raised before ``at``.
    """

    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint(_in("by_role", ClearanceBy), name="ck_reviews_by_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    by_role: Mapped[str] = mapped_column(String(16))
    by_name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A web sign-in (table ``web_sessions``): the server's record of a session cookie.

    The cookie carries a random token; only its SHA-256 (``id``) is stored, so a copy of
    the database gives no live cookie. Sign-out sets ``revoked_at``; a password change
    revokes every session of the account; an expired or revoked row signs nobody in.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class StaffLink(Base):
    """A student's link to a teacher or clinician who may follow their practice (``links``).

    The student names the staff member by e-mail; the link is stored as typed, whether or
    not such an account exists, so that linking never tells a student which addresses are
    staff accounts. A staff member sees the students whose links name their e-mail.
    """

    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("person_id", "staff_email", name="uq_links_person_staff"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    staff_email: Mapped[str] = mapped_column(String(320), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ClinicianPlan(Base):
    """A plan a clinician wrote for a student (table ``clinician_plans``; issue 21).

    ``variants`` is a JSON list of ``{"variant_id", "cap_deg", "hold_s"}`` (degrees, seconds;
    null where the planning layer's value is kept).
    """

    __tablename__ = "clinician_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    by_name: Mapped[str] = mapped_column(String(200))
    written_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    variants: Mapped[list[Any]] = mapped_column(JSON)
    sessions_per_week: Mapped[int] = mapped_column(Integer)
    review_date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
