"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pg import pg_server  # noqa: F401  (the PostgreSQL server fixture, tests/pg.py)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# The suite reads English unless a test asks for another language: a developer whose locale
# is Spanish would otherwise get Spanish from the CLI and its subprocesses (i18n reads
# TWISTCOACH_LANG, then the locale). Tests of the language choice pass their own environment.
os.environ["TWISTCOACH_LANG"] = "en"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared photographs and clips (../shared/data); tests may read, never copy them."""
    if not SHARED_DATA.is_dir():
        raise RuntimeError(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA
