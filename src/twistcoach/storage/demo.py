"""Demo data for ``make run`` and the screenshots: people, accounts and recorded sessions.

:func:`seed_demo` is idempotent (it creates only what is missing) and deterministic: the
sessions are made by running the real coach (:mod:`twistcoach.coaching`) over a smooth,
made-up knee-drop curve through the real :class:`~twistcoach.storage.SessionRecorder`, so
they look exactly like recorded ones. Only their dates depend on when they are seeded (the
last days before "now").

Accounts (every demo password is :data:`DEMO_PASSWORD`):

========================  ==========  ==============================================
e-mail                    role        notes
========================  ==========  ==============================================
teacher@example.org       teacher     trained for back problems; Sam's teacher
clinician@example.org     clinician   linked by Sam and Alex; may clear them
sam@example.org           student     "Sam": chronic low back pain, 3 sessions (one
                                      with a pain report that lowered the cap)
alex@example.org          student     "Alex": no back condition, 1 session, no teacher
========================  ==========  ==============================================
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from twistcoach.metrics import Measure, Observation, PoseFamily, Side, TwistMetrics, View
from twistcoach.storage.models import Role
from twistcoach.storage.recorder import SessionRecorder
from twistcoach.storage.repository import Repository

DEMO_PASSWORD = "twistcoach-demo"
DEMO_VARIANT = "supine_twist_supported"
FRAME_RATE_HZ = 10.0


@dataclass(frozen=True)
class DemoAccount:
    """One demo account."""

    email: str
    display_name: str
    role: Role
    trained_for_back_problems: bool = False


TEACHER = DemoAccount("teacher@example.org", "Tess Teacher", Role.TEACHER, True)
CLINICIAN = DemoAccount("clinician@example.org", "Dr Cleo Clinician", Role.CLINICIAN)
SAM = DemoAccount("sam@example.org", "Sam", Role.STUDENT)
ALEX = DemoAccount("alex@example.org", "Alex", Role.STUDENT)

SAM_INTAKE: dict[str, Any] = {
    "age": 46,
    "pain_now": 3,
    "pain_duration_weeks": 40,
    "activity": "light",
    "leg_symptoms": "none",
    "conditions": ["chronic_low_back_pain"],
}
ALEX_INTAKE: dict[str, Any] = {
    "age": 31,
    "pain_now": 1,
    "pain_duration_weeks": 2,
    "activity": "active",
    "leg_symptoms": "none",
}


@dataclass(frozen=True)
class DemoSession:
    """A made-up session.

    Attributes
    ----------
    days_ago
        How many days before seeding it started.
    depth
        Fraction of the cap the knees sink to (the person's comfortable range).
    start_pain
        Pain (0-10) at the start.
    pain_reports
        ``(t, level)`` pain reports, seconds from the start.
    """

    days_ago: float
    depth: float
    start_pain: int
    pain_reports: tuple[tuple[float, int], ...] = ()


SAM_SESSIONS = (
    DemoSession(6.0, 0.55, 3),
    DemoSession(4.0, 0.65, 3),
    DemoSession(2.0, 0.7, 3, pain_reports=((30.0, 4),)),
)
ALEX_SESSIONS = (DemoSession(1.0, 0.6, 1),)


def knee_drop_curve(t: float, target_deg: float, hold_s: float) -> float:
    """The demo's knee drop at ``t`` seconds (degrees, + = right).

    Still at the centre for 8 s, an 8 s cosine ease to ``target_deg`` on the right, a hold
    of ``hold_s`` + 10 s with a 1-degree breathing sway, a 6 s return and 8 s at the
    centre; then the same on the left. The coach runs on its own clock (it ends the hold
    after ``hold_s``); this only has to look like a calm person following it.
    """
    side_s = 8 + hold_s + 10 + 6 + 8

    def one_side(t0: float) -> float:
        if t < t0:
            return 0.0
        if t < t0 + 8:
            return target_deg * (1 - math.cos(math.pi * (t - t0) / 8)) / 2
        if t < t0 + 8 + hold_s + 10:
            return target_deg + math.sin(2 * math.pi * (t - t0) / 10)
        if t < t0 + 8 + hold_s + 16:
            return target_deg * (1 + math.cos(math.pi * (t - t0 - 8 - hold_s - 10) / 6)) / 2
        return 0.0

    return one_side(8.0) if t < 8.0 + side_s else -one_side(8.0 + side_s)


def demo_observation(t: float, drop: float, speed: float) -> Observation:
    """A confident observation of a supine twist from the recommended view."""
    c = 0.92
    side = Side.RIGHT if drop > 3 else Side.LEFT if drop < -3 else Side.CENTRE
    metrics = TwistMetrics(
        timestamp_s=t,
        knee_drop=Measure(drop, c),
        drop_side=side,
        pelvis_roll=Measure(0.45 * drop, c),
        shoulder_roll=Measure(0.03 * drop, c),
        lifted_shoulder=None,
        twist=Measure(0.42 * drop, c),
        knee_flexion=Measure(85.0, c),
        knees_together=True,
        speed=Measure(speed, c),
        confidence=c,
    )
    return Observation(t, metrics, PoseFamily.SUPINE_TWIST, 0.95, View.OBLIQUE, True)


def _account(repo: Repository, spec: DemoAccount, password_hash: str) -> int:
    found = repo.find_account(spec.email)
    if found is not None:
        return found.id
    made = repo.create_account(
        spec.email, spec.display_name, password_hash, spec.role, spec.trained_for_back_problems
    )
    return made.id


def _record_session(
    repo: Repository, person_id: int, plan_id: int, plan_data: dict[str, Any], spec: DemoSession
) -> int:
    """Run the real coach over the demo curve and record it, started ``days_ago``."""
    from twistcoach.coaching import Coach, build_coach_plan, load_coaching_rules
    from twistcoach.poses.loader import load_library

    variant = load_library().get(DEMO_VARIANT)
    decision = next(v for v in plan_data["variants"] if v["id"] == DEMO_VARIANT)
    plan = build_coach_plan(
        variant_id=DEMO_VARIANT,
        family=str(variant.family.pose_family),
        status=str(decision["status"]),
        max_knee_drop_deg=decision["max_knee_drop_deg"],
        hold_s=variant.default_hold_s,
        sides=[str(s) for s in variant.sides],
        props=[str(p) for p in variant.props],
        steps=[s.text for s in variant.steps],
    )
    start = repo.now() - dt.timedelta(days=spec.days_ago)
    frame_s = 1.0 / FRAME_RATE_HZ
    # The session's rows carry times of that day: a repository whose clock follows the
    # session's own time line.
    clock = {"t": 0.0}
    dated = Repository(repo.engine, clock=lambda: start + dt.timedelta(seconds=clock["t"]))
    coach = Coach(plan, load_coaching_rules(), start_pain=spec.start_pain)
    target = spec.depth * plan.cap_deg
    pains = list(spec.pain_reports)
    recorder = SessionRecorder.start(
        dated, person_id, DEMO_VARIANT, plan.cap_deg, "demo", spec.start_pain, plan_id
    )
    with recorder:
        previous = 0.0
        for i in range(int((4 * plan.hold_s + 120) * FRAME_RATE_HZ)):
            t = i / FRAME_RATE_HZ
            clock["t"] = t
            drop = knee_drop_curve(t, target, plan.hold_s)
            obs = demo_observation(t, drop, (drop - previous) / frame_s if i else 0.0)
            previous = drop
            recorder.observe(obs)
            recorder.record(coach.observe(obs))
            while pains and pains[0][0] <= t:
                recorder.record(coach.report_pain(t, pains.pop(0)[1]))
            if coach.finished:
                break
    return recorder.session_id


def seed_demo(repo: Repository) -> dict[str, int]:
    """Create the demo accounts, people, intakes, plans and sessions that are missing.

    Returns
    -------
    dict
        Ids by name: ``teacher``, ``clinician``, ``sam_account``, ``alex_account``
        (accounts) and ``sam``, ``alex`` (people).
    """
    from argon2 import PasswordHasher

    from twistcoach.intake import parse_intake
    from twistcoach.poses.loader import load_library
    from twistcoach.screening import screen

    # One hash for all four accounts: argon2 is deliberately slow, and each verifies alike.
    password_hash = PasswordHasher().hash(DEMO_PASSWORD)
    ids = {
        "teacher": _account(repo, TEACHER, password_hash),
        "clinician": _account(repo, CLINICIAN, password_hash),
        "sam_account": _account(repo, SAM, password_hash),
        "alex_account": _account(repo, ALEX, password_hash),
    }
    people = (
        ("sam", "Sam", ids["sam_account"], ids["teacher"], SAM_INTAKE, SAM_SESSIONS),
        ("alex", "Alex", ids["alex_account"], None, ALEX_INTAKE, ALEX_SESSIONS),
    )
    library = load_library()
    for key, name, account_id, teacher_id, intake_data, sessions in people:
        person = repo.find_person(name)
        if person is None:
            person = repo.create_person(name, account_id=account_id, teacher_id=teacher_id)
        # Both demo students linked the demo clinician (staff see only linked students).
        repo.add_link(person.id, CLINICIAN.email)
        ids[key] = person.id
        plan_record = repo.latest_plan(person.id)
        if plan_record is None:
            intake = parse_intake(intake_data)
            plan = screen(intake, library)
            intake_record = repo.save_intake(person.id, intake.to_json_dict())
            plan_record = repo.save_plan(
                person.id, intake_record.id, plan.to_json_dict(), plan.status.value
            )
        if not repo.list_sessions(person.id):
            for spec in sessions:
                _record_session(repo, person.id, plan_record.id, plan_record.data, spec)
    if not repo.list_audit(limit=1):
        repo.audit(None, "demo.seed", "database", {"accounts": 4, "people": 2})
    return ids
