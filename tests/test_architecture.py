"""The layering DESIGN.md asks for: a pure core that the edges wrap.

The pure core imports only the standard library, numpy, pydantic and other pure-core
modules, so it can run behind a desktop window, a browser or a video file alike; only
``twistcoach.estimator`` imports mediapipe.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "twistcoach"

PURE_CORE = (
    "errors",
    "landmarks",
    "metrics",
    "kinematics",
    "kinematics._angles",
    "kinematics._body",
    "kinematics._camera",
    "kinematics._views",
    "kinematics._calibration",
    "kinematics._measurement",
    "smoothing",
    "recognition",
    "tracking",
    "checks",
    "coaching",
    "coaching._events",
    "coaching._rules",
    "coaching._plan",
    "coaching._summary",
    "coaching._coach",
    "screening",
    "progression",
    "planning",
    "planning.rules",
    "planning.history",
    "planning.decision",
    "planning.decide",
    "intake",
    "safeload",
    "rulefiles",
    "poses.schema",
    "rotation",
    "seated_tracking",
)
# yaml appears only inside the thin loaders that read the packaged rule and pose files;
# pydantic_core is pydantic's own validation engine (installed with it), where its typed
# custom errors live (intake's cross-field checks).
ALLOWED_THIRD_PARTY = {"numpy", "pydantic", "pydantic_core", "yaml"}


def _module_path(name: str) -> Path:
    package = SRC / name.replace(".", "/") / "__init__.py"
    return package if package.exists() else SRC / (name.replace(".", "/") + ".py")


def _top_level_imports(path: Path) -> set[str]:
    """Absolute module names imported anywhere in the file (functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", PURE_CORE)
def test_pure_core_imports_only_stdlib_numpy_pydantic_and_core(module: str) -> None:
    core = {f"twistcoach.{m}" for m in PURE_CORE} | {"twistcoach", "twistcoach.poses"}
    for name in _top_level_imports(_module_path(module)):
        root = name.split(".")[0]
        if name.startswith("twistcoach"):
            assert name in core, f"{module} imports the edge module {name}"
        else:
            allowed = root in sys.stdlib_module_names or root in ALLOWED_THIRD_PARTY
            assert allowed, f"{module} imports {name}, which is not in the pure core's set"


def test_only_the_estimator_imports_mediapipe() -> None:
    importers = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if any(n.split(".")[0] == "mediapipe" for n in _top_level_imports(path))
    )
    assert importers == ["estimator.py"]


def test_importing_the_package_and_core_does_nothing_heavy() -> None:
    # Nothing happens at import time: no model, no database, no web app.
    code = (
        "import sys, twistcoach.cli.app, twistcoach.tracking, twistcoach.coaching, "
        "twistcoach.screening; "
        "print(sorted(m for m in ('mediapipe', 'cv2', 'sqlalchemy', 'fastapi', 'av') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
