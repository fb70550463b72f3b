"""A practice a person in pain can follow (issue 18), in real headless Chromium.

The same server, fake camera and browser as ``test_web_e2e.py`` (its fixtures, a fresh
instance for this module). On a phone (390 x 844) and a laptop (1280 x 820):

- every page fits the width (no horizontal scrolling), the nav keeps History and Sign out
  on screen, plots fit (a phone gets the plot drawn for its screen), and no internal id
  reaches the page's visible text;
- the red "Sharp pain — stop" button stays inside the viewport through a live session,
  even under a very long cue; it is the first Tab stop; Esc presses it
  (``aria-keyshortcuts``); after the stop every button looks disabled, and the stop cue is
  logged once;
- speech is never cancelled by a cue that is not a safety cue (a fake ``speechSynthesis``
  records what the page asks of it), and camera advice stays on its set-up panel;
- Start is tapped without ``force``, and the gauge's text is readable (at least 14 px);
- on phones held upright (an iPhone 13's 390 x 664 page, an iPhone SE's 320 x 568) the cue
  and the set-up checks are on the first screen above the pinned pain check-in and stop,
  with a wide or a tall camera picture, in English and Spanish, and the stop's advice after a
  pain stop too; the gauge's words never over the picture (its dial); the page ends with room
  for the pinned bars; on phones on their side (839 x 412, 750 x 340, 568 x 320) every pain
  button and the stop are at least 44 x 44 px to tap and none is cut off, the cue and the
  set-up checks clear of the stop (a camera that never answers holds these pages on their
  first screen, the camera view sized as a camera's picture would size it);
- the set-up screen says how to stand a phone (on its side) and that the coach cannot hear.

The phone's screenshot of the practice page is ``docs/img/web_phone_practice.png`` (written
there only with ``TWISTCOACH_UPDATE_SCREENSHOTS=1``).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

import test_web_e2e as e2e
from test_web_e2e import Server, _sign_in, _wait, screenshot_dir
from twistcoach.storage.demo import DEMO_PASSWORD

# The e2e module's fixtures, a fresh instance of each for this module.
server = e2e.server
browser = e2e.browser
fake_camera = e2e.fake_camera

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 820}
#: Words made of ids (snake_case, rule ids): never in what a person reads.
RAW_ID = re.compile(r"\b[a-z]+_[a-z_]+\b|\b(?:SAFE|SCR|PROG|COACH)-[A-Z-]+|CLINICAL\.md")

#: A fake speechSynthesis: records speak/cancel; "speaking" until the test ends it.
FAKE_SPEECH = """
(() => {
  const log = { spoken: [], cancels: 0, current: null };
  const synth = {
    get speaking() { return log.current !== null; },
    get pending() { return false; },
    speak(u) { log.spoken.push(u.text); log.current = u; },
    cancel() { log.cancels += 1; log.current = null; },
    getVoices() { return []; },
  };
  Object.defineProperty(window, "speechSynthesis", { value: synth, configurable: true });
  window.SpeechSynthesisUtterance = function (text) { this.text = text; this.onend = null; };
  window.__speech = log;
  window.__speechEnd = () => {
    const u = log.current; log.current = null; if (u && u.onend) u.onend();
  };
})();
"""


def _visible_text(page: Any) -> str:
    """What a person reads in <main> (closed <details> are not rendered, so not read)."""
    return str(page.locator("main").inner_text())


def _fits(page: Any, width: int, where: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{where}: {scroll} px wide on a {width} px screen"


def _in_view(page: Any, selector: str, viewport: dict[str, int]) -> None:
    box = page.locator(selector).first.bounding_box(timeout=5000)
    assert box is not None, f"{selector} is not shown"
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= viewport["width"] + 0.5, box
    assert box["y"] + box["height"] <= viewport["height"] + 0.5, box


def _session_of(server: Server, email: str) -> int:
    account = server.repo.find_account(email)
    assert account is not None
    person = server.repo.person_for_account(account.id)
    assert person is not None
    return int(server.repo.list_sessions(person.id)[0].session.id)


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_every_page_fits_and_speaks_plainly(
    server: Server, browser: Any, viewport: dict[str, int]
) -> None:
    width = viewport["width"]
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    for path in ("/signin", "/signup"):
        page.goto(server.base + path)
        _fits(page, width, path)
        _in_view(page, "header nav a[href='/signup']", viewport)
    _sign_in(page, server.base, "sam@example.org", DEMO_PASSWORD)
    session_id = _session_of(server, "sam@example.org")
    for path in ("/plan", "/intake", "/practice", "/history", f"/sessions/{session_id}"):
        page.goto(server.base + path)
        _fits(page, width, path)
        text = _visible_text(page)
        assert not RAW_ID.search(text), f"{path}: {RAW_ID.search(text)}"
        # The nav keeps every page and Sign out on screen.
        for link in ("/plan", "/practice", "/history"):
            _in_view(page, f"header nav a[href='{link}']", viewport)
        _in_view(page, "header .signout button", viewport)
        for img in page.locator("main img, main svg.progress-svg").all():
            box = img.bounding_box()
            assert box is not None and box["x"] + box["width"] <= width, path
    # The plan: what you may do today and "Practise now" first, the pose shown, a reason
    # said once, sources kept in the closed disclosure, the pain rule that the coach keeps.
    page.goto(server.base + "/plan")
    now = page.locator("text=Practise now")
    assert now.bounding_box()["y"] < viewport["height"], "Practise now is below the fold"
    assert page.locator("#how ol.steps li").count() >= 8
    assert page.locator("#how svg.pose-svg").count() >= 2
    text = _visible_text(page)
    assert "rises 2 points from where you started" in text
    paragraphs = [p for p in text.split("\n") if len(p) > 60]
    assert len(paragraphs) == len(set(paragraphs)), "a paragraph is repeated"
    assert page.locator("details#why").get_attribute("open") is None
    assert "CLINICAL.md" in page.locator("details#why").text_content()
    # The intake asks the CLI's plain questions and pre-sets nothing it must not.
    page.goto(server.base + "/intake")
    assert "genitals or inner thighs" in _visible_text(page)
    # Activity is a required choice: "Choose one…" comes first (Sam's own answer is kept).
    assert page.locator("#field-activity option[value=''][disabled]").count() == 1
    # The session's plot: on a phone the drawing made for its screen (labels readable once
    # shrunk to it), on a laptop the wide one; either loaded, never a broken image.
    for path in (f"/sessions/{session_id}", "/history"):
        page.goto(server.base + path)
        plot = page.locator(".plot img").first
        plot.evaluate("img => img.complete || new Promise(done => img.onload = done)")
        drawn = plot.evaluate("img => [img.currentSrc, img.naturalWidth]")
        assert ("narrow=true" in drawn[0]) == (width <= 600), (path, drawn)
        assert drawn[1] == (600 if width <= 600 else 900), (path, drawn)
    # History: a picture of progress across sessions.
    page.goto(server.base + "/history")
    assert page.locator("#progress svg circle").count() >= 3
    context.close()

    staff = browser.new_context(viewport=viewport)
    page = staff.new_page()
    _sign_in(page, server.base, "teacher@example.org", DEMO_PASSWORD)
    person = server.repo.get_session(session_id).session.person_id
    for path in ("/dashboard", f"/students/{person}", f"/sessions/{session_id}"):
        page.goto(server.base + path)
        _fits(page, width, path)
        _in_view(page, "header .signout button", viewport)
        text = _visible_text(page)
        assert not RAW_ID.search(text), f"{path}: {RAW_ID.search(text)}"
    # What needs the teacher's attention is on screen next to each name, on a phone too.
    page.goto(server.base + "/dashboard")
    _in_view(page, "#roster tr[data-person] td.attention .flag", viewport)
    page.goto(f"{server.base}/sessions/{session_id}")
    assert page.locator("#timeline li").count() >= 5  # a readable timeline, in words
    assert "Pain reported: 4 out of 10" in page.inner_text("#timeline")
    page.goto(f"{server.base}/students/{person}")
    assert page.locator("#progress svg").count() == 1
    staff.close()


def _start_practice(page: Any, server: Server, email: str) -> int:
    _sign_in(page, server.base, email, DEMO_PASSWORD)
    page.goto(server.base + "/practice")
    # Start pain is a required choice: nothing is pre-selected.
    assert page.locator("input[name=start_pain]:checked").count() == 0
    page.check("input[name=start_pain][value='2']")
    page.click("#start-form button[type=submit]")  # a plain tap: nothing covers it
    page.wait_for_url(f"{server.base}/practice/*")
    return int(page.url.rsplit("/", 1)[1].split("?")[0])


def _stop_checks(page: Any, viewport: dict[str, int]) -> None:
    # In view wherever the page is scrolled to (it is pinned, not just near the top).
    for where in ("document.documentElement.scrollHeight", "0"):
        page.evaluate(f"window.scrollTo(0, {where})")
        _in_view(page, "#sharp", viewport)
    assert page.get_attribute("#sharp", "aria-keyshortcuts") == "Escape"
    _fits(page, viewport["width"], "practice")


def test_phone_practice_stop_is_always_there_and_esc_stops(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    context.add_init_script(FAKE_SPEECH)
    page = context.new_page()
    session_id = _start_practice(page, server, "sam@example.org")
    _stop_checks(page, PHONE)
    # The stop is the first Tab stop.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "sharp"
    page.evaluate("document.activeElement.blur()")
    page.wait_for_function(
        "window.tcStats && window.tcStats.framesWithPerson >= 20 && window.tcStats.cues >= 1",
        timeout=150_000,
    )
    _stop_checks(page, PHONE)
    # The side-on clip gets camera advice: on the set-up panel, said once, kept there.
    page.wait_for_function("!document.getElementById('setup-panel').hidden")
    assert "camera" in page.inner_text("#setup-advice").lower()
    # The gauge's text is readable on a phone.
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.getElementById('gauge-drop')).fontSize)"
    )
    assert size >= 14
    page.wait_for_function("window.tcStats.gaugeFontCssPx !== null")
    # ... and said to screen readers in words (a polite live region, not five times a second).
    page.wait_for_function(
        "document.getElementById('gauge-said').textContent.startsWith('Knee drop')"
    )
    assert page.get_attribute("#gauge-said", "aria-live") == "polite"
    assert page.evaluate("window.tcStats.gaugeFontCssPx") >= 14
    shots = screenshot_dir(tmp_path)
    page.screenshot(path=str(shots / "web_phone_practice.png"))

    # Speech: a guidance cue waits for the one being spoken; only a safety cue interrupts.
    page.evaluate("window.__speech.cancels = 0")
    long_text = "Breathe and rest. " * 60
    page.evaluate(
        "t => window.tcHandle({type: 'cue', id: 'hold', text: t, priority: 'guidance',"
        " reason: 'the knees have settled'})",
        long_text,
    )
    _stop_checks(page, PHONE)  # a very long cue does not push the stop away
    # In one turn of the page's event loop, so that no cue from the coach comes between
    # (the clip's set-up cue repeats; it would rightly take the waiting place).
    got = page.evaluate(
        """() => {
          window.tcHandle({type: 'cue', id: 'breathe_in', text: 'Breathe in.',
                           priority: 'breath', reason: 'paced breathing'});
          const waited = window.__speech.spoken.slice(-1)[0];
          const cancels = window.__speech.cancels;
          const reason = document.getElementById('cue-reason').textContent;
          window.__speechEnd();
          return {waited, cancels, reason, then: window.__speech.spoken.slice(-1)[0]};
        }"""
    )
    assert got["cancels"] == 0
    assert got["waited"] != "Breathe in."  # waiting for the paragraph to end
    assert got["then"] == "Breathe in."
    assert "Why: paced breathing" in got["reason"]

    # Esc stops at once; the server records sharp pain.
    page.keyboard.press("Escape")
    assert page.evaluate("window.tcStats.stopped") is True
    assert page.evaluate("window.__speech.cancels") == 1  # the stop interrupts speech
    _wait(
        lambda: server.repo.get_session(session_id).session.status != "running",
        10,
        "the server to stop the session",
    )
    assert server.repo.get_session(session_id).session.stop_reason == "sharp_pain"
    page.wait_for_function("window.tcStats.stopReason === 'sharp_pain'", timeout=10_000)
    time.sleep(0.3)
    # One stop cue in the log, no id anywhere, and disabled buttons look disabled.
    log = page.locator("#cue-log li").all_inner_texts()
    assert sum(1 for line in log if line.startswith("Stop now")) == 1, log
    shown = page.inner_text("#practice")
    assert not RAW_ID.search(shown), RAW_ID.search(shown)
    for selector in ("#sharp", "#end", ".pain button[data-level='3']"):
        assert page.is_disabled(selector)
        opacity = page.evaluate(
            f'parseFloat(getComputedStyle(document.querySelector("{selector}")).opacity)'
        )
        assert opacity < 0.6, selector
    _stop_checks(page, PHONE)
    context.close()


def test_laptop_stop_stays_in_view_under_long_cues(server: Server, browser: Any) -> None:
    context = browser.new_context(viewport=LAPTOP)
    context.add_init_script(FAKE_SPEECH)
    page = context.new_page()
    session_id = _start_practice(page, server, "alex@example.org")
    # The first Tab stop, before the header's links.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "sharp"
    page.evaluate("document.activeElement.blur()")
    page.wait_for_function("window.tcStats && window.tcStats.cues >= 1", timeout=150_000)
    _stop_checks(page, LAPTOP)
    for k in range(3):
        page.evaluate(
            "t => window.tcHandle({type: 'cue', id: 'camera_advice', text: t,"
            " priority: 'guidance', reason: 'the camera view'})",
            f"Move the camera {k}. " + "Put it higher, out to one side of the mat. " * 20,
        )
        _stop_checks(page, LAPTOP)
    assert page.locator("#how ol.steps li").count() >= 8  # the pose's steps, on the page
    page.click("#end")
    _wait(
        lambda: server.repo.get_session(session_id).session.status != "running",
        15,
        "the session to end",
    )
    context.close()


def test_staff_read_stored_moments_on_their_own_clock(server: Server, browser: Any) -> None:
    # The audit trail was shown in UTC with no label: a clinician in New York read a read of
    # the record at 18:00 that happened at 13:00 their time.
    import datetime as dt
    import zoneinfo

    context = browser.new_context(viewport=LAPTOP, timezone_id="America/New_York")
    page = context.new_page()
    _sign_in(page, server.base, "clinician@example.org", DEMO_PASSWORD)
    person = server.repo.get_session(_session_of(server, "sam@example.org")).session.person_id
    page.goto(f"{server.base}/students/{person}")  # a read of the record, audited
    page.goto(server.base + "/audit")
    first = page.locator("#audit time").first
    instant = dt.datetime.fromisoformat(str(first.get_attribute("datetime")))
    local = instant.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    assert first.inner_text() == f"{local:%Y-%m-%d %H:%M}"  # no longer "... UTC"
    assert first.get_attribute("title") == f"{instant:%Y-%m-%d %H:%M} UTC"
    context.close()


#: A camera that never answers: the page stays on its first screen (no picture, no coach),
#: so its layout is measured at once; the camera view is then sized as a picture sizes it.
NO_ANSWER = "navigator.mediaDevices.getUserMedia = () => new Promise(() => {});"
#: A camera's picture, as the page's canvas takes its size: wide (the clip's) or tall (a
#: phone's camera held upright).
WIDE, TALL = (480, 270), (270, 480)
#: The boxes that matter on a phone's first screen (CSS px, the viewport's), and where the
#: pinned bars begin: the stop, and the pain check-in above it where it is pinned.
FIRST_SCREEN = """
() => {
  const box = sel => {
    const el = document.querySelector(sel);
    if (!el || el.closest("[hidden]")) return null;
    const r = el.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom,
             width: r.width, height: r.height };
  };
  const pain = document.querySelector(".pain-block");
  const pinned = getComputedStyle(pain).position === "fixed";
  const stop = box("#stopbar");
  return {
    barsTop: pinned ? Math.min(stop.top, box(".pain-block").top) : stop.top,
    header: box("header"), cue: box("#cue"), chips: box("#setup-chips"),
    chip: [...document.querySelectorAll("#setup-chips .chip")].map(c => {
      const r = c.getBoundingClientRect(); return { top: r.top, bottom: r.bottom }; }),
    readout: box("#gauge-readout"), picture: box("#overlay"), side: box(".side-col"),
    sideScroller: getComputedStyle(document.querySelector(".side-col")).overflowY,
    sharp: box("#sharp"), end: box("#end"),
    pain: [...document.querySelectorAll(".pain button")].map(b => {
      const r = b.getBoundingClientRect();
      return { level: b.dataset.level, left: r.left, right: r.right, top: r.top,
               bottom: r.bottom, width: r.width, height: r.height }; }),
  };
}
"""


def _first_screen(
    browser: Any,
    server: Server,
    viewport: dict[str, int],
    lang: str,
    picture: tuple[int, int],
) -> tuple[Any, int]:
    """A started session's page on a phone in ``lang``, held on its first screen, the camera
    view sized as a ``picture`` (width, height) sizes it and the gauge reading a number; and
    the session's id. Alex's (Sam's practice may be locked by the sharp-pain test)."""
    context = browser.new_context(viewport=viewport, has_touch=True, is_mobile=True)
    context.add_init_script(NO_ANSWER)
    page = context.new_page()
    page.goto(f"{server.base}/signin?lang={lang}")
    session_id = _start_practice(page, server, "alex@example.org")
    page.evaluate(
        """([w, h, words]) => {
          const view = document.getElementById("overlay");
          view.width = w; view.height = h;
          document.getElementById("gauge-drop").textContent = words + " -37°";
        }""",
        [picture[0], picture[1], "Rodillas:" if lang == "es" else "Knees:"],
    )
    page.evaluate("window.scrollTo(0, 0)")
    return page, session_id


def _end_without_camera(page: Any, server: Server, session_id: int) -> None:
    """End the session (stored as not practised: it never had a camera) and close the page."""
    page.click("#end")
    _wait(
        lambda: server.repo.get_session(session_id).session.status != "running",
        15,
        "the session to end",
    )
    page.context.close()


def _tap_targets(seen: dict[str, Any]) -> None:
    """Every pain button and the stop at least 44 x 44 CSS px (WCAG 2.5.5)."""
    for b in seen["pain"]:
        assert b["width"] >= 43.5 and b["height"] >= 43.5, b
    assert seen["sharp"]["height"] >= 43.5 and seen["sharp"]["width"] >= 43.5, seen["sharp"]


def _clear_of_the_bars(
    page: Any, seen: dict[str, Any], where: str, names: tuple[str, ...] = ("cue", "chips")
) -> None:
    """``names`` (the cue, the set-up checks) on the first screen above the pinned bars; and
    scrolled to the end, the page's last words above them too."""
    bars = seen["barsTop"]
    for name in names:
        assert seen[name] is not None, (where, name)
        assert seen[name]["top"] >= seen["header"]["bottom"] - 0.5, (where, name, seen[name])
        assert seen[name]["bottom"] <= bars + 0.5, (where, name, seen[name], bars)
    # Scrolled to the end, the page's last words are above the bars too (it ends with room
    # for them: nothing stays under them).
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    last = page.evaluate(
        "(() => { const r = document.querySelector('main').lastElementChild"
        ".getBoundingClientRect(); return r.bottom; })()"
    )
    again = page.evaluate(FIRST_SCREEN)["barsTop"]
    assert last <= again + 0.5, (where, last, again)
    page.evaluate("window.scrollTo(0, 0)")


UPRIGHT = {"iphone13": {"width": 390, "height": 664}, "iphone_se": {"width": 320, "height": 568}}


@pytest.mark.parametrize(
    ("phone", "lang", "picture"),
    [
        ("iphone13", "es", WIDE),
        ("iphone13", "en", TALL),
        ("iphone_se", "en", WIDE),
        ("iphone_se", "es", TALL),
    ],
)
def test_upright_phone_shows_the_cue_and_set_up_checks_above_the_pinned_bars(
    server: Server,
    browser: Any,
    tmp_path: Path,
    phone: str,
    lang: str,
    picture: tuple[int, int],
) -> None:
    # The red team's iPhone 13 had the cue at y=612 under the pinned bars (from 504), an
    # iPhone SE had it off screen, and a tall picture pushed the set-up checks under them.
    viewport = UPRIGHT[phone]
    page, session_id = _first_screen(browser, server, viewport, lang, picture)
    seen = page.evaluate(FIRST_SCREEN)
    where = f"{phone} {lang} {picture}"
    _clear_of_the_bars(page, seen, where)
    for chip in seen["chip"]:
        assert chip["bottom"] <= seen["barsTop"] + 0.5, (where, chip)
    # The gauge's words never lie over the picture (its dial is drawn at the picture's top).
    assert seen["readout"]["bottom"] <= seen["picture"]["top"] + 0.5, (where, seen)
    _tap_targets(seen)
    _fits(page, viewport["width"], where)
    # The set-up screen says how a phone stands, and that the coach does not hear.
    setup = page.inner_text("#setup-panel")
    if lang == "en":
        assert "turn it on its side (landscape)" in setup and "cannot hear you" in setup
    else:
        assert "póngalo de lado (en horizontal)" in setup and "no le oye" in setup
    page.screenshot(path=str(tmp_path / f"upright_{phone}_{lang}_{picture[0]}x{picture[1]}.png"))
    _end_without_camera(page, server, session_id)


def test_upright_phone_shows_a_pain_stops_advice_whole(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    # After a pain stop the red team read its advice cut off behind the bars.
    page, _ = _first_screen(browser, server, UPRIGHT["iphone13"], "en", WIDE)
    advice = (
        "Let's stop here. Your pain has gone up by 2 points or more since you started. Bring"
        " your knees back to the centre slowly and rest. If it is still higher tomorrow"
        " morning, scale back next time; if that happens twice, ask your teacher or clinician."
    )
    page.evaluate(
        """t => {
          window.tcHandle({type: "cue", id: "stop_pain", text: t, priority: "safety",
                           reason: "pain went up"});
          window.tcHandle({type: "stopped", reason: "pain", status: "stopped", text: t});
        }""",
        advice,
    )
    page.evaluate("window.scrollTo(0, 0)")
    seen = page.evaluate(FIRST_SCREEN)
    assert page.inner_text("#cue") == advice
    assert seen["cue"]["bottom"] <= seen["barsTop"] + 0.5, seen
    _clear_of_the_bars(page, seen, "after a pain stop", ("cue",))
    page.screenshot(path=str(tmp_path / "upright_pain_stop.png"))
    page.context.close()  # stopped here only: the next start replaces the session


ON_ITS_SIDE = {
    "pixel7": {"width": 839, "height": 412},
    "iphone13": {"width": 750, "height": 340},
    "iphone_se": {"width": 568, "height": 320},
}


@pytest.mark.parametrize(
    ("phone", "lang", "picture"),
    [
        ("pixel7", "en", WIDE),
        ("iphone13", "es", WIDE),
        ("iphone_se", "en", WIDE),
        ("iphone_se", "es", (640, 480)),
    ],
)
def test_phone_on_its_side_has_44_px_targets_none_cut_off(
    server: Server,
    browser: Any,
    tmp_path: Path,
    phone: str,
    lang: str,
    picture: tuple[int, int],
) -> None:
    # The red team measured pain buttons of 28 x 37 (Pixel 7), 21 x 37 (iPhone 13) and
    # 17 x 37 with "10" cut off (iPhone SE), and a stop 38 px tall.
    viewport = ON_ITS_SIDE[phone]
    page, session_id = _first_screen(browser, server, viewport, lang, picture)
    page.locator(".side-col").evaluate("c => c.scrollTo(0, 0)")
    seen = page.evaluate(FIRST_SCREEN)
    where = f"{phone} {lang} {picture}"
    _tap_targets(seen)
    assert seen["end"]["height"] >= 43.5, (where, seen["end"])
    # No pain button cut off: each wholly inside the screen and inside its column.
    side = seen["side"]
    for b in seen["pain"]:
        assert b["left"] >= side["left"] - 0.5 and b["right"] <= side["right"] + 0.5, (where, b)
        assert b["right"] <= viewport["width"] + 0.5, (where, b)
        # ... and all on the first screen with the cue, above the stop.
        assert b["top"] >= side["top"] - 0.5 and b["bottom"] <= seen["barsTop"] + 0.5, (where, b)
    _fits(page, viewport["width"], where)
    # The cue, the set-up checks and the camera view clear of the stop; the column beside
    # the camera view ends above it (it scrolls by itself).
    _clear_of_the_bars(page, seen, where)
    assert seen["picture"]["bottom"] <= seen["barsTop"] + 0.5, (where, seen["picture"])
    assert seen["side"]["bottom"] <= seen["barsTop"] + 0.5, (where, seen["side"])
    # The gauge's words stay clear of the dial, drawn in the picture's right part.
    assert seen["readout"]["right"] <= seen["picture"]["left"] + 0.6 * seen["picture"]["width"]
    page.screenshot(path=str(tmp_path / f"side_{phone}_{lang}.png"))
    _end_without_camera(page, server, session_id)
