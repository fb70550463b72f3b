"""Recognition benchmark: pose family on real and synthetic photographs, and on real clips.

Writes ``bench/RECOGNITION.md``. Run from the repository root::

    .venv/bin/python -m bench.recognition.bench

Sets (none of them used in training, ``bench/recognition/train.py``):

* **real photographs**: the 43 labelled photographs of the shared development set
  (``shared/data/images.csv``), through their MediaPipe landmarks committed in
  ``tests/fixtures/skeletons``; the lying ones also turned by 90, 180 and 270 degrees in
  the picture (only the pictures taken from above are a fair test there: a side view of a
  person lying down, turned by 90 degrees, is a side view of a person standing);
* **synthetic photographs**: ``bench/recognition/synth.py`` with a seed training never
  used (:data:`SYNTH_SEED`), every pose from random cameras;
* **real clips**: the shared clips' MediaPipe landmarks (tracking mode,
  ``bench/recognition/data/clips``), through the tracker (clip-level family as
  ``twistcoach analyze`` reports it) and through a coaching session planned for the supine
  twist (whether it stops for a wrong pose).

Both the shipped recogniser (classifier, rules only when it is unsure) and the rules alone
(the recogniser before the classifier) are reported.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench.recognition import realphotos, synth
from bench.recognition.posed import elevation_of
from bench.recognition.posed import skeleton as posed_skeleton

from twistcoach.landmarks import Skeleton
from twistcoach.metrics import PoseFamily
from twistcoach.recognition import FINE_CLASSES, FINE_TO_FAMILY, _family, features, recognize

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "skeletons"
SHARED = Path(os.environ.get("TWISTCOACH_SHARED_DATA", "/work/shared/data"))
CLIPS = Path(__file__).resolve().parent / "data" / "clips"
REPORT = ROOT / "bench" / "RECOGNITION.md"
SYNTH_SEED = 12345
SYNTH_PER_POSE = 40
F = PoseFamily

#: Accepted families per label of images.csv (``tests/recognition/accepted_families.json``,
#: the test's table): where a label is not one of the coach's families, or a single 2D view
#: honestly cannot decide, every reasonable answer is accepted.
ACCEPTED: dict[str, set[PoseFamily]] = {
    label: {PoseFamily(f) for f in families}
    for label, families in json.loads(
        (ROOT / "tests" / "recognition" / "accepted_families.json").read_text()
    )["accepted"].items()
}
TWIST_LABELS = {"supine_twist", "seated_twist", "chair_twist", "standing_twist"}
LYING_LABELS = {"supine_twist", "supine_knees_bent", "supine_flat", "savasana", "knees_to_chest"}
#: Lying photographs taken from high above (judged by eye): fair at every picture angle.
FROM_ABOVE = {"rsclone_lying_twist_stretch_left", "suraj_easy_lower_back_twist"}
ORDER = list(PoseFamily)

Recogniser = Callable[[Skeleton], PoseFamily]


def shipped(sk: Skeleton) -> PoseFamily:
    return recognize(sk).family


def rules_only(sk: Skeleton) -> PoseFamily:
    finite = bool(np.all(np.isfinite(sk.image_xy)))
    return _family(features(sk))[0] if finite else PoseFamily.OTHER


def turned(sk: Skeleton, deg: float) -> Skeleton:
    """The skeleton of the same picture turned by ``deg`` degrees about its centre."""
    t = math.radians(deg)
    c, s = math.cos(t), math.sin(t)
    centre = np.array(sk.image_size, dtype=np.float64) / 2
    xy = (sk.image_xy - centre) @ np.array([[c, -s], [s, c]]).T + centre
    return Skeleton(sk.timestamp_s, xy, sk.image_z, sk.world_xyz, sk.visibility, sk.image_size)


def dev_set() -> list[tuple[str, str, Skeleton]]:
    """(name, label, skeleton) of the shared labelled photographs."""
    with (SHARED / "images.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        name = Path(row["file"]).stem
        data = json.loads((FIXTURES / f"{name}.json").read_text())
        out.append((name, row["label"], Skeleton.from_dict(data)))
    return out


def tally(names: list[str], labels: list[str], called: list[str]) -> dict[str, object]:
    """Photographs right (:data:`ACCEPTED`), twists called a twist, non-twists called a
    twist, and the misses, from each photograph's label and the family value called."""
    right = [c in {f.value for f in ACCEPTED[lab]} for lab, c in zip(labels, called, strict=True)]
    twist = [lab in TWIST_LABELS for lab in labels]
    said_twist = [c.endswith("twist") for c in called]
    pairs = list(zip(twist, said_twist, strict=True))
    return {
        "n": len(names),
        "right": sum(right),
        "twists": sum(twist),
        "caught": sum(t and c for t, c in pairs),
        "others": len(names) - sum(twist),
        "false": sum(c and not t for t, c in pairs),
        "misses": [
            f"{n} ({lab}) -> {c}"
            for n, lab, c, ok in zip(names, labels, called, right, strict=True)
            if not ok
        ],
    }


