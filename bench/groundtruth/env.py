"""Environment for the generator: caches inside the project, offscreen rendering.

anny and warp write large caches (hundreds of MB) at their first model build. They must
land in the project's ignored ``.cache/`` folder, never in the home directory, so the
variables are set here, before either library is imported (``configure`` must be called
first by every entry point that imports torch, anny, warp or pyrender).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache"
RENDER_CACHE = CACHE / "groundtruth"


def configure() -> None:
    """Point anny's and warp's caches at ``.cache/`` and select OSMesa rendering."""
    (CACHE / "anny").mkdir(parents=True, exist_ok=True)
    (CACHE / "warp").mkdir(parents=True, exist_ok=True)
    os.environ["ANNY_CACHE_DIR"] = str(CACHE / "anny")
    os.environ["WARP_CACHE_PATH"] = str(CACHE / "warp")
    # pyrender's OSMesa back end renders on the CPU with no display.
    os.environ["PYOPENGL_PLATFORM"] = "osmesa"
    # One thread each: the machine is shared; parallelism comes from separate processes.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
