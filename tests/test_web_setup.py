"""The practice page's set-up screen and its phone-landscape layout (issue 18, items 2 and 3).

Before the coach starts, the page checks the camera in three steps: the whole body in view
(read in the browser from its own MediaPipe landmarks: shoulders, hips, knees and ankles
seen and inside the frame, ``tcBodyInView`` in ``practice.js``), the camera's place (the
tracker's verdict, sent by the server with the metrics: ``view``, ``view_ok`` and its advice,
said in the page's words for that view, with a drawing of where to move the camera and a
red "now" mark where it is), then the calibration (the coach's state); the three also in
short over the camera view.

- Without a browser: the body check's rule (Node), the metrics carrying the tracker's verdict
  (the practice socket), and the page having words for every view the tracker names.
- In real headless Chromium (the fake camera plays the side-on clip, the same server and
  browser as ``test_web_e2e.py``): the set-up screen on a phone (390 x 844) and a laptop
  (1280 x 820) shows the tracker's verdict for the clip (a place it cannot measure from)
  with the sketch's "now" mark; its screenshots are ``docs/img/web_setup_phone.png`` and
  ``docs/img/web_setup_laptop.png`` (written there only with
  ``TWISTCOACH_UPDATE_SCREENSHOTS=1``). A phone on its side (844 x 390, and a small one at
  667 x 375): no horizontal
  scrolling, and the camera view, the gauge, the cue, every pain button and the stop are
  all inside the viewport at once (``web_phone_landscape.png``), and axe-core finds no
  serious or critical violation in that layout.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import test_web_a11y as a11y
import test_web_api as api
import test_web_e2e as e2e
from test_web_api import World, api_student, frame, start_session
from test_web_e2e import Server, _sign_in, _wait, screenshot_dir
from twistcoach.landmarks import Landmark
from twistcoach.metrics import View
from twistcoach.recognition import FAR_SIDE_ADVICE, VIEW_ADVICE
from twistcoach.storage.demo import DEMO_PASSWORD

server = e2e.server
browser = e2e.browser
fake_camera = e2e.fake_camera
world = api.world  # the API tests' app on a fresh database

SCRIPT = Path(__file__).parents[1] / "src/twistcoach/web/static/practice.js"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 820}
LANDSCAPE = {"width": 844, "height": 390}
#: A small phone on its side (an iPhone SE's 667 x 375 CSS pixels): the nav on one line.
SMALL_LANDSCAPE = {"width": 667, "height": 375}

#: The joints the set-up's body check asks for (the tracker measures the twist from these).
BODY = [
    Landmark.LEFT_SHOULDER,
    Landmark.RIGHT_SHOULDER,
    Landmark.LEFT_HIP,
    Landmark.RIGHT_HIP,
    Landmark.LEFT_KNEE,
    Landmark.RIGHT_KNEE,
    Landmark.LEFT_ANKLE,
    Landmark.RIGHT_ANKLE,
]


def _node(code: str) -> Any:
    node = shutil.which("node")
    assert node is not None, "node is missing: the set-up (make setup) needs Node.js and npm"
    prefix = f"const m = require({json.dumps(str(SCRIPT))});"
    out = subprocess.run([node, "-e", prefix + code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_body_check_needs_every_key_joint_seen_and_inside_the_frame() -> None:
    everyone = [{"x": 0.5, "y": 0.5, "visibility": 0.99} for _ in range(33)]
    cases = {
        "all": everyone,
        "ankle_out": [
            {**p, "x": 1.02} if i == Landmark.LEFT_ANKLE else p for i, p in enumerate(everyone)
        ],
        "knee_unseen": [
            {**p, "visibility": 0.3} if i == Landmark.RIGHT_KNEE else p
            for i, p in enumerate(everyone)
        ],
        "edge": [{**p, "y": 1.0} if i == Landmark.LEFT_HIP else p for i, p in enumerate(everyone)],
        # A wrist and the face out of the frame do not matter: only the measured joints do.
        "wrist_out": [
            {**p, "x": -0.2} if i in (Landmark.LEFT_WRIST, Landmark.NOSE) else p
            for i, p in enumerate(everyone)
        ],
    }
    got = _node(
        f"const c = {json.dumps(cases)};"
        "const r = {}; for (const k in c) r[k] = m.tcBodyInView(c[k], 0.5);"
        "r.nobody = m.tcBodyInView(null, 0.5); r.empty = m.tcBodyInView([], 0.5);"
        # A seated twist's joints (shoulders and hips): feet out of the picture do not matter.
        "r.seated = m.tcBodyInView(c.ankle_out, 0.5, [11, 12, 23, 24]);"
        "r.seated_hip_out = m.tcBodyInView(c.edge.map((p, i) => i === 24 ? {...p, x: -0.1} : p),"
        " 0.5, [11, 12, 23, 24]);"
        "r.joints = m.TC_BODY_LANDMARKS; console.log(JSON.stringify(r));"
    )
    assert got.pop("joints") == [int(j) for j in BODY]
    assert got == {
        "all": "ok",
        "ankle_out": "bad",
        "knee_unseen": "bad",
        "edge": "ok",
        "wrist_out": "ok",
        "nobody": "none",
        "empty": "none",
        "seated": "ok",
        "seated_hip_out": "bad",
    }


def test_metrics_carry_the_trackers_camera_verdict(world: World) -> None:
    c, csrf = api_student(world, "yan@example.org", "Yan")
    sid = start_session(c, csrf)
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text(json.dumps(frame(0.0)))
        metrics = None
        for _ in range(20):
            message = ws.receive_json()
            if message["type"] == "metrics":
                metrics = message
                break
        assert metrics is not None
        ws.send_text(json.dumps({"type": "end"}))
    # The side-on clip's frame: a view the tracker cannot measure from, and its advice.
    view = View(metrics["view"])
    assert metrics["view_ok"] is False
    assert metrics["advice"] in {VIEW_ADVICE[view], VIEW_ADVICE[View.UNKNOWN], FAR_SIDE_ADVICE}
    assert metrics["advice"]


def test_the_page_has_words_for_every_view_and_a_mark_for_every_bad_one(world: World) -> None:
    c, csrf = api_student(world, "zoe@example.org", "Zoe")
    sid = start_session(c, csrf)
    page = c.get(f"/practice/{sid}").text
    assert 'data-joints="11,12,23,24,25,26,27,28"' in page
    words = dict(re.findall(r'<span data-view="(\w+)" data-verdict="(\w+)">', page))
    assert set(words) == {str(v) for v in View}
    for view in View:
        # A view with advice is one the tracker asks to move the camera from: never "good".
        if VIEW_ADVICE[view]:
            assert words[str(view)] in {"bad", "wait"}, view
        else:
            assert words[str(view)] == "ok", view
    marks = set(re.findall(r'class="cam-now" data-view="(\w+)" hidden', page))
    assert marks == {str(v) for v in View if words[str(v)] == "bad"}
    for check in ("check-body", "check-place", "check-calib"):
        assert f'id="{check}"' in page
        assert f'data-for="{check}"' in page  # its short form over the camera view
    assert 'class="sketch-svg"' in page and 'aria-labelledby="sketch-title"' in page


#: An intake whose plan allows the easy seated twist (no back problem, active).
SEATED_INTAKE = {
    "age": 35,
    "pain_now": 0,
    "pain_duration_weeks": 0,
    "activity": "active",
    "leg_symptoms": "none",
}


def test_a_seated_twist_gets_its_own_setup_screen(world: World) -> None:
    from twistcoach.seated_tracking import load_seated_camera_advice

    c, csrf = api_student(world, "ola@example.org", "Ola", intake=SEATED_INTAKE)
    r = c.post(
        "/api/sessions",
        json={"variant_id": "seated_twist_easy", "start_pain": 0},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 201, r.text
    page = c.get(f"/practice/{r.json()['session_id']}").text
    # The rotation tracker's joints, its recommended place and its own drawing.
    assert 'data-joints="11,12,23,24"' in page
    assert " ".join(load_seated_camera_advice().recommended.split()) in " ".join(page.split())
    assert "straight in front of you" in page and "raised diagonal" not in page
    words = dict(re.findall(r'<span data-view="(\w+)" data-verdict="(\w+)">', page))
    # The seated views' own names, as the socket sends them (never the lying "oblique").
    assert words == {
        "front": "ok",
        "diagonal": "bad",
        "side": "bad",
        "overhead": "bad",
        "unknown": "wait",
    }
    marks = set(re.findall(r'class="cam-now" data-view="(\w+)" hidden', page))
    assert marks == {"side", "overhead"}
    assert "knees" not in page.split('id="setup-panel"')[1].split("</section>")[0].lower()
    # The gauge says what it measures here: the chest's turn, not the knees.
    assert 'data-shown="Turn:"' in page and 'data-shown="Knees:"' not in page


def test_a_seated_sessions_metrics_name_the_seated_views() -> None:
    """The practice socket said "oblique" (the lying coach's view the rotation tracker
    reuses) for a camera in front of a seated person; the page's words and the reports
    name it "front" (report.words.rotation_view_name)."""
    import numpy as np

    from test_seated_coach import RAISED, SIDE_CAM, plan, sitting
    from twistcoach.metrics import BodyType
    from twistcoach.session import LiveSession
    from twistcoach.tracking import TwistTracker
    from twistcoach.web.practice import LandmarksMessage, PracticeRun

    def views(camera: Any) -> list[tuple[str, bool]]:
        live = LiveSession.create(
            plan(), tracker=TwistTracker(), start_pain=1, body=BodyType.NEUTRAL
        )
        ticks = iter(range(1000))
        run = PracticeRun(live=live, min_interval_s=0.0, actor_id=1, clock=lambda: next(ticks))
        said: list[tuple[str, bool]] = []
        for i in range(8):
            t = round(i * 0.25, 2)
            seen = sitting(0.0, t=t, camera=camera)
            w, h = seen.image_size
            lm = np.column_stack(
                [
                    seen.image_xy[:, 0] / w,
                    seen.image_xy[:, 1] / h,
                    seen.image_z / w,
                    seen.visibility,
                ]
            )
            msg = LandmarksMessage(type="landmarks", t=t, w=w, h=h, lm=lm.tolist())
            said += [
                (m["view"], m["view_ok"]) for m in run.landmarks(msg) if m["type"] == "metrics"
            ]
        return said

    in_front = views(RAISED)
    assert in_front and set(in_front) == {("front", True)}, in_front
    beside = views(SIDE_CAM)
    assert beside and set(beside) == {("side", False)}, beside


# ----------------------------------------------------------------- in real Chromium


def _start_practice(page: Any, server: Server, email: str) -> int:
    _sign_in(page, server.base, email, DEMO_PASSWORD)
    page.goto(server.base + "/practice")
    page.check("input[name=start_pain][value='1']")
    page.click("#start-form button[type=submit]")
    page.wait_for_url(f"{server.base}/practice/*")
    return int(page.url.rsplit("/", 1)[1].split("?")[0])


def _end(page: Any, server: Server, session_id: int) -> None:
    page.click("#end")
    _wait(
        lambda: server.repo.get_session(session_id).session.status != "running",
        15,
        "the session to end",
    )


def _in_view(page: Any, selector: str, viewport: dict[str, int]) -> None:
    box = page.locator(selector).first.bounding_box(timeout=5000)
    assert box is not None, f"{selector} is not shown"
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= viewport["width"] + 0.5, (selector, box)
    assert box["y"] + box["height"] <= viewport["height"] + 0.5, (selector, box)


#: Lets a test hold the page still: while ``window.__frozen`` is true the practice socket
#: neither sends nor delivers messages (the coach's verdicts stop changing the page, so a
#: check and its screenshot see the same screen; the clip's view may turn measurable).
FREEZE = """
(() => {
  const Native = window.WebSocket;
  function Held(url, protocols) {
    const ws = new Native(url, protocols);
    const send = ws.send.bind(ws);
    ws.send = data => { if (!window.__frozen) send(data); };
    ws.addEventListener("message", ev => { if (window.__frozen) ev.stopImmediatePropagation(); });
    return ws;
  }
  for (const k of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Held[k] = Native[k];
  window.WebSocket = Held;
})();
"""

#: Once the set-up screen has the tracker's verdict and the body check's: freeze the page
#: and return, in the same turn of its event loop, what the screen says.
SNAPSHOT = """
() => {
  const s = window.tcStats && window.tcStats.setup;
  const panel = document.getElementById("setup-panel");
  if (!s || !s.view || s.body === "waiting" || panel.hidden) return null;
  window.__frozen = true;
  const item = id => {
    const el = document.getElementById(id);
    return { state: el.dataset.state, said: el.querySelector(".check-said").textContent,
             words: { ...el.dataset } };
  };
  const word = document.getElementById("view-words").content
    .querySelector(`[data-view="${s.view}"]`);
  const box = sel => { const r = document.querySelector(sel).getBoundingClientRect();
                       return { top: r.top, bottom: r.bottom }; };
  return {
    setup: { ...s }, body: item("check-body"), place: item("check-place"),
    calib: item("check-calib"),
    verdict: word ? word.dataset.verdict : null, viewWords: word ? word.textContent : null,
    marks: [...document.querySelectorAll(".cam-now")]
      .filter(m => getComputedStyle(m).display !== "none").map(m => m.dataset.view),
    advice: document.getElementById("setup-advice").textContent,
    chips: Object.fromEntries([...document.querySelectorAll("#setup-chips .chip")]
      .map(c => [c.dataset.for, c.dataset.state])),
    chipsShown: !document.getElementById("setup-chips").hidden,
    boxes: { stop: box("#stopbar"), body: box("#check-body"), place: box("#check-place"),
             calib: box("#check-calib"), sketch: box(".sketch-svg") },
  };
}
"""


def _setup_shows_the_trackers_verdict(page: Any) -> dict[str, Any]:
    """Wait for the set-up screen to have the tracker's verdict and the body check's, hold
    the page still, and check that the screen says them in its words."""
    seen = page.wait_for_function(SNAPSHOT, timeout=150_000).json_value()
    setup = seen["setup"]
    view = setup["view"]
    assert view in {str(v) for v in View}
    place = seen["place"]
    # The camera's place: the tracker's verdict, in the page's words for the view it named;
    # a place it can measure from is ticked only once the coach has calibrated there (before
    # then "looks right so far": a side view was once read as a diagonal one).
    if setup["viewOk"] and not setup["calibrated"]:
        assert place["state"] == "active"
        assert place["said"] == page.evaluate(
            "JSON.parse(document.getElementById('tc-texts').textContent).place_checking"
        )
        assert seen["marks"] == []
    elif setup["viewOk"]:
        assert place["state"] == "ok"
        good = seen["viewWords"] if seen["verdict"] == "ok" else place["words"]["ok"]
        assert place["said"] == good
        assert seen["marks"] == []
    elif seen["verdict"] == "wait":
        assert place["state"] == "waiting" and place["said"] == seen["viewWords"]
        assert seen["marks"] == []
    else:
        assert place["state"] == "bad"
        bad = seen["viewWords"] if seen["verdict"] == "bad" else place["words"]["bad"]
        assert place["said"] == bad
        # The sketch's red "now" mark where the tracker says the camera is (side, feet end).
        assert seen["marks"] == ([view] if seen["verdict"] == "bad" else []), seen["marks"]
    # The tracker's camera advice in words, when it has any.
    assert seen["advice"] == (setup["advice"] or seen["advice"]) and seen["advice"]
    # The body check and the calibration, each in the template's words for its state.
    for key in ("body", "calib"):
        item = seen[key]
        assert item["state"] == setup[key], (key, item, setup)
        assert item["said"] == item["words"][item["state"]], (key, item)
    assert seen["body"]["state"] in {"ok", "bad", "none"}
    # The same three, in short over the camera view (a phone shows them at once).
    assert seen["chipsShown"]
    assert seen["chips"] == {
        "check-body": seen["body"]["state"],
        "check-place": place["state"],
        "check-calib": seen["calib"]["state"],
    }
    assert page.is_visible(".sketch-svg")
    return dict(seen)


@pytest.mark.browser
@pytest.mark.slow
def test_phone_setup_screen(server: Server, browser: Any, tmp_path: Path) -> None:
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    context.add_init_script(FREEZE)
    page = context.new_page()
    session_id = _start_practice(page, server, "sam@example.org")
    _setup_shows_the_trackers_verdict(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#setup-panel").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('setup-panel').scrollIntoView({block: 'start'})")
    _in_view(page, "#check-place", PHONE)
    _in_view(page, "#sharp", PHONE)
    page.screenshot(path=str(screenshot_dir(tmp_path) / "web_setup_phone.png"))
    page.evaluate("window.__frozen = false")
    _end(page, server, session_id)
    context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_laptop_setup_screen(server: Server, browser: Any, tmp_path: Path) -> None:
    context = browser.new_context(viewport=LAPTOP)
    context.add_init_script(FREEZE)
    page = context.new_page()
    session_id = _start_practice(page, server, "alex@example.org")
    seen = _setup_shows_the_trackers_verdict(page)
    for selector in ("#overlay", "#cue"):
        _in_view(page, selector, LAPTOP)
    # On a laptop the three checks are seen without scrolling, clear of the pinned stop, and
    # the sketch begins on the same screen (its foot may need a scroll under a long cue).
    boxes = seen["boxes"]
    for check in ("body", "place", "calib"):
        assert boxes[check]["bottom"] <= boxes["stop"]["top"] + 0.5, (check, boxes)
    assert boxes["sketch"]["top"] + 40 <= boxes["stop"]["top"], boxes
    page.screenshot(path=str(screenshot_dir(tmp_path) / "web_setup_laptop.png"))
    page.evaluate("window.__frozen = false")
    _end(page, server, session_id)
    context.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("viewport", [LANDSCAPE, SMALL_LANDSCAPE], ids=["844x390", "667x375"])
def test_phone_landscape_practice_fits_one_screen(
    server: Server, browser: Any, tmp_path: Path, viewport: dict[str, int]
) -> None:
    context = browser.new_context(
        viewport=viewport, has_touch=True, is_mobile=True, bypass_csp=True
    )
    context.add_init_script(FREEZE)
    page = context.new_page()
    session_id = _start_practice(page, server, "sam@example.org")
    # A live page (landmarks sent, cues and metrics back) with its set-up screen, held still.
    page.wait_for_function(
        "window.tcStats && window.tcStats.framesWithPerson >= 10 && window.tcStats.cues >= 1"
        " && window.tcStats.coachState !== undefined"
        " && !document.getElementById('setup-panel').hidden && (window.__frozen = true)",
        timeout=150_000,
    )
    page.evaluate("window.scrollTo(0, 0)")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    # Everything the practice needs, on one screen at once: the camera view and its gauge,
    # the cue, every pain button, and the stop.
    for selector in ("#overlay", "#gauge-readout", "#cue", "#sharp"):
        _in_view(page, selector, viewport)
    for level in range(11):
        _in_view(page, f".pain button[data-level='{level}']", viewport)
    # The camera view is not squeezed: at least a third of the screen's width, 4:3.
    box = page.locator("#overlay").bounding_box()
    assert box is not None and box["width"] >= viewport["width"] / 3
    # The set-up checks follow in the right-hand column (it scrolls by itself).
    page.locator("#check-place").scroll_into_view_if_needed()
    _in_view(page, "#check-place", viewport)
    _in_view(page, "#sharp", viewport)
    page.evaluate("window.scrollTo(0, 0)")
    page.locator(".side-col").evaluate("c => c.scrollTo(0, 0)")
    if viewport == LANDSCAPE:
        page.screenshot(path=str(screenshot_dir(tmp_path) / "web_phone_landscape.png"))
    # This layout (its column that scrolls by itself) has no serious axe violation either.
    found = a11y._axe(page, "landscape /practice/N")
    assert not found, "\n".join(found)
    page.evaluate("window.__frozen = false")
    _end(page, server, session_id)
    context.close()