def score(items: list[tuple[str, str, Skeleton]], rec: Recogniser) -> dict[str, object]:
    """:func:`tally` of the recogniser ``rec`` on ``(name, label, skeleton)`` items."""
    return tally(
        [name for name, _, _ in items],
        [label for _, label, _ in items],
        [rec(sk).value for _, _, sk in items],
    )


def _pct(a: object, b: object) -> str:
    """``a/b (percent)`` of two counts."""
    x, n = int(str(a)), int(str(b))
    return f"{x}/{n} ({100 * x / n:.0f} %)" if n else "-"


def synthetic_set() -> tuple[list[tuple[str, int, np.ndarray]], dict[str, int]]:
    xy, y, names = synth.sample(SYNTH_PER_POSE, SYNTH_SEED)
    return [(n, int(c), p) for n, c, p in zip(names, y, xy, strict=True)], {}


def _skeleton_of(points13: np.ndarray) -> Skeleton:
    from twistcoach.recognition import FEATURE_LANDMARKS

    xy = np.zeros((33, 2))
    xy[:] = points13.mean(axis=0)
    for i, m in enumerate(FEATURE_LANDMARKS):
        xy[int(m)] = points13[i]
    lo = xy.min(axis=0)
    xy = xy - lo + 50
    size = (int(xy[:, 0].max() + 50), int(xy[:, 1].max() + 50))
    return Skeleton(0.0, xy, np.zeros(33), np.zeros((33, 3)), np.ones(33), size)


def clip_rows() -> list[str]:
    """Per clip: frame shares, clip-level family, and the coach's stop (if any)."""
    from bench.cuebench.score import Landmarks, replay

    from twistcoach.report import TWIST_OF, twist_segment, video_family
    from twistcoach.tracking import TwistTracker

    rows = []
    for path in sorted(CLIPS.glob("*.npz")):
        marks = Landmarks.load(path)
        tracker = TwistTracker()
        obs = [tracker.update(float(t), marks.skeleton(i)) for i, t in enumerate(marks.t)]
        seen = [o for o in obs if o.metrics is not None]
        family, conf, shares = video_family(seen)
        rep = replay(marks, "right")
        stops = [c for _, c in rep.cues if c.startswith("stop_")]
        share_text = ", ".join(f"{k} {v:.0%}" for k, v in list(shares.items())[:3])
        segments = []
        for twist in TWIST_OF.values():
            a, b, c = twist_segment(seen, twist)
            if b > a:
                segments.append(f"{twist.value} {a:.2f}-{b:.2f} s ({b - a:.2f} s, conf {c:.2f})")
        rows.append(
            f"| {path.stem} | {len(seen)} | {share_text} | {'; '.join(segments) or 'none'} | "
            f"{family.value} ({conf:.2f}) | {stops[0] if stops else 'none'} |"
        )
    return rows


