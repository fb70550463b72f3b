"""The practice page in real headless Chromium on a phone (390 x 844): its gauge before the
coach has calibrated, and a pose model that does not load.

- Defence in depth for the knee drop: whatever a message says, the page draws no number
  (nor the needle, which is drawn from the same value) while the coach is setting up or
  calibrating, and never ticks the camera's place before the coach has measured from it;
  once calibrated the number is shown (the check can fail).
- The pose model's files blocked (as a flaky network may, ``/mp/*`` but ``pose.js``): the
  page says so in its language with "Try again", raises no uncaught error, and "Try again"
  loads it once the network is back; ended before the model loaded, the session is stored as
  interrupted because the pose model did not load, never as practice stopped early, and
  history says so. A model still loading after the page's wait is said to be slow, with
  "Try again" too.

The server and browser are ``test_web_phone.py``'s (the browser's camera is Chromium's test
pattern: nothing here needs a person in view).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import test_web_phone as phone
from test_web_e2e import Server, _wait
from test_web_phone import _phone, _start, _status

server = phone.server
browser = phone.browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The stored reason as history says it, by language.
NO_MODEL_WORDS = {"en": "the pose model did not load", "es": "el modelo de postura no se cargó"}


def _texts(page: Any) -> dict[str, str]:
    """The page script's words in the page's language (its ``tc-texts``)."""
    texts: dict[str, str] = page.evaluate(
        "JSON.parse(document.getElementById('tc-texts').textContent)"
    )
    return texts


def _metrics(state: str, knee_drop: float | None, calibrated: bool) -> str:
    """A metrics message as the socket sends it, handed to the page's handler."""
    drop = "null" if knee_drop is None else str(knee_drop)
    return (
        f"window.tcHandle({{type: 'metrics', t: 14.4, knee_drop: {drop}, cap: 40, stay: 24.5,"
        f" state: '{state}', step: 'Preparación', view: 'oblique', view_ok: true,"
        f" calibrated: {str(calibrated).lower()}, advice: ''}})"
    )


SHOWN = """() => ({
  readout: document.getElementById("gauge-drop").textContent,
  kneeDrop: window.tcStats.kneeDrop,
  place: document.getElementById("check-place").dataset.state,
  placeChip: document.querySelector('#setup-chips [data-for="check-place"]').dataset.state,
  calib: document.getElementById("check-calib").dataset.state,
})"""


def test_the_page_draws_no_knee_drop_before_the_coach_has_calibrated(
    server: Server, browser: Any
) -> None:
    # No camera: nothing from the server changes the gauge while the test hands it messages.
    page = _phone(browser, server, "es", camera=False)
    session_id = _start(page, server, "sam@example.org")
    page.wait_for_selector("#camera-problem:not([hidden])", timeout=15_000)
    # What the red team's phone was sent while setting up (a side view misread as diagonal),
    # and a server that would say calibrated too early: never a number before calibration.
    for state, calibrated in (
        ("setting_up", False),
        ("calibrating", False),
        ("setting_up", True),
        ("waiting_for_person", True),
    ):
        page.evaluate(_metrics(state, -41.08, calibrated))
        shown = page.evaluate(SHOWN)
        assert shown["kneeDrop"] is None, (state, shown)
        assert not re.search(r"\d", shown["readout"]), (state, shown)
        assert shown["place"] != "ok" and shown["placeChip"] != "ok", (state, shown)
        assert shown["calib"] != "ok", (state, shown)
    assert page.evaluate(SHOWN)["place"] == "active"  # "looks right so far"
    assert page.inner_text("#check-place .check-said") == _texts(page)["place_checking"]
    # Calibrated and coaching: the number, the ticked place and calibration.
    page.evaluate(_metrics("entering", -12.4, True))
    shown = page.evaluate(SHOWN)
    assert shown["kneeDrop"] == -12.4 and "-12°" in shown["readout"], shown
    assert (shown["place"], shown["placeChip"], shown["calib"]) == ("ok", "ok", "ok")
    page.click("#end")
    _wait(lambda: _status(server, session_id)[0] != "running", 15, "the session to end")
    page.context.close()


