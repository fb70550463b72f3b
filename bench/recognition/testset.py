"""Write the small committed set the recognition test holds (``tests/recognition``).

``tests/recognition/committed_set.npz`` holds, for pictures never used in training, the 13
landmarks the classifier reads (:data:`twistcoach.recognition.FEATURE_LANDMARKS`, pixels,
float32) and the true pose family:

* ``rendered_*``: every held-out rendered picture (``bench/recognition/rendered.py``),
  with its camera's name (``rendered_camera``: the ``top_down`` ones are turned in the
  picture by the orientation test);
* ``synthetic_*``: :data:`PER_POSE` synthetic pictures of each synth pose, seed
  :data:`SEED` (training uses seed 0);
* ``posed_*``: every posed rendered picture of the held-out bodies
  (``bench/recognition/posed.py``: each synth pose on the project's anny bodies, read by
  MediaPipe).

Usage (repository root): ``.venv/bin/python -m bench.recognition.testset``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from bench.recognition import synth
from bench.recognition.train import posed_examples, rendered_examples

from twistcoach.recognition import FINE_CLASSES, FINE_TO_FAMILY

OUT = Path(__file__).resolve().parents[2] / "tests" / "recognition" / "committed_set.npz"
SEED = 4242
PER_POSE = 5


def main() -> int:
    """Write the set; returns the exit status."""
    rx, ry, cams = rendered_examples("held_out")
    sx, sy, _ = synth.sample(PER_POSE, SEED)
    px, py = posed_examples("held_out")

    def families(y: np.ndarray) -> np.ndarray:
        return np.array([FINE_TO_FAMILY[FINE_CLASSES[int(c)]].value for c in y])

    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT,
        rendered_xy=rx.astype(np.float32),
        rendered_family=families(ry),
        rendered_camera=cams.astype(str),
        synthetic_xy=sx.astype(np.float32),
        synthetic_family=families(sy),
        posed_xy=px.astype(np.float32),
        posed_family=families(py),
    )
    print(f"{len(rx)} rendered, {len(sx)} synthetic, {len(px)} posed pictures -> {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
