"""Hostile input at the edges (issue 16): the practice socket's parser."""

from __future__ import annotations

import json

from test_web_api import (  # the app on a fresh database, and its helpers
    World,
    api_student,
    frame,
    start_session,
    world,  # noqa: F401  (the fixture)
)


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
