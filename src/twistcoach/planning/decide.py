"""The decision itself: :func:`decide` (see the package docs for how it is made)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from twistcoach.intake import (
    SURGERY_CONDITIONS,
    Clearance,
    ClearanceBy,
    Intake,
    LegSymptoms,
    RedFlag,
)
from twistcoach.planning.decision import (
    FlagKind,
    PracticeDecision,
    SafetyFlag,
    VariantPermission,
)
from twistcoach.planning.history import (
    BackFeeling,
    ClinicianPlan,
    DatedClearance,
    DatedIntake,
    PastSession,
    PersonHistory,
    StaffDecision,
)
from twistcoach.planning.rules import SafetyRules, load_safety_rules, plan_status_words
from twistcoach.poses.schema import PoseLibrary
from twistcoach.progression import (
    PAIN_STOPS,
    ClearanceInfo,
    NextVariant,
    ProgressionRules,
    ProgressionSuggestion,
    load_progression_rules,
    suggest_progression,
)
from twistcoach.screening import (
    PlanStatus,
    ReadinessPlan,
    Reason,
    RuleSet,
    VariantStatus,
    load_rules,
    screen,
)


def start_pain_refusal(start_pain: int, screening_rules: RuleSet | None = None) -> Reason | None:
    """Why a session may not start at this pain, or None: pain above the coach's stop is a
    rest day (screening's ``pain_above_stop``, the rule a plan answers the same pain with).
    A surface that asks for the pain at the start calls this: the web's practice took a
    start pain of 8 and coached the whole session, inviting the knees further."""
    rule = (screening_rules or load_rules()).rule("pain_above_stop")
    least = rule.when.pain_now_at_least
    if least is None or start_pain < least:
        return None
    return Reason(rule=rule.id, text=rule.text, source=rule.source)


def has_back_condition(intake: Intake | None) -> bool:
    """True when the intake records a back condition, back pain or leg symptoms.

    No intake counts as True: fail safe, a harder variant then needs a clearance.
    """
    if intake is None:
        return True
    return (
        bool(intake.conditions)
        or intake.pain_now >= 1
        or intake.leg_symptoms is not LegSymptoms.NONE
    )


def may_clear(
    role: ClearanceBy, trained_for_back_problems: bool, intake: Intake | None
) -> Reason | None:
    """Whether a member of staff may record a clearance for a student.

    Returns None when they may, else the reason they may not (``SAFE-WHO-CLEARS``): only
    clinicians and teachers trained for back problems may clear a student with a back
    condition (CLINICAL.md §3).
    """
    if role is ClearanceBy.CLINICIAN or trained_for_back_problems:
        return None
    if has_back_condition(intake):
        return load_safety_rules().reason("SAFE-WHO-CLEARS")
    return None


def may_review(role: ClearanceBy, open_flags: Sequence[SafetyFlag]) -> Reason | None:
    """Whether a review by ``role`` would close any of a student's open flags.

    Returns None when it would, else the reason it would not: a teacher's review closes
    every flag but those only a clinician's review closes (:attr:`FlagKind.clinician_only`):
    the nerve signs a check-in reported after sharp pain (``SAFE-CARE-REVIEW``) and the
    emergency signs and red flags an intake reported and a later one left out
    (``SAFE-RED-FLAG-REVIEW``) (CLINICAL.md §2, §5).
    """
    if role is ClearanceBy.CLINICIAN:
        return None
    if any(not f.kind.clinician_only for f in open_flags):
        return None
    if any(f.kind is not FlagKind.CHECKIN_CARE for f in open_flags):
        return load_safety_rules().reason("SAFE-RED-FLAG-REVIEW")
    return load_safety_rules().reason("SAFE-CARE-REVIEW")


def may_withdraw(role: ClearanceBy, cleared_by: ClearanceBy, gave_it: bool) -> Reason | None:
    """Whether a member of staff may withdraw a clearance.

    Returns None when they may, else the reason they may not (``SAFE-WHO-WITHDRAWS``): a
    clinician may withdraw any clearance of a student they see; a teacher only a teacher's
    clearance they recorded themselves (``gave_it``): a teacher never takes back what a
    clinician cleared, nor another teacher's word.
    """
    if role is ClearanceBy.CLINICIAN:
        return None
    if cleared_by is ClearanceBy.TEACHER and gave_it:
        return None
    return load_safety_rules().reason("SAFE-WHO-WITHDRAWS")


def _without_withdrawn(
    history: PersonHistory, now: dt.datetime
) -> tuple[PersonHistory, tuple[DatedClearance, ...]]:
    """The history with every clearance withdrawn by ``now`` taken out, and those
    clearances (oldest withdrawal first).

    Taken out everywhere at once, so nothing can count them again: the recorded ones, the
    same clearance recorded twice, and one written into an intake (the same values: the
    same clearance, fail safe). A withdrawal after ``now`` has not happened yet.
    """
    withdrawn = tuple(
        sorted(
            (c for c in history.clearances if c.withdrawn_by(now)),
            key=lambda c: (c.withdrawal.at if c.withdrawal else c.recorded_at, c.recorded_at),
        )
    )
    if not withdrawn:
        return history, ()
    gone = [c.clearance for c in withdrawn]
    intakes = tuple(
        DatedIntake(
            i.intake.model_copy(
                update={"clearances": tuple(c for c in i.intake.clearances if c not in gone)}
            ),
            i.at,
        )
        for i in history.intakes
    )
    kept = tuple(c for c in history.clearances if c.clearance not in gone)
    return replace(history, intakes=intakes, clearances=kept), withdrawn


def _withdrawn_reasons(
    withdrawn: Sequence[DatedClearance],
    kept: Sequence[DatedClearance],
    library: PoseLibrary,
    rules: SafetyRules,
    tz: dt.tzinfo,
) -> list[Reason]:
    """``SAFE-CLEARANCE-WITHDRAWN`` (or ``-TEACHER``, by who withdrew it) for each twist of
    each withdrawn clearance, in plain words with the date and the withdrawer's reason;
    not once a clearance recorded after the withdrawal names that twist again."""
    out: list[Reason] = []
    for dated in withdrawn:
        w = dated.withdrawal
        assert w is not None
        rule = (
            "SAFE-CLEARANCE-WITHDRAWN"
            if w.by_role is ClearanceBy.CLINICIAN
            else "SAFE-CLEARANCE-WITHDRAWN-TEACHER"
        )
        for variant_id in dict.fromkeys(dated.clearance.variants):
            if variant_id not in library.ids:
                continue  # cleared under an older pose library: it opened nothing here
            if any(c.recorded_at > w.at and variant_id in c.clearance.variants for c in kept):
                continue  # cleared again since: that clearance speaks now
            reason = rules.reason(
                rule,
                twist=library.name_of(variant_id),
                date=_date_words(w.at, tz),
                reason=" ".join(w.reason.split()),
            )
            if reason not in out:
                out.append(reason)
    return out


def _day_end(moment: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    local = moment.astimezone(tz)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return midnight


def _date_words(moment: dt.datetime, tz: dt.tzinfo) -> str:
    return moment.astimezone(tz).date().isoformat()


def _with_clearances(intake: Intake, clearances: Sequence[DatedClearance]) -> Intake:
    """The intake with the recorded clearances merged in (duplicates once)."""
    merged = list(intake.clearances)
    for dated in clearances:
        if dated.clearance not in merged:
            merged.append(dated.clearance)
    return intake.model_copy(update={"clearances": tuple(merged)})


def _clearances(dated: Sequence[DatedClearance]) -> tuple[Clearance, ...]:
    return tuple(d.clearance for d in dated)


def _all_clearances(history: PersonHistory) -> tuple[DatedClearance, ...]:
    """Recorded clearances plus every intake's own, each once, oldest first."""
    out: list[DatedClearance] = []
    seen: list[Clearance] = []
    dated = [DatedClearance(c, i.at) for i in history.intakes for c in i.intake.clearances]
    for item in sorted([*dated, *history.clearances], key=lambda d: d.recorded_at):
        if item.clearance not in seen:
            seen.append(item.clearance)
            out.append(item)
    return tuple(out)


#: The plan statuses whose rules a clinician must see: a clearance given before such a rule
#: first fired did not see it.
_CLINICIAN_STATUSES = (PlanStatus.SEE_CLINICIAN_FIRST, PlanStatus.SEEK_CARE_NOW)


#: How much later than before a surgery's date (from the months answered, counted back
#: from the day answered) must fall to be a newer operation: answers of whole months
#: given again weeks later move it by up to half a month each way.
NEW_SURGERY_DAYS = 45

#: Days in a month on average, for months counted back from a day.
_DAYS_PER_MONTH = 30.44


def _stale(
    clearances: Sequence[DatedClearance],
    intakes: Sequence[DatedIntake],
    screening_rules: RuleSet | None,
) -> tuple[DatedClearance, ...]:
    """The clearances given before the person's answers raised a reason to see a clinician
    that the answers of their day did not (a new red flag, a surgery, a disc): a clearance
    covers what its clinician or teacher knew, so it does not count until they clear the
    person again (fail safe). A clearance given before any intake knew none.

    ``intakes`` oldest first; a clearance in an intake file is dated with that intake."""
    rules = screening_rules or load_rules()
    current = intakes[-1]

    def serious(intake: Intake) -> set[tuple[str, str]]:
        # Each firing rule with the answers that fire it: a new red flag (weight loss
        # after a past cancer) or new leg symptoms (below the knee after a disc) fire a
        # rule that already fired, and a clearance given before them did not know them.
        out: set[tuple[str, str]] = set()
        for r in rules.rules:
            if r.plan_status not in _CLINICIAN_STATUSES or not r.when.matches(intake):
                continue
            out.add((r.id, ""))
            out.update((r.id, f.value) for f in r.when.red_flags & intake.red_flags)
            out.update((r.id, c.value) for c in r.when.conditions & intake.conditions)
            if intake.leg_symptoms in r.when.leg_symptoms:
                out.add((r.id, intake.leg_symptoms.value))
        return out

    def surgery_on(dated: DatedIntake) -> dt.datetime | None:
        months = dated.intake.surgery_months_ago
        if months is None or not dated.intake.conditions & SURGERY_CONDITIONS:
            return None
        return dated.at - dt.timedelta(days=months * _DAYS_PER_MONTH)

    now = serious(current.intake)
    # Only an operation that sends to a clinician now (a recent one) can make one newer.
    recent = any(
        r.plan_status in _CLINICIAN_STATUSES
        and (
            r.when.spinal_surgery_within_months is not None
            or r.when.hip_replacement_within_months is not None
        )
        and r.when.matches(current.intake)
        for r in rules.rules
    )
    operated = surgery_on(current) if recent else None
    stale: list[DatedClearance] = []
    for dated in clearances:
        if not now or dated.recorded_at >= current.at:
            continue
        then = [i for i in intakes if i.at <= dated.recorded_at]
        if now - (serious(then[-1].intake) if then else set()):
            stale.append(dated)
            continue
        # A newer operation under the same conditions (11 months ago, then 0): the
        # clearance was given before it. Months answered again later drift by days, not
        # by more than NEW_SURGERY_DAYS.
        before = surgery_on(then[-1]) if then else None
        if operated is not None and (
            before is None or operated - before > dt.timedelta(days=NEW_SURGERY_DAYS)
        ):
            stale.append(dated)
    return tuple(stale)


#: An intake answer that reported a red flag: (the intake's field, the answer).
_Answer = tuple[str, str]


def _red_flag_answers(screening_rules: RuleSet | None) -> dict[_Answer, bool]:
    """The answers that report a red flag, each True when it is an emergency sign.

    Read from the screening rules, the one place that groups them: every red flag of a rule
    that sends to care today (``seek_care_now``: the emergency signs, with their leg
    symptoms) or to a clinician first (``see_clinician_first``). A condition (a disc, a
    surgery, a pregnancy) is not a red flag: it may rightly change."""
    rules = screening_rules or load_rules()
    out: dict[_Answer, bool] = {}
    for rule in rules.rules:
        if rule.plan_status is PlanStatus.SEEK_CARE_NOW:
            for flag in rule.when.red_flags:
                out[("red_flags", flag.value)] = True
            for legs in rule.when.leg_symptoms:
                out[("leg_symptoms", legs.value)] = True
        elif rule.plan_status is PlanStatus.SEE_CLINICIAN_FIRST:
            for flag in rule.when.red_flags:
                out.setdefault(("red_flags", flag.value), False)
    return out


def _reports(intake: Intake, answers: Mapping[_Answer, bool]) -> set[_Answer]:
    """The red-flag answers ``intake`` gives."""
    given = {("red_flags", RedFlag(f).value) for f in intake.red_flags}
    given.add(("leg_symptoms", LegSymptoms(intake.leg_symptoms).value))
    return {a for a in given if a in answers}


@dataclass(frozen=True)
class _Withdrawal:
    """A red-flag answer an intake gave (first at ``reported_at``) and a later one left out
    (at ``withdrawn_at``)."""

    answer: _Answer
    emergency: bool
    reported_at: dt.datetime
    withdrawn_at: dt.datetime


def _withdrawals(
    intakes: Sequence[DatedIntake], answers: Mapping[_Answer, bool]
) -> list[_Withdrawal]:
    """Every red-flag answer a later intake left out (``intakes`` oldest first).

    A red flag is reported until an intake leaves it out: that withdrawal does not take it
    back (a red flag always wins; staff decide). Reported again and left out again is
    another withdrawal. A correction minutes later is still a withdrawal: no grace period."""
    reported: dict[_Answer, dt.datetime] = {}
    out: list[_Withdrawal] = []
    for dated in intakes:
        now = _reports(dated.intake, answers)
        for answer, since in list(reported.items()):
            if answer not in now:
                out.append(_Withdrawal(answer, answers[answer], since, dated.at))
                del reported[answer]
        for answer in sorted(now):  # sorted: the flags' order never depends on a hash
            reported.setdefault(answer, dated.at)
    return out


def _with_reported(intake: Intake, answers: Iterable[_Answer]) -> Intake:
    """The intake with the red-flag answers of open withdrawn flags given again, so that
    screening plans as it did while they were reported (and says why)."""
    flags = set(intake.red_flags)
    legs = intake.leg_symptoms
    order = list(LegSymptoms)
    for field, value in answers:
        if field == "red_flags":
            flags.add(RedFlag(value))
        elif field == "leg_symptoms" and order.index(LegSymptoms(value)) > order.index(legs):
            legs = LegSymptoms(value)
    if flags == set(intake.red_flags) and legs is intake.leg_symptoms:
        return intake
    return intake.model_copy(update={"red_flags": frozenset(flags), "leg_symptoms": legs})


def _lowered(cap: float, rules: ProgressionRules, measure: str = "knee_drop") -> float:
    """One step lower, never below the floor, and never higher than ``cap`` (the step and
    the floor in ``measure``'s degrees: ``ProgressionThresholds.for_measure``)."""
    th = rules.thresholds.for_measure(measure)
    return min(cap, max(th.min_cap_deg, cap - th.lower_step_deg))


def _all_flags(
    history: PersonHistory,
    rules: SafetyRules,
    prog_rules: ProgressionRules,
    tz: dt.tzinfo,
    withdrawals: Sequence[_Withdrawal] = (),
    today: dt.date | None = None,
) -> list[tuple[SafetyFlag, dt.datetime | None]]:
    """Every flag the history ever raised, with the review that closed it (None: still open).

    A review closes every flag raised before it. Repeated pain is judged session by session
    between reviews: the flag is raised at the session whose window of the last
    ``review_window`` sessions holds ``review_pain_sessions`` painful ones.

    A red flag an intake reported and a later one left out (``withdrawals``) is raised when
    it was left out. Only a clinician's review closes it (``SAFE-EMERGENCY-WITHDRAWN``,
    ``SAFE-RED-FLAG-WITHDRAWN``), never a clearance: the review asks before it makes
    clearances given before the flag count again.
    """
    reviews = sorted(r.at for r in history.reviews)
    # Nerve signs after sharp pain need a healthcare professional (SAFE-CARE-REVIEW).
    clinician_reviews = sorted(r.at for r in history.reviews if r.by_role is ClearanceBy.CLINICIAN)

    def closed(moment: dt.datetime, by: Sequence[dt.datetime] = reviews) -> dt.datetime | None:
        # A review closes the flags raised before it (strictly: not one raised with it).
        return next((r for r in by if r > moment), None)

    out: list[tuple[SafetyFlag, dt.datetime | None]] = []
    sessions = sorted(history.sessions, key=lambda s: s.at)
    for s in sessions:
        if s.sharp:
            reason = rules.reason("SAFE-SHARP-FLAG", date=_date_words(s.at, tz))
            flag = SafetyFlag(FlagKind.SHARP_PAIN, s.at, reason, s.session_id)
            out.append((flag, closed(s.at)))
    th = prog_rules.thresholds
    start: dt.datetime | None = None
    for end in [*reviews, None]:
        window = [
            s for s in sessions if (start is None or s.at >= start) and (end is None or s.at < end)
        ]
        for i, s in enumerate(window):
            painful = [x for x in window[max(0, i + 1 - th.review_window) : i + 1] if x.painful]
            if s.painful and len(painful) >= th.review_pain_sessions:
                reason = rules.reason(
                    "SAFE-PAIN-REPEATED", n=len(painful), date=_date_words(s.at, tz)
                )
                flag = SafetyFlag(FlagKind.REPEATED_PAIN, s.at, reason, s.session_id)
                out.append((flag, end))
                break
        start = end
    for c in history.checkins:
        if c.sends_to_care:
            reason = rules.reason("SAFE-CARE-FLAG", date=_date_words(c.at, tz))
            flag = SafetyFlag(FlagKind.CHECKIN_CARE, c.at, reason)
            out.append((flag, closed(c.at, clinician_reviews)))
        elif c.back is BackFeeling.WORSE:
            reason = rules.reason("SAFE-WORSE-FLAG", date=_date_words(c.at, tz))
            out.append((SafetyFlag(FlagKind.CHECKIN_WORSE, c.at, reason), closed(c.at)))
    for w in withdrawals:
        field, answer = w.answer
        words = rules.sign_words(field, answer)
        when = _date_words(w.reported_at, tz)
        end = closed(w.withdrawn_at, clinician_reviews)
        if w.emergency:
            kind = FlagKind.EMERGENCY_WITHDRAWN
            reason = rules.reason("SAFE-EMERGENCY-WITHDRAWN", date=when, sign=words)
        else:
            kind = FlagKind.RED_FLAG_WITHDRAWN
            reason = rules.reason("SAFE-RED-FLAG-WITHDRAWN", date=when, sign=words)
            # Only a clinician's review closes it, never a clearance: a review that would
            # make clearances given before it count again asks first (the web's
            # keep_clearances), a clearance did not (the red team: a clinician's clearance
            # of one twist revived a teacher's older clearance of two others, unasked; one
            # written into an intake file closed it from the command line).
        out.append((SafetyFlag(kind, w.withdrawn_at, reason, answer=answer), end))
    return sorted(out, key=lambda item: item[0].raised_at)


@dataclass
class _Fold:
    cap: float
    reasons: list[Reason]


def _fold_cap(
    variant_id: str,
    plan_cap: float,
    history: PersonHistory,
    flags_open_at: Sequence[tuple[dt.datetime, dt.datetime | None]],
    rules: SafetyRules,
    progression_rules: ProgressionRules,
    tz: dt.tzinfo,
    measure: str = "knee_drop",
    same_measure: frozenset[str] = frozenset(),
) -> _Fold:
    """The cap of ``variant_id`` after its history (see the module docs, step 4).

    ``flags_open_at`` holds (raised, reviewed or None) for every flag ever raised, so a
    decision is judged by the flags open when it was made. ``same_measure``: the other
    variants measured in the same degrees (the supine twists' knee drop, the seated and
    standing twists' trunk rotation), whose painful sessions lower this cap too: pain at a
    knee drop is pain at that knee drop, whichever supine twist reached it (the part-way
    twist had kept 45 after sharp pain in the supported one at 40).
    """

    def flag_open(moment: dt.datetime) -> bool:
        return any(
            raised <= moment and (closed is None or closed > moment)
            for raised, closed in flags_open_at
        )

    fold = _Fold(plan_cap, [])
    timeline: list[tuple[dt.datetime, int, PastSession | StaffDecision]] = []
    timeline += [
        (s.at, 0, s)
        for s in history.sessions
        if s.outcome.variant_id == variant_id
        or (s.outcome.variant_id in same_measure and s.painful)
    ]
    timeline += [
        (d.at, 1, d)
        for d in history.decisions
        if d.variant_id == variant_id and d.approved and d.cap_deg is not None
    ]
    timeline.sort(key=lambda item: (item[0], item[1]))
    pain_reason: Reason | None = None
    decision_reason: Reason | None = None
    last_reason: Reason | None = None
    for at, _, item in timeline:
        if isinstance(item, PastSession):
            own = item.outcome.variant_id == variant_id
            if own and item.outcome.cap_deg < fold.cap:
                # A session's cap is where the person was; it goes up only by an approval.
                fold.cap = item.outcome.cap_deg
                last_reason = rules.reason(
                    "SAFE-LAST-CAP", date=_date_words(at, tz), cap=f"{fold.cap:g}"
                )
            if item.painful:
                fold.cap = _lowered(min(fold.cap, item.outcome.cap_deg), progression_rules, measure)
                pain_reason = rules.reason(
                    "SAFE-PAIN-LOWER", date=_date_words(at, tz), cap=f"{fold.cap:g}"
                )
                decision_reason = None
            continue
        assert item.cap_deg is not None
        if item.cap_deg <= fold.cap:
            fold.cap = item.cap_deg
            decision_reason = rules.reason(
                "SAFE-APPROVED", date=_date_words(at, tz), who=item.by_name, cap=f"{item.cap_deg:g}"
            )
            pain_reason = None
        elif flag_open(at):
            decision_reason = rules.reason(
                "SAFE-RAISE-HELD", date=_date_words(at, tz), cap=f"{item.cap_deg:g}"
            )
        else:
            fold.cap = item.cap_deg
            decision_reason = rules.reason(
                "SAFE-APPROVED", date=_date_words(at, tz), who=item.by_name, cap=f"{item.cap_deg:g}"
            )
            pain_reason = None
    fold.cap = min(fold.cap, plan_cap)
    fold.reasons = [r for r in (pain_reason, decision_reason) if r is not None]
    if not fold.reasons and last_reason is not None and fold.cap < plan_cap:
        fold.reasons = [last_reason]
    return fold


def decide(
    history: PersonHistory,
    library: PoseLibrary,
    *,
    now: dt.datetime,
    tz: dt.tzinfo | None = None,
    screening_rules: RuleSet | None = None,
    safety_rules: SafetyRules | None = None,
    progression_rules: ProgressionRules | None = None,
    progression_variant: str | None = None,
) -> PracticeDecision:
    """What the person may practise now, to what cap, and why (see the module docs).

    Parameters
    ----------
    history
        The person's intakes, clearances, sessions, staff decisions, reviews and check-ins.
    library
        The pose library.
    now
        The current time (aware).
    tz
        The time zone whose calendar day a sharp-pain lock lasts for; default ``now``'s.
    screening_rules, safety_rules, progression_rules
        Rule tables; default the packaged ones.
    progression_variant
        The variant progression is asked about; default the one practised last (else the
        first allowed one).

    Returns
    -------
    PracticeDecision
        One permission per variant, with every reason.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    tz = tz or now.tzinfo
    assert tz is not None
    rules = safety_rules or load_safety_rules()
    prog_rules = progression_rules or load_progression_rules()

    # A withdrawn clearance counts for nothing from its withdrawal on, anywhere below.
    history, withdrawn = _without_withdrawn(history, now)
    intakes = sorted(history.intakes, key=lambda i: i.at)
    if not intakes:
        reason = rules.reason("SAFE-NO-INTAKE")
        variants = tuple(
            VariantPermission(v.id, VariantStatus.NOT_ALLOWED, False, None, None, (reason,))
            for v in library
        )
        return PracticeDecision(plan=None, variants=variants, reasons=(reason,))

    today = now.astimezone(tz).date()
    answers = _red_flag_answers(screening_rules)
    withdrawals = _withdrawals(intakes, answers)
    every_flag = _all_flags(history, rules, prog_rules, tz, withdrawals, today)
    spans = [(flag.raised_at, closed) for flag, closed in every_flag]
    flags = [flag for flag, closed in every_flag if closed is None]
    # A red flag a later answer left out is planned as still reported until a clinician
    # closes its flag: screening keeps its status and says why (a red flag always wins).
    field_of = {value: field for field, value in answers}
    kept = [(field_of[f.answer], f.answer) for f in flags if f.answer is not None]
    intakes = [
        *intakes[:-1],
        DatedIntake(_with_reported(intakes[-1].intake, kept), intakes[-1].at),
    ]

    current = intakes[-1]
    # Every clearance counts once: recorded ones and those in any intake (an intake file's own
    # clearances, dated with it), so a newer intake never loses an older clearance.
    # But one given before the answers raised a new reason to see a clinician does not.
    recorded = _all_clearances(history)
    stale = _stale(recorded, intakes, screening_rules)
    every_clearance = tuple(c for c in recorded if c not in stale)
    merged = _with_clearances(current.intake, every_clearance)
    merged = merged.model_copy(
        update={"clearances": tuple(c for c in merged.clearances if c not in _clearances(stale))}
    )
    # A clearance counts from its own date on the person's calendar (one dated ahead, a
    # mistyped year for instance, unlocks nothing until then); weeks of pregnancy and
    # months since surgery count on from the day the intake was answered.
    answered_on = current.at.astimezone(tz).date()
    plan = screen(merged, library, screening_rules, today=today, answered_on=answered_on)
    person_reasons: list[Reason] = [
        rules.reason(
            "SAFE-CLEARANCE-STALE",
            who=c.clearance.who,
            date=c.clearance.date.isoformat(),
        )
        for c in stale
        # Not once the same person has cleared them again.
        if not any(
            o.clearance.name == c.clearance.name and o.recorded_at > c.recorded_at
            for o in every_clearance
        )
    ]
    person_reasons += _withdrawn_reasons(withdrawn, history.clearances, library, rules, tz)
    first_flag = flags[0].raised_at if flags else None
    frozen_plan: ReadinessPlan | None = None
    if first_flag is not None:
        # Nothing recorded after the first open flag may unlock or raise: screen again with
        # the intake and clearances as they were then.
        before = [i for i in intakes if i.at <= first_flag] or intakes[:1]
        then = [c for c in every_clearance if c.recorded_at <= first_flag]
        frozen_plan = screen(
            _with_clearances(_with_reported(before[-1].intake, kept), then),
            library,
            screening_rules,
            today=today,
            answered_on=before[-1].at.astimezone(tz).date(),
        )
        for flag in flags:
            # Nerve signs and red flags left out wait for a clinician's review alone
            # (SAFE-CARE-REVIEW, SAFE-RED-FLAG-REVIEW).
            rule = "SAFE-FLAG-CLINICIAN" if flag.kind.clinician_only else "SAFE-FLAG-REVIEW"
            person_reasons.append(rules.reason(rule, flag=flag.reason.text))

    # Today: a sharp-pain stop locks the rest of the local day; then a check-in first.
    sharp = sorted((s for s in history.sessions if s.sharp), key=lambda s: s.at)
    locked_until: dt.datetime | None = None
    needs_checkin = False
    # A pain stop (above 5/10, or 2 points up) ends practice for the rest of that day too:
    # its cue says "let's stop here" and a restart minutes later was offered at once. The
    # next day needs no check-in (nothing sharp); the cap is one step lower (the fold).
    pained = [
        s
        for s in history.sessions
        if s.outcome.stopped_reason in PAIN_STOPS and now < _day_end(s.at, tz)
    ]
    if pained and not (sharp and now < _day_end(sharp[-1].at, tz)):
        last_pain = max(pained, key=lambda s: s.at)
        locked_until = _day_end(last_pain.at, tz)
        time_words = last_pain.at.astimezone(tz).strftime("%H:%M")
        person_reasons.insert(0, rules.reason("SAFE-PAIN-TODAY", time=time_words))
    if sharp:
        last_sharp = sharp[-1]
        end_of_day = _day_end(last_sharp.at, tz)
        if now < end_of_day:
            locked_until = end_of_day
            time_words = last_sharp.at.astimezone(tz).strftime("%H:%M")
            person_reasons.insert(0, rules.reason("SAFE-SHARP-TODAY", time=time_words))
        elif not any(c.at >= last_sharp.at for c in history.checkins):
            needs_checkin = True
            person_reasons.insert(
                0, rules.reason("SAFE-CHECKIN", date=_date_words(last_sharp.at, tz))
            )
    # A check-in's bad answer refuses practice while its flag is open (a review closes it).
    kinds = {f.kind for f in flags}
    checkin_refusal: Reason | None = None
    if FlagKind.EMERGENCY_WITHDRAWN in kinds:
        # Emergency signs a later answer left out refuse every twist whatever else says so
        # (screening, kept at seek care now above, refuses them too: belt and braces).
        checkin_refusal = rules.reason("SAFE-EMERGENCY-KEPT")
    elif FlagKind.CHECKIN_CARE in kinds:
        checkin_refusal = rules.reason("SAFE-CHECKIN-CARE")
    elif FlagKind.CHECKIN_WORSE in kinds:
        checkin_refusal = rules.reason("SAFE-CHECKIN-WORSE")
    if checkin_refusal is not None:
        person_reasons.insert(0, checkin_refusal)
    person_blocked = locked_until is not None or needs_checkin or checkin_refusal is not None
    # Practice has resumed after the latest sharp-pain stop: its day is over, a check-in
    # since raised no flag and nothing else holds the person today (a pain stop since
    # locks the rest of its day: "your check-in lets you practise again" stood beside
    # that refusal). Progression then says the lowered cap, not "rest from twists" (the
    # practice and plan pages offer the twist: every page says this one decision).
    resumed_after_sharp = (
        bool(sharp)
        and now >= _day_end(sharp[-1].at, tz)
        and any(c.at >= sharp[-1].at for c in history.checkins)
        and not person_blocked
    )
    clinician_plan = max(history.clinician_plans, key=lambda c: c.at, default=None)

    permissions: list[VariantPermission] = []
    for decision in plan.variants:
        reasons = list(decision.reasons)
        allowed = plan.status is PlanStatus.READY and decision.allowed
        # The cap in the variant's own measure: knee drop (supine) or trunk rotation.
        ceiling = None if decision.range is None else decision.range.max_deg
        if frozen_plan is not None:
            earlier = frozen_plan.decision(decision.id)
            then_allowed = frozen_plan.status is PlanStatus.READY and earlier.allowed
            if allowed and not then_allowed:
                allowed = False
                reasons.extend(_held_clearances(decision.id, history, first_flag, rules, tz))
            if ceiling is not None and earlier.range is not None:
                if earlier.range.max_deg < ceiling:
                    reasons.extend(_held_clearances(decision.id, history, first_flag, rules, tz))
                ceiling = min(ceiling, earlier.range.max_deg)
        if plan.status is not PlanStatus.READY and decision.allowed:
            why = " ".join(plan.advice[:1]) or plan_status_words(plan.status.value)
            reasons.append(rules.reason("SAFE-PLAN-HOLD", why=why))
        if ceiling is not None:
            knee = decision.family.has_knee_drop
            reasons.extend(
                _clipped(
                    decision.id,
                    merged,
                    ceiling,
                    rules,
                    today=today,
                    knee_drop=knee,
                    not_lifting=decision.not_lifting,
                )
            )
        cap: float | None = None
        if not library.get(decision.id).coach_measures:
            ceiling = None  # the coach's measure was not checked on this pose: not coached
        if allowed and ceiling is not None:
            fold = _fold_cap(
                decision.id,
                ceiling,
                history,
                spans,
                rules,
                prog_rules,
                tz,
                decision.family.measure.value,
                frozenset(
                    v.id
                    for v in library
                    if v.measure is decision.family.measure and v.id != decision.id
                ),
            )
            cap = fold.cap
            reasons.extend(fold.reasons)
        elif allowed:
            # A variant whose measure the coach has not been checked on (the pose library's
            # coach_measures: the folded revolved triangle), or one without a cap, could not
            # be kept under it: never coached (fail safe).
            allowed = False
            reasons.append(rules.reason("SAFE-NOT-COACHED"))
        hold_s: float | None = None
        if clinician_plan is not None:
            allowed, cap, hold_s = _prescribed(
                clinician_plan, decision.id, allowed, cap, reasons, rules, tz
            )
        if person_blocked:
            allowed = False
        unique: list[Reason] = []
        for r in reasons:
            if r not in unique:
                unique.append(r)
        permissions.append(
            VariantPermission(
                variant_id=decision.id,
                plan_status=decision.status,
                allowed=allowed,
                cap_deg=cap if allowed else None,
                plan_cap_deg=None if decision.range is None else decision.range.max_deg,
                reasons=tuple(unique),
                hold_s=hold_s if allowed else None,
                rotation_cap_deg=_rotation_cap(decision.rotation_cap_deg, frozen_plan, decision.id),
                measure=decision.family.measure.value,
            )
        )

    progression = _progression(
        history,
        merged,
        permissions,
        flags,
        library,
        prog_rules,
        progression_variant,
        today,
        resumed_after_sharp=resumed_after_sharp,
    )
    return PracticeDecision(
        plan=plan,
        variants=tuple(permissions),
        reasons=tuple(person_reasons),
        open_flags=tuple(flags),
        locked_until=locked_until,
        needs_checkin=needs_checkin,
        progression=progression,
        clinician_plan=clinician_plan,
    )


def _rotation_cap(
    cap: float | None, frozen_plan: ReadinessPlan | None, variant_id: str
) -> float | None:
    """The plan's trunk-rotation cap; while a flag is open, never above the plan made then
    (None when that plan did not allow the variant)."""
    if cap is None or frozen_plan is None:
        return cap
    earlier = frozen_plan.decision(variant_id).rotation_cap_deg
    return None if earlier is None else min(cap, earlier)


def _prescribed(
    clinician_plan: ClinicianPlan,
    variant_id: str,
    allowed: bool,
    cap: float | None,
    reasons: list[Reason],
    rules: SafetyRules,
    tz: dt.tzinfo,
) -> tuple[bool, float | None, float | None]:
    """A clinician's plan within what planning allows: (allowed, cap, hold time).

    It only narrows: a variant it leaves out is refused (``SAFE-CLINICIAN-OMITS``), a cap
    above planning's is clipped (``SAFE-CLINICIAN-CLIPPED``), a lower one is used
    (``SAFE-CLINICIAN-CAP``).
    """
    when = _date_words(clinician_plan.at, tz)
    who = clinician_plan.by_name
    prescription = clinician_plan.prescription(variant_id)
    if prescription is None:
        if allowed:
            reasons.append(rules.reason("SAFE-CLINICIAN-OMITS", who=who, date=when))
        return False, None, None
    if not allowed or cap is None:
        return False, None, None
    if prescription.cap_deg is not None:
        if prescription.cap_deg < cap:
            cap = prescription.cap_deg
            reasons.append(rules.reason("SAFE-CLINICIAN-CAP", who=who, date=when, cap=f"{cap:g}"))
        elif prescription.cap_deg > cap:
            reasons.append(
                rules.reason(
                    "SAFE-CLINICIAN-CLIPPED",
                    who=who,
                    asked=f"{prescription.cap_deg:g}",
                    given=f"{cap:g}",
                )
            )
    return True, cap, prescription.hold_s


def _held_clearances(
    variant_id: str,
    history: PersonHistory,
    first_flag: dt.datetime | None,
    rules: SafetyRules,
    tz: dt.tzinfo,
) -> list[Reason]:
    """``SAFE-CLEARANCE-HELD`` for each clearance of the variant recorded after the flag."""
    if first_flag is None:
        return []
    return [
        rules.reason(
            "SAFE-CLEARANCE-HELD", who=c.clearance.who, date=_date_words(c.recorded_at, tz)
        )
        for c in _all_clearances(history)
        if c.recorded_at > first_flag and variant_id in c.clearance.variants
    ]


def _clipped(
    variant_id: str,
    intake: Intake,
    given: float,
    rules: SafetyRules,
    *,
    today: dt.date,
    knee_drop: bool = True,
    not_lifting: Sequence[Clearance] = (),
) -> list[Reason]:
    """``SAFE-CLEARANCE-CLIPPED`` for each counting clearance asking for more than given, in
    the variant's own measure (knee drop, else trunk rotation).

    Not for one a rule blocking the variant does not accept (``not_lifting``: a teacher's
    where only a clinician's lifts it): it is not the clearance in force, and screening
    says it lifts nothing (a teacher's 40 degrees was named as the source of the cap the
    clinician's 30 set).
    """
    out = []
    for c in intake.clearances:
        if c in not_lifting:
            continue
        asked = c.max_knee_drop_deg if knee_drop else c.max_trunk_rotation_deg
        if c.counts_on(today) and variant_id in c.variants and asked is not None and asked > given:
            out.append(
                rules.reason(
                    "SAFE-CLEARANCE-CLIPPED", who=c.who, asked=f"{asked:g}", given=f"{given:g}"
                )
            )
    return out


def _progression(
    history: PersonHistory,
    intake: Intake,
    permissions: Sequence[VariantPermission],
    flags: Sequence[SafetyFlag],
    library: PoseLibrary,
    rules: ProgressionRules,
    variant_id: str | None,
    today: dt.date,
    *,
    resumed_after_sharp: bool = False,
) -> ProgressionSuggestion | None:
    """Progression's suggestion for ``variant_id``, else the variant practised last, else
    the first allowed one (``resumed_after_sharp``: a check-in has let practice resume after
    the latest sharp-pain stop, see :func:`twistcoach.progression.suggest_progression`)."""
    sessions = sorted(history.sessions, key=lambda s: s.at)
    by_id = {p.variant_id: p for p in permissions}
    if variant_id is not None:
        pass
    elif sessions:
        variant_id = sessions[-1].outcome.variant_id
    else:
        first = next((p for p in permissions if p.cap_deg is not None), None)
        if first is None:
            return None
        variant_id = first.variant_id
    permission = by_id.get(variant_id)
    if permission is None or permission.plan_status is not VariantStatus.ALLOWED:
        # A twist the plan does not allow has no cap to lower or raise: progression said
        # "the cap is lowered by 5 degrees to n/a" for one after emergency signs.
        return None
    plan_cap = permission.plan_cap_deg
    ids = list(library.ids)
    next_variant = None
    if variant_id in ids and ids.index(variant_id) + 1 < len(ids):
        following = ids[ids.index(variant_id) + 1]
        status = by_id[following].plan_status.value if following in by_id else "not_allowed"
        if flags:
            status = "not_allowed"  # nothing unlocks while a flag is open
        next_variant = NextVariant(following, status)
    # The variant's measure: its caps, clearances' limits and steps are in its degrees.
    knee = variant_id not in library.ids or library.get(variant_id).family.has_knee_drop
    measure = "knee_drop" if knee else "trunk_rotation"
    clearances = [
        ClearanceInfo(
            tuple(c.variants),
            c.max_knee_drop_deg if knee else c.max_trunk_rotation_deg,
            c.counts_on(today),
        )
        for c in intake.clearances
    ]
    last_review = max((r.at for r in history.reviews), default=None)
    return suggest_progression(
        [s.outcome for s in sessions],
        variant_id=variant_id,
        plan_cap_deg=plan_cap,
        back_condition=has_back_condition(intake),
        clearances=clearances,
        next_variant=next_variant,
        rules=rules,
        current_cap_deg=None if permission is None else permission.cap_deg,
        open_flag=bool(flags),
        reviewed_at=last_review,
        measure=measure,
        resumed_after_sharp=resumed_after_sharp,
    )
