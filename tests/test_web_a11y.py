"""Accessibility of the web app (issue 18, item 6), in real headless Chromium.

- axe-core (``frontend/node_modules/axe-core``, from npm; ``make`` installs it) runs on every
  page a student or a teacher sees, on a phone and on a laptop: no serious or critical
  violation. The script is injected by the test only (Playwright's ``add_script_tag``, in
  contexts that bypass the app's CSP for it), so the app serves nothing of it;
- the practice is usable by keyboard alone: the start pain is chosen and Start pressed with
  keys, then on the practice page a pain button is reached with Tab and pressed with Enter
  (the server records it) and the session is ended the same way;
- the gauge is said in a polite live region, the cues in an assertive one;
- the pages a person meets on the way: the check-in asked the day after a sharp-pain stop,
  the refusal that follows a bad check-in, an error page, a form with errors, and the
  running practice page with its set-up screen on a phone: no serious or critical violation
  at either size either.

One browser for the whole module; the fake camera is Chromium's own test pattern (no clip is
needed: nothing here waits for a person to be seen).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import test_web_e2e as e2e
from test_web_e2e import Server, _sign_in, _wait
from twistcoach.storage import Repository
from twistcoach.storage.demo import DEMO_PASSWORD

server = e2e.server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parents[1] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 820}

#: axe's violations of impact serious or critical, each as "rule: target (why)".
RUN_AXE = """
async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .flatMap(v => v.nodes.slice(0, 4).map(
      n => `${v.id} (${v.impact}): ${n.target.join(" ")}: ${n.failureSummary.replace(/\\s+/g, " ")}`
    ));
}
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with e2e.chromium_browser() as chromium:
        yield chromium


def _axe(page: Any, where: str) -> list[str]:
    """The page's serious and critical violations, each prefixed with where it was."""
    page.wait_for_load_state()
    page.add_script_tag(path=str(AXE))
    return [f"{where}: {line}" for line in page.evaluate(RUN_AXE)]


def _start_practice_by_keyboard(page: Any, server: Server) -> int:
    """Choose the start pain and press Start with keys only; the new session's id."""
    page.goto(server.base + "/practice")
    page.focus("#variant")
    page.keyboard.press("Tab")  # into the start pain's radio group
    assert page.evaluate("document.activeElement.name") == "start_pain"
    page.keyboard.press("Space")  # 0 chosen
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # 2
    assert page.locator("input[name=start_pain]:checked").get_attribute("value") == "2"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Start":
            break
    else:
        raise AssertionError("Start is not reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.base}/practice/*")
    return int(page.url.rsplit("/", 1)[1].split("?")[0])


def _session_of(server: Server, email: str) -> tuple[int, int]:
    account = server.repo.find_account(email)
    assert account is not None
    person = server.repo.person_for_account(account.id)
    assert person is not None
    return int(server.repo.list_sessions(person.id)[0].session.id), int(person.id)


def test_every_page_has_no_serious_axe_violation(server: Server, browser: Any) -> None:
    assert AXE.is_file(), "axe-core is missing: run `cd frontend && npm ci`"
    found: list[str] = []
    session_id, person_id = _session_of(server, "sam@example.org")
    for name, viewport in (("phone", PHONE), ("laptop", LAPTOP)):
        context = browser.new_context(viewport=viewport, bypass_csp=True)
        page = context.new_page()
        for path in ("/signin", "/signup"):
            page.goto(server.base + path)
            found += _axe(page, f"{name} {path}")
        _sign_in(page, server.base, "sam@example.org", DEMO_PASSWORD)
        for path in ("/intake", "/plan", "/practice", "/history", f"/sessions/{session_id}"):
            page.goto(server.base + path)
            found += _axe(page, f"{name} {path}")
        page.goto(server.base + "/account")
        found += _axe(page, f"{name} /account")
        context.close()

        staff = browser.new_context(viewport=viewport, bypass_csp=True)
        page = staff.new_page()
        _sign_in(page, server.base, "teacher@example.org", DEMO_PASSWORD)
        for path in ("/dashboard", f"/students/{person_id}", f"/sessions/{session_id}", "/account"):
            page.goto(server.base + path)
            found += _axe(page, f"{name} teacher {path}")
        staff.close()

        clinician = browser.new_context(viewport=viewport, bypass_csp=True)
        page = clinician.new_page()
        _sign_in(page, server.base, "clinician@example.org", DEMO_PASSWORD)
        for path, title in ((f"/students/{person_id}/care-plan", "Care plan"), ("/audit", "Who")):
            page.goto(server.base + path)
            assert title in page.title(), path  # the page itself, not an error page
            found += _axe(page, f"{name} clinician {path}")
        clinician.close()
    assert not found, "\n".join(found)


