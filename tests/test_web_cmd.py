"""``twistcoach serve``: migrations, demo data, sign-in help, and clear errors (exit 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from twistcoach.cli.app import build_app
from twistcoach.storage import Repository, create_engine_for_url

runner = CliRunner()


def test_serve_migrates_seeds_and_prints_how_to_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []

    def fake_run(app: Any, **kwargs: Any) -> None:  # the server itself is not started here
        calls.append({"app": app, **kwargs})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", url)
    monkeypatch.setenv("TWISTCOACH_SECRET_KEY", "a-secret-key-for-tests")
    result = runner.invoke(build_app(), ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "(demo data added)" in result.output
    assert "teacher@example.org" in result.output and "twistcoach-demo" in result.output
    assert "http://127.0.0.1:8123/" in result.output
    assert calls[0]["host"] == "127.0.0.1" and calls[0]["port"] == 8123
    paths = set(calls[0]["app"].openapi()["paths"])
    assert {"/api/signin", "/api/students"} <= paths
    engine = create_engine_for_url(url)
    assert len(Repository(engine).list_accounts()) == 4
    # A second start keeps what is stored and adds nothing.
    result = runner.invoke(build_app(), ["serve", "--no-demo"])
    assert result.exit_code == 0 and "(demo data added)" not in result.output
    assert len(Repository(engine).list_accounts()) == 4
    engine.dispose()


def test_serve_bad_input_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", "mysql://nowhere/db")
    result = runner.invoke(build_app(), ["serve"])
    assert result.exit_code == 2
    assert "must point to SQLite or PostgreSQL" in result.output
    assert "Traceback" not in result.output
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("TWISTCOACH_SECRET_KEY", "short")
    result = runner.invoke(build_app(), ["serve", "--no-demo"])
    assert result.exit_code == 2 and "at least 16 characters" in result.output
    result = runner.invoke(build_app(), ["serve", "--port", "70000"])
    assert result.exit_code == 2


@pytest.mark.parametrize(("value", "own_process"), [("", True), ("1", True), ("0", False)])
def test_calibrations_fit_in_their_own_process_unless_told_not_to(
    monkeypatch: pytest.MonkeyPatch, value: str, own_process: bool
) -> None:
    from twistcoach.cli.web_cmd import CALIBRATION_PROCESS_ENV, web_settings

    monkeypatch.setenv(CALIBRATION_PROCESS_ENV, value)
    assert web_settings("sqlite://", (), 1).calibration_process is own_process
