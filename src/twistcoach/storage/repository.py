"""The repository: every read and write of the twistcoach database goes through here.

Each method opens its own short database session and commits before returning, so:

- a write is durable when the method returns (``add_event`` and ``add_sample`` included:
  a process killed with SIGKILL loses nothing that was already passed to them);
- callers get frozen records (:mod:`twistcoach.storage.records`), never live ORM objects.

Unknown ids and names raise :class:`NotFoundError`; rule-breaking input (an unknown role,
a pain level outside 0-10, a duplicate e-mail) raises :class:`StorageError` with a
message meant for the user.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import socket
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

import twistcoach.errors as _errors
from twistcoach.storage.db import StorageError
from twistcoach.storage.models import (
    Account,
    AuditEntry,
    BackFeeling,
    CheckIn,
    Clearance,
    ClearanceBy,
    ClinicianPlan,
    Decision,
    EventType,
    Intake,
    MetricSample,
    Person,
    Plan,
    PracticeSession,
    ProgressionDecision,
    Role,
    SafetyReview,
    SessionEvent,
    SessionStatus,
    StaffLink,
    WebSession,
)
from twistcoach.storage.records import (
    SHARP_LABEL,
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
    SessionDetail,
    SessionRecord,
    SessionSummary,
    WebSessionRecord,
)

Clock = Callable[[], dt.datetime]
JsonLike = Mapping[str, Any] | BaseModel

#: A running session whose recorder is on another machine is taken as dead after this long
#: without a heartbeat (the recorder refreshes it with every per-second sample).
DEFAULT_STALE_AFTER_S = 60.0


class NotFoundError(StorageError, _errors.NotFound):
    """An id or name that is not in the database."""


def utc_now() -> dt.datetime:
    """The current time, aware UTC (the default clock)."""
    return dt.datetime.now(dt.UTC)


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, Linux), None if unknown.

    Stored with the pid so that a new process that happens to get a dead recorder's pid
    (common in containers, where pids restart from 1) is not mistaken for it.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime); the command name (field 2) may contain spaces, so split after it.
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def process_owner() -> str:
    """``host:pid:start`` of this process, stored with the sessions it records."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start(pid) or ''}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _owner_alive(owner: str | None, host: str) -> bool | None:
    """Whether the process named by ``owner`` still runs; None when it cannot be told here.

    ``owner`` is ``host:pid:start`` (or ``host:pid`` from older callers).
    """
    parts = (owner or "").split(":")
    owner_host, pid_text, start = [*parts, "", ""][:3]
    if owner_host != host or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    if not _pid_alive(pid):
        return False
    if start:
        current = _process_start(pid)
        if current is not None and current != start:
            return False  # the pid was reused by a newer process
    return True


def _to_json(value: JsonLike) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        dumped: dict[str, Any] = value.model_dump(mode="json")
        return dumped
    return dict(value)


def _finite_or_none(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    number = float(value)
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise StorageError(f"{what} must be a finite number, got {value!r}")
    return number


def _check_pain(level: int | None, what: str) -> int | None:
    if level is None:
        return None
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 10:
        raise StorageError(f"{what} must be a whole number from 0 to 10, got {level!r}")
    return level


def check_time_zone(name: str) -> str:
    """An IANA time zone name (``Europe/Madrid``), as given.

    Raises
    ------
    StorageError
        When it is not a time zone this machine knows (``zoneinfo``).
    """
    if not isinstance(name, str) or not 0 < len(name) <= 64:
        raise StorageError(
            f"the time zone must be an IANA name such as Europe/Madrid, got {name!r}"
        )
    # The zone database's own list of names, not a file lookup: a folder ("Europe") or a
    # file that is no zone must never reach ZoneInfo (a folder raised IsADirectoryError).
    if name not in _time_zones():
        raise StorageError(f"unknown time zone {name!r} (an IANA name such as Europe/Madrid)")
    return name


@functools.cache
def _time_zones() -> frozenset[str]:
    """The IANA time zone names this machine knows (read once)."""
    return frozenset(zoneinfo.available_timezones())


def _check_enum(value: str, enum: type[Any], what: str) -> str:
    allowed = [member.value for member in enum]
    if value not in allowed:
        raise StorageError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
    return str(value)


def _account(row: Account) -> AccountRecord:
    return AccountRecord(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        password_hash=row.password_hash,
        role=row.role,
        trained_for_back_problems=row.trained_for_back_problems,
        created_at=row.created_at,
    )


def _person(row: Person) -> PersonRecord:
    return PersonRecord(
        id=row.id,
        name=row.name,
        account_id=row.account_id,
        teacher_id=row.teacher_id,
        created_at=row.created_at,
    )


def _intake(row: Intake) -> IntakeRecord:
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


def _plan(row: Plan) -> PlanRecord:
    return PlanRecord(
        id=row.id,
        person_id=row.person_id,
        intake_id=row.intake_id,
        data=dict(row.data),
        status=row.status,
        created_at=row.created_at,
    )


def _clearance(row: Clearance) -> ClearanceRecord:
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
    )


def _session(row: PracticeSession, person_name: str) -> SessionRecord:
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


def _event(row: SessionEvent) -> EventRecord:
    return EventRecord(
        id=row.id,
        t=row.t,
        type=row.type,
        event_id=row.event_id,
        text=row.text,
        data=dict(row.data),
    )


def _sample(row: MetricSample) -> SampleRecord:
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


def _decision(row: ProgressionDecision, name: str | None = None) -> DecisionRecord:
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


def _checkin(row: CheckIn) -> CheckInRecord:
    return CheckInRecord(
        id=row.id,
        person_id=row.person_id,
        back=row.back,
        new_leg_symptoms=row.new_leg_symptoms,
        weakness_or_numbness=row.weakness_or_numbness,
        at=row.at,
    )