def fedb_rows() -> list[str]:
    """Free-exercise-db photographs by split (``train.fedb_split``: whole exercises)."""
    from bench.recognition.train import VALIDATION_EVERY, fedb_examples, fedb_split

    xy, y, names = fedb_examples()
    rows = [
        "",
        "## Free-exercise-db photographs, by split (whole exercises)",
        "",
        f"One exercise in {VALIDATION_EVERY} (CRC-32 of its name) is the validation split, "
        "never trained on; `train.py`'s weight penalty, ensemble size and rendered neutral "
        "weight and `recognition.TWIST_MIN_SHARE` were chosen on it and on synthetic "
        "photographs of a seed training never used "
        "(`validate.py`). The train split is what the model was fitted to. Labels are "
        "keyword-made (`labels.py`): this set has almost no twists.",
        "",
        "| split | recogniser | right | twists called a twist | non-twists called a twist |",
        "|---|---|---|---|---|",
    ]
    confusion: Counter[tuple[PoseFamily, PoseFamily]] = Counter()
    for split in ("train", "validation"):
        for rname, rec in (("shipped", shipped), ("rules", rules_only)):
            truth, got = [], []
            for pts, c, name in zip(xy, y, names, strict=True):
                if fedb_split(name) != split:
                    continue
                t = FINE_TO_FAMILY[FINE_CLASSES[int(c)]]
                g = rec(_skeleton_of(pts))
                truth.append(t)
                got.append(g)
                if split == "validation" and rname == "shipped":
                    confusion[(t, g)] += 1
            tw = [t.value.endswith("twist") for t in truth]
            gt = [g.value.endswith("twist") for g in got]
            right = sum(a == b for a, b in zip(truth, got, strict=True))
            caught = sum(a and b for a, b in zip(tw, gt, strict=True))
            false = sum(b and not a for a, b in zip(tw, gt, strict=True))
            rows.append(
                f"| {split} | {rname} | {_pct(right, len(truth))} | {_pct(caught, sum(tw))} | "
                f"{_pct(false, len(tw) - sum(tw))} |"
            )
    rows += [
        "",
        "Validation split, shipped (rows: label's family; columns: family called):",
        "",
        *_table_rows(confusion),
    ]
    return rows


def _committed_skeleton(data: np.lib.npyio.NpzFile, i: int) -> Skeleton:
    """Row ``i`` of the rendered people's landmarks (image coordinates, 1000 px square) as a
    skeleton with no world landmarks."""
    return posed_skeleton(data, i, (1000, 1000))


def rendered_rows() -> list[str]:
    """Confusion on the rendered people never used in training (held-out bodies)."""
    path = Path(__file__).resolve().parent / "data" / "rendered_landmarks.npz"
    if not path.exists():
        return ["", "## Rendered photographs", "", "Not run: no cached rendered landmarks."]
    data = np.load(path, allow_pickle=False)
    keep = np.flatnonzero(data["split"] == "held_out")
    rows = [
        "",
        "## Rendered photographs (the project's generator, held-out bodies)",
        "",
        f"{len(keep)} pictures of {len(set(data['body'][keep].tolist()))} bodies never used "
        "in training (`bench/recognition/rendered.py`: supine stills from 11 camera places, "
        "top-down included; seated and standing twists from 6). Rows: true family.",
        "",
    ]
    for name, rec in (("shipped", shipped), ("rules", rules_only)):
        counts: Counter[tuple[PoseFamily, PoseFamily]] = Counter()
        by_camera: dict[str, list[bool]] = {}
        for i in keep:
            sk = _committed_skeleton(data, int(i))
            truth = FINE_TO_FAMILY[FINE_CLASSES[int(data["label"][i])]]
            got = rec(sk)
            counts[(truth, got)] += 1
            key = f"{str(data['image'][i]).split('/')[0]}/{data['camera'][i]}"
            by_camera.setdefault(key, []).append(got == truth)
        rows += _confusion_rows(name, counts, len(keep))
        rows += [
            "Right per camera: "
            + ", ".join(f"{k} {100 * sum(v) / len(v):.0f} %" for k, v in sorted(by_camera.items())),
            "",
        ]
    return rows