def test_practice_by_keyboard_alone_with_live_regions(server: Server, browser: Any) -> None:
    context = browser.new_context(viewport=LAPTOP, bypass_csp=True)
    page = context.new_page()
    _sign_in(page, server.base, "alex@example.org", DEMO_PASSWORD)
    session_id = _start_practice_by_keyboard(page, server)
    # The running practice page: axe finds nothing serious here either.
    found = _axe(page, "laptop /practice/N")
    assert not found, "\n".join(found)
    # The gauge in words (polite), the cues said at once (assertive).
    assert page.get_attribute("#gauge-said", "aria-live") == "polite"
    assert page.get_attribute("#cue", "aria-live") == "assertive"
    page.wait_for_function("window.tcStats !== undefined")
    _wait(
        lambda: (
            "Connected" in page.inner_text("#status") or page.evaluate("window.tcStats.cues") > 0
        ),
        30,
        "the practice page to reach the coach",
    )
    # Tab from the top: the stop comes first, then on to the pain buttons.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "sharp"
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.level") == "3":
            break
    else:
        raise AssertionError("the pain buttons are not reached with Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "pain 3"
    page.keyboard.press("Enter")
    _wait(
        lambda: any(
            e.event_id == "pain_reported" for e in server.repo.get_session(session_id).events
        ),
        15,
        "the pain report to reach the server",
    )
    # End session, also by keyboard.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "end":
            break
    else:
        raise AssertionError("End session is not reached with Tab")
    page.keyboard.press("Enter")
    _wait(
        lambda: server.repo.get_session(session_id).session.status != "running",
        15,
        "the session to end",
    )
    context.close()


def _sharp_pain_two_days_ago(server: Server, email: str) -> None:
    """A session stopped by sharp pain two days ago: planning now asks for a check-in."""
    account = server.repo.find_account(email)
    assert account is not None
    person = server.repo.person_for_account(account.id)
    assert person is not None
    then = server.repo.now() - dt.timedelta(days=2)
    dated = Repository(server.repo.engine, clock=lambda: then)
    session = dated.start_session(person.id, "supine_twist_partial", 30.0, "web", 2)
    dated.end_session(session.id, "stopped", "sharp_pain")


def test_checkin_refusal_errors_and_setup_screen_have_no_serious_axe_violation(
    server: Server, browser: Any
) -> None:
    found: list[str] = []
    _sharp_pain_two_days_ago(server, "sam@example.org")
    sizes = (("phone", PHONE), ("laptop", LAPTOP))
    pages = {name: browser.new_context(viewport=v, bypass_csp=True).new_page() for name, v in sizes}
    for name, page in pages.items():
        # A wrong password: the sign-in form with its error.
        page.goto(server.base + "/signin")
        page.fill("#email", "sam@example.org")
        page.fill("#password", "not the password")
        page.click("form.card button[type=submit]")
        page.wait_for_load_state()
        assert page.locator(".error").count() >= 1, "no error shown for a wrong password"
        found += _axe(page, f"{name} /signin (error)")
        _sign_in(page, server.base, "sam@example.org", DEMO_PASSWORD)
        # The check-in, asked before practice the day after a sharp-pain stop.
        page.goto(server.base + "/practice")
        assert page.locator("#checkin-form").count() == 1, "no check-in asked"
        found += _axe(page, f"{name} /practice (check-in)")
        # The intake with a field in error.
        page.goto(server.base + "/intake")
        page.fill("#field-age", "200")
        with page.expect_navigation():
            page.locator("#field-age").evaluate(
                "f => { f.form.noValidate = true; f.form.requestSubmit(); }"
            )
        assert page.locator(".error[data-field=age]").count() == 1, "no error for the age"
        found += _axe(page, f"{name} /intake (errors)")
        # An error page (a session that does not exist).
        response = page.goto(server.base + "/sessions/987654")
        assert response is not None and response.status == 404
        found += _axe(page, f"{name} /sessions/987654 (not found)")
    # A worse back at the check-in: practice is refused, saying why.
    page = pages["laptop"]
    page.goto(server.base + "/practice")
    page.check("input[name=back][value=worse]")
    page.check("input[name=new_leg_symptoms][value=no]")
    page.check("input[name=weakness_or_numbness][value=no]")
    page.click("#checkin-form button[type=submit]")
    page.wait_for_load_state()
    for name, page in pages.items():
        page.goto(server.base + "/practice")
        assert page.locator("#not-now").count() == 1, "practice is not refused"
        found += _axe(page, f"{name} /practice (refused)")
        page.context.close()
    # The running practice page on a phone, its set-up screen shown.
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    _sign_in(page, server.base, "alex@example.org", DEMO_PASSWORD)
    session_id = _start_practice_by_keyboard(page, server)
    page.wait_for_function("window.tcStats !== undefined")
    assert page.is_visible("#setup-panel") and page.is_visible(".sketch-svg")
    found += _axe(page, "phone /practice/N (set-up)")
    page.click("#end")
    _wait(
        lambda: server.repo.get_session(session_id).session.status != "running",
        15,
        "the session to end",
    )
    context.close()
    assert not found, "\n".join(found)
