"""Score a trained pose-family model on the validation data (never on the development set).

The validation data are the free-exercise-db exercises :func:`bench.recognition.train.fedb_split`
keeps out of training, synthetic photographs of a seed training never used
(:data:`bench.recognition.train.VALIDATION_SYNTH_SEED`) and the posed rendered pictures of
the validation split (``posed.py``: the tuning bodies, seed 777). Settings of ``train.py`` are
chosen here; run from the repository root::

    .venv/bin/python -m bench.recognition.validate [--model PATH]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
from bench.recognition import synth
from bench.recognition.posed import skeleton as posed_skeleton
from bench.recognition.train import (
    DATA,
    MODEL,
    VALIDATION_SYNTH_SEED,
    fedb_examples,
    fedb_split,
)

import twistcoach.recognition as recognition
from twistcoach.landmarks import Skeleton
from twistcoach.metrics import PoseFamily
from twistcoach.recognition import FEATURE_LANDMARKS, FINE_CLASSES, FINE_TO_FAMILY, recognize

#: Synthetic validation photographs per pose.
SYNTH_PER_POSE = 30


def skeleton_of(points13: np.ndarray) -> Skeleton:
    """A full 33-point skeleton holding 13 feature points (the rest at their mean)."""
    xy = np.zeros((33, 2))
    xy[:] = points13.mean(axis=0)
    for i, m in enumerate(FEATURE_LANDMARKS):
        xy[int(m)] = points13[i]
    xy = xy - xy.min(axis=0) + 50
    size = (int(xy[:, 0].max() + 50), int(xy[:, 1].max() + 50))
    return Skeleton(0.0, xy, np.zeros(33), np.zeros((33, 3)), np.ones(33), size)


def use_model(path: Path) -> None:
    """Make :func:`twistcoach.recognition.recognize` use the weights in ``path``."""
    clf = recognition.classifier_from_doc(json.loads(path.read_text()))
    recognition._classifier = lambda: clf  # type: ignore[assignment]


def family_scores(truth: list[PoseFamily], got: list[PoseFamily]) -> dict[str, float | int]:
    """Right share, twists called a twist and non-twists called a twist."""
    tw = [t.value.endswith("twist") for t in truth]
    gt = [g.value.endswith("twist") for g in got]
    n_tw = sum(tw)
    return {
        "n": len(truth),
        "right": sum(a == b for a, b in zip(truth, got, strict=True)),
        "twists": n_tw,
        "caught": sum(a and b for a, b in zip(tw, gt, strict=True)),
        "others": len(truth) - n_tw,
        "false": sum((not a) and b for a, b in zip(tw, gt, strict=True)),
    }


def fedb_validation() -> tuple[list[PoseFamily], list[PoseFamily], Counter[tuple[str, str]]]:
    """Truth and recognised family of the validation exercises' pictures."""
    xy, y, names = fedb_examples()
    truth, got = [], []
    confusion: Counter[tuple[str, str]] = Counter()
    for pts, c, name in zip(xy, y, names, strict=True):
        if fedb_split(name) != "validation":
            continue
        t = FINE_TO_FAMILY[FINE_CLASSES[int(c)]]
        g = recognize(skeleton_of(pts)).family
        truth.append(t)
        got.append(g)
        confusion[(t.value, g.value)] += 1
    return truth, got, confusion


def synthetic_validation() -> tuple[list[PoseFamily], list[PoseFamily]]:
    """Truth and recognised family of synthetic photographs of the validation seed."""
    xy, y, _ = synth.sample(SYNTH_PER_POSE, VALIDATION_SYNTH_SEED)
    truth = [FINE_TO_FAMILY[FINE_CLASSES[int(c)]] for c in y]
    got = [recognize(skeleton_of(p)).family for p in xy]
    return truth, got


def posed_validation() -> tuple[list[PoseFamily], list[PoseFamily]]:
    """Truth and recognised family of the posed rendered pictures of the validation split
    (``posed.py``: the tuning bodies, a seed training never used); empty when not cached."""
    path = DATA / "posed_landmarks.npz"
    if not path.exists():
        return [], []
    data = np.load(path, allow_pickle=False)
    truth, got = [], []
    for i in np.flatnonzero(data["split"] == "validation"):
        truth.append(FINE_TO_FAMILY[FINE_CLASSES[int(data["label"][i])]])
        got.append(recognize(posed_skeleton(data, int(i))).family)
    return truth, got


#: Turns (degrees) of the picture in the orientation check.
TURNS = (0.0, 90.0, 180.0, 270.0)


def turn_points(points: np.ndarray, deg: float) -> np.ndarray:
    """Landmarks (..., 13, 2) of the same picture turned by ``deg`` degrees."""
    t = np.radians(deg)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return np.asarray(points @ rot.T, dtype=np.float64)


def top_down_validation() -> dict[str, dict[str, float | int]]:
    """Family scores of synthetic lying bodies photographed from 60-90 degrees above
    (validation seed + 1), the picture turned by each of :data:`TURNS`."""
    xy, y, _ = synth.sample(SYNTH_PER_POSE // 3, VALIDATION_SYNTH_SEED + 1, top_down=True)
    truth = [FINE_TO_FAMILY[FINE_CLASSES[int(c)]] for c in y]
    return {
        f"turn_{deg:.0f}": family_scores(
            truth, [recognize(skeleton_of(turn_points(p, deg))).family for p in xy]
        )
        for deg in TURNS
    }


def main(argv: list[str] | None = None) -> int:
    """Print the validation scores of a model; returns the exit status."""
    parser = argparse.ArgumentParser(description="Validate the pose-family classifier.")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument(
        "--twist-min-share",
        type=float,
        default=recognition.TWIST_MIN_SHARE,
        help="recognition.TWIST_MIN_SHARE to score with (default %(default)s)",
    )
    parser.add_argument(
        "--rule-twist-min-share",
        type=float,
        default=recognition.RULE_TWIST_MIN_SHARE,
        help="recognition.RULE_TWIST_MIN_SHARE to score with (default %(default)s)",
    )
    args = parser.parse_args(argv)
    use_model(args.model)
    recognition.TWIST_MIN_SHARE = args.twist_min_share
    recognition.RULE_TWIST_MIN_SHARE = args.rule_twist_min_share
    ft, fg, _ = fedb_validation()
    st, sg = synthetic_validation()
    pt, pg = posed_validation()
    scores: dict[str, object] = {
        "fedb_validation": family_scores(ft, fg),
        "synthetic": family_scores(st, sg),
        "posed": family_scores(pt, pg),
    }
    scores.update(top_down_validation())
    for name, sc in scores.items():
        print(name, json.dumps(sc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
