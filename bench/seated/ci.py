"""Copy the committed CI set of seated and standing twists into tests/seated_groundtruth.

Two bodies (``woman50_average`` from the tuning split, ``man55_average_175`` held out),
seated and standing: every angle from the recommended camera (``front_raised``) and the
square pose (theta = 0) from the refused cameras (``diag_l``, ``side``, ``overhead``).
``tests/test_seated_accuracy.py`` reads them with MediaPipe and holds the numbers.

Usage (after ``seated.render`` into OUT)::

    PYTHONPATH=bench .venv/bin/python -m seated.ci OUT
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TARGET = REPO / "tests" / "seated_groundtruth"
BODIES = ("woman50_average", "man55_average_175")
RECOMMENDED = "front_raised"
REFUSED = ("diag_l", "side", "overhead")


def main(argv: list[str] | None = None) -> int:
    root = Path((argv or sys.argv[1:])[0])
    records = [json.loads(line) for line in (root / "labels.jsonl").read_text().splitlines()]
    keep = [
        r
        for r in records
        if r["body"] in BODIES
        and (r["camera"] == RECOMMENDED or (r["camera"] in REFUSED and r["theta_deg"] == 0.0))
    ]
    if TARGET.exists():
        shutil.rmtree(TARGET)
    for r in keep:
        dest = TARGET / r["image"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / r["image"], dest)
    with (TARGET / "labels.jsonl").open("w") as handle:
        for r in keep:
            handle.write(json.dumps(r) + "\n")
    print(f"{len(keep)} images in {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
