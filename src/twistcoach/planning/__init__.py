"""What a person may practise now, to what cap, and why: decided here, once.

Pure core: standard library and pydantic only; no clocks (the caller passes ``now``), no
I/O except the thin :func:`load_safety_rules` that reads the packaged ``rules/safety.yaml``.

Every surface calls :func:`decide`: the desktop coach (``twistcoach coach``), the web's plan
and practice pages, the practice socket, the dashboard, ``twistcoach plan`` and
``twistcoach progress``. Nothing else computes a cap or a permission, so two surfaces can
never disagree about safety.

How a decision is made
----------------------
1. **Screening** (:func:`twistcoach.screening.screen`) of the intake with every clearance
   (the intake's own and those recorded later, merged here and nowhere else) gives each
   variant's status and its ceiling: the plan's cap in the variant's own measure. A
   clearance withdrawn (by a clinician, or the teacher who gave it: :func:`may_withdraw`)
   counts for nothing from its withdrawal on, anywhere in the decision, and each twist it
   named gets a plain reason with who withdrew it, when and why
   (``SAFE-CLEARANCE-WITHDRAWN``), until a later clearance names that twist again.
2. **Flags.** History raises flags that stay open until a teacher or clinician records a
   review (:class:`SafetyReview`): a sharp-pain stop (``SAFE-SHARP-FLAG``); pain that went
   up in ``review_pain_sessions`` of the last ``review_window`` sessions since the last
   review (``SAFE-PAIN-REPEATED``); a check-in reporting new leg symptoms, numbness or
   weakness (``SAFE-CARE-FLAG``: nerve signs, which only a clinician's review closes,
   ``SAFE-CARE-REVIEW``, :func:`may_review`) or a back that feels worse
   (``SAFE-WORSE-FLAG``); an intake's red flag that a later intake leaves out (a red flag
   always wins: a new answer never takes one back). Such a flag is raised when the answer
   leaves it out, one per red flag, naming what was reported and when; screening's groups
   decide its weight: an emergency sign (``SAFE-EMERGENCY-WITHDRAWN``: the plan stays at
   seek care now and every twist is refused, ``SAFE-EMERGENCY-KEPT``, until a clinician's
   review) or a red flag for a clinician to check (``SAFE-RED-FLAG-WITHDRAWN``: the plan is
   screened as if it were still reported until a clinician's review, or a clinician's
   clearance dated and recorded after it was left out). Only a clinician closes these
   (``SAFE-RED-FLAG-REVIEW``). While a
   flag is open nothing recorded after it may raise a cap or unlock a variant: the plan is
   re-screened with only the clearances recorded before the flag, and only variants
   allowed then stay allowed (``SAFE-FLAG-REVIEW``, ``SAFE-CLEARANCE-HELD``).
3. **Today.** A sharp-pain stop refuses every twist for the rest of that day in ``tz``
   (the zone the session was practised in: ``storage.progress.lock_zone``)
   (``SAFE-SHARP-TODAY``); the next session first needs a check-in (``SAFE-CHECKIN``); a
   check-in reporting leg symptoms sends the person to care (``SAFE-CHECKIN-CARE``), one
   reporting a worse back waits for review (``SAFE-CHECKIN-WORSE``). A pain stop (above
   5/10, or 2 points up) ends that day's practice too (``SAFE-PAIN-TODAY``), with no
   check-in the next day. Both are dated by when they happened (``PastSession.at``: the
   sharp-pain report, the pain stop; ``storage.progress.stopped_at``), never by the
   session's start: a session begun at 23:50 and stopped at 00:05 locks the day of 00:05.
4. **The cap** of each allowed variant is a fold over its history, oldest first: it starts
   at the plan's cap; every session holds it at most at the cap that session ran at (it
   goes up only by an approval: ``SAFE-LAST-CAP``); a session in which pain went up (or
   that pain stopped) lowers it one step below the cap that session ran at
   (``SAFE-PAIN-LOWER``, never below ``min_cap_deg``), and so does one in any other
   variant measured in the same degrees (pain at a knee drop is pain at that knee drop); a
   progression a teacher or clinician approved sets it to the approved cap
   (``SAFE-APPROVED``), but only lowers it while a flag is open (``SAFE-RAISE-HELD``).
   The result never exceeds the plan's cap; a clearance asking for more than the plan gives
   says so (``SAFE-CLEARANCE-CLIPPED``).
5. **A clinician's plan** (the newest :class:`ClinicianPlan`) only narrows: variants it
   leaves out are refused, its caps apply when lower and are clipped when higher
   (``SAFE-CLINICIAN-*``), its hold times go to the coach.
6. **The coach** can only keep a person under a cap it can measure: every allowed variant
   has one in its own measure (the knee drop for supine twists, the trunk rotation for
   seated and standing twists, which the seated coach measures: issue 20); a variant whose
   measure was not checked on its pose (the pose library's ``coach_measures``: the revolved
   triangle folds the trunk forward) is not offered for coached practice
   (``SAFE-NOT-COACHED``).
7. **Progression** (:func:`twistcoach.progression.suggest_progression`) gets the folded cap
   and the open flags, so its suggestion looks at the whole history.

Adding a pain report, a stop, a flag or a bad check-in to a history never raises a cap or
unlocks a variant (``tests/test_planning_properties.py`` proves it with hypothesis).
"""

from __future__ import annotations

from twistcoach.planning.decide import (
    decide,
    has_back_condition,
    may_clear,
    may_review,
    may_withdraw,
    start_pain_refusal,
)
from twistcoach.planning.decision import (
    NOT_NOW_WORDS,
    STATUS_HEADLINES,
    STATUS_WORDS,
    FlagKind,
    PracticeDecision,
    SafetyFlag,
    VariantPermission,
)
from twistcoach.planning.history import (
    BackFeeling,
    CheckIn,
    ClearanceWithdrawal,
    ClinicianPlan,
    DatedClearance,
    DatedIntake,
    PastSession,
    PersonHistory,
    Prescription,
    SafetyReview,
    StaffDecision,
)
from twistcoach.planning.rules import (
    REQUIRED_SAFETY_RULES,
    SafetyRules,
    SafetyRulesError,
    load_safety_rules,
    parse_safety_rules,
    safety_rules_markdown,
)

__all__ = [
    "NOT_NOW_WORDS",
    "REQUIRED_SAFETY_RULES",
    "STATUS_HEADLINES",
    "STATUS_WORDS",
    "BackFeeling",
    "CheckIn",
    "ClearanceWithdrawal",
    "ClinicianPlan",
    "DatedClearance",
    "DatedIntake",
    "FlagKind",
    "PastSession",
    "PersonHistory",
    "PracticeDecision",
    "Prescription",
    "SafetyFlag",
    "SafetyReview",
    "SafetyRules",
    "SafetyRulesError",
    "StaffDecision",
    "VariantPermission",
    "decide",
    "has_back_condition",
    "load_safety_rules",
    "may_clear",
    "may_review",
    "may_withdraw",
    "parse_safety_rules",
    "safety_rules_markdown",
    "start_pain_refusal",
]
