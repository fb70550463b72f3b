"""The desktop coach on a rendered seated twist (issue 20 item 4), end to end.

``tests/seated_groundtruth/seated_turn_right.mp4`` (``bench/seated/clip.py``): a woman sits
tall and square for 5 s, turns her chest slowly to the right over 5 s (true rotation 18.6°,
under the easy seated twist's 27° cap for a person with no back problem) and stays there,
seen from the recommended camera (in front, 35° up). ``twistcoach coach --headless`` runs
it through the same live session as the browser: MediaPipe, the rotation tracker, the
seated coach's rules, the session stored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from twistcoach.seated_tracking import load_seated_coaching_rules

REPO = Path(__file__).resolve().parents[1]
TWISTCOACH = str(Path(sys.executable).parent / "twistcoach")
CLIP = REPO / "tests" / "seated_groundtruth" / "seated_turn_right.mp4"


def test_the_desktop_coach_coaches_a_rendered_seated_twist(tmp_path: Path) -> None:
    truth = json.loads(CLIP.with_suffix(".json").read_text())
    held = [f["trunk_rotation_deg"] for f in truth["frames"] if f["t"] >= 10.0]
    assert 18.0 <= min(held) <= max(held) <= 19.0  # the clip's true hold
    env = {**os.environ, "TWISTCOACH_DATABASE_URL": f"sqlite:///{tmp_path / 'seated.sqlite'}"}
    proc = subprocess.run(
        [
            TWISTCOACH,
            "coach",
            *("--video", str(CLIP), "--variant", "seated_twist_easy"),
            *("--intake", "examples/01_ready_no_back_pain.yaml", "--headless"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    ids = [x["id"] for x in lines]
    # Set-up sitting tall, the calibration, then the right side on the exhale.
    assert ids.index("setup") < ids.index("calibrating") < ids.index("enter_side")
    enter = next(x for x in lines if x["id"] == "enter_side")
    assert "towards your right" in enter["text"] and "exhale" in enter["text"]
    hold = next(x for x in lines if x["id"] == "hold_started")
    assert hold["side"] == "right"
    assert hold["cap_deg"] == 27.0
    # The rotation read at the hold is the true one within the measured error (15.5 read
    # for 18.6 on 2026-12-06). "Stay here" comes from the cap less the measured under-read
    # (27 - 9 = 18): said if and only if the reading reached it (no false alarm below).
    assert abs(hold["knee_drop_deg"] - 18.6) <= 8.0, hold
    start = 27.0 - load_seated_coaching_rules().stay_margin(27.0)
    if hold["knee_drop_deg"] >= start:
        assert ids.index("stay_here") < ids.index("hold_started")
    else:
        assert "stay_here" not in ids
    assert "breathe_in" in ids and "exhale_soften" in ids  # lengthen in, soften out
    # No fault in the clip: nothing stops, nothing says "ease back", "slowly" or "bounce".
    for unwanted in ("session_stopped", "ease_back", "slow_down", "no_bouncing", "other_side"):
        assert unwanted not in ids, unwanted
    assert not any(x["id"].startswith("paused") for x in lines)
    assert ids[-1] == "source_ended"
