"""A whole session in Spanish, in real headless Chromium (issue 18 item 9).

The browser says it prefers Spanish (Playwright's ``locale="es-ES"`` sends
``Accept-Language: es-ES``): a new student signs up, signs in, fills in the intake, reads the
plan, starts a session and practises with the fake camera (the shared clip) while the coach's
cues come over the socket in Spanish and are spoken with ``lang`` ``es-ES`` (a fake
``speechSynthesis`` records what the page asks of it), reports pain, ends the session and
reads the history and the session page. Every page says ``<html lang="es">`` and its visible
text has none of the English words a page of this app would use; the server's translator
found nothing it could not translate.

The same server, fake camera and browser as ``test_web_e2e.py`` (its fixtures, a fresh
instance for this module).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import test_web_e2e as e2e
from test_web_e2e import Server, _wait, screenshot_dir
from twistcoach import i18n

server = e2e.server
browser = e2e.browser
fake_camera = e2e.fake_camera

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "una contraseña larga de prueba"
#: English words that the app's pages and cues use and Spanish does not (whole words).
ENGLISH = re.compile(
    r"\b(the|your|you|and|with|knees?|twists?|pain|Practise|Sign|Session|Stop|stopped|"
    r"allowed|camera|back|Why|Start|Rest|Hold|History|Account|up to|cap)\b"
)

#: A fake speechSynthesis: records each utterance's text and language.
FAKE_SPEECH = """
(() => {
  const log = { spoken: [], langs: [], current: null };
  const synth = {
    get speaking() { return false; },
    get pending() { return false; },
    speak(u) { log.spoken.push(u.text); log.langs.push(u.lang); },
    cancel() {},
    getVoices() { return []; },
  };
  Object.defineProperty(window, "speechSynthesis", { value: synth, configurable: true });
  window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ""; };
  window.__speech = log;
})();
"""


def _spanish_page(page: Any, where: str) -> str:
    """The page's visible text in <main>, checked: the page is marked Spanish and no English
    word of the app is left (the language switch and what is marked ``lang="en"``, the
    CLINICAL.md sources quoted for a clinician, left out)."""
    assert page.evaluate("document.documentElement.lang") == "es", where
    text = str(
        page.evaluate(
            """() => { const main = document.querySelector("main").cloneNode(true);
                 main.querySelectorAll(".lang-switch, [lang=en]").forEach(e => e.remove());
                 document.body.appendChild(main); const t = main.innerText; main.remove();
                 return t; }"""
        )
    )
    found = ENGLISH.search(text)
    assert found is None, f"{where}: English {found.group(0)!r} in: {text[:1500]}"
    nav = str(page.inner_text("header"))
    assert ENGLISH.search(nav) is None, f"{where}: header {nav}"
    return text


def test_a_whole_session_in_spanish(server: Server, browser: Any, tmp_path: Path) -> None:
    tr = i18n.translator("es")
    tr.missed.clear()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-ES")
    context.add_init_script(FAKE_SPEECH)
    page = context.new_page()
    base = server.base

    page.goto(base + "/signup")
    text = _spanish_page(page, "sign-up")
    assert "Crear mi cuenta" in text
    page.fill("#display_name", "Lucía")
    page.fill("#email", "lucia@example.org")
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(base + "/signin?msg=signed_up")
    assert "su cuenta está lista" in _spanish_page(page, "sign-in")
    page.fill("#email", "lucia@example.org")
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(base + "/plan")
    assert "Todavía no tiene un plan." in _spanish_page(page, "plan before the intake")

    page.goto(base + "/intake")
    text = _spanish_page(page, "intake")
    assert "Su espalda, hoy" in text and "la zona de la entrepierna" in text
    page.fill("#field-age", "52")
    page.fill("#field-pain_now", "2")
    page.fill("#field-pain_duration_weeks", "20")
    page.select_option("#field-activity", "light")
    page.select_option("#field-leg_symptoms", "none")
    page.check("input[name=conditions][value=chronic_low_back_pain]")
    page.click("form.card button[type=submit]")
    page.wait_for_url(base + "/plan")
    text = _spanish_page(page, "plan")
    assert "Puede practicar las torsiones marcadas como permitidas" in text
    assert "Hoy puede practicar:" in text and "Cómo hacerla" in text
    assert "Túmbese boca arriba con las rodillas dobladas" in text
    page.click("#all-twists summary")
    page.click("#why summary")
    _spanish_page(page, "plan, opened")

    page.click("text=Practicar ahora")
    page.wait_for_url(base + "/practice")
    text = _spanish_page(page, "practice start")
    page.select_option("#variant", "supine_twist_partial")
    page.check("input[name=start_pain][value='2']")
    page.click("#start-form button[type=submit]")
    page.wait_for_url(f"{base}/practice/*")
    session_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    _spanish_page(page, "practice")
    assert page.inner_text("#sharp").startswith("Dolor punzante")

    # Landmarks flow from the browser's pose estimation; the coach's cues come back Spanish.
    page.wait_for_function(
        "window.tcStats && window.tcStats.framesWithPerson >= 30 && window.tcStats.cues >= 1",
        timeout=150_000,
    )
    stats = page.evaluate("window.tcStats")
    assert stats["errors"] == 0
    # The side-on clip gets camera advice first: on the set-up panel, in Spanish.
    assert "cámara" in page.inner_text("#setup-advice")
    # The docs' picture of the Spanish practice page (docs/languages.md).
    page.screenshot(path=str(screenshot_dir(tmp_path) / "web_phone_practice_es.png"))
    page.click(".pain button[data-level='3']")
    _wait(
        lambda: 3 in server.repo.get_session(session_id).summary.pain_reports,
        10,
        "the pain report to be stored",
    )
    page.wait_for_function("window.tcStats.cues >= 2", timeout=30_000)  # "Más suave..."
    page.click("#end")
    page.wait_for_function("window.tcStats.stopped === true", timeout=20_000)
    spoken = page.evaluate("window.__speech")
    assert spoken["spoken"], "nothing was spoken"
    assert set(spoken["langs"]) == {"es-ES"}
    for said in spoken["spoken"]:
        assert ENGLISH.search(said) is None, said
    assert any(said.startswith("Más suave.") for said in spoken["spoken"]), spoken
    assert any(said.startswith("Paramos.") for said in spoken["spoken"]), spoken
    text = _spanish_page(page, "practice, ended")
    assert "Sesión terminada" in page.inner_text("#status")
    for item in page.locator("#cue-log li").all_inner_texts():
        assert ENGLISH.search(item) is None, item

    page.goto(base + "/history")
    text = _spanish_page(page, "history")
    assert "Torsión boca arriba (a medias)" in text and "usted la ha terminado" in text
    page.goto(f"{base}/sessions/{session_id}")
    text = _spanish_page(page, "session")
    assert "Qué pasó" in text and "Dolor anotado: 3 sobre 10" in text
    page.goto(base + "/account")
    _spanish_page(page, "account")
    assert not tr.missed, tr.missed
    context.close()


def test_staff_pages_in_spanish(server: Server, browser: Any) -> None:
    # The dashboard, a student's page, the care plan and the audit trail were English under
    # a Spanish menu (only the student's pages were translated).
    from twistcoach.storage.demo import DEMO_PASSWORD

    tr = i18n.translator("es")
    tr.missed.clear()
    context = browser.new_context(locale="es-ES")
    page = context.new_page()
    e2e._sign_in(page, server.base, "clinician@example.org", DEMO_PASSWORD)
    page.goto(server.base + "/dashboard")
    text = _spanish_page(page, "dashboard")
    assert "Sus alumnos" in text and "Necesita atención" in text
    person = page.locator("#roster tr[data-person]").first.get_attribute("data-person")
    for path, said in (
        (f"/students/{person}", "Registrar una autorización"),
        (f"/students/{person}/care-plan", "Guardar el plan"),
        ("/audit", "leyó el registro"),
    ):
        page.goto(server.base + path)
        assert said in _spanish_page(page, path), path
    assert not tr.missed, tr.missed
    context.close()
