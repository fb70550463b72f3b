"""The practice socket (``twistcoach.web.practice``): what it tells the page before the coach
has measured the starting position, and how a session that never got a frame is stored.

A phone red team (iPhone 13, Spanish, the side-on clip looped as the camera) saw the gauge
read "Rodillas: -37°" (-41° in the socket's messages, past the 40° cap) with its needle in
the amber band while the set-up's third check, the calibration, was still waiting: the
metrics carried the coach's drop while it was still setting up, the tracker's own reading
from no measured zero. And with the pose model's files blocked, ending the session stored
the non-session as "stopped early; you ended it", which progression and the teacher's flags
count. Both are checked here on the server, over the socket as the page drives it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import test_web_api as api
from test_web_api import World, api_student, frame, start_session
from twistcoach.storage.progress import outcome_of

world = api.world  # the API tests' app on a fresh database

#: A synthetic session from a raised diagonal camera (the recommended place, so the tracker
#: measures from it): the person lies knees up, drops the knees past the cap, comes back.
RECORDING = Path(__file__).parent / "cues" / "heldout__man60_stocky_past_cap.npz"


def _replayed(start_s: float, loops: int) -> Iterator[dict[str, Any]]:
    """The recording as the page sends it: from ``start_s`` seconds in (the knees already on
    their way down, as a camera that starts mid-twist sees them), then ``loops`` times over
    from its start, session time always increasing."""
    data = np.load(RECORDING)
    w, h = (int(v) for v in data["size"])
    rows = list(zip(data["t"], data["found"], data["image_xy"], data["visibility"], strict=True))
    length = float(data["t"][-1]) + 0.1
    for loop in range(loops + 1):
        # Session time from the first frame sent: the first pass starts at start_s.
        base = -start_s if loop == 0 else (length - start_s) + (loop - 1) * length
        for t, found, xy, vis in rows:
            if loop == 0 and t < start_s:
                continue
            lm = (
                [
                    [float(x) / w, float(y) / h, 0.0, float(v)]
                    for (x, y), v in zip(xy, vis, strict=True)
                ]
                if found
                else None
            )
            yield {"type": "landmarks", "t": base + float(t), "w": w, "h": h, "lm": lm}


def _practise(world: World, email: str, frames: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every message the socket sends for ``frames``, then an end."""
    c, csrf = api_student(world, email, email.split("@")[0].title())
    sid = start_session(c, csrf)
    received: list[dict[str, Any]] = []
    with c.websocket_connect(f"/ws/practice/{sid}?lang=es") as ws:
        for message in frames:
            ws.send_text(json.dumps(message))
        ws.send_text(json.dumps({"type": "end"}))
        while (message := ws.receive_json())["type"] != "stopped":
            received.append(message)
    return received


@pytest.mark.parametrize("start_s", [0.0, 8.0], ids=["lying-still-first", "mid-twist-first"])
def test_no_knee_drop_is_sent_before_the_coach_has_calibrated(world: World, start_s: float) -> None:
    received = _practise(world, f"cal{int(start_s)}@example.org", _replayed(start_s, loops=1))
    calibrated_at = next(
        (i for i, m in enumerate(received) if m.get("id") == "calibrated"), len(received)
    )
    before = [m for m in received[:calibrated_at] if m["type"] == "metrics"]
    after = [m for m in received[calibrated_at:] if m["type"] == "metrics"]
    assert before, "the replay never reached the coach's set-up"
    # The tracker measured from this place all along (the gauge had a number to show) ...
    assert any(m["view_ok"] for m in before)
    # ... but nothing numeric, and never "calibrated", until the coach's own measurement.
    for m in before:
        assert m["knee_drop"] is None, m
        assert m["calibrated"] is False, m
        assert m["state"] in {"waiting_for_person", "setting_up", "calibrating", "paused"}, m
    # Once calibrated the drop is shown, from the measured zero (the test can fail).
    assert after, "the coach never calibrated on the replay"
    assert all(m["calibrated"] is True for m in after)
    drops = [m["knee_drop"] for m in after if m["knee_drop"] is not None]
    assert drops and max(abs(d) for d in drops) > 20.0


def test_metrics_say_calibrated_only_with_the_coachs_own_measurement(world: World) -> None:
    # The side-on clip's first frame: set-up, no number, not calibrated.
    received = _practise(world, "one@example.org", iter([frame(0.0)]))
    metrics = next(m for m in received if m["type"] == "metrics")
    assert (metrics["knee_drop"], metrics["calibrated"]) == (None, False)


