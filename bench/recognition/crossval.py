"""Cross-validated score of the pose-family classifier on the real yoga photographs.

A model trained on the shared development photographs too (``train.py --yoga-weight``,
``realphotos.py``) must be scored on them by models that did not: each source (the
file-name prefix: one repository, often one model photographed several times) is held
out in turn, a model is trained exactly as ``train.py`` trains the shipped one on
everything else (the other sources' photographs with their augmented copies, the
free-exercise-db train split, the rendered training bodies, the synthetic bodies), and the
held-out source's photographs are recognised by it (``recognize``: the classifier, the
rules where it is unsure). The photographs of the sources kept for the independent
evaluation (``RESERVED_SOURCES``) are never trained on: the model trained on all the
trainable photographs scores them. The photographs taken from above are also scored
turned by 90, 180 and 270 degrees in the picture.

Run from the repository root (about 2 minutes a setting on a quiet 2-core machine)::

    .venv/bin/python -m bench.recognition.crossval [--yoga-weight W ...] [--json PATH]

Several ``--yoga-weight`` values are scored in one run (the other training data are
built once per member). The ``--json`` file is what ``bench.py`` reports.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
from bench.recognition import realphotos, train
from bench.recognition.bench import FROM_ABOVE, tally, turned

import twistcoach.recognition as recognition
from twistcoach.landmarks import Skeleton
from twistcoach.recognition import classifier_from_doc, recognize

#: Where ``bench.py`` reads the cross-validation result.
RESULT = Path(__file__).resolve().parent / "data" / "crossval.json"
#: Picture turns (degrees) of the photographs taken from above.
TURNS = (90, 180, 270)


def _skeletons(names: list[str]) -> list[Skeleton]:
    return [
        Skeleton.from_dict(json.loads((realphotos.FIXTURES / f"{n}.json").read_text()))
        for n in names
    ]


def _recognise(doc: dict[str, object], skeletons: list[Skeleton]) -> list[str]:
    clf = classifier_from_doc(doc)
    saved = recognition._classifier
    recognition._classifier = lambda: clf  # type: ignore[assignment]
    try:
        return [recognize(sk).family.value for sk in skeletons]
    finally:
        recognition._classifier = saved


def crossvalidate(
    weight: float, base: list[train.Part], seed: int = 0, save: Path | None = None
) -> tuple[dict[str, str], dict[str, dict[str, str]], str]:
    """Each photograph's family from a model that never trained on its source.

    Parameters
    ----------
    weight
        :data:`train.YOGA_WEIGHT` to train with (0: no real yoga photograph, one model).
    base
        :func:`train.base_part` of each member (seeds ``seed``, ``seed + 1``, ...).
    save
        Where to write the model trained on every trainable photograph (for
        ``validate.py``), if anywhere.

    Returns
    -------
    got : dict
        Photograph name -> family called.
    turned_got : dict
        Turn (degrees, as text) -> photograph taken from above -> family called.
    sha256 : str
        The SHA-256 of the model trained on every trainable photograph, as ``train.py``
        writes it (the shipped model when the settings are the shipped ones).
    """
    xy, fine, names, _ = realphotos.dev_examples()
    sks = _skeletons(names)
    sources = [realphotos.source_of(n) for n in names]
    ok = realphotos.trainable(names)
    train.YOGA_WEIGHT = weight  # the model document's provenance states it
    groups = sorted({s for s, k in zip(sources, ok, strict=True) if k}) if weight > 0 else []
    got: dict[str, str] = {}
    sha = ""
    turned_got: dict[str, dict[str, str]] = {str(d): {} for d in TURNS}
    for held in [*groups, None]:  # None: trained on every trainable photograph
        use = ok & np.array([s != held for s in sources])
        members = []
        for k, (x, y, w) in enumerate(base):
            if weight > 0:
                yx, yy, yw = train.yoga_part(xy[use], fine[use], seed + k)
                x, y, w = np.concatenate([x, yx]), np.concatenate([y, yy]), np.concatenate([w, yw])
            members.append((x, y, train.balanced(y, w)))
        doc = train.model_doc(train.train_ensemble(members, seed))
        if held is None:
            text = train.model_text(doc)
            sha = hashlib.sha256(text.encode()).hexdigest()
            if save is not None:
                save.write_text(text)
        # A held-out source's photographs; the full model scores the reserved ones (all
        # of them when no yoga photograph is trained on).
        scored = [
            i
            for i, (s, k) in enumerate(zip(sources, ok, strict=True))
            if s == held or (held is None and (not k or weight == 0))
        ]
        for i, fam in zip(scored, _recognise(doc, [sks[i] for i in scored]), strict=True):
            got[names[i]] = fam
        above = [i for i in scored if names[i] in FROM_ABOVE]
        for deg in TURNS:
            fams = _recognise(doc, [turned(sks[i], deg) for i in above])
            for i, fam in zip(above, fams, strict=True):
                turned_got[str(deg)][names[i]] = fam
        print(f"weight {weight:g}: held out {held or 'none'}, {len(scored)} photographs scored")
    return got, turned_got, sha


def main(argv: list[str] | None = None) -> int:
    """Cross-validate each setting, print the scores and write the JSON; exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--yoga-weight", type=float, nargs="+", default=[train.YOGA_WEIGHT])
    parser.add_argument("--members", type=int, default=train.MEMBERS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="write the result here")
    parser.add_argument(
        "--save-dir", type=Path, default=None, help="write each setting's full model here"
    )
    args = parser.parse_args(argv)
    start, load = time.perf_counter(), os.getloadavg()
    base = [train.base_part(args.seed + k) for k in range(args.members)]
    _, _, names, labels = realphotos.dev_examples()
    results = []
    for weight in args.yoga_weight:
        save = None if args.save_dir is None else args.save_dir / f"model_yoga{weight:g}.json"
        got, turned_got, sha = crossvalidate(weight, base, args.seed, save)
        res: dict[str, object] = {
            "yoga_weight": weight,
            "model_sha256": sha,
            "members": args.members,
            "all": tally(names, labels, [got[n] for n in names]),
            "got": got,
            "turned": turned_got,
        }
        for part, keep in (("trainable", True), ("reserved", False)):
            pick = [i for i, k in enumerate(realphotos.trainable(names)) if k == keep]
            res[part] = tally(
                [names[i] for i in pick], [labels[i] for i in pick], [got[names[i]] for i in pick]
            )
        results.append(res)
        everything = res["all"]
        assert isinstance(everything, dict)
        short = {k: v for k, v in everything.items() if k != "misses"}
        print(f"yoga weight {weight:g}: {json.dumps(short)}")
        misses = everything["misses"]
        assert isinstance(misses, list)
        for miss in misses:
            print("   ", miss)
    elapsed = time.perf_counter() - start
    print(f"{elapsed:.0f} s, load before {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    if args.json is not None:
        doc = {"seconds": round(elapsed), "load_before": [round(v, 1) for v in load]}
        args.json.write_text(json.dumps(doc | {"results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