def posed_rows() -> list[str]:
    """Confusion and right share per pose on the posed rendered pictures of the held-out
    bodies (``bench/recognition/posed.py``), shipped and rules."""
    path = Path(__file__).resolve().parent / "data" / "posed_landmarks.npz"
    if not path.exists():
        return ["", "## Posed rendered photographs", "", "Not run: no posed landmarks."]
    data = np.load(path, allow_pickle=False)
    keep = np.flatnonzero(data["split"] == "held_out")
    n_train = int((data["split"] == "train").sum())
    rows = [
        "",
        "## Posed rendered photographs (every pose on the held-out bodies, read by MediaPipe)",
        "",
        f"{len(keep)} pictures of {len(set(data['body'][keep].tolist()))} bodies never used "
        f"in training: each of the {len(synth.POSES)} synthetic poses put on the project's "
        "anny bodies, rendered from a random camera and read by MediaPipe in photograph mode "
        f"(`bench/recognition/posed.py`; training uses {n_train} such pictures of the tuning "
        "bodies, another seed, and chooses its settings on a third set of them). Unlike the "
        "synthetic photographs, the landmarks carry MediaPipe's own errors. Rows: true family.",
        "",
    ]
    per_pose: dict[str, dict[str, list[bool]]] = {}
    for name, rec in (("shipped", shipped), ("rules", rules_only)):
        counts: Counter[tuple[PoseFamily, PoseFamily]] = Counter()
        for i in keep:
            sk = posed_skeleton(data, int(i))
            truth = FINE_TO_FAMILY[FINE_CLASSES[int(data["label"][i])]]
            got = rec(sk)
            counts[(truth, got)] += 1
            per_pose.setdefault(str(data["pose"][i]), {}).setdefault(name, []).append(got == truth)
        rows += _confusion_rows(name, counts, len(keep))
    rows += ["| pose | shipped right | rules right |", "|---|---|---|"]
    for pose, by in per_pose.items():
        rows.append(
            f"| {pose} | {_pct(sum(by['shipped']), len(by['shipped']))} | "
            f"{_pct(sum(by['rules']), len(by['rules']))} |"
        )
    # Lying poses taken from above: a picture with no up, fair at any turn.
    elevation = np.array([elevation_of(str(c)) for c in data["camera"]])
    lying = (synth.SUPINE_TWIST, synth.SUPINE, synth.PRONE, synth.SIDE_LYING)
    above = [int(i) for i in keep if elevation[i] > 50 and int(data["label"][i]) in lying]
    rows += [
        "",
        f"Lying poses taken from more than 50 degrees above ({len(above)} of these pictures), "
        "turned in the picture (a picture from above has no up): shipped right at "
        + ", ".join(
            f"{deg}: "
            + _pct(
                sum(
                    shipped(turned(posed_skeleton(data, i), deg))
                    == FINE_TO_FAMILY[FINE_CLASSES[int(data["label"][i])]]
                    for i in above
                ),
                len(above),
            )
            for deg in TURNS
        )
        + ".",
    ]
    return rows


def _confusion_rows(name: str, counts: Counter[tuple[PoseFamily, PoseFamily]], n: int) -> list[str]:
    """A recogniser's summary line and confusion table (rows: true family)."""
    right = sum(v for (a, b), v in counts.items() if a == b)
    twist = [f for f in ORDER if f.value.endswith("twist")]
    t_all = sum(v for (a, _), v in counts.items() if a in twist)
    t_hit = sum(v for (a, b), v in counts.items() if a in twist and b in twist)
    fp = sum(v for (a, b), v in counts.items() if a not in twist and b in twist)
    return [
        f"**{name}**: right {_pct(right, n)}; twists called a twist {_pct(t_hit, t_all)}; "
        f"non-twists called a twist {_pct(fp, n - t_all)}.",
        "",
        *_table_rows(counts),
        "",
    ]


def _table_rows(counts: Counter[tuple[PoseFamily, PoseFamily]]) -> list[str]:
    """A confusion table's lines (rows: true family; columns: family called)."""
    rows = [
        "| true family | " + " | ".join(f.value for f in ORDER) + " |",
        "|---|" + "---|" * len(ORDER),
    ]
    for a in ORDER:
        if any(counts.get((a, b)) for b in ORDER):
            cells = " | ".join(str(counts.get((a, b), 0) or "") for b in ORDER)
            rows.append(f"| {a.value} | {cells} |")
    return rows


