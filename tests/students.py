"""A student as the web tests make one: the password they sign up with and the intake they
fill in (45, light activity, chronic low back pain, no leg symptoms: ready for the partial
supine twist at 45 degrees)."""

from __future__ import annotations

PASSWORD = "a long test password"
CLINICAL_INTAKE = {
    "age": 45,
    "pain_now": 2,
    "pain_duration_weeks": 30,
    "activity": "light",
    "leg_symptoms": "none",
    "conditions": ["chronic_low_back_pain"],
}
