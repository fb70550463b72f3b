"""Hostile input and failures at the edges (issue 16): the practice socket, the workers."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from test_analyze_cli import _write_clip
from test_web_api import (  # the app on a fresh database, and its helpers
    World,
    api_student,
    frame,
    start_session,
    world,  # noqa: F401  (the fixture)
)
from twistcoach.pipeline import Analyzer


def test_item3_deeply_nested_json_gets_an_error_and_the_socket_stays_open(world: World) -> None:  # noqa: F811
    c, csrf = api_student(world, "nia@example.org", "Nia")
    sid = start_session(c, csrf)
    nested = "[" * 8000 + "]" * 8000  # 16,000 bytes: under the socket's size limit
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text(nested)
        reply = ws.receive_json()
        assert reply["type"] == "error"
        assert reply["message"].startswith("message is not valid JSON: too deeply nested")
        ws.send_text('{"type": "pain", "level": ' + "9" * 5000 + "}")
        assert "number is too long" in ws.receive_json()["message"]
        # The same connection still coaches, and ends the session normally.
        ws.send_text(json.dumps(frame(0.0)))
        assert ws.receive_json()["type"] in {"event", "cue", "metrics"}
        ws.send_text(json.dumps({"type": "end"}))
        while (message := ws.receive_json())["type"] != "stopped":
            assert message["type"] != "error", message
        assert message["reason"] == "quit"
    assert world.repo.get_session(sid).session.status == "stopped"


@pytest.mark.slow
def test_item11_a_dead_worker_is_replaced_for_the_next_video(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    _write_clip(clip, 150)  # cut in two: the second chunk goes to the worker
    with Analyzer(workers=2) as analyzer:
        analyzer.prestart()
        pool = analyzer._pool
        assert pool is not None and analyzer._warm is not None
        analyzer._warm.result(timeout=60)  # the worker is up
        for process in list((pool._processes or {}).values()):
            os.kill(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not pool._broken and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool._broken, "the pool never noticed its worker's death"
        result = analyzer.analyze_video(clip)  # a fresh pool, a fresh worker
        assert analyzer._pool is not pool
    assert len(result.frames) == 150 and len(result.chunks) == 2
    assert result.times.local_frames < 150  # the second chunk was the new worker's