#: Turns of the picture in the orientation tables (degrees).
TURNS = (0, 90, 180, 270)


def _lying(family: PoseFamily) -> bool:
    return family in (F.SUPINE, F.SUPINE_TWIST)


def orientation_rows() -> list[str]:
    """Held-out pictures taken from above (no "up"), turned in the picture: the rendered
    held-out bodies' ``top_down`` stills and synthetic lying bodies seen from 60-90 degrees
    above (seed :data:`SYNTH_SEED` + 1)."""
    rows = [
        "",
        "## Picture orientation on held-out pictures taken from above",
        "",
        "A picture taken from above a person lying down has no up: turned by any angle it "
        "is still a fair photograph, and the family must not change (a side view turned by "
        "90 degrees is not: it is the side view of a person standing, so only pictures from "
        "above are turned here). Rendered: every held-out body's still from the `top_down` "
        "camera; synthetic: the lying poses from 60-90 degrees above, 10 a pose. 'lying "
        "read as lying': supine pictures and supine twists called supine or supine twist.",
        "",
        "| set | turn | right | lying read as lying | twists called a twist | "
        "non-twists called a twist |",
        "|---|---|---|---|---|---|",
    ]
    sets: list[tuple[str, list[tuple[PoseFamily, Skeleton]]]] = []
    path = Path(__file__).resolve().parent / "data" / "rendered_landmarks.npz"
    if path.exists():
        data = np.load(path, allow_pickle=False)
        keep = np.flatnonzero((data["split"] == "held_out") & (data["camera"] == "top_down"))
        sets.append(
            (
                f"rendered, held-out bodies ({len(keep)})",
                [
                    (
                        FINE_TO_FAMILY[FINE_CLASSES[int(data["label"][i])]],
                        _committed_skeleton(data, int(i)),
                    )
                    for i in keep
                ],
            )
        )
    sx, sy, _ = synth.sample(10, SYNTH_SEED + 1, top_down=True)
    sets.append(
        (
            f"synthetic ({len(sx)})",
            [
                (FINE_TO_FAMILY[FINE_CLASSES[int(c)]], _skeleton_of(p))
                for p, c in zip(sx, sy, strict=True)
            ],
        )
    )
    for name, items in sets:
        for deg in TURNS:
            got = [(t, recognize(turned(sk, deg)).family) for t, sk in items]
            lying = [g for t, g in got if _lying(t)]
            twist = [g for t, g in got if t.value.endswith("twist")]
            other = [g for t, g in got if not t.value.endswith("twist")]
            rows.append(
                f"| {name} | {deg} | {_pct(sum(t == g for t, g in got), len(got))} | "
                f"{_pct(sum(_lying(g) for g in lying), len(lying))} | "
                f"{_pct(sum(g.value.endswith('twist') for g in twist), len(twist))} | "
                f"{_pct(sum(g.value.endswith('twist') for g in other), len(other))} |"
            )
    return rows


def speed_text(sk: Skeleton) -> str:
    """``recognize()``'s time a call against the rules alone (best of 5 x 500 calls)."""

    def best(fn: Callable[[], object]) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(500):
                fn()
            times.append((time.perf_counter() - start) / 500)
        return min(times) * 1e6

    load = os.getloadavg()[0]
    shipped_us = best(lambda: recognize(sk))
    rules_us = best(lambda: _family(features(sk)))
    return (
        f"Speed: `recognize()` {shipped_us:.0f} us a call, the rules alone {rules_us:.0f} us "
        f"(best of 5 x 500 calls on one development photograph, load {load:.1f} / "
        f"{os.getloadavg()[0]:.1f} before / after, 1 min)."
    )