def _end_without_frames(world: World, email: str, end: dict[str, Any], frames: int = 0) -> Any:
    """Open a session, send ``frames`` landmark frames then ``end``: the ``stopped`` message
    and the stored session's summary."""
    c, csrf = api_student(world, email, "Pat")
    sid = start_session(c, csrf)
    with c.websocket_connect(f"/ws/practice/{sid}?lang=es") as ws:
        for k in range(frames):
            ws.send_text(json.dumps(frame(0.5 * k)))
        ws.send_text(json.dumps(end))
        while (message := ws.receive_json())["type"] != "stopped":
            pass
    return message, world.repo.list_sessions(world.repo.get_session(sid).session.person_id)


@pytest.mark.parametrize(
    ("end", "reason", "words"),
    [
        ({"type": "end", "reason": "no_pose_model"}, "no_pose_model", "el modelo de postura"),
        ({"type": "end"}, "no_frames", "no llegó nada de la cámara"),
        ({"type": "end", "reason": "no_camera"}, "no_camera", "la cámara no estaba disponible"),
    ],
    ids=["pose-model-failed", "no-reason", "no-camera"],
)
def test_a_session_that_never_got_a_frame_is_interrupted_not_stopped_early(
    world: World, end: dict[str, Any], reason: str, words: str
) -> None:
    message, summaries = _end_without_frames(world, f"{reason}@example.org", end)
    assert (message["status"], message["reason"]) == ("interrupted", reason)
    assert message["words"].startswith(words)  # the page's language
    (summary,) = summaries
    assert (summary.session.status, summary.session.stop_reason) == ("interrupted", reason)
    # Progression (and so the teacher's flags and the chart's "stopped early") reads it as
    # interrupted, never as practice stopped early by the person.
    outcome = outcome_of(summary)
    assert outcome is not None and outcome.stopped_reason == "interrupted"


def test_after_a_frame_the_pose_model_reason_is_an_ordinary_end(world: World) -> None:
    # A page cannot hide practice behind a reason: the server counts the frames itself.
    message, summaries = _end_without_frames(
        world, "late@example.org", {"type": "end", "reason": "no_pose_model"}, frames=2
    )
    assert (message["status"], message["reason"]) == ("stopped", "quit")
    assert (summaries[0].session.status, summaries[0].session.stop_reason) == ("stopped", "quit")


def test_history_says_why_and_does_not_count_it_as_stopped_early(world: World) -> None:
    c, csrf = api_student(world, "hist@example.org", "Hist")
    sid = start_session(c, csrf)
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text(json.dumps({"type": "end", "reason": "no_pose_model"}))
        while ws.receive_json()["type"] != "stopped":
            pass
    page = c.get("/history?lang=en").text
    card = page.split(f'data-session="{sid}"', 1)[1].split('class="card session"', 1)[0]
    assert "the pose model did not load" in card
    assert "stopped early" not in card and "no_pose_model" not in page
    assert "1 session stopped early" not in page  # the progress chart's count
    assert "el modelo de postura no se cargó" in c.get("/history?lang=es").text


def test_a_device_sending_too_few_frames_is_paused_in_words_not_coached(world: World) -> None:
    """A slow phone sending its landmarks 3 times a second was coached with the speed check
    silently dead (at 3 a second every reading started the travel that confirms "too fast"
    afresh). The socket's coach pauses, and the page gets the reason and the advice in the
    person's language: the cue and the step it shows (``lang=es`` here)."""
    replay = [m for i, m in enumerate(_replayed(0.0, loops=1)) if i % 4 == 0]  # 12 -> 3 a second
    received = _practise(world, "slowphone@example.org", iter(replay))
    cues = [m for m in received if m["type"] == "cue"]
    paused = [m for m in cues if m["id"] == "paused_frame_rate"]
    assert paused, [m["id"] for m in cues]
    assert "muy pocas imágenes por segundo" in paused[0]["text"]
    assert "pestañas del navegador" in paused[0]["text"]
    assert paused[0]["priority"] == "safety" and paused[0]["reason"].startswith("las imágenes")
    after = received[received.index(paused[0]) :]
    # Nothing coached while paused (the end's own stop cue aside).
    said = {m["id"] for m in after if m["type"] == "cue"}
    assert said <= {"paused_frame_rate", "stop_quit"}, said
    steps = {m["step"] for m in after if m["type"] == "metrics"}
    words = "su dispositivo envía muy pocas imágenes por segundo para seguir su velocidad"
    assert f"En pausa: {words}" in steps
    assert all("too_few_frames" not in s and "Paused" not in s for s in steps)
    events = [m for m in received if m["type"] == "event" and m["id"] == "paused"]
    assert [e["reason"] for e in events] == ["too_few_frames"]
    # The same recording at its own 12 frames a second is coached, never paused for it.
    full = _practise(world, "fastphone@example.org", _replayed(0.0, loops=1))
    assert not [m for m in full if m.get("id") == "paused_frame_rate"]
    assert any(m.get("id") == "calibrated" for m in full)
