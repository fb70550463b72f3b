"""The shared development photographs as labelled training and cross-validation examples.

The 43 photographs of ``shared/data/images`` (real yoga photographs from public
projects, ``shared/data/images.csv``) are read through their MediaPipe 0.10.14
landmarks committed in ``tests/fixtures/skeletons`` (photograph mode), so training needs
no image. Each label of ``images.csv`` is given one fine class of the classifier
(:data:`FINE_OF_LABEL`).

Two rules keep the scores honest:

* photographs whose source repository is one of those issue 17 keeps for the
  independent evaluation (:data:`RESERVED_SOURCES`: ``k5_*`` from
  evilpanda009/yoga_pose_est, ``manoj_*`` from Manoj-2702/Yoga_Poses-Dataset) are never
  trained on, in any fold or in the shipped model, only scored;
* a source (the file-name prefix: one repository, often one model photographed several
  times, ``shared/data/SOURCES.md``: "treat a source as one case") is one group: the
  cross-validation (``bench/recognition/crossval.py``) holds out a whole source at a time.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from bench.recognition.synth import (
    INVERSION,
    KNEELING,
    PRONE,
    SEATED,
    SEATED_TWIST,
    STANDING,
    STANDING_TWIST,
    SUPINE,
    SUPINE_TWIST,
)
from numpy.typing import NDArray

from twistcoach.recognition import FEATURE_LANDMARKS

FloatArray = NDArray[np.float64]
FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "skeletons"

#: The fine class each ``images.csv`` label trains as (``bench.recognition.synth``'s
#: constants). Bridge and fish are lying on the back like the synthetic ones
#: (``synth.bridge``, ``synth.fish``); the chair twist (a seated rotation on a chair) a
#: seated twist; cobra and locust face down; plank and child's pose on hands or knees;
#: plough, shoulder stand and downward dog inversions.
FINE_OF_LABEL: dict[str, int] = {
    "supine_twist": SUPINE_TWIST,
    "supine_knees_bent": SUPINE,
    "supine_flat": SUPINE,
    "savasana": SUPINE,
    "knees_to_chest": SUPINE,
    "bridge": SUPINE,
    "fish": SUPINE,
    "plow": INVERSION,
    "shoulderstand": INVERSION,
    "downward_dog": INVERSION,
    "seated_twist": SEATED_TWIST,
    "chair_twist": SEATED_TWIST,
    "seated_forward_fold": SEATED,
    "easy_pose": SEATED,
    "lotus": SEATED,
    "bound_angle": SEATED,
    "boat": SEATED,
    "standing_twist": STANDING_TWIST,
    "tree": STANDING,
    "warrior2": STANDING,
    "goddess": STANDING,
    "triangle": STANDING,
    "standing_forward_fold": STANDING,
    "plank": KNEELING,
    "child_pose": KNEELING,
    "cobra": PRONE,
    "locust": PRONE,
}

#: File-name prefixes of photographs from repositories issue 17 keeps for the independent
#: evaluation: scored, never trained on.
RESERVED_SOURCES = frozenset({"k5", "manoj"})

_INDEX = [int(m) for m in FEATURE_LANDMARKS]


def source_of(name: str) -> str:
    """The source group of a photograph: its file name's prefix (``suraj_boat_pose`` ->
    ``suraj``)."""
    return name.split("_", 1)[0]


def dev_examples(
    fixtures: Path = FIXTURES,
) -> tuple[FloatArray, NDArray[np.int64], list[str], list[str]]:
    """The labelled development photographs.

    Returns
    -------
    xy : numpy.ndarray
        Shape (N, 13, 2): the :data:`twistcoach.recognition.FEATURE_LANDMARKS`, pixels.
    fine : numpy.ndarray
        Shape (N,): the fine class of each (:data:`FINE_OF_LABEL`).
    names : list of str
        The photographs' file stems, sorted.
    labels : list of str
        Their ``images.csv`` labels.
    """
    xs, ys, names, labels = [], [], [], []
    for path in sorted(fixtures.glob("*.json")):
        data = json.loads(path.read_text())
        if not str(data.get("source", "")).startswith("images/"):
            continue
        xs.append(np.asarray(data["image_xy"], dtype=np.float64)[_INDEX])
        ys.append(FINE_OF_LABEL[str(data["label"])])
        names.append(path.stem)
        labels.append(str(data["label"]))
    return np.stack(xs), np.array(ys, dtype=np.int64), names, labels


def trainable(names: list[str]) -> NDArray[np.bool_]:
    """True for the photographs training may use (not from a reserved source)."""
    return np.array([source_of(n) not in RESERVED_SOURCES for n in names])