def targets_text(cv: dict[str, object] | None) -> list[str]:
    """Whether the cross-validated real-photograph scores meet the issue's three targets."""
    if cv is None:
        return ["- not judged: no cross-validation of the shipped model (`crossval.py`)"]
    r = cv["all"]
    assert isinstance(r, dict)
    n, right = int(r["n"]), int(r["right"])
    twists, caught = int(r["twists"]), int(r["caught"])
    others, false = int(r["others"]), int(r["false"])
    checks = [
        ("at least 90 % right", right / n >= 0.9, _pct(right, n)),
        ("at most 5 % of non-twists called a twist", false / others <= 0.05, _pct(false, others)),
        ("at least 90 % of twists called a twist", caught / twists >= 0.9, _pct(caught, twists)),
    ]
    return [
        f"- {what}: {got} on the 43 development photographs"
        + (", cross-validated by source" if float(str(cv["yoga_weight"])) > 0 else "")
        + f", **{'met' if ok else 'not met'}**"
        for what, ok, got in checks
    ] + [
        "",
        "43 photographs from 8 sources are a small sample (one photograph is 2 to 7 points); "
        "the free-exercise-db validation split and the rendered held-out bodies are the "
        "other held-out measures.",
    ]


CROSSVAL = Path(__file__).resolve().parent / "data" / "crossval.json"
MODEL = ROOT / "src" / "twistcoach" / "recognition_model.json"


def shipped_crossval() -> dict[str, object] | None:
    """The cross-validation result (``crossval.py``'s JSON) whose full model is the
    shipped model, byte for byte (its SHA-256); None when there is none."""
    if not CROSSVAL.exists():
        return None
    sha = hashlib.sha256(MODEL.read_bytes()).hexdigest()
    for res in json.loads(CROSSVAL.read_text())["results"]:
        if res["model_sha256"] == sha:
            return dict(res)
    return None


def crossval_rows(cv: dict[str, object] | None) -> list[str]:
    """The cross-validated scores on the development photographs, misses, confusion and
    the turned photographs taken from above."""
    if cv is None:
        return [
            "**No cross-validation of the shipped model**: `data/crossval.json` holds no "
            "result whose model is the shipped one (run `crossval.py` with its settings)."
        ]
    tr, rs = cv["trainable"], cv["reserved"]
    assert isinstance(tr, dict) and isinstance(rs, dict)
    if float(str(cv["yoga_weight"])) > 0:
        how = (
            "Cross-validated by source (`bench/recognition/crossval.py`, `data/crossval.json`): "
            f"the {tr['n']} photographs of the trainable sources are each recognised by a model "
            "trained like the shipped one (same data, settings and seeds) without their "
            f"source's photographs, the {rs['n']} of the reserved sources (never trained on) by "
            "the shipped model; that full model is the shipped one byte for byte (SHA-256). "
            f"A real yoga photograph's copy weighs {cv['yoga_weight']:g} synthetic pictures in "
            "training. This is the real-photograph estimate."
        )
    else:
        how = (
            "The shipped model never trained on these photographs (`train.YOGA_WEIGHT` 0: "
            "training on them did not help in cross-validation by source, "
            "`bench/recognition/README.md`), so its own score is the held-out estimate "
            "(`data/crossval.json`, written by `bench/recognition/crossval.py`, whose model "
            "is the shipped one byte for byte, SHA-256). Of the 43, the "
            f"{rs['n']} from sources kept for the independent evaluation are listed apart."
        )
    rows = [
        how,
        "",
        "| photographs | right | twists called a twist | non-twists called a twist |",
        "|---|---|---|---|",
    ]
    for part, what in (
        ("all", "all"),
        ("trainable", "of sources training may use"),
        ("reserved", "of the reserved sources, never trained on"),
    ):
        r = cv[part]
        assert isinstance(r, dict)
        rows.append(
            f"| {what} | {_pct(r['right'], r['n'])} | {_pct(r['caught'], r['twists'])} | "
            f"{_pct(r['false'], r['others'])} |"
        )
    r = cv["all"]
    assert isinstance(r, dict)
    rows += ["", "Misses:", ""]
    rows += [f"- {m}" for m in r["misses"]] or ["- none"]
    got = cv["got"]
    assert isinstance(got, dict)
    labels = {name: label for name, label, _ in dev_set()}
    confusion = Counter((labels[n], g) for n, g in got.items())
    rows += ["", "Confusion (rows: label; columns: family called):", ""]
    rows.append("| label | " + " | ".join(f.value for f in ORDER) + " |")
    rows.append("|---|" + "---|" * len(ORDER))
    for label in sorted(set(labels.values())):
        cells = [str(confusion.get((label, f.value), 0) or "") for f in ORDER]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    turns = cv["turned"]
    assert isinstance(turns, dict)
    rows += [
        "",
        "The photographs taken from above ("
        + ", ".join(sorted(FROM_ABOVE))
        + "), turned in the picture: "
        + "; ".join(
            f"{deg}: "
            + ", ".join(f"{n} -> {fam}" for n, fam in sorted(dict(turns[str(deg)]).items()))
            for deg in (90, 180, 270)
        )
        + f" (at 0: {', '.join(f'{n} -> {got[n]}' for n in sorted(FROM_ABOVE))}).",
    ]
    return rows