def _block_the_model(page: Any) -> dict[str, bool]:
    """Fail every request for the pose model's files but ``pose.js`` (a flaky network) while
    the returned switch's ``on`` is true."""
    switch = {"on": True}

    def route(r: Any) -> None:
        if switch["on"] and not r.request.url.endswith("/mp/pose.js"):
            r.abort()
        else:
            r.continue_()

    page.context.route("**/mp/**", route)
    return switch


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_pose_model_that_fails_to_load_says_so_and_is_not_practice_stopped_early(
    server: Server, browser: Any, lang: str
) -> None:
    page = _phone(browser, server, lang, camera=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _block_the_model(page)
    session_id = _start(page, server, "sam@example.org")
    page.wait_for_function("window.tcStats.model === 'failed'", timeout=60_000)
    texts = _texts(page)
    assert page.is_visible("#camera-problem")
    assert page.inner_text("#camera-problem-said") == texts["model_failed"]
    assert page.is_visible("#camera-retry")
    assert texts["model_status"] in page.inner_text("#status")
    assert "Failed to fetch" not in page.inner_text("#practice")  # never the browser's words
    assert errors == [], errors  # caught: no uncaught page error
    page.click("#end")
    _wait(lambda: _status(server, session_id)[0] != "running", 15, "the session to end")
    assert _status(server, session_id) == ("interrupted", "no_pose_model")
    page.wait_for_function("window.tcStats.stopReason === 'no_pose_model'", timeout=10_000)
    assert NO_MODEL_WORDS[lang] in page.inner_text("#status")
    assert page.is_hidden("#end-pain")  # nothing was practised: no pain "after" asked
    # History says why, in the reader's words, and does not count it as stopped early.
    page.goto(server.base + "/history")
    text = page.inner_text(f".session[data-session='{session_id}']")
    assert NO_MODEL_WORDS[lang] in text, text
    assert ("stopped early" if lang == "en" else "terminó antes de tiempo") not in text
    page.context.close()


def test_try_again_loads_the_pose_model_once_the_network_is_back(
    server: Server, browser: Any
) -> None:
    page = _phone(browser, server, "en", camera=True)
    switch = _block_the_model(page)
    session_id = _start(page, server, "alex@example.org")
    page.wait_for_function("window.tcStats.model === 'failed'", timeout=60_000)
    switch["on"] = False
    page.click("#camera-retry")
    page.wait_for_function("window.tcStats.model === 'ready'", timeout=120_000)
    assert page.is_hidden("#camera-problem")
    page.wait_for_function("window.tcStats.framesSent >= 3", timeout=60_000)
    page.click("#end")
    _wait(lambda: _status(server, session_id)[0] != "running", 15, "the session to end")
    assert _status(server, session_id) == ("stopped", "quit")  # frames came: an ordinary end
    page.context.close()


def test_a_pose_model_that_takes_too_long_is_said_to_be_slow(server: Server, browser: Any) -> None:
    page = _phone(browser, server, "es", camera=True)
    page.context.add_init_script("window.tcModelTimeoutMs = 1500;")
    held: list[Any] = []

    def hold(r: Any) -> None:  # the model's files never come (a stalled network)
        if r.request.url.endswith("/mp/pose.js"):
            r.continue_()
        else:
            held.append(r)

    page.context.route("**/mp/**", hold)
    session_id = _start(page, server, "sam@example.org")
    page.wait_for_function("window.tcStats.model === 'slow'", timeout=30_000)
    assert page.inner_text("#camera-problem-said") == _texts(page)["model_slow"]
    assert page.is_visible("#camera-retry")
    page.click("#end")
    _wait(lambda: _status(server, session_id)[0] != "running", 15, "the session to end")
    assert _status(server, session_id) == ("interrupted", "no_pose_model")
    page.context.close()
