"""Records a clinician can file: a FHIR R4B export and a clinical PDF report.

Both read a student's stored record once (:func:`gather`) and take every permission and
cap from planning (:func:`twistcoach.storage.progress.decide_for_person`).
"""

from __future__ import annotations

from twistcoach.export.facts import (
    HeldSide,
    PainMark,
    PersonFacts,
    SessionFacts,
    gather,
    period_bounds,
)

__all__ = ["HeldSide", "PainMark", "PersonFacts", "SessionFacts", "gather", "period_bounds"]