def main() -> int:
    """Run every set and write the report."""
    started = time.monotonic()
    load_before = os.getloadavg()
    dev = dev_set()
    cv = shipped_crossval()
    trained_on_dev = cv is not None and float(str(cv["yoga_weight"])) > 0
    lines = [
        "# Pose-family recognition benchmark",
        "",
        "Made by `bench/recognition/bench.py` (`.venv/bin/python -m bench.recognition.bench`). "
        "The shipped recogniser is the classifier of `twistcoach.recognition` "
        "(`recognition_model.json`, trained by `bench/recognition/train.py` on the train "
        "split of free-exercise-db photographs, the project's rendered training bodies and "
        "synthetic stick bodies"
        + (
            ", and on the shared development photographs but those of the sources kept for "
            "the independent evaluation: their score is cross-validated below, each "
            "photograph recognised by a model trained like the shipped one without any "
            "photograph of its source"
            if trained_on_dev
            else "; never on the sets below but the free-exercise-db train split's own row"
        )
        + "), with the rules only where it is unsure; `rules` is the recogniser before it.",
        "",
        "## Real photographs (shared development set, 43 labelled pictures)",
        "",
        *crossval_rows(cv),
        "",
        "| recogniser | how it is scored | right | twists called a twist | "
        "non-twists called a twist |",
        "|---|---|---|---|---|",
    ]
    results = {}
    n_trained = int(realphotos.trainable([d[0] for d in dev]).sum())
    how = {
        "shipped": (
            f"trained on {n_trained} of the {len(dev)}: a training score, not an estimate"
            if trained_on_dev
            else "never trained on them"
        ),
        "rules": f"tuned on all {len(dev)}",
    }
    for name, rec in (("shipped", shipped), ("rules", rules_only)):
        r = score(dev, rec)
        results[name] = r
        lines.append(
            f"| {name} | {how[name]} | {_pct(r['right'], r['n'])} | "
            f"{_pct(r['caught'], r['twists'])} | {_pct(r['false'], r['others'])} |"
        )
    reserved = [d for d in dev if realphotos.source_of(d[0]) in realphotos.RESERVED_SOURCES]
    r = score(reserved, shipped)
    lines.append(
        f"| shipped | the {len(reserved)} photographs of reserved sources (never trained on) "
        f"| {_pct(r['right'], r['n'])} | {_pct(r['caught'], r['twists'])} | "
        f"{_pct(r['false'], r['others'])} |"
    )
    if trained_on_dev:
        lines += ["", "Misses of the shipped model itself (it trained on most of them):", ""]
        lines += [f"- {m}" for m in results["shipped"]["misses"]] or ["- none"]  # type: ignore[attr-defined]
    lines += [
        "",
        "### Picture orientation (lying photographs turned in the picture, shipped model)",
        "",
        *(
            [
                "The shipped model trained on most of these photographs (the cross-validated "
                "turns of the photographs taken from above are given before).",
                "",
            ]
            if trained_on_dev
            else []
        ),
        "| set | turn | shipped right | rules right |",
        "|---|---|---|---|",
    ]
    for subset, names in (("taken from above", FROM_ABOVE), ("all lying", None)):
        items = [d for d in dev if d[1] in LYING_LABELS and (names is None or d[0] in names)]
        for deg in (0, 90, 180, 270):
            t_items = [(n, lab, turned(sk, deg)) for n, lab, sk in items]
            sa, sb = score(t_items, shipped), score(t_items, rules_only)
            shipped_right, rules_right = _pct(sa["right"], sa["n"]), _pct(sb["right"], sb["n"])
            lines.append(f"| {subset} | {deg} | {shipped_right} | {rules_right} |")
    # Synthetic.
    syn, _ = synthetic_set()
    fam_counts: Counter[tuple[PoseFamily, PoseFamily]] = Counter()
    by_pose: dict[str, list[bool]] = {}
    for pose, c, pts in syn:
        truth = FINE_TO_FAMILY[FINE_CLASSES[c]]
        got = recognize(_skeleton_of(pts)).family
        fam_counts[(truth, got)] += 1
        by_pose.setdefault(pose, []).append(got == truth)
    n = len(syn)
    right = sum(v for (a, b), v in fam_counts.items() if a == b)
    tw_true = sum(v for (a, _), v in fam_counts.items() if a.value.endswith("twist"))
    tw_hit = sum(
        v
        for (a, b), v in fam_counts.items()
        if a.value.endswith("twist") and b.value.endswith("twist")
    )
    non = n - tw_true
    fp = sum(
        v
        for (a, b), v in fam_counts.items()
        if not a.value.endswith("twist") and b.value.endswith("twist")
    )
    lines += [
        "",
        f"## Synthetic photographs (seed {SYNTH_SEED}, {SYNTH_PER_POSE} per pose, random cameras)",
        "",
        f"Right {_pct(right, n)}; twists called a twist {_pct(tw_hit, tw_true)}; "
        f"non-twists called a twist {_pct(fp, non)}.",
        "",
        "| true family | " + " | ".join(f.value for f in ORDER) + " |",
        "|---|" + "---|" * len(ORDER),
    ]
    for a in ORDER:
        lines.append(
            f"| {a.value} | "
            + " | ".join(str(fam_counts.get((a, b), 0) or "") for b in ORDER)
            + " |"
        )
    lines += ["", "Right per synthetic pose:", ""]
    lines.append(", ".join(f"{p} {100 * sum(v) / len(v):.0f} %" for p, v in by_pose.items()))
    lines += fedb_rows()
    lines += rendered_rows()
    lines += posed_rows()
    lines += orientation_rows()
    lines += [
        "",
        "## Real clips (tracker and coaching session for a supine twist plan)",
        "",
        "| clip | frames with a person | family shares | longest twist segment | "
        "clip family | coach stop |",
        "|---|---|---|---|---|---|",
        *clip_rows(),
        "",
        "The clip-level rule (`report.video_family`): the most frequent family, or the twist "
        "of its posture when the twist holds at least `TWIST_SHARE` (25 %) of the frames with "
        "a person **or** one sustained twist segment (`report.twist_segment`: consecutive "
        "twist frames, no gap over `TWIST_SEGMENT_GAP_S` = 0.2 s) lasts at least "
        "`TWIST_SEGMENT_S` = 1.0 s at a mean family confidence of at least "
        "`TWIST_SEGMENT_MIN_CONFIDENCE` = 0.5. The reclining twist drops the knees only in "
        "its last 1.5 s (about a fifth of the frames): the share alone misses it, its "
        "segment does not. The 0.5 is thin on these clips: the kneeling stretch's "
        "'standing twist' segment at its start is as long, at a lower mean confidence "
        "(table). These are development clips, not a held-out test.",
        "",
        "## Targets (issue 17 item 4), on the real photographs",
        "",
        *targets_text(cv),
        "",
        speed_text(dev[0][2]),
        "",
        f"Ran in {time.monotonic() - started:.0f} s; load average before "
        f"{load_before[0]:.1f} / {load_before[1]:.1f} / {load_before[2]:.1f} "
        f"(1 / 5 / 15 min, a 2-core machine shared with other work).",
        "",
    ]
    REPORT.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