def _clinician_plan(row: ClinicianPlan) -> ClinicianPlanRecord:
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


def _review(row: SafetyReview) -> ReviewRecord:
    return ReviewRecord(
        id=row.id,
        person_id=row.person_id,
        by_role=row.by_role,
        by_name=row.by_name,
        note=row.note,
        reviewed_by=row.reviewed_by,
        at=row.at,
    )


def _audit(row: AuditEntry) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        actor_id=row.actor_id,
        action=row.action,
        target=row.target,
        details=dict(row.details),
        at=row.at,
    )


def _web_session(row: WebSession) -> WebSessionRecord:
    return WebSessionRecord(row.id, row.account_id, row.csrf, row.created_at, row.expires_at)


def _link(row: StaffLink) -> LinkRecord:
    return LinkRecord(row.id, row.person_id, row.staff_email, row.created_at)


def _pain_level(data: Mapping[str, Any]) -> tuple[int | None, bool]:
    """(level, sharp) of a stored pain event; sharp pain counts as 10."""
    sharp = bool(data.get("sharp", False))
    level = data.get("level")
    if isinstance(level, int) and not isinstance(level, bool):
        return (10 if sharp else level), sharp
    return (10 if sharp else None), sharp


class Repository:
    """Reads and writes twistcoach data.

    Parameters
    ----------
    engine
        An engine whose database is at the newest migration (see ``init_db``).
    clock
        Returns the current aware UTC time; injected so tests control time.
    """

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self.engine = engine
        self._clock = clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def now(self) -> dt.datetime:
        """The repository clock's current time (aware UTC)."""
        return self._now()

    def _now(self) -> dt.datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise StorageError("the repository clock must return aware datetimes")
        return now

    # ----------------------------------------------------------------- accounts
    def create_account(
        self,
        email: str,
        display_name: str,
        password_hash: str,
        role: str,
        trained_for_back_problems: bool = False,
    ) -> AccountRecord:
        """Create an account; e-mails are stored trimmed and lower-cased and must be unique.

        ``password_hash`` is an already hashed password (argon2 PHC string); the
        repository never sees a plain password.
        """
        role = _check_enum(role, Role, "role")
        address = email.strip().lower()
        if "@" not in address or len(address) > 320:
            raise StorageError(f"not an e-mail address: {email!r}")
        if not display_name.strip():
            raise StorageError("the display name must not be empty")
        taken = f"an account with the e-mail {address} already exists"
        try:
            with self._sessions.begin() as s:
                if s.scalar(select(Account.id).where(Account.email == address)) is not None:
                    raise StorageError(taken)
                row = Account(
                    email=address,
                    display_name=display_name.strip(),
                    password_hash=password_hash,
                    role=role,
                    trained_for_back_problems=trained_for_back_problems,
                    created_at=self._now(),
                )
                s.add(row)
                s.flush()
                return _account(row)
        except IntegrityError as exc:  # a concurrent sign-up with the same e-mail won
            raise StorageError(taken) from exc

    def find_account(self, email: str) -> AccountRecord | None:
        """The account with this e-mail (case-insensitive), or None."""
        with self._sessions() as s:
            row = s.scalar(select(Account).where(Account.email == email.strip().lower()))
            return _account(row) if row is not None else None

    def get_account(self, account_id: int) -> AccountRecord:
        """The account with this id; raises NotFoundError."""
        with self._sessions() as s:
            row = s.get(Account, account_id)
            if row is None:
                raise NotFoundError(f"no account with id {account_id}")
            return _account(row)

    def list_accounts(self, role: str | None = None) -> list[AccountRecord]:
        """Accounts, optionally of one role, by id."""
        with self._sessions() as s:
            query = select(Account).order_by(Account.id)
            if role is not None:
                query = query.where(Account.role == _check_enum(role, Role, "role"))
            return [_account(r) for r in s.scalars(query)]

    def set_password_hash(self, account_id: int, password_hash: str) -> None:
        """Replace an account's password hash and revoke every web session of the account."""
        with self._sessions.begin() as s:
            row = s.get(Account, account_id)
            if row is None:
                raise NotFoundError(f"no account with id {account_id}")
            row.password_hash = password_hash
            # A new password ends every sign-in made with the old one (same transaction).
            s.execute(
                update(WebSession)
                .where(WebSession.account_id == account_id, WebSession.revoked_at.is_(None))
                .values(revoked_at=self._now())
            )

    # ------------------------------------------------------------------ people
    def create_person(
        self, name: str, account_id: int | None = None, teacher_id: int | None = None
    ) -> PersonRecord:
        """Create a student profile; names are unique (trimmed)."""
        clean = name.strip()
        if not clean:
            raise StorageError("a person's name must not be empty")
        try:
            with self._sessions.begin() as s:
                if s.scalar(select(Person.id).where(Person.name == clean)) is not None:
                    raise StorageError(f"a person named {clean!r} already exists")
                self._check_teacher(s, teacher_id)
                if account_id is not None and s.get(Account, account_id) is None:
                    raise NotFoundError(f"no account with id {account_id}")
                row = Person(
                    name=clean,
                    account_id=account_id,
                    teacher_id=teacher_id,
                    created_at=self._now(),
                )
                s.add(row)
                s.flush()
                return _person(row)
        except IntegrityError as exc:
            # Another process got there first (the check above raced), or the account is
            # already linked to another profile.
            if self.find_person(clean) is not None:
                raise StorageError(f"a person named {clean!r} already exists") from exc
            raise StorageError(f"account {account_id} already has a profile") from exc

    @staticmethod
    def _check_teacher(s: Session, teacher_id: int | None) -> None:
        if teacher_id is None:
            return
        teacher = s.get(Account, teacher_id)
        if teacher is None:
            raise NotFoundError(f"no account with id {teacher_id}")
        if teacher.role not in (Role.TEACHER, Role.CLINICIAN):
            raise StorageError(f"account {teacher.email} is not a teacher or clinician")

    def find_person(self, name: str) -> PersonRecord | None:
        """The person with this name (exact, trimmed), or None."""
        with self._sessions() as s:
            row = s.scalar(select(Person).where(Person.name == name.strip()))
            return _person(row) if row is not None else None

    def get_person(self, person_id: int) -> PersonRecord:
        """The person with this id; raises NotFoundError."""
        with self._sessions() as s:
            row = s.get(Person, person_id)
            if row is None:
                raise NotFoundError(f"no person with id {person_id}")
            return _person(row)

    def person_named(self, name: str) -> PersonRecord:
        """The person with this name; raises NotFoundError naming the known people."""
        found = self.find_person(name)
        if found is None:
            known = ", ".join(p.name for p in self.list_people()) or "none yet"
            raise NotFoundError(f"no person named {name!r} (known: {known})")
        return found

    def get_or_create_person(self, name: str) -> PersonRecord:
        """The person with this name, created (without account or teacher) when missing."""
        found = self.find_person(name)
        if found is not None:
            return found
        try:
            return self.create_person(name)
        except StorageError:
            # Created by another process in the meantime.
            again = self.find_person(name)
            if again is None:
                raise
            return again

    def person_for_account(self, account_id: int) -> PersonRecord | None:
        """The student profile linked to an account, or None."""
        with self._sessions() as s:
            row = s.scalar(select(Person).where(Person.account_id == account_id))
            return _person(row) if row is not None else None

    def list_people(self, teacher_id: int | None = None) -> list[PersonRecord]:
        """People by name; with ``teacher_id``, only that teacher's students."""
        with self._sessions() as s:
            query = select(Person).order_by(Person.name)
            if teacher_id is not None:
                query = query.where(Person.teacher_id == teacher_id)
            return [_person(r) for r in s.scalars(query)]

    def set_teacher(self, person_id: int, teacher_id: int | None) -> PersonRecord:
        """Assign (or, with None, remove) a person's teacher."""
        with self._sessions.begin() as s:
            row = s.get(Person, person_id)
            if row is None:
                raise NotFoundError(f"no person with id {person_id}")
            self._check_teacher(s, teacher_id)
            row.teacher_id = teacher_id
            return _person(row)

    def link_account(self, person_id: int, account_id: int) -> PersonRecord:
        """Link a student profile to a sign-in account."""
        with self._sessions.begin() as s:
            row = s.get(Person, person_id)
            if row is None:
                raise NotFoundError(f"no person with id {person_id}")
            if s.get(Account, account_id) is None:
                raise NotFoundError(f"no account with id {account_id}")
            other = s.scalar(select(Person).where(Person.account_id == account_id))
            if other is not None and other.id != person_id:
                raise StorageError(f"account {account_id} already has a profile")
            row.account_id = account_id
            return _person(row)

    # ----------------------------------------------------------- intake, plans
    def save_intake(self, person_id: int, intake: JsonLike) -> IntakeRecord:
        """Store an intake (a pydantic model or a JSON-able mapping)."""
        with self._sessions.begin() as s:
            if s.get(Person, person_id) is None:
                raise NotFoundError(f"no person with id {person_id}")
            row = Intake(person_id=person_id, data=_to_json(intake), created_at=self._now())
            s.add(row)
            s.flush()
            return _intake(row)

    def save_plan(
        self, person_id: int, intake_id: int | None, plan: JsonLike, status: str
    ) -> PlanRecord:
        """Store a readiness plan with its overall status (e.g. the plan's readiness)."""
        with self._sessions.begin() as s:
            if s.get(Person, person_id) is None:
                raise NotFoundError(f"no person with id {person_id}")
            if intake_id is not None:
                intake = s.get(Intake, intake_id)
                if intake is None or intake.person_id != person_id:
                    raise NotFoundError(f"no intake {intake_id} for person {person_id}")
            row = Plan(
                person_id=person_id,
                intake_id=intake_id,
                data=_to_json(plan),
                status=str(status),
                created_at=self._now(),
            )
            s.add(row)
            s.flush()
            return _plan(row)

    def latest_intake(self, person_id: int) -> IntakeRecord | None:
        """The newest intake of a person, or None."""
        with self._sessions() as s:
            row = s.scalar(
                select(Intake)
                .where(Intake.person_id == person_id)
                .order_by(Intake.created_at.desc(), Intake.id.desc())
                .limit(1)
            )
            return _intake(row) if row is not None else None

    def latest_plan(self, person_id: int) -> PlanRecord | None:
        """The newest plan of a person, or None."""
        with self._sessions() as s:
            row = s.scalar(
                select(Plan)
                .where(Plan.person_id == person_id)
                .order_by(Plan.created_at.desc(), Plan.id.desc())
                .limit(1)
            )
            return _plan(row) if row is not None else None

    def get_plan(self, plan_id: int) -> PlanRecord:
        """The plan with this id; raises NotFoundError."""
        with self._sessions() as s:
            row = s.get(Plan, plan_id)
            if row is None:
                raise NotFoundError(f"no plan with id {plan_id}")
            return _plan(row)

    def list_plans(self, person_id: int) -> list[PlanRecord]:
        """A person's plans, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(
                select(Plan).where(Plan.person_id == person_id).order_by(Plan.id)
            ).all()
            return [_plan(r) for r in rows]

    # -------------------------------------------------------------- clearances
    def record_clearance(
        self,
        person_id: int,
        by_role: str,
        name: str,
        date: dt.date,
        variants: Sequence[str],
        max_knee_drop_deg: float | None,
        teacher_trained_for_back_problems: bool = False,
        recorded_by: int | None = None,
        max_trunk_rotation_deg: float | None = None,
    ) -> ClearanceRecord:
        """Record a clearance (who may clear whom is decided by the caller's rules);
        ``max_trunk_rotation_deg`` limits its seated and standing variants, in (0, 45]
        degrees (the intake's ``Clearance`` bound)."""
        by_role = _check_enum(by_role, ClearanceBy, "cleared by")
        limit = _finite_or_none(max_knee_drop_deg, "the knee-drop limit")
        if limit is not None and not 0 < limit <= 90:
            raise StorageError(f"the knee-drop limit must be in (0, 90] degrees, got {limit}")
        rotation = _finite_or_none(max_trunk_rotation_deg, "the trunk-rotation limit")
        if rotation is not None and not 0 < rotation <= 45:
            raise StorageError(
                f"the trunk-rotation limit must be in (0, 45] degrees, got {rotation}"
            )
        if not name.strip():
            raise StorageError("the clearance needs the name of who gave it")
        with self._sessions.begin() as s:
            if s.get(Person, person_id) is None:
                raise NotFoundError(f"no person with id {person_id}")
            if recorded_by is not None and s.get(Account, recorded_by) is None:
                raise NotFoundError(f"no account with id {recorded_by}")
            row = Clearance(
                person_id=person_id,
                by_role=by_role,
                name=name.strip(),
                date=date,
                variants=[str(v) for v in variants],
                max_knee_drop_deg=limit,
                max_trunk_rotation_deg=rotation,
                teacher_trained_for_back_problems=teacher_trained_for_back_problems,
                recorded_by=recorded_by,
                created_at=self._now(),
            )
            s.add(row)
            s.flush()
            return _clearance(row)

    def list_clearances(self, person_id: int) -> list[ClearanceRecord]:
        """A person's clearances, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(
                select(Clearance).where(Clearance.person_id == person_id).order_by(Clearance.id)
            ).all()
            return [_clearance(r) for r in rows]

    # ---------------------------------------------------------------- sessions
    def start_session(
        self,
        person_id: int,
        variant_id: str,
        cap_deg: float,
        source: str,
        start_pain: int | None = None,
        plan_id: int | None = None,
        owner: str | None = None,
        time_zone: str | None = None,
    ) -> SessionRecord:
        """Open a ``running`` session; ``owner`` defaults to this process (``host:pid``);
        ``time_zone`` is the IANA zone the person practises in (:func:`check_time_zone`)."""
        cap = _finite_or_none(cap_deg, "the cap")
        if time_zone is not None:
            time_zone = check_time_zone(time_zone)
        if cap is None or not 0 <= cap <= 90:
            raise StorageError(f"the cap must be between 0 and 90 degrees, got {cap_deg!r}")
        start_pain = _check_pain(start_pain, "the starting pain")
        now = self._now()
        with self._sessions.begin() as s:
            person = s.get(Person, person_id)
            if person is None:
                raise NotFoundError(f"no person with id {person_id}")
            if plan_id is not None and s.get(Plan, plan_id) is None:
                raise NotFoundError(f"no plan with id {plan_id}")
            row = PracticeSession(
                person_id=person_id,
                plan_id=plan_id,
                variant_id=variant_id,
                cap_deg=cap,
                started_at=now,
                updated_at=now,
                status=SessionStatus.RUNNING.value,
                start_pain=start_pain,
                source=source[:200],
                owner=owner if owner is not None else process_owner(),
                time_zone=time_zone,
            )
            s.add(row)
            s.flush()
            return _session(row, person.name)

    def _running(self, s: Session, session_id: int) -> PracticeSession:
        row = s.get(PracticeSession, session_id)
        if row is None:
            raise NotFoundError(f"no session with id {session_id}")
        if row.status != SessionStatus.RUNNING:
            raise StorageError(f"session {session_id} is {row.status}, not running")
        return row

    def add_event(
        self,
        session_id: int,
        t: float,
        type: str,
        event_id: str,
        text: str,
        data: Mapping[str, Any] | None = None,
    ) -> EventRecord:
        """Write one event and commit it at once (durable when this returns).

        Parameters
        ----------
        t
            Seconds from the session's start.
        type
            ``cue``, ``event`` or ``pain`` (pain events carry ``{"level": 0-10,
            "sharp": bool}`` in ``data``).
        """
        type = _check_enum(type, EventType, "event type")
        when = _finite_or_none(t, "the event time")
        if when is None:
            raise StorageError("the event time must be a number of seconds")
        with self._sessions.begin() as s:
            self._running(s, session_id)
            row = SessionEvent(
                session_id=session_id,
                t=when,
                type=type,
                event_id=event_id[:100],
                text=text,
                data=dict(data or {}),
            )
            s.add(row)
            s.flush()
            return _event(row)

    def add_pain(self, session_id: int, t: float, level: int | None, sharp: bool = False) -> None:
        """Write a pain report (0-10, or sharp pain) at once."""
        level = _check_pain(level, "the pain level")
        if level is None and not sharp:
            raise StorageError("a pain report needs a level from 0 to 10 or 'sharp'")
        text = "sharp pain" if sharp else f"pain {level}/10"
        self.add_event(
            session_id, t, EventType.PAIN, "pain", text, {"level": level, "sharp": sharp}
        )

    def add_sample(self, session_id: int, sample: SampleRecord) -> None:
        """Write one metric sample and commit it at once; also refreshes the heartbeat."""
        confidence = _finite_or_none(sample.confidence, "the confidence")
        with self._sessions.begin() as s:
            row = self._running(s, session_id)
            row.updated_at = self._now()
            s.add(
                MetricSample(
                    session_id=session_id,
                    t=float(sample.t),
                    knee_drop=_finite_or_none(sample.knee_drop, "the knee drop"),
                    pelvis_roll=_finite_or_none(sample.pelvis_roll, "the pelvis roll"),
                    shoulder_roll=_finite_or_none(sample.shoulder_roll, "the shoulder roll"),
                    twist=_finite_or_none(sample.twist, "the twist"),
                    speed=_finite_or_none(sample.speed, "the speed"),
                    confidence=confidence if confidence is not None else 0.0,
                    cap=_finite_or_none(sample.cap, "the cap"),
                )
            )

    def add_records(
        self,
        session_id: int,
        samples: Sequence[SampleRecord],
        events: Sequence[tuple[float, str, str, str, Mapping[str, Any]]],
    ) -> None:
        """Write samples and events ``(t, type, event_id, text, data)`` in one transaction
        (all or none), checked as :meth:`add_sample` and :meth:`add_event` check them; also
        refreshes the heartbeat. The buffered recorder's flush (a web socket's second).

        Written with SQLAlchemy Core (one UPDATE, one INSERT per table): the ORM's unit of
        work was 0.65 ms of CPU a flush, about 0.05 ms of every frame of a practice socket.
        """
        sample_rows = [
            {
                "session_id": session_id,
                "t": float(sample.t),
                "knee_drop": _finite_or_none(sample.knee_drop, "the knee drop"),
                "pelvis_roll": _finite_or_none(sample.pelvis_roll, "the pelvis roll"),
                "shoulder_roll": _finite_or_none(sample.shoulder_roll, "the shoulder roll"),
                "twist": _finite_or_none(sample.twist, "the twist"),
                "speed": _finite_or_none(sample.speed, "the speed"),
                "confidence": _finite_or_none(sample.confidence, "the confidence") or 0.0,
                "cap": _finite_or_none(sample.cap, "the cap"),
            }
            for sample in samples
        ]
        event_rows = []
        for t, type_, event_id, text, data in events:
            when = _finite_or_none(t, "the event time")
            if when is None:
                raise StorageError("the event time must be a number of seconds")
            event_rows.append(
                {
                    "session_id": session_id,
                    "t": when,
                    "type": _check_enum(type_, EventType, "event type"),
                    "event_id": event_id[:100],
                    "text": text,
                    "data": dict(data),
                }
            )
        with self.engine.begin() as conn:
            running = conn.execute(
                update(PracticeSession)
                .where(
                    PracticeSession.id == session_id,
                    PracticeSession.status == SessionStatus.RUNNING.value,
                )
                .values(updated_at=self._now())
            )
            if running.rowcount != 1:
                with self._sessions() as s:
                    self._running(s, session_id)  # raises with the reason
                raise StorageError(f"session {session_id} is not running")
            if event_rows:
                conn.execute(insert(SessionEvent), event_rows)
            if sample_rows:
                conn.execute(insert(MetricSample), sample_rows)

    def end_session(
        self,
        session_id: int,
        status: str = SessionStatus.COMPLETED,
        stop_reason: str | None = None,
        end_pain: int | None = None,
    ) -> SessionRecord:
        """Close a running session as ``completed``, ``stopped`` or ``interrupted``."""
        status = _check_enum(status, SessionStatus, "session status")
        if status == SessionStatus.RUNNING:
            raise StorageError("a session cannot be ended as 'running'")
        end_pain = _check_pain(end_pain, "the end pain")
        with self._sessions.begin() as s:
            row = self._running(s, session_id)
            now = self._now()
            row.status = status
            row.stop_reason = stop_reason
            row.end_pain = end_pain
            row.ended_at = now
            row.updated_at = now
            person = s.get(Person, row.person_id)
            return _session(row, person.name if person else "?")

    def mark_interrupted_sessions(self, stale_after_s: float = DEFAULT_STALE_AFTER_S) -> list[int]:
        """Mark sessions left ``running`` by a dead process as ``interrupted``.

        A session recorded on this host is dead when its process no longer exists (or its
        pid now belongs to a newer process); one
        recorded elsewhere (or by an unknown owner) when its heartbeat is older than
        ``stale_after_s``. Everything already written is kept. Returns the ids marked.
        """
        host = socket.gethostname()
        now = self._now()
        marked: list[int] = []
        with self._sessions.begin() as s:
            rows = s.scalars(
                select(PracticeSession)
                .where(PracticeSession.status == SessionStatus.RUNNING)
                .order_by(PracticeSession.id)
            ).all()
            for row in rows:
                alive = _owner_alive(row.owner, host)
                if alive is None:
                    dead = (now - row.updated_at).total_seconds() > stale_after_s
                else:
                    dead = not alive
                if not dead:
                    continue
                last_event = s.scalar(
                    select(func.max(SessionEvent.t)).where(SessionEvent.session_id == row.id)
                )
                last_sample = s.scalar(
                    select(func.max(MetricSample.t)).where(MetricSample.session_id == row.id)
                )
                last_t = max(float(last_event or 0.0), float(last_sample or 0.0))
                row.status = SessionStatus.INTERRUPTED
                row.stop_reason = "the recording process ended unexpectedly"
                # The last thing known to have happened, not the time of discovery.
                row.ended_at = max(row.updated_at, row.started_at + dt.timedelta(seconds=last_t))
                marked.append(row.id)
        return marked

    def _summaries(self, s: Session, rows: Sequence[PracticeSession]) -> list[SessionSummary]:
        if not rows:
            return []
        ids = [r.id for r in rows]
        abs_drop = func.abs(MetricSample.knee_drop)
        sample_stats = {
            sid: (n, mx, over)
            for sid, n, mx, over in s.execute(
                select(
                    MetricSample.session_id,
                    func.count(MetricSample.id),
                    func.max(abs_drop),
                    func.sum(
                        case(
                            (
                                (MetricSample.cap.is_not(None)) & (abs_drop > MetricSample.cap),
                                1,
                            ),
                            else_=0,
                        )
                    ),
                )
                .where(MetricSample.session_id.in_(ids))
                .group_by(MetricSample.session_id)
            )
        }
        event_counts: dict[int, int] = {
            sid: int(n)
            for sid, n in s.execute(
                select(SessionEvent.session_id, func.count(SessionEvent.id))
                .where(SessionEvent.session_id.in_(ids))
                .group_by(SessionEvent.session_id)
            )
        }
        pains: dict[int, list[tuple[int | None, bool]]] = {i: [] for i in ids}
        for sid, data in s.execute(
            select(SessionEvent.session_id, SessionEvent.data)
            .where(SessionEvent.session_id.in_(ids), SessionEvent.type == EventType.PAIN)
            .order_by(SessionEvent.t, SessionEvent.id)
        ):
            pains[sid].append(_pain_level(data))
        names: dict[int, str] = {
            pid: name
            for pid, name in s.execute(
                select(Person.id, Person.name).where(Person.id.in_({r.person_id for r in rows}))
            )
        }
        out = []
        for row in rows:
            n, mx, over = sample_stats.get(row.id, (0, None, 0))
            reports = pains[row.id]
            out.append(
                SessionSummary(
                    session=_session(row, names.get(row.person_id, "?")),
                    n_samples=int(n),
                    n_events=int(event_counts.get(row.id, 0)),
                    max_abs_knee_drop=float(mx) if mx is not None else None,
                    over_cap_samples=int(over or 0),
                    pain_reports=tuple(level for level, _ in reports if level is not None),
                    sharp_pain=any(sharp for _, sharp in reports),
                    pain_labels=tuple(
                        SHARP_LABEL if sharp else str(level)
                        for level, sharp in reports
                        if level is not None or sharp
                    ),
                )
            )
        return out

    def list_sessions(
        self, person_id: int | None = None, limit: int | None = None
    ) -> list[SessionSummary]:
        """Sessions, newest first, optionally of one person only."""
        with self._sessions() as s:
            query = select(PracticeSession).order_by(
                PracticeSession.started_at.desc(), PracticeSession.id.desc()
            )
            if person_id is not None:
                query = query.where(PracticeSession.person_id == person_id)
            if limit is not None:
                query = query.limit(limit)
            return self._summaries(s, s.scalars(query).all())

    def history(self, person_id: int) -> list[SessionSummary]:
        """A person's sessions oldest first: the input of progression."""
        return list(reversed(self.list_sessions(person_id)))

    def get_session(self, session_id: int) -> SessionDetail:
        """A session with all its samples and events; raises NotFoundError."""
        with self._sessions() as s:
            row = s.get(PracticeSession, session_id)
            if row is None:
                raise NotFoundError(f"no session with id {session_id}")
            summary = self._summaries(s, [row])[0]
            samples = s.scalars(
                select(MetricSample)
                .where(MetricSample.session_id == session_id)
                .order_by(MetricSample.t, MetricSample.id)
            ).all()
            events = s.scalars(
                select(SessionEvent)
                .where(SessionEvent.session_id == session_id)
                .order_by(SessionEvent.t, SessionEvent.id)
            ).all()
            return SessionDetail(
                summary=summary,
                samples=tuple(_sample(r) for r in samples),
                events=tuple(_event(r) for r in events),
            )

    # ------------------------------------------------------------- progression
    def record_decision(
        self, person_id: int, suggestion: JsonLike, decision: str, decided_by: int | None
    ) -> DecisionRecord:
        """Record that a progression suggestion was approved or declined."""
        decision = _check_enum(decision, Decision, "decision")
        with self._sessions.begin() as s:
            if s.get(Person, person_id) is None:
                raise NotFoundError(f"no person with id {person_id}")
            row = ProgressionDecision(
                person_id=person_id,
                suggestion=_to_json(suggestion),
                decision=decision,
                decided_by=decided_by,
                at=self._now(),
            )
            s.add(row)
            s.flush()
            return _decision(row)

    def list_decisions(self, person_id: int) -> list[DecisionRecord]:
        """A person's progression decisions, oldest first (with the decider's name)."""
        with self._sessions() as s:
            rows = s.execute(
                select(ProgressionDecision, Account.display_name)
                .outerjoin(Account, Account.id == ProgressionDecision.decided_by)
                .where(ProgressionDecision.person_id == person_id)
                .order_by(ProgressionDecision.id)
            ).all()
            return [_decision(row, name) for row, name in rows]

    # ------------------------------------------------------- safety follow-up
    def record_checkin(
        self, person_id: int, back: str, new_leg_symptoms: bool, weakness_or_numbness: bool
    ) -> CheckInRecord:
        """Store a check-in after sharp pain (``back``: better, same or worse)."""
        back = _check_enum(back, BackFeeling, "how the back feels")
        with self._sessions.begin() as s:
            if s.get(Person, person_id) is None:
                raise NotFoundError(f"no person with id {person_id}")
            row = CheckIn(
                person_id=person_id,
                back=back,
                new_leg_symptoms=bool(new_leg_symptoms),
                weakness_or_numbness=bool(weakness_or_numbness),
                at=self._now(),
            )
            s.add(row)
            s.flush()
            return _checkin(row)

    def list_checkins(self, person_id: int) -> list[CheckInRecord]:
        """A person's check-ins, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(
                select(CheckIn).where(CheckIn.person_id == person_id).order_by(CheckIn.id)
            ).all()
            return [_checkin(r) for r in rows]

    def record_review(
        self,
        person_id: int,
        by_role: str,
        by_name: str,
        note: str,
        reviewed_by: int | None = None,
    ) -> ReviewRecord:
        """Store a staff review of a student's safety flags (who may review is the caller's
        rule)."""
        by_role = _check_enum(by_role, ClearanceBy, "reviewed by")
        if not by_name.strip():
            raise StorageError("the review needs the name of who made it")
        with self._sessions.begin() as s:
            if s.get(Person, person_id) is None:
                raise NotFoundError(f"no person with id {person_id}")
            row = SafetyReview(
                person_id=person_id,
                by_role=by_role,
                by_name=by_name.strip()[:200],
                note=note.strip()[:2000],
                reviewed_by=reviewed_by,
                at=self._now(),
            )
            s.add(row)
            s.flush()
            return _review(row)

    def list_reviews(self, person_id: int) -> list[ReviewRecord]:
        """A person's safety reviews, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(
                select(SafetyReview)
                .where(SafetyReview.person_id == person_id)
                .order_by(SafetyReview.id)
            ).all()
            return [_review(r) for r in rows]

    def record_clinician_plan(
        self,
        person_id: int,
        by_name: str,
        variants: Sequence[tuple[str, float | None, float | None]],
        sessions_per_week: int,
        review_date: dt.date,
        note: str = "",
        written_by: int | None = None,
    ) -> ClinicianPlanRecord:
        """Store a clinician's plan: (variant id, cap degrees or None, hold seconds or None)
        per variant; who may write one, and within what, is the caller's rule."""
        if not by_name.strip():
            raise StorageError("the plan needs the name of the clinician who wrote it")
        if not variants:
            raise StorageError("the plan needs at least one variant")
        if not 1 <= sessions_per_week <= 14:
            raise StorageError("sessions per week must be from 1 to 14")
        rows = []
        for variant_id, cap, hold in variants:
            cap = _finite_or_none(cap, "the knee-drop cap")
            hold = _finite_or_none(hold, "the hold time")
            if cap is not None and not 0 < cap <= 90:
                raise StorageError(f"the knee-drop cap must be in (0, 90] degrees, got {cap}")
            if hold is not None and not 5 <= hold <= 600:
                raise StorageError(f"the hold time must be 5 to 600 seconds, got {hold}")
            rows.append({"variant_id": str(variant_id), "cap_deg": cap, "hold_s": hold})
        with self._sessions.begin() as s:
            if s.get(Person, person_id) is None:
                raise NotFoundError(f"no person with id {person_id}")
            row = ClinicianPlan(
                person_id=person_id,
                by_name=by_name.strip()[:200],
                written_by=written_by,
                variants=rows,
                sessions_per_week=sessions_per_week,
                review_date=review_date,
                note=note.strip()[:2000],
                at=self._now(),
            )
            s.add(row)
            s.flush()
            return _clinician_plan(row)

    def list_clinician_plans(self, person_id: int) -> list[ClinicianPlanRecord]:
        """A person's clinician plans, oldest first (the newest is in force)."""
        with self._sessions() as s:
            rows = s.scalars(
                select(ClinicianPlan)
                .where(ClinicianPlan.person_id == person_id)
                .order_by(ClinicianPlan.id)
            ).all()
            return [_clinician_plan(r) for r in rows]

    def list_intakes(self, person_id: int) -> list[IntakeRecord]:
        """A person's intakes, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(
                select(Intake).where(Intake.person_id == person_id).order_by(Intake.id)
            ).all()
            return [_intake(r) for r in rows]

    # ------------------------------------------------------------------- audit
    def audit(
        self,
        actor_id: int | None,
        action: str,
        target: str,
        details: Mapping[str, Any] | None = None,
    ) -> AuditRecord:
        """Append an entry to the audit log (who did what to what)."""
        with self._sessions.begin() as s:
            row = AuditEntry(
                actor_id=actor_id,
                action=action[:100],
                target=target[:300],
                details=dict(details or {}),
                at=self._now(),
            )
            s.add(row)
            s.flush()
            return _audit(row)

    def list_audit(self, limit: int = 100, actor_id: int | None = None) -> list[AuditRecord]:
        """The newest audit entries first."""
        with self._sessions() as s:
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
            if actor_id is not None:
                query = query.where(AuditEntry.actor_id == actor_id)
            return [_audit(r) for r in s.scalars(query)]

    # ------------------------------------------------------------ web sessions
    def create_web_session(
        self, session_id: str, account_id: int, csrf: str, max_age_s: float
    ) -> WebSessionRecord:
        """Store a new web sign-in (``session_id``: the SHA-256 of the cookie's token).

        Sign-in lifetimes run on the real clock (:func:`utc_now`), not the repository's
        clock: a test clock moved days ahead for planning does not sign anyone out.
        """
        now = utc_now()
        with self._sessions.begin() as s:
            if s.get(Account, account_id) is None:
                raise NotFoundError(f"no account with id {account_id}")
            row = WebSession(
                id=session_id[:64],
                account_id=account_id,
                csrf=csrf[:64],
                created_at=now,
                expires_at=now + dt.timedelta(seconds=max_age_s),
                revoked_at=None,
            )
            s.add(row)
            s.flush()
            return _web_session(row)

    def live_web_session(self, session_id: str) -> WebSessionRecord | None:
        """The web sign-in with this id if it is neither revoked nor expired, else None."""
        with self._sessions() as s:
            row = s.get(WebSession, session_id[:64])
            if row is None or row.revoked_at is not None or row.expires_at <= utc_now():
                return None
            return _web_session(row)

    def revoke_web_session(self, session_id: str) -> None:
        """End one web sign-in (sign-out); unknown ids are ignored."""
        with self._sessions.begin() as s:
            row = s.get(WebSession, session_id[:64])
            if row is not None and row.revoked_at is None:
                row.revoked_at = utc_now()

    def revoke_web_sessions(self, account_id: int, keep: str | None = None) -> int:
        """End every web sign-in of an account but ``keep``; returns how many were ended."""
        with self._sessions.begin() as s:
            query = update(WebSession).where(
                WebSession.account_id == account_id, WebSession.revoked_at.is_(None)
            )
            if keep is not None:
                query = query.where(WebSession.id != keep)
            result = s.execute(query.values(revoked_at=utc_now()))
            return int(getattr(result, "rowcount", 0) or 0)

    def purge_web_sessions(self) -> int:
        """Delete expired and revoked web sign-ins; returns how many."""
        with self._sessions.begin() as s:
            result = s.execute(
                delete(WebSession).where(
                    or_(WebSession.expires_at <= utc_now(), WebSession.revoked_at.is_not(None))
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    # ------------------------------------------------------------ staff links
    def add_link(self, person_id: int, staff_email: str) -> LinkRecord:
        """Link a student to a teacher or clinician by e-mail (idempotent)."""
        email = staff_email.strip().lower()
        if not email or len(email) > 320:
            raise StorageError("give the e-mail address of a teacher or clinician")
        with self._sessions.begin() as s:
            if s.get(Person, person_id) is None:
                raise NotFoundError(f"no person with id {person_id}")
            row = s.scalar(
                select(StaffLink).where(
                    StaffLink.person_id == person_id, StaffLink.staff_email == email
                )
            )
            if row is None:
                row = StaffLink(person_id=person_id, staff_email=email, created_at=self._now())
                s.add(row)
                s.flush()
            return _link(row)

    def list_links(self, person_id: int) -> list[LinkRecord]:
        """A student's links, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(
                select(StaffLink).where(StaffLink.person_id == person_id).order_by(StaffLink.id)
            ).all()
            return [_link(r) for r in rows]

    def remove_link(self, person_id: int, link_id: int) -> LinkRecord:
        """Remove one of a student's links; raises NotFoundError when it is not theirs.

        When the link names the teacher an administrator assigned (``people.teacher_id``),
        that assignment is removed too: the student decides who follows them.
        """
        with self._sessions.begin() as s:
            row = s.get(StaffLink, link_id)
            if row is None or row.person_id != person_id:
                raise NotFoundError(f"no link with id {link_id}")
            record = _link(row)
            person = s.get(Person, person_id)
            if person is not None and person.teacher_id is not None:
                teacher = s.get(Account, person.teacher_id)
                if teacher is not None and teacher.email == record.staff_email:
                    person.teacher_id = None
            s.delete(row)
            return record

    def people_followed_by(self, account_id: int) -> list[PersonRecord]:
        """The students a teacher or clinician may see, by name: those whose links name the
        account's e-mail, and those an administrator assigned to it (``teacher_id``)."""
        with self._sessions() as s:
            account = s.get(Account, account_id)
            if account is None:
                raise NotFoundError(f"no account with id {account_id}")
            linked = select(StaffLink.person_id).where(StaffLink.staff_email == account.email)
            rows = s.scalars(
                select(Person)
                .where(or_(Person.teacher_id == account_id, Person.id.in_(linked)))
                .order_by(Person.name)
            ).all()
            return [_person(r) for r in rows]

    def follows(self, account_id: int, person_id: int) -> bool:
        """Whether the staff account may see the student (see :meth:`people_followed_by`)."""
        with self._sessions() as s:
            person = s.get(Person, person_id)
            account = s.get(Account, account_id)
            if person is None or account is None:
                return False
            if person.teacher_id == account_id:
                return True
            found = s.scalar(
                select(StaffLink.id).where(
                    StaffLink.person_id == person_id, StaffLink.staff_email == account.email
                )
            )
            return found is not None

    # -------------------------------------------------------- running sessions
    def running_sessions(self, person_id: int | None = None) -> list[SessionRecord]:
        """Sessions still ``running`` (of one person, or all), oldest first."""
        with self._sessions() as s:
            query = (
                select(PracticeSession, Person.name)
                .join(Person, Person.id == PracticeSession.person_id)
                .where(PracticeSession.status == SessionStatus.RUNNING)
                .order_by(PracticeSession.id)
            )
            if person_id is not None:
                query = query.where(PracticeSession.person_id == person_id)
            return [_session(row, name) for row, name in s.execute(query).all()]

    def idle_running_sessions(self, owner: str, idle_s: float) -> list[tuple[int, bool]]:
        """Running sessions recorded by ``owner`` without a heartbeat for ``idle_s`` seconds:
        ``(id, never_touched)``, oldest first (``never_touched``: no heartbeat since its
        start, i.e. nothing ever connected to it)."""
        cutoff = self._now() - dt.timedelta(seconds=idle_s)
        with self._sessions() as s:
            rows = s.execute(
                select(PracticeSession.id, PracticeSession.started_at, PracticeSession.updated_at)
                .where(
                    PracticeSession.status == SessionStatus.RUNNING,
                    PracticeSession.owner == owner,
                    PracticeSession.updated_at <= cutoff,
                )
                .order_by(PracticeSession.id)
            ).all()
            return [(int(i), bool(updated <= started)) for i, started, updated in rows]

    def touch_session(self, session_id: int) -> None:
        """Refresh a running session's heartbeat (a socket connected to it)."""
        with self._sessions.begin() as s:
            self._running(s, session_id).updated_at = self._now()
