"""Imported once by the fork server of the analysis workers (``pipeline._worker_context``).

Importing this module loads twistcoach's pipeline and mediapipe's pose solution (without its
drawing helpers) into the fork server, so every worker forked from it starts with them
loaded and with no MediaPipe graph. The fork server is a fresh interpreter (started with
``exec``, not forked), so nothing that ran in the analysing process before (a photo's
graph, a shorter clip, a plain loop) reaches the workers.
"""

from __future__ import annotations

import contextlib

from twistcoach import pipeline as _pipeline  # noqa: F401  (loaded for the workers)
from twistcoach.estimator import EstimatorError, preload_mediapipe

# Without mediapipe each worker fails on its own first chunk, saying why; the fork server
# must not fail first (that would read as a worker stopping unexpectedly).
with contextlib.suppress(EstimatorError):
    preload_mediapipe()
