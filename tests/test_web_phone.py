"""A new student on a phone (390 x 844), in English and Spanish, in real headless Chromium.

What a phone tester met, each checked as a person would meet it:

- a camera the browser refuses (blocked, missing, busy, or no camera API at all): the page
  says what happened and what to do in the page's language, never the browser's English
  reason, with a "Try again" button that asks for the camera again and, once allowed, goes
  on; a session ended without ever getting a camera is stored as interrupted because the
  camera was not available, never as practice stopped early, and history says so in the
  reader's language;
- the pain check-in ("Pain now?") is on screen while coaching, wherever the page is
  scrolled, each button tappable (nothing covers it), and "Sharp pain — stop" with it;
- every control (buttons, fields, links used as buttons, the intake's checkbox rows, the
  start pain's radios) is at least 44 x 44 CSS px to tap;
- the drawings' captions wrap inside their boxes in Spanish (no text cut off or overflowing);
- a student nobody follows, told that something waits for a teacher's or clinician's review,
  is shown where to add one; an address added there is listed as an address added, never as
  someone who follows them (whether it has an account is not said).

One browser for the module, without Chromium's "accept every camera request" flag: a context
is given the camera (``permissions``) or not, so a refusal is the browser's own. Its camera
is Chromium's test pattern (nothing here needs a person in view).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

import test_web_api as api
import test_web_e2e as e2e
from test_web_e2e import CHROMIUM, Server, _sign_in, _wait, sign_up_and_in
from twistcoach.storage import Repository
from twistcoach.storage.demo import DEMO_PASSWORD

server = e2e.server
world = api.world  # the socket test's app, in process

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}

#: The blocked-camera words on the page, by language (the start of each).
BLOCKED = {
    "en": "The camera is blocked for this page.",
    "es": "La cámara está bloqueada para esta página.",
}
#: The stored no-camera reason as history says it.
NO_CAMERA_WORDS = {"en": "the camera was not available", "es": "la cámara no estaba disponible"}

#: Every control a person taps on the page (a checkbox or radio inside a label: the label,
#: the whole row being its target), each "what WxH" when under 44 x 44 CSS px. Links inside
#: running text are not controls here (WCAG 2.5.5's inline exception).
SMALL_CONTROLS = """
() => {
  const sel = "button, input:not([type=hidden]), select, textarea, summary, a.button,"
    + " header nav a, .lang-switch a";
  const small = [];
  for (const el of document.querySelectorAll(sel)) {
    if (el.closest("[hidden]") || getComputedStyle(el).visibility === "hidden") continue;
    const label = el.matches("input[type=checkbox], input[type=radio]") && el.closest("label");
    const r = (label || el).getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // not rendered (a closed disclosure)
    if (r.width < 43.5 || r.height < 43.5) {
      const what = (el.id ? "#" + el.id : el.tagName.toLowerCase())
        + " '" + (el.textContent || el.value || el.name || "").trim().slice(0, 30) + "'";
      small.push(`${what} ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return small;
}
"""


@contextlib.contextmanager
def _browser() -> Iterator[Any]:
    """Debian's headless Chromium as ``test_web_e2e.chromium_browser`` launches it (offline,
    WebGL by SwiftShader, a fake camera), less the flag that accepts every camera request."""
    from playwright.sync_api import sync_playwright

    args = [
        "--no-sandbox",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-unsafe-swiftshader",
        "--use-gl=angle",
        "--use-angle=swiftshader",
        "--use-fake-device-for-media-stream",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ]
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with _browser() as chromium:
        yield chromium


def _phone(browser: Any, server: Server, lang: str, *, camera: bool) -> Any:
    """A phone's page in ``lang`` (the language cookie set by ``?lang=``), the camera given
    to the site or not."""
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        permissions=["camera"] if camera else [],
    )
    page = context.new_page()
    page.goto(f"{server.base}/signin?lang={lang}")
    return page


def _start(page: Any, server: Server, email: str) -> int:
    """Sign in, choose the start pain and start: the new session's id."""
    _sign_in(page, server.base, email, DEMO_PASSWORD)
    page.goto(server.base + "/practice")
    page.check("input[name=start_pain][value='2']")
    page.click("#start-form button[type=submit]")
    page.wait_for_url(f"{server.base}/practice/*")
    return int(page.url.rsplit("/", 1)[1].split("?")[0])


def _status(server: Server, session_id: int) -> tuple[str, str | None]:
    session = server.repo.get_session(session_id).session
    return str(session.status), session.stop_reason


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_blocked_camera_says_what_to_do_and_tries_again(
    server: Server, browser: Any, lang: str
) -> None:
    page = _phone(browser, server, lang, camera=False)
    session_id = _start(page, server, "sam@example.org")
    page.wait_for_selector("#camera-problem:not([hidden])", timeout=15_000)
    said = page.inner_text("#camera-problem-said")
    assert said.startswith(BLOCKED[lang]), said
    shown = page.inner_text("#practice")
    for raw in ("NotAllowedError", "Permission denied", "DOMException"):
        assert raw not in shown, raw
    assert page.evaluate("window.tcStats.cameraError") == "NotAllowedError"
    # The message and its button on the first screen, above the pinned check-in and stop.
    retry = page.locator("#camera-retry")
    box = retry.bounding_box()
    pinned = page.locator(".pain-block").bounding_box()
    assert box is not None and pinned is not None
    assert box["y"] + box["height"] <= pinned["y"], (box, pinned)
    assert box["height"] >= 44 and box["width"] >= 44
    # Nothing reached the coach yet: the session waits for the camera.
    assert _status(server, session_id) == ("running", None)
    assert not server.repo.get_session(session_id).events

    # The person allows the camera and taps "Try again": the coach starts.
    page.context.grant_permissions(["camera"], origin=server.base)
    retry.click()
    page.wait_for_function("window.tcStats.camera === 'started'", timeout=15_000)
    assert page.is_hidden("#camera-problem")
    page.wait_for_function("window.tcStats.framesSent >= 3", timeout=60_000)
    page.click("#end")
    _wait(lambda: _status(server, session_id)[0] != "running", 15, "the session to end")
    assert _status(server, session_id) == ("stopped", "quit")  # practice, ended by the person
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_session_that_never_had_a_camera_is_not_practice_stopped_early(
    server: Server, browser: Any, lang: str
) -> None:
    page = _phone(browser, server, lang, camera=False)
    session_id = _start(page, server, "alex@example.org")
    page.wait_for_selector("#camera-problem:not([hidden])", timeout=15_000)
    page.click("#end")
    _wait(lambda: _status(server, session_id)[0] != "running", 15, "the session to end")
    assert _status(server, session_id) == ("interrupted", "no_camera")
    page.wait_for_function("window.tcStats.stopReason === 'no_camera'", timeout=10_000)
    assert NO_CAMERA_WORDS[lang] in page.inner_text("#status")
    assert page.is_disabled("#camera-retry")
    # History says why, in the reader's words; the session is not counted as stopped early.
    page.goto(server.base + "/history")
    text = page.inner_text(f".session[data-session='{session_id}']")
    assert NO_CAMERA_WORDS[lang] in text, text
    assert "no_camera" not in text
    assert ("stopped early" if lang == "en" else "terminó antes de tiempo") not in text
    page.context.close()


@pytest.mark.parametrize(
    ("stub", "kind", "retry"),
    [
        (
            "Promise.reject(new DOMException('Requested device not found', 'NotFoundError'))",
            "missing",
            True,
        ),
        (
            "Promise.reject(new DOMException('Could not start video source', 'NotReadableError'))",
            "busy",
            True,
        ),
        (None, "unsupported", False),
    ],
    ids=["missing", "busy", "no-camera-api"],
)
def test_each_camera_problem_has_its_own_words(
    server: Server, browser: Any, stub: str | None, kind: str, retry: bool
) -> None:
    page = _phone(browser, server, "en", camera=True)
    if stub is None:  # a browser (or a page not served over https) with no camera API
        page.context.add_init_script(
            "Object.defineProperty(navigator, 'mediaDevices', {value: undefined});"
        )
    else:
        page.context.add_init_script("navigator.mediaDevices.getUserMedia = () => " + stub + ";")
    session_id = _start(page, server, "sam@example.org")
    page.wait_for_selector("#camera-problem:not([hidden])", timeout=15_000)
    assert page.evaluate("window.tcStats.camera") == kind
    words = page.locator("#camera-words").evaluate(
        f"t => t.content.querySelector('[data-kind={kind}]').textContent"
    )
    assert page.inner_text("#camera-problem-said") == words
    assert page.is_visible("#camera-retry") is retry
    page.click("#end")
    _wait(lambda: _status(server, session_id)[0] != "running", 15, "the session to end")
    assert _status(server, session_id) == ("interrupted", "no_camera")
    page.context.close()


def _end_over_the_socket(world: api.World, frames: int) -> tuple[dict[str, object], str, str]:
    """End a session with the no-camera reason after ``frames`` landmark frames: the
    ``stopped`` message, and the stored status and stop reason."""
    c, csrf = api.api_student(world, f"cam{frames}@example.org", "Cam")
    sid = api.start_session(c, csrf)
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        for k in range(frames):
            ws.send_text(json.dumps(api.frame(0.5 * k)))
        ws.send_text(json.dumps({"type": "end", "reason": "no_camera"}))
        while (message := ws.receive_json())["type"] != "stopped":
            pass
    session = world.repo.get_session(sid).session
    return message, str(session.status), str(session.stop_reason)


def test_the_server_believes_no_camera_only_when_no_frame_came(world: api.World) -> None:
    # Never a frame: nothing was practised, and the record says why.
    message, status, reason = _end_over_the_socket(world, 0)
    assert (message["status"], message["reason"]) == ("interrupted", "no_camera")
    assert (status, reason) == ("interrupted", "no_camera")
    # After frames, the same words are an ordinary end: a page cannot hide practice.
    message, status, reason = _end_over_the_socket(world, 2)
    assert (message["status"], message["reason"]) == ("stopped", "quit")
    assert (status, reason) == ("stopped", "quit")


#: Coaching, as the coach's metrics say it, and then, in the same turn of the page's event
#: loop, where each pain button and the stop are and what is on top of their middles.
COACHING_BOXES = """
() => {
  window.tcHandle({type: "metrics", t: 12, knee_drop: 18, cap: 40, stay: 32, state: "holding",
                   step: "Holding", view: "oblique", view_ok: true, advice: ""});
  const boxes = {};
  for (const el of document.querySelectorAll(".pain button, #sharp")) {
    const r = el.getBoundingClientRect();
    const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    boxes[el.dataset.level ?? el.id] = {left: r.left, top: r.top, right: r.right,
      bottom: r.bottom, width: r.width, height: r.height, reachable: top === el};
  }
  return {setupHidden: document.getElementById("setup-panel").hidden, boxes};
}
"""


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_pain_check_in_is_in_reach_while_coaching(
    server: Server, browser: Any, lang: str
) -> None:
    page = _phone(browser, server, lang, camera=True)
    session_id = _start(page, server, "sam@example.org")
    page.wait_for_function("window.tcStats.camera === 'started'", timeout=15_000)
    for where in ("0", "document.documentElement.scrollHeight", "400"):
        page.evaluate(f"window.scrollTo(0, {where})")
        seen = page.evaluate(COACHING_BOXES)
        assert seen["setupHidden"]
        assert set(seen["boxes"]) == {str(n) for n in range(11)} | {"sharp"}
        for name, box in seen["boxes"].items():
            assert box["left"] >= 0 and box["top"] >= 0, (where, name, box)
            assert box["right"] <= PHONE["width"] + 0.5, (where, name, box)
            assert box["bottom"] <= PHONE["height"] + 0.5, (where, name, box)
            assert box["width"] >= 44 and box["height"] >= 44, (where, name, box)
            assert box["reachable"], f"{name} is covered (scrolled to {where})"
        # The stop stays below the check-in, whole.
        assert seen["boxes"]["sharp"]["top"] >= max(
            seen["boxes"][str(n)]["bottom"] for n in range(11)
        )
    # A plain tap reports the pain to the coach.
    page.click(".pain button[data-level='3']")
    _wait(
        lambda: any(
            e.event_id == "pain_reported" for e in server.repo.get_session(session_id).events
        ),
        15,
        "the pain report to reach the server",
    )
    page.click("#end")
    _wait(lambda: _status(server, session_id)[0] != "running", 15, "the session to end")
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_control_is_44_px_to_tap(server: Server, browser: Any, lang: str) -> None:
    page = _phone(browser, server, lang, camera=True)
    small: list[str] = []
    for path in ("/signin", "/signup"):
        page.goto(server.base + path)
        small += [f"{path}: {s}" for s in page.evaluate(SMALL_CONTROLS)]
    _sign_in(page, server.base, "sam@example.org", DEMO_PASSWORD)
    for path in ("/plan", "/intake", "/practice", "/account", "/history"):
        page.goto(server.base + path)
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        small += [f"{path}: {s}" for s in page.evaluate(SMALL_CONTROLS)]
    # The intake's checkboxes are there to be measured (their rows are the targets).
    page.goto(server.base + "/intake")
    assert page.locator("fieldset.checklist input[type=checkbox]").count() >= 10
    session_id = _start(page, server, "sam@example.org")
    page.wait_for_function("window.tcStats.camera === 'started'", timeout=15_000)
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    small += [f"/practice/N: {s}" for s in page.evaluate(SMALL_CONTROLS)]
    page.click("#end")
    _wait(lambda: _status(server, session_id)[0] != "running", 15, "the session to end")
    page.context.close()
    assert not small, "\n".join(small)


#: Each caption and drawing text that does not fit its box: a figure's caption wider than
#: itself, or an SVG text outside its drawing (where it is cut off).
OVERFLOWS = """
() => {
  const out = [];
  for (const cap of document.querySelectorAll("figure figcaption")) {
    if (cap.scrollWidth > cap.clientWidth) out.push(`caption '${cap.textContent.trim()}'`);
    const fig = cap.closest("figure").getBoundingClientRect();
    const r = cap.getBoundingClientRect();
    if (r.left < fig.left - 0.5 || r.right > fig.right + 0.5) out.push(`caption out of figure`);
  }
  for (const text of document.querySelectorAll(".pose-svg text, .sketch-svg text")) {
    if (text.closest("[hidden]")) continue;
    const svg = text.closest("svg").getBoundingClientRect();
    const r = text.getBoundingClientRect();
    if (r.left < svg.left - 0.5 || r.right > svg.right + 0.5 || r.top < svg.top - 0.5
        || r.bottom > svg.bottom + 0.5) out.push(`drawing text '${text.textContent}'`);
  }
  return out;
}
"""


def test_the_spanish_drawings_captions_wrap_on_a_phone(server: Server, browser: Any) -> None:
    page = _phone(browser, server, "es", camera=True)
    _sign_in(page, server.base, "alex@example.org", DEMO_PASSWORD)
    page.goto(server.base + "/plan")
    captions = page.locator(".pose-pictures figcaption")
    assert captions.count() >= 2
    assert captions.first.inner_text().startswith("1. Túmbese")
    found = [f"/plan: {o}" for o in page.evaluate(OVERFLOWS)]
    session_id = _start(page, server, "alex@example.org")
    page.evaluate("document.getElementById('how').open = true")
    assert page.locator(".sketch-svg").count() == 1
    found += [f"/practice/N: {o}" for o in page.evaluate(OVERFLOWS)]
    page.click("#end")
    _wait(lambda: _status(server, session_id)[0] != "running", 15, "the session to end")
    page.context.close()
    assert not found, "\n".join(found)


def _sharp_pain_two_days_ago(repo: Repository, email: str) -> None:
    """A session stopped by sharp pain two days ago, not reviewed by anyone."""
    account = repo.find_account(email)
    assert account is not None
    person = repo.person_for_account(account.id)
    assert person is not None
    then = repo.now() - dt.timedelta(days=2)
    dated = Repository(repo.engine, clock=lambda: then)
    session = dated.start_session(person.id, "supine_twist_partial", 30.0, "web", 2)
    dated.end_session(session.id, "stopped", "sharp_pain")


def _answer_the_intake(page: Any, server: Server) -> None:
    """A student with long-standing back pain and no red flag answers the intake."""
    page.goto(server.base + "/intake")
    page.fill("#field-age", "41")
    page.fill("#field-pain_now", "2")
    page.fill("#field-pain_duration_weeks", "14")
    page.select_option("#field-activity", "light")
    page.select_option("#field-leg_symptoms", "none")
    page.check("input[name=conditions][value=chronic_low_back_pain]")
    page.click("form.card button[type=submit]")
    page.wait_for_url(server.base + "/plan")


def test_a_student_nobody_follows_is_shown_where_to_add_one(server: Server, browser: Any) -> None:
    page = _phone(browser, server, "en", camera=True)
    sign_up_and_in(page, server.base, "Kim", "kim@example.org")  # no teacher given
    _answer_the_intake(page, server)
    assert page.locator("#link-note").count() == 0  # nothing waits for anyone yet
    _sharp_pain_two_days_ago(server.repo, "kim@example.org")
    page.goto(server.base + "/plan")
    assert "review" in page.inner_text("#today")
    note = page.locator("#link-note")
    assert note.is_visible()
    assert "Nobody follows your practice yet" in note.inner_text()
    # The check-in asked before practice says the same where it names the review.
    page.goto(server.base + "/practice")
    assert page.locator("#checkin-form #link-note").is_visible()
    page.goto(server.base + "/plan")
    note.locator("a").click()
    page.wait_for_url(server.base + "/account#links")
    assert page.is_visible("#link-email")

    # An address is listed as an address added, never as someone who follows (nothing says
    # whether it has an account: the same words for a staff address and an unknown one).
    said = []
    for email in ("nobody-here@example.org", "teacher@example.org"):
        page.fill("#link-email", email)
        page.click("#link-form button[type=submit]")
        page.wait_for_url(server.base + "/account?msg=linked")
        said.append(page.inner_text(".flash"))
        assert email in page.inner_text("#links ul")
        assert "once it belongs to a teacher's or clinician's account" in page.inner_text(
            "#links-said"
        )
    assert said[0] == said[1]
    assert said[0].startswith("Saved. If that address belongs to a teacher or clinician")
    # With someone added the note gives way (whether they have an account is not said).
    page.goto(server.base + "/plan")
    assert page.locator("#link-note").count() == 0
    page.context.close()


def test_sharp_pain_after_the_session_ended_is_still_heard(server: Server, browser: Any) -> None:
    """Sharp pain felt coming out of the twist, after the person ended the session: the
    "Sharp pain — stop" button stays on the end screen, and pressing it stores the session as
    stopped for sharp pain, so the rest of the day is locked."""
    page = _phone(browser, server, "en", camera=True)
    sign_up_and_in(page, server.base, "Lee", "lee@example.org")
    _answer_the_intake(page, server)
    page.goto(server.base + "/practice")
    page.check("input[name=start_pain][value='2']")
    page.click("#start-form button[type=submit]")
    page.wait_for_url(f"{server.base}/practice/*")
    session_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    page.wait_for_function("window.tcStats.framesSent >= 3", timeout=60_000)
    page.click("#end")
    _wait(lambda: _status(server, session_id)[0] != "running", 15, "the session to end")
    assert _status(server, session_id) == ("stopped", "quit")
    page.wait_for_function("window.tcStats.stopped === true", timeout=10_000)
    assert page.is_disabled("#end") and page.is_enabled("#sharp")
    page.keyboard.press("Escape")  # a stray Esc after the end reports nothing
    assert _status(server, session_id) == ("stopped", "quit")
    page.click("#sharp")
    page.wait_for_function(
        "document.getElementById('status').textContent.includes('Sharp pain noted')",
        timeout=15_000,
    )
    assert _status(server, session_id) == ("stopped", "sharp_pain")
    assert page.is_disabled("#sharp")
    page.goto(server.base + "/practice")
    assert "rest of today" in page.inner_text("main")
    page.context.close()


#: The end pain's question on the page, by language.
END_PAIN_ASKED = {"en": "How is your back now?", "es": "¿Cómo está su espalda ahora?"}
END_PAIN_NOTED = {
    "en": "Thank you: your pain after the session is noted.",
    "es": "Gracias: queda anotado su dolor después de la sesión.",
}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_end_screen_asks_how_the_back_is_now_and_stores_it(
    server: Server, browser: Any, lang: str
) -> None:
    """Once the coach has finished, the page asks "How is your back now? 0-10" (the start
    pain's scale) with a skip: the answer is the session's "after" pain. The record closes
    as the coach finishes, so a pain given on the socket then was dropped: web sessions
    always read "not given" after."""
    page = _phone(browser, server, lang, camera=True)
    email = f"noa-{lang}@example.org"
    sign_up_and_in(page, server.base, "Noa", email)
    _answer_the_intake(page, server)
    page.goto(server.base + "/practice")
    page.check("input[name=start_pain][value='2']")
    page.click("#start-form button[type=submit]")
    page.wait_for_url(f"{server.base}/practice/*")
    session_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    assert page.is_hidden("#end-pain")  # not while coaching
    page.wait_for_function("window.tcStats.framesSent >= 3", timeout=60_000)
    page.click("#end")
    _wait(lambda: _status(server, session_id)[0] != "running", 15, "the session to end")
    page.wait_for_selector("#end-pain", state="visible", timeout=10_000)
    assert END_PAIN_ASKED[lang] in page.inner_text("#end-pain legend")
    assert page.locator("#end-pain input[name=end_pain]").count() == 11
    assert page.is_enabled("#sharp")  # sharp pain coming out of the twist still counts
    page.click("#end-pain-save")  # nothing chosen: asked to choose, nothing sent
    assert page.inner_text("#end-pain-said") != ""
    assert server.repo.get_session(session_id).session.end_pain is None
    page.check("#end-pain input[name=end_pain][value='6']")
    page.click("#end-pain-save")
    noted = json.dumps(END_PAIN_NOTED[lang])
    page.wait_for_function(
        f"document.getElementById('end-pain-said').textContent === {noted}", timeout=15_000
    )
    detail = server.repo.get_session(session_id)
    assert (detail.session.start_pain, detail.session.end_pain) == (2, 6)
    assert detail.summary.pain_reports == ()  # after, never "during" too
    assert page.is_disabled("#end-pain-save")
    page.context.close()


def test_the_end_pain_can_be_skipped_and_is_not_asked_after_sharp_pain(
    server: Server, browser: Any
) -> None:
    page = _phone(browser, server, "en", camera=True)
    sign_up_and_in(page, server.base, "Ola", "ola@example.org")
    _answer_the_intake(page, server)

    def practise() -> int:
        page.goto(server.base + "/practice")
        page.check("input[name=start_pain][value='2']")
        page.click("#start-form button[type=submit]")
        page.wait_for_url(f"{server.base}/practice/*")
        page.wait_for_function("window.tcStats.framesSent >= 3", timeout=60_000)
        return int(page.url.rsplit("/", 1)[1].split("?")[0])

    skipped = practise()
    page.click("#end")
    page.wait_for_selector("#end-pain", state="visible", timeout=15_000)
    page.click("#end-pain-skip")
    assert page.is_hidden("#end-pain")
    assert server.repo.get_session(skipped).session.end_pain is None
    # Sharp pain stops the next one: its advice alone, no question after it.
    sharp = practise()
    page.click("#sharp")
    _wait(lambda: _status(server, sharp) == ("stopped", "sharp_pain"), 15, "the sharp stop")
    page.wait_for_function("window.tcStats.stopReason === 'sharp_pain'", timeout=10_000)
    assert page.is_hidden("#end-pain")
    page.context.close()
