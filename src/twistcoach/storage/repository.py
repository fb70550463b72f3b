"""The repository: every read and write of the twistcoach database goes through here.

Each method opens its own short database session and commits before returning, so:

- a write is durable when the method returns (``add_event`` and ``add_sample`` included:
  a process killed with SIGKILL loses nothing that was already passed to them);
- callers get frozen records (:mod:`twistcoach.storage.records`), never live ORM objects.

Unknown ids and names raise :class:`NotFoundError`; rule-breaking input (an unknown role,
a pain level outside 0-10, a duplicate e-mail) raises :class:`StorageError` with a
message meant for the user.

:class:`Repository` is cut by concept: practice sessions and the running ones live in
:mod:`twistcoach.storage._sessions`, the shared engine and clock in ``_store``, the checks
of what it is given in ``_checks``, rows made into records in ``_rows``, and which process
records a session in :mod:`twistcoach.storage.owners`; this module holds the rest (accounts,
people, intakes and plans, clearances, progression, safety follow-up, audit, sign-ins,
staff links).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from twistcoach.storage._checks import (
    JsonLike,
    NotFoundError,
    check_enum,
    check_time_zone,
    limit_or_none,
    to_json,
)
from twistcoach.storage._rows import (
    account_record,
    audit_record,
    checkin_record,
    clearance_record,
    clinician_plan_record,
    decision_record,
    intake_record,
    link_record,
    person_record,
    plan_record,
    review_record,
    web_session_record,
)
from twistcoach.storage._sessions import DEFAULT_STALE_AFTER_S, SessionStore
from twistcoach.storage._store import Clock, utc_now
from twistcoach.storage.db import StorageError
from twistcoach.storage.models import (
    Account,
    AuditEntry,
    BackFeeling,
    CheckIn,
    Clearance,
    ClearanceBy,
    ClearanceWithdrawal,
    ClinicianPlan,
    Decision,
    Intake,
    Person,
    Plan,
    ProgressionDecision,
    Role,
    SafetyReview,
    StaffLink,
    WebSession,
)
from twistcoach.storage.owners import process_owner
from twistcoach.storage.records import (
    AccountRecord,
    AuditRecord,
    CheckInRecord,
    ClearanceRecord,
    ClinicianPlanRecord,
    DecisionRecord,
    IntakeRecord,
    LinkRecord,
    PersonRecord,
    PlanRecord,
    ReviewRecord,
    WebSessionRecord,
)

__all__ = [
    "DEFAULT_STALE_AFTER_S",
    "MAX_WITHDRAWAL_REASON",
    "Clock",
    "NotFoundError",
    "Repository",
    "check_time_zone",
    "process_owner",
    "utc_now",
]


#: The longest reason a clearance's withdrawal keeps (characters, after spaces are folded).
MAX_WITHDRAWAL_REASON = 500


class Repository(SessionStore):
    """Reads and writes twistcoach data.

    Parameters
    ----------
    engine
        An engine whose database is at the newest migration (see ``init_db``).
    clock
        Returns the current aware UTC time; injected so tests control time.
    """

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
        role = check_enum(role, Role, "role")
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
                return account_record(row)
        except IntegrityError as exc:  # a concurrent sign-up with the same e-mail won
            raise StorageError(taken) from exc

    def find_account(self, email: str) -> AccountRecord | None:
        """The account with this e-mail (case-insensitive), or None."""
        with self._sessions() as s:
            row = s.scalar(select(Account).where(Account.email == email.strip().lower()))
            return account_record(row) if row is not None else None

    def get_account(self, account_id: int) -> AccountRecord:
        """The account with this id; raises NotFoundError."""
        with self._sessions() as s:
            row = s.get(Account, account_id)
            if row is None:
                raise NotFoundError(f"no account with id {account_id}")
            return account_record(row)

    def list_accounts(self, role: str | None = None) -> list[AccountRecord]:
        """Accounts, optionally of one role, by id."""
        with self._sessions() as s:
            query = select(Account).order_by(Account.id)
            if role is not None:
                query = query.where(Account.role == check_enum(role, Role, "role"))
            return [account_record(r) for r in s.scalars(query)]

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
                same = func.lower(Person.name) == clean.lower()
                if s.scalar(select(Person.id).where((Person.name == clean) | same)) is not None:
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
                return person_record(row)
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
        """The person with this name (trimmed; exact, else in any case), or None.

        Any case: ``--name sam`` was a new person beside "Sam", with none of Sam's history,
        so a sharp-pain lock on Sam did not hold for "sam"."""
        clean = name.strip()
        with self._sessions() as s:
            row = s.scalar(select(Person).where(Person.name == clean))
            if row is None:
                row = s.scalars(
                    select(Person)
                    .where(func.lower(Person.name) == clean.lower())
                    .order_by(Person.id)
                ).first()
            return person_record(row) if row is not None else None

    def get_person(self, person_id: int) -> PersonRecord:
        """The person with this id; raises NotFoundError."""
        with self._sessions() as s:
            row = s.get(Person, person_id)
            if row is None:
                raise NotFoundError(f"no person with id {person_id}")
            return person_record(row)

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
            return person_record(row) if row is not None else None

    def list_people(self, teacher_id: int | None = None) -> list[PersonRecord]:
        """People by name; with ``teacher_id``, only that teacher's students."""
        with self._sessions() as s:
            query = select(Person).order_by(Person.name)
            if teacher_id is not None:
                query = query.where(Person.teacher_id == teacher_id)
            return [person_record(r) for r in s.scalars(query)]

    def set_teacher(self, person_id: int, teacher_id: int | None) -> PersonRecord:
        """Assign (or, with None, remove) a person's teacher."""
        with self._sessions.begin() as s:
            row = s.get(Person, person_id)
            if row is None:
                raise NotFoundError(f"no person with id {person_id}")
            self._check_teacher(s, teacher_id)
            row.teacher_id = teacher_id
            return person_record(row)

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
            return person_record(row)

    # ----------------------------------------------------------- intake, plans
    def save_intake(self, person_id: int, intake: JsonLike) -> IntakeRecord:
        """Store an intake (a pydantic model or a JSON-able mapping)."""
        with self._sessions.begin() as s:
            if s.get(Person, person_id) is None:
                raise NotFoundError(f"no person with id {person_id}")
            row = Intake(person_id=person_id, data=to_json(intake), created_at=self._now())
            s.add(row)
            s.flush()
            return intake_record(row)

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
                data=to_json(plan),
                status=str(status),
                created_at=self._now(),
            )
            s.add(row)
            s.flush()
            return plan_record(row)

    def latest_intake(self, person_id: int) -> IntakeRecord | None:
        """The newest intake of a person, or None."""
        with self._sessions() as s:
            row = s.scalar(
                select(Intake)
                .where(Intake.person_id == person_id)
                .order_by(Intake.created_at.desc(), Intake.id.desc())
                .limit(1)
            )
            return intake_record(row) if row is not None else None

    def latest_plan(self, person_id: int) -> PlanRecord | None:
        """The newest plan of a person, or None."""
        with self._sessions() as s:
            row = s.scalar(
                select(Plan)
                .where(Plan.person_id == person_id)
                .order_by(Plan.created_at.desc(), Plan.id.desc())
                .limit(1)
            )
            return plan_record(row) if row is not None else None

    def get_plan(self, plan_id: int) -> PlanRecord:
        """The plan with this id; raises NotFoundError."""
        with self._sessions() as s:
            row = s.get(Plan, plan_id)
            if row is None:
                raise NotFoundError(f"no plan with id {plan_id}")
            return plan_record(row)

    def list_plans(self, person_id: int) -> list[PlanRecord]:
        """A person's plans, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(
                select(Plan).where(Plan.person_id == person_id).order_by(Plan.id)
            ).all()
            return [plan_record(r) for r in rows]

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
        by_role = check_enum(by_role, ClearanceBy, "cleared by")
        limit = limit_or_none(max_knee_drop_deg, "the knee-drop limit")
        if limit is not None and not 0 < limit <= 90:
            raise StorageError(f"the knee-drop limit must be in (0, 90] degrees, got {limit}")
        rotation = limit_or_none(max_trunk_rotation_deg, "the trunk-rotation limit")
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
            return clearance_record(row)

    def list_clearances(self, person_id: int) -> list[ClearanceRecord]:
        """A person's clearances, oldest first, the withdrawn ones too (with who withdrew
        each, when and why: the history keeps them)."""
        with self._sessions() as s:
            rows = s.execute(
                select(Clearance, ClearanceWithdrawal)
                .outerjoin(ClearanceWithdrawal, ClearanceWithdrawal.clearance_id == Clearance.id)
                .where(Clearance.person_id == person_id)
                .order_by(Clearance.id)
            ).all()
            return [clearance_record(row, withdrawal) for row, withdrawal in rows]

    def get_clearance(self, person_id: int, clearance_id: int) -> ClearanceRecord:
        """One of a person's clearances; :class:`NotFoundError` for an unknown id and for
        another person's alike (the same answer: ids cannot be probed)."""
        with self._sessions() as s:
            found = s.execute(
                select(Clearance, ClearanceWithdrawal)
                .outerjoin(ClearanceWithdrawal, ClearanceWithdrawal.clearance_id == Clearance.id)
                .where(Clearance.id == clearance_id, Clearance.person_id == person_id)
            ).first()
            if found is None:
                raise NotFoundError(f"no clearance {clearance_id} of person {person_id}")
            return clearance_record(found[0], found[1])

    def withdraw_clearance(
        self,
        person_id: int,
        clearance_id: int,
        by_role: str,
        by_name: str,
        reason: str,
        withdrawn_by: int | None = None,
    ) -> ClearanceRecord:
        """Withdraw one of a person's clearances from now on, with who and why (who may
        withdraw which is the caller's rule: ``twistcoach.planning.may_withdraw``).

        The clearance row is kept; a ``clearance_withdrawals`` row says from when it no
        longer counts. Raises :class:`NotFoundError` for a clearance that is not this
        person's, :class:`StorageError` for one already withdrawn or an empty reason.
        """
        with self._sessions.begin() as s:
            self._withdraw(
                s, person_id, clearance_id, by_role, by_name, reason, withdrawn_by, self._now()
            )
        return self.get_clearance(person_id, clearance_id)

    @staticmethod
    def _withdraw(
        s: Session,
        person_id: int,
        clearance_id: int,
        by_role: str,
        by_name: str,
        reason: str,
        withdrawn_by: int | None,
        at: dt.datetime,
    ) -> None:
        by_role = check_enum(by_role, ClearanceBy, "withdrawn by")
        said = " ".join(reason.split())
        if not said:
            raise StorageError("a withdrawal needs a reason")
        if len(said) > MAX_WITHDRAWAL_REASON:
            raise StorageError(
                f"a withdrawal's reason must be at most {MAX_WITHDRAWAL_REASON} characters"
            )
        if not by_name.strip():
            raise StorageError("a withdrawal needs the name of who made it")
        row = s.get(Clearance, clearance_id)
        if row is None or row.person_id != person_id:
            raise NotFoundError(f"no clearance {clearance_id} of person {person_id}")
        earlier = s.scalar(
            select(ClearanceWithdrawal).where(ClearanceWithdrawal.clearance_id == clearance_id)
        )
        if earlier is not None:
            raise StorageError(
                f"this clearance was already withdrawn on {earlier.at.date().isoformat()}"
            )
        s.add(
            ClearanceWithdrawal(
                clearance_id=clearance_id,
                by_role=by_role,
                by_name=by_name.strip()[:200],
                withdrawn_by=withdrawn_by,
                reason=said,
                at=at,
            )
        )
        try:
            s.flush()
        except IntegrityError:
            # Withdrawn meanwhile by another request (the unique key): say so, change nothing.
            raise StorageError("this clearance was already withdrawn") from None

    # ------------------------------------------------------------- progression
    def record_decision(
        self, person_id: int, suggestion: JsonLike, decision: str, decided_by: int | None
    ) -> DecisionRecord:
        """Record that a progression suggestion was approved or declined."""
        decision = check_enum(decision, Decision, "decision")
        with self._sessions.begin() as s:
            if s.get(Person, person_id) is None:
                raise NotFoundError(f"no person with id {person_id}")
            row = ProgressionDecision(
                person_id=person_id,
                suggestion=to_json(suggestion),
                decision=decision,
                decided_by=decided_by,
                at=self._now(),
            )
            s.add(row)
            s.flush()
            return decision_record(row)

    def list_decisions(self, person_id: int) -> list[DecisionRecord]:
        """A person's progression decisions, oldest first (with the decider's name)."""
        with self._sessions() as s:
            rows = s.execute(
                select(ProgressionDecision, Account.display_name)
                .outerjoin(Account, Account.id == ProgressionDecision.decided_by)
                .where(ProgressionDecision.person_id == person_id)
                .order_by(ProgressionDecision.id)
            ).all()
            return [decision_record(row, name) for row, name in rows]

    # ------------------------------------------------------- safety follow-up
    def record_checkin(
        self, person_id: int, back: str, new_leg_symptoms: bool, weakness_or_numbness: bool
    ) -> CheckInRecord:
        """Store a check-in after sharp pain (``back``: better, same or worse)."""
        back = check_enum(back, BackFeeling, "how the back feels")
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
            return checkin_record(row)

    def list_checkins(self, person_id: int) -> list[CheckInRecord]:
        """A person's check-ins, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(
                select(CheckIn).where(CheckIn.person_id == person_id).order_by(CheckIn.id)
            ).all()
            return [checkin_record(r) for r in rows]

    def record_review(
        self,
        person_id: int,
        by_role: str,
        by_name: str,
        note: str,
        reviewed_by: int | None = None,
        *,
        withdrawing: Sequence[int] = (),
        withdrawal_reason: str = "",
    ) -> ReviewRecord:
        """Store a staff review of a student's safety flags (who may review is the caller's
        rule).

        ``withdrawing``: clearances of the person withdrawn with the review, in the same
        transaction and at the same moment, for ``withdrawal_reason``: the flags close and
        those clearances stop counting together, so no reader ever sees them revived in
        between. Nothing is stored when any of them cannot be withdrawn.
        """
        by_role = check_enum(by_role, ClearanceBy, "reviewed by")
        if not by_name.strip():
            raise StorageError("the review needs the name of who made it")
        with self._sessions.begin() as s:
            if s.get(Person, person_id) is None:
                raise NotFoundError(f"no person with id {person_id}")
            at = self._now()
            for clearance_id in dict.fromkeys(withdrawing):
                self._withdraw(
                    s,
                    person_id,
                    clearance_id,
                    by_role,
                    by_name,
                    withdrawal_reason,
                    reviewed_by,
                    at,
                )
            row = SafetyReview(
                person_id=person_id,
                by_role=by_role,
                by_name=by_name.strip()[:200],
                note=note.strip()[:2000],
                reviewed_by=reviewed_by,
                at=at,
            )
            s.add(row)
            s.flush()
            return review_record(row)

    def list_reviews(self, person_id: int) -> list[ReviewRecord]:
        """A person's safety reviews, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(
                select(SafetyReview)
                .where(SafetyReview.person_id == person_id)
                .order_by(SafetyReview.id)
            ).all()
            return [review_record(r) for r in rows]

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
            cap = limit_or_none(cap, "the knee-drop cap")
            hold = limit_or_none(hold, "the hold time")
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
            return clinician_plan_record(row)

    def list_clinician_plans(self, person_id: int) -> list[ClinicianPlanRecord]:
        """A person's clinician plans, oldest first (the newest is in force)."""
        with self._sessions() as s:
            rows = s.scalars(
                select(ClinicianPlan)
                .where(ClinicianPlan.person_id == person_id)
                .order_by(ClinicianPlan.id)
            ).all()
            return [clinician_plan_record(r) for r in rows]

    def list_intakes(self, person_id: int) -> list[IntakeRecord]:
        """A person's intakes, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(
                select(Intake).where(Intake.person_id == person_id).order_by(Intake.id)
            ).all()
            return [intake_record(r) for r in rows]

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
            return audit_record(row)

    def list_audit(self, limit: int = 100, actor_id: int | None = None) -> list[AuditRecord]:
        """The newest audit entries first."""
        with self._sessions() as s:
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
            if actor_id is not None:
                query = query.where(AuditEntry.actor_id == actor_id)
            return [audit_record(r) for r in s.scalars(query)]

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
            return web_session_record(row)

    def live_web_session(self, session_id: str) -> WebSessionRecord | None:
        """The web sign-in with this id if it is neither revoked nor expired, else None."""
        with self._sessions() as s:
            row = s.get(WebSession, session_id[:64])
            if row is None or row.revoked_at is not None or row.expires_at <= utc_now():
                return None
            return web_session_record(row)

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
            return link_record(row)

    def list_links(self, person_id: int) -> list[LinkRecord]:
        """A student's links, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(
                select(StaffLink).where(StaffLink.person_id == person_id).order_by(StaffLink.id)
            ).all()
            return [link_record(r) for r in rows]

    def remove_link(self, person_id: int, link_id: int) -> LinkRecord:
        """Remove one of a student's links; raises NotFoundError when it is not theirs.

        When the link names the teacher an administrator assigned (``people.teacher_id``),
        that assignment is removed too: the student decides who follows them.
        """
        with self._sessions.begin() as s:
            row = s.get(StaffLink, link_id)
            if row is None or row.person_id != person_id:
                raise NotFoundError(f"no link with id {link_id}")
            record = link_record(row)
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
            return [person_record(r) for r in rows]

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
