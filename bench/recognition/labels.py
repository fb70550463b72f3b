"""Labels of the free-exercise-db photographs for training the pose-family classifier.

Each exercise's two pictures get one fine class (``bench.recognition.synth``'s constants)
from the first two sentences of its instructions (how the exercise starts: "Lie on your
back", "Sit ...", "Stand ...", "face down", "hands and knees", "kneel", "on your side"),
checked by eye on contact sheets for the twists, which are labelled per picture
(:data:`TWISTS`). Exercises that are none of these, use a partner, a foam roller, a ball
or a machine, or hang from a bar, are left out (:func:`label_of` returns None).

Left out as well, whole exercises whose pictures are in the shared development set
(``shared/data/images.csv``): training never sees them (:data:`DEV_EXERCISES`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bench.recognition.synth import (
    KNEELING,
    PRONE,
    SEATED,
    SEATED_TWIST,
    SIDE_LYING,
    STANDING,
    STANDING_TWIST,
    SUPINE,
)

#: Exercises with a picture in shared/data/images.csv (the development set): excluded.
DEV_EXERCISES = frozenset(
    {
        "Knee_Across_The_Body",
        "IT_Band_and_Glute_Stretch",
        "Hug_Knees_To_Chest",
        "Middle_Back_Stretch",
        "Spinal_Stretch",
    }
)

#: Twists, per picture (checked by eye): exercise id -> (label of 0.jpg, label of 1.jpg).
TWISTS: Mapping[str, tuple[int, int]] = {
    "Dancers_Stretch": (SEATED_TWIST, SEATED_TWIST),
    "Russian_Twist": (SEATED, SEATED_TWIST),
    "Plate_Twist": (SEATED, SEATED_TWIST),
    "Torso_Rotation": (STANDING, STANDING_TWIST),
    "Windmills": (SUPINE, SUPINE),
}

#: Exercises left out after looking at them: a partner in the picture, or a rotation too
#: small or too odd to call (on a ball, a crunch with a turn, a kettlebell windmill).
EXCLUDED = frozenset(
    {
        "Lying_Crossover",
        "Cable_Russian_Twists",
        "Seated_Barbell_Twist",
        "Elbow_to_Knee",
        "Cross-Body_Crunch",
        "Spell_Caster",
        "Medicine_Ball_Full_Twist",
        "Kettlebell_Windmill",
        "Advanced_Kettlebell_Windmill",
        "Double_Kettlebell_Windmill",
        "Oblique_Crunches",
        "Decline_Oblique_Crunch",
        "Cable_Judo_Flip",
        "Pallof_Press_With_Rotation",
        "Kneeling_Cable_Crunch_With_Alternating_Oblique_Twists",
    }
)

_SKIP = re.compile(
    r"partner|foam roll|exercise ball|stability ball|swiss ball|machine|pull-?up bar|chin-?up"
    r"|\bhang\b|hanging|incline|decline|glute ham|roman chair|sled|preacher"
)
#: Lifts done on the feet whatever the instructions say ("sit back into a squat").
_STANDING_IDS = re.compile(r"squat|snatch|clean|jerk|deadlift|lunge|bent.over|good.morning|step.up")
#: First match wins, in this order.
_RULES: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"push-?up position|plank|hands and knees|all fours|hands and toes"), KNEELING),
    (re.compile(r"face ?down|on your stomach|prone|on your belly"), PRONE),
    (re.compile(r"\bkneel"), KNEELING),
    (re.compile(r"on your (right |left )?side|lie sideways|lay sideways|side-lying"), SIDE_LYING),
    (
        re.compile(
            r"(lie|lay|lying)( down| flat| back)?( on| onto)( your back| the floor| a flat bench"
            r"| the ground| a mat| an exercise mat| a bench| a flat)|on your back|face ?up"
        ),
        SUPINE,
    ),
    (re.compile(r"\bsit\b(?! back)|\bseated\b|\bsitting\b|\bseat yourself"), SEATED),
    (re.compile(r"\bstand|\bupright|\bclean\b|shoulder width apart|hip-? ?width"), STANDING),
)


def label_of(exercise: Mapping[str, object], image: int) -> int | None:
    """The fine class of picture ``image`` (0 or 1) of a free-exercise-db exercise record,
    or None when it is left out."""
    ident = str(exercise["id"])
    if ident in DEV_EXERCISES or ident in EXCLUDED:
        return None
    if ident in TWISTS:
        return TWISTS[ident][image]
    steps = exercise.get("instructions") or []
    assert isinstance(steps, list)
    text = " ".join(str(s) for s in steps[:2]).lower()
    if _SKIP.search(text) or exercise.get("equipment") in ("machine", "cable", "foam roll"):
        return None
    if _STANDING_IDS.search(ident.lower()):
        return STANDING
    for pattern, label in _RULES:
        if pattern.search(text):
            return label
    return None
