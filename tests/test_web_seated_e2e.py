"""The browser coach practises a seated twist (issue 20), end to end in headless Chromium.

As tests/test_web_e2e.py: the app under uvicorn on a loopback port with a temporary SQLite
database, Debian's Chromium driven by Playwright with a fake camera, offline. The camera is
fed the rendered seated clip (``tests/seated_groundtruth/seated_turn_right.mp4``: a woman
sits tall and square, then turns her chest slowly to the right, seen from the recommended
camera in front and above). A student with no back problem signs up; the plan allows the
easy seated twist under a trunk-rotation cap; the page's own pose estimation streams the
landmarks to the same live session as the desktop coach, and the seated coach answers.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_web_e2e import chromium_browser, sign_up_and_in
from twistcoach.storage import Repository, create_engine_for_url, init_db
from twistcoach.web import WebSettings, create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLIP = Path(__file__).parent / "seated_groundtruth" / "seated_turn_right.mp4"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Repository]]:
    import uvicorn

    folder = tmp_path_factory.mktemp("web-seated")
    url = f"sqlite:///{folder / 'seated.db'}"
    engine = create_engine_for_url(url)
    init_db(engine)
    port = _free_port()
    app = create_app(WebSettings(database_url=url))
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", Repository(engine)
    uv.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg is needed (make system installs it)"
    y4m = tmp_path_factory.mktemp("camera") / "seated.y4m"
    convert = [ffmpeg, "-v", "error", "-y", "-i", str(CLIP), "-vf", "fps=15"]
    subprocess.run([*convert, "-pix_fmt", "yuv420p", str(y4m)], check=True)
    with chromium_browser(y4m) as chromium:
        yield chromium


def test_a_seated_twist_is_practised_in_the_browser(
    server: tuple[str, Repository], browser: Any
) -> None:
    base, repo = server
    context = browser.new_context(viewport={"width": 1280, "height": 820})
    page = context.new_page()
    sign_up_and_in(page, base, "Sasha", "sasha@example.org")
    page.goto(base + "/intake")
    page.fill("#field-age", "35")
    page.fill("#field-pain_now", "0")
    page.fill("#field-pain_duration_weeks", "0")
    page.select_option("#field-activity", "active")
    page.select_option("#field-leg_symptoms", "none")
    page.click("form.card button[type=submit]")
    page.wait_for_url(base + "/plan")
    page.click("#all-twists summary")
    seated = page.inner_text("tr[data-variant=seated_twist_easy]")
    assert "allowed now, up to 27°" in seated
    assert "chest turned at most about 27° from your hips" in seated

    page.click("text=Practise now")
    page.select_option("#variant", "seated_twist_easy")
    # The chosen twist's own camera place is the one shown (in front, for sitting).
    advice = page.locator(".camera-advice:visible")
    assert advice.count() == 1 and "in front of you" in advice.inner_text()
    page.check("input[name=start_pain][value='0']")
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"{base}/practice/*")
    session_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    assert repo.get_session(session_id).session.variant_id == "seated_twist_easy"

    # The page estimates the pose and streams landmarks; the seated coach answers.
    page.wait_for_function(
        "window.tcStats && window.tcStats.framesWithPerson >= 30 && window.tcStats.cues >= 2",
        timeout=240_000,
    )
    stats = page.evaluate("window.tcStats")
    assert stats["errors"] == 0
    said = " ".join(page.locator("#cue-log li").all_inner_texts())
    assert "Sit tall facing the camera" in said  # the seated set-up, never the supine one
    assert "knees" not in said.lower()
    page.click("#sharp")  # the same sharp-pain stop as the supine coach
    assert page.inner_text("#cue").startswith("Stop")
    deadline = time.monotonic() + 10
    while repo.get_session(session_id).session.status == "running":
        assert time.monotonic() < deadline, "the server did not stop the session"
        time.sleep(0.1)
    assert repo.get_session(session_id).session.stop_reason == "sharp_pain"
    context.close()
