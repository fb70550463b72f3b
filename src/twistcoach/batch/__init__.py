"""``twistcoach batch``: analyse a clinic's archive of photos and videos on Ray.

Each input (a video or a photograph) is one Ray task that runs exactly what
``twistcoach analyze --workers 1`` runs on that one file
(:func:`twistcoach.cli.analyze_cmd.run_analyze`), so a batch's per-input results are the
files ``analyze`` writes, with the same numbers. The driver (this process) submits tasks,
never more than a bounded number at once, moves each finished result folder into place,
records it in a state file written atomically, retries once an input whose analysis
failed for another reason than the input itself, and at the end
writes one combined table (CSV and Parquet) and an HTML overview across the batch.

Modules
-------
inputs
    Folders, globs and CSV manifests into a list of :class:`BatchInput`.
state
    The resumable state file (``batch-state.json`` in the output folder).
task
    What runs inside a Ray task (no Ray import: it is a plain function).
runner
    Starting or joining Ray, submitting tasks, retries, resuming.
table
    The combined table (CSV, Parquet) and the HTML overview.
"""

from __future__ import annotations

from twistcoach.batch.inputs import (
    VIDEO_SUFFIXES,
    BatchInput,
    BatchInputError,
    collect_inputs,
)
from twistcoach.batch.runner import BatchBusy, BatchOptions, BatchResult, RayOptions, run_batch
from twistcoach.batch.state import STATE_FILE, BatchState, InputRecord

__all__ = [
    "STATE_FILE",
    "VIDEO_SUFFIXES",
    "BatchBusy",
    "BatchInput",
    "BatchInputError",
    "BatchOptions",
    "BatchResult",
    "BatchState",
    "InputRecord",
    "RayOptions",
    "collect_inputs",
    "run_batch",
]
