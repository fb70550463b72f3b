"""Languages (issue 18 item 9): every text a student reads or hears comes from the message
catalogues, complete in Spanish; the language comes from ``?lang=``, a cookie or the
browser's ``Accept-Language`` on the web and from ``--lang`` or the environment in the CLI.

A text added to a template, a rule or pose YAML file or one of the Python texts that
:func:`twistcoach.i18n.extract` reads fails :func:`test_every_student_text_is_translated`
until ``python -m twistcoach.i18n update`` has merged it into the Spanish ``.po`` and it is
translated there (``docs/languages.md``).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from students import CLINICAL_INTAKE as INTAKE
from students import PASSWORD
from twistcoach import i18n
from twistcoach.storage import create_engine_for_url, init_db
from twistcoach.web import WebSettings, create_app

#: English phrases of the pages a student sees in a session (sign-up to history): none may
#: be left on a Spanish page.
ENGLISH = (
    "Your plan",
    "Practise now",
    "How to do it",
    "Pain while you practise",
    "knees down to about",
    "Sign out",
    "Lie on your back",
    "Your back, today",
    "See my plan",
    "Choose one",
    "Sharp pain",
    "sharp pain",
    "Session",
    "stopped",
    "Pain reported",
    "not medical advice",
    "No sessions yet",
    "Supine twist",
    "allowed",
    "the cap",
)


def text_of(page: str) -> str:
    """The page's text (scripts and tags removed, entities decoded, one line)."""
    page = re.sub(r"<script\b.*?</script>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


# ------------------------------------------------------------------------ catalogues


def test_every_student_text_is_translated() -> None:
    texts = i18n.extract()
    assert len(texts) > 400  # templates, YAML texts, Python texts, the page script's words
    left = i18n.missing("es")
    assert not left, f"{len(left)} texts have no Spanish translation, e.g. {left[:5]}"


def test_translations_keep_their_placeholders() -> None:
    es = i18n._read_po("es")
    for text in i18n.extract():
        assert i18n.placeholders(es[text]) == i18n.placeholders(text), (text, es[text])


def test_the_compiled_catalogue_is_up_to_date() -> None:
    mo = i18n.LOCALE_DIR / "es" / "LC_MESSAGES" / "twistcoach.mo"
    assert mo.read_bytes() == i18n.compiled_bytes("es"), (
        "the .mo is older than the .po: run python -m twistcoach.i18n compile"
    )


def test_extraction_finds_each_kind_of_text() -> None:
    texts = i18n.extract()
    where = {place.split(":")[0].split(" ")[0] for places in texts.values() for place in places}
    assert {"web/templates/plan.html", "rules/coaching.yaml", "rules/wording.yaml"} <= where
    assert "poses/library/supine_twist_partial.yaml" in where
    assert "Practise now" in texts and "Why:" in texts  # a template's and the script's
    assert "Exhale, let your belly soften." in texts  # a cue
    assert "That's enough. Stay here." in texts


# ------------------------------------------------------------------ choosing a language


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        (None, None, None, "en"),
        (None, None, "es-ES,es;q=0.9,en;q=0.8", "es"),
        (None, None, "en-GB,en;q=0.9,es;q=0.8", "en"),
        (None, None, "fr-FR,fr;q=0.9,es;q=0.5", "es"),
        (None, None, "fr-FR, de", "en"),
        (None, None, "es;q=0, en", "en"),
        (None, None, "en;q=0.2, es-MX;q=0.7", "es"),
        (None, "es", "en", "es"),
        ("en", "es", "es", "en"),
        ("es", None, None, "es"),
        ("xx", None, "es", "es"),
        ("<script>", "nonsense", None, "en"),
    ],
)
def test_negotiate(
    query: str | None, cookie: str | None, accept: str | None, expected: str
) -> None:
    assert i18n.negotiate(query, cookie, accept) == expected


def test_language_from_the_environment() -> None:
    assert i18n.from_environment({}) == "en"
    assert i18n.from_environment({"LANG": "es_ES.UTF-8"}) == "es"
    assert i18n.from_environment({"LANG": "fr_FR.UTF-8"}) == "en"
    assert i18n.from_environment({"TWISTCOACH_LANG": "es", "LANG": "en_GB.UTF-8"}) == "es"
    assert i18n.from_environment({"TWISTCOACH_LANG": "xx", "LC_ALL": "es_MX"}) == "es"


# ------------------------------------------------------------------- translating cues


def test_every_cue_the_coach_can_say_is_translated() -> None:
    """Each coaching rule's text with the values the coach fills in (both sides, a cap,
    every camera advice of the tracker, every pose family) reads in Spanish."""
    from twistcoach.coaching import (
        CAMERA_FALLBACK_ADVICE,
        RulesError,
        load_coaching_rules,
        parse_coaching_rules,
    )
    from twistcoach.metrics import PoseFamily
    from twistcoach.recognition import ADVICE_RECOMMENDED, FAR_SIDE_ADVICE, VIEW_ADVICE
    from twistcoach.rulefiles import read_packaged

    tr = i18n.Translator("es", i18n._read_po("es"))
    advice = [a for a in VIEW_ADVICE.values() if a] + [
        FAR_SIDE_ADVICE,
        CAMERA_FALLBACK_ADVICE,
        "I cannot see your hips and shoulders. " + ADVICE_RECOMMENDED,
    ]
    families = [f.value.replace("_", " ") for f in PoseFamily]
    said = 0
    seated = parse_coaching_rules(read_packaged("rules/coaching_seated.yaml", RulesError))
    for rule in [*load_coaching_rules().rules, *seated.rules]:
        for side, seen in zip(("left", "right") * 4, families, strict=False):
            for words in advice:
                fmt = {
                    "side": side,
                    "cap": "35",
                    "advice": words,
                    "seen": seen,
                    "prescribed": families[0],
                    # planning's refusal when a session is withdrawn while it runs
                    "why": "Sharp pain stopped your practice today at 10:15. No twists for "
                    "the rest of today: rest and let it settle. You can come back tomorrow, "
                    "after a short check-in.",
                }
                english = " ".join(rule.text.format(**fmt).split())
                spanish = tr.text(english)
                assert spanish != english, english
                assert not re.search(r"\b(the|your|knees|left|right|camera)\b", spanish), spanish
                said += 1
        assert tr.text(rule.reason) != rule.reason
    assert said > 300
    assert not tr.missed
    cue = tr.text(
        "On an exhale, let both knees sink slowly towards your left, only as far as is "
        "comfortable. Keep both shoulders down."
    )
    assert "hacia su izquierda" in cue


def test_runtime_texts_keep_their_values() -> None:
    tr = i18n.translator("es")
    assert tr.text("allowed now, up to 45°") == "permitida ahora, hasta 45°"
    assert tr.text("Go easier. Come up a little; your range today is now 35 degrees.") == (
        "Más suave. Suba un poco; hoy su límite es ahora de 35 grados."
    )
    # A planning reason with its date, quoted without its full stop inside another text.
    assert tr.text("Sharp pain stopped a session on 2026-12-01 — waiting for review") == (
        "Un dolor punzante detuvo una sesión el 2026-12-01 — espera revisión"
    )
    assert tr.text("05 Dec") == "05 dic"
    assert tr.text("Stopped: sharp pain") == "Detenida: dolor punzante"
    # Something that is not in the catalogue stays as it is, and is remembered.
    fresh = i18n.Translator("es", {"Rest": "Descanso"})
    assert fresh.text("A brand new sentence nobody translated.") == (
        "A brand new sentence nobody translated."
    )
    assert fresh.missed == {"A brand new sentence nobody translated."}
    assert i18n.translator("en").text("Rest") == "Rest"


def test_texts_joined_one_after_another() -> None:
    """A refusal is planning's status, then its reasons, each a catalogued text or template
    (one of several sentences): cut into runs that each translate."""
    tr = i18n.Translator("es", i18n._read_po("es"))
    refusal = (
        "Allowed by your plan. Sharp pain stopped your practice today at 12:03. No twists "
        "for the rest of today: rest and let it settle. You can come back tomorrow, after a "
        "short check-in. Fill in the intake first: it decides which twists are safe for you."
    )
    assert tr.text(refusal) == (
        "Su plan lo permite. Un dolor punzante detuvo su práctica hoy a las 12:03. Nada de "
        "torsiones el resto del día: descanse y deje que se calme. Puede volver mañana, "
        "después de responder unas preguntas breves. Primero rellene el cuestionario: "
        "decide qué torsiones son seguras para usted."
    )
    half = "Allowed by your plan. This sentence is not in any catalogue."
    assert tr.text(half) == half and half in tr.missed
    assert not tr.missed - {half}


def test_a_list_is_joined_in_the_readers_language() -> None:
    """One way to join a list for people (twistcoach.i18n.join_words): "and" in English,
    "y" in Spanish ("e" before an /i/ sound, not before a diphthong)."""
    assert i18n.join_words([], "en") == ""
    assert i18n.join_words(["block"], "es") == "block"
    assert i18n.join_words(["mat", "blanket", "block"], "en") == "mat, blanket and block"
    assert i18n.join_words(["esterilla", "manta", "bloque"], "es") == "esterilla, manta y bloque"
    assert i18n.join_words(["derecha", "izquierda"], "es") == "derecha e izquierda"
    assert i18n.join_words(["agua", "hilo"], "es") == "agua e hilo"
    assert i18n.join_words(["agua", "Hilo"], "es") == "agua e Hilo"
    assert i18n.join_words(["agua", "hielo"], "es") == "agua y hielo"
    assert i18n.join_words(["a", "b"], "xx") == "a and b"  # a language we do not have


def test_a_list_inside_a_template_is_joined_again_in_spanish() -> None:
    """A staff message names twists joined in English ("A, B and C", names that hold
    ", " themselves): Spanish gets each name's translation, joined with "y"; several such
    messages joined with "; " each on its own (the last placeholder took the rest)."""
    from twistcoach.web import domain, services

    tr = i18n.Translator("es", i18n._read_po("es"))
    names = domain.variant_names()
    three = [
        names["supine_twist_supported"],
        names["supine_twist_full"],
        names["seated_twist_easy"],
    ]
    one = services.staff_words(
        "revived_one",
        who="Tess Teacher (teacher)",
        date="2026-12-01",
        twists=i18n.join_words(three),
    )
    two = services.staff_words(
        "revived_one",
        who="Dr Cleo (clinician)",
        date="2026-11-02",
        twists=names["seated_twist_easy"],
    )
    said = tr.text(services.staff_words("revives", clearances="; ".join([one, two])))
    spanish = i18n.join_words([tr.text(n) for n in three], "es")
    assert spanish.count(", ") == 2 and " y " in spanish  # the supported one holds ", "
    assert f"autorización de Tess Teacher (profesor/a) del 2026-12-01 ({spanish}); " in said
    easy = tr.text(names["seated_twist_easy"])
    assert f"autorización de Dr Cleo (profesional sanitario) del 2026-11-02 ({easy})." in said
    assert " and " not in said and "Supine" not in said and not tr.missed, said


def test_every_twist_has_its_own_name_in_every_language() -> None:
    """Variants may share a Sanskrit name (the part-way and the full supine twist): each
    language's name (alone, and with the Sanskrit one, as the pages show it) tells them
    apart, and none is left English in Spanish."""
    from twistcoach.poses import load_library

    library = load_library()
    for lang in i18n.LANGUAGES:
        tr = i18n.Translator(lang, {} if lang == "en" else i18n._read_po(lang))
        for sanskrit in (False, True):
            shown = [tr.text(n) for n in library.names(sanskrit=sanskrit).values()]
            assert len(set(shown)) == len(shown), (lang, shown)
        assert not tr.missed, tr.missed
    es = i18n.translator("es").text(library.name_of("supine_twist_partial", sanskrit=True))
    assert es == "Torsión boca arriba (a medias) (Supta Matsyendrasana)"


def test_socket_messages_are_localized() -> None:
    cue = {
        "type": "cue",
        "id": "stay_here",
        "text": "That's enough. Stay here.",
        "reason": "the knee drop is near today's personal cap",
        "priority": "correction",
    }
    out = i18n.localize_message(cue, "es")
    assert out["text"] == "Ya es suficiente. Quédese aquí."
    assert out["reason"] == "las rodillas están cerca de su límite de hoy"
    assert out["id"] == "stay_here"
    assert cue["text"] == "That's enough. Stay here."  # the original is not changed
    assert i18n.localize_message(cue, "en") == cue
    metrics = i18n.localize_message({"type": "metrics", "step": "Knees to the left"}, "es")
    assert metrics["step"] == "Rodillas hacia la izquierda"


def test_page_script_words() -> None:
    es = i18n.js_texts("es")
    assert set(es) == set(i18n.JS_TEXTS) | {"speech_lang"}
    assert es["speech_lang"] == "es-ES" and i18n.js_texts("en")["speech_lang"] == "en-GB"
    assert es["why"] == "Por qué:"
    for key, english in i18n.JS_TEXTS.items():
        assert es[key] != english, key


# ---------------------------------------------------------------- the web, in Spanish


@pytest.fixture()
def app(tmp_path: Path) -> Iterator[Any]:
    url = f"sqlite:///{tmp_path / 'i18n.db'}"
    engine = create_engine_for_url(url)
    init_db(engine)
    settings = WebSettings(database_url=url, password_time_cost=1, password_memory_kib=1024)
    yield create_app(settings)
    engine.dispose()


def _student(app: Any, headers: dict[str, str]) -> tuple[TestClient, str]:
    c = TestClient(app, raise_server_exceptions=False, follow_redirects=False, headers=headers)
    body = {"email": "ana@example.org", "display_name": "Ana", "password": PASSWORD}
    assert c.post("/api/signup", json=body).status_code == 202
    r = c.post("/api/signin", json={"email": "ana@example.org", "password": PASSWORD})
    assert r.status_code == 200, r.text
    csrf = str(r.json()["csrf_token"])
    assert c.post("/api/intake", json=INTAKE, headers={"X-CSRF-Token": csrf}).status_code == 200
    return c, csrf


def test_a_session_in_spanish_without_a_browser(app: Any) -> None:
    """Accept-Language es: every student page is Spanish, with no English left, the cues
    over the socket are Spanish, and the stop reads Spanish on the history and session pages."""
    tr = i18n.translator("es")
    tr.missed.clear()
    c, csrf = _student(app, {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    r = c.post(
        "/api/sessions",
        json={"variant_id": "supine_twist_partial", "start_pain": 2},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 201, r.text
    sid = int(r.json()["session_id"])
    with c.websocket_connect(f"/ws/practice/{sid}") as ws:
        ws.send_text(json.dumps({"type": "pain", "level": 3}))
        ws.send_text(json.dumps({"type": "sharp"}))
        messages = []
        while (message := ws.receive_json())["type"] != "stopped":
            messages.append(message)
    cues = [m for m in messages if m["type"] == "cue"]
    assert cues and cues[-1]["text"].startswith("Pare ahora."), cues
    assert message["text"].startswith("Pare ahora.")
    pages = ("/plan", "/intake", "/practice", f"/practice/{sid}", "/history", "/account")
    for path in (*pages, f"/sessions/{sid}"):
        page = c.get(path)
        assert page.status_code == 200, path
        assert '<html lang="es">' in page.text, path
        words = text_of(page.text)
        for phrase in ENGLISH:
            assert phrase not in words, (path, phrase, words)
    live = c.get(f"/practice/{sid}").text
    block = re.search(r'id="tc-texts">(.*?)</script>', live, re.S)
    assert block is not None
    words = json.loads(block.group(1))
    assert words["why"] == "Por qué:" and words["speech_lang"] == "es-ES"
    assert "Dolor punzante: parar" in live and "Antes de que empiece la guía" in live
    assert "lang-switch" not in live  # following it would reload the page, ending the session
    assert "lang-switch" in c.get("/plan").text
    plot = c.get(f"/sessions/{sid}/plot.png")
    assert plot.status_code == 200 and plot.headers["content-type"] == "image/png"
    history = text_of(c.get("/history").text)
    assert "se detuvo por dolor punzante" in history or "dolor punzante" in history
    assert "Torsión boca arriba (a medias)" in history
    assert not tr.missed, tr.missed


def test_lang_query_and_cookie(app: Any) -> None:
    c = TestClient(app, follow_redirects=False)
    page = c.get("/signin?lang=es")
    assert '<html lang="es">' in page.text and "Entrar" in text_of(page.text)
    assert page.headers["content-language"] == "es"
    assert page.cookies.get(i18n.COOKIE) == "es"
    again = c.get("/signup")  # the cookie keeps the choice
    assert '<html lang="es">' in again.text and "Crear mi cuenta" in text_of(again.text)
    english = c.get("/signup?lang=en")
    assert '<html lang="en">' in english.text and "Create my account" in text_of(english.text)
    plain = TestClient(app, follow_redirects=False).get("/signin")
    assert '<html lang="en">' in plain.text and "Sign in" in text_of(plain.text)


def test_error_pages_follow_the_language(app: Any) -> None:
    c = TestClient(app, raise_server_exceptions=False, headers={"Accept-Language": "es"})
    page = c.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert '<html lang="es">' in page.text and "Volver al inicio" in page.text


def test_dates_and_clock_are_not_touched() -> None:
    # A date written as numbers (ISO) passes through a template value unchanged.
    tr = i18n.translator("es")
    today = dt.date(2026, 12, 1).isoformat()
    assert today in tr.text(f"Sharp pain stopped a session on {today}.")


def test_form_errors_in_spanish(app: Any) -> None:
    tr = i18n.translator("es")
    tr.missed.clear()
    c = TestClient(app, follow_redirects=False, headers={"Accept-Language": "es"})
    page = c.get("/signup")
    pre = re.search(r'name="pre" value="([^"]*)"', page.text)
    assert pre is not None
    form = {"email": "nope", "display_name": "Ana", "password": "abc", "pre": pre.group(1)}
    refused = text_of(c.post("/signup", data=form).text)
    assert "Escriba una dirección de correo válida." in refused
    assert "La contraseña necesita de" in refused
    weak = dict(form, email="ana@example.org", password="password1234")
    assert "Esta contraseña es demasiado fácil de adivinar." in text_of(
        c.post("/signup", data=weak).text
    )
    assert not tr.missed, tr.missed


def test_intake_errors_in_spanish(app: Any) -> None:
    tr = i18n.translator("es")
    tr.missed.clear()
    c, _csrf = _student(app, {"Accept-Language": "es"})
    token = re.search(r'name="csrf_token" value="([^"]*)"', c.get("/intake").text)
    assert token is not None
    form = {"csrf_token": token.group(1), "age": "5", "pain_now": "dos", "activity": "light"}
    page = c.post("/intake", data=form)
    assert page.status_code == 422
    words = text_of(page.text)
    assert "Corrija los campos marcados abajo" in words
    assert "Tiene que ser 16 o más (escribió 5)" in words
    assert "Escriba un número entero (escribió 'dos')" in words
    assert "falta esta respuesta" in words
    assert "Input should" not in words and "required field" not in words
    assert not tr.missed, tr.missed


def test_the_check_in_after_sharp_pain_in_spanish(tmp_path: Path) -> None:
    """Sharp pain stops a session; the same day the practice page says why in Spanish, the
    next day it asks the check-in's three questions in Spanish."""
    start = dt.datetime(2026, 12, 1, 12, 0).astimezone()
    now = [start]
    url = f"sqlite:///{tmp_path / 'checkin.db'}"
    engine = create_engine_for_url(url)
    init_db(engine)
    settings = WebSettings(database_url=url, password_time_cost=1, password_memory_kib=1024)
    app = create_app(settings, clock=lambda: now[0])
    tr = i18n.translator("es")
    tr.missed.clear()
    c, csrf = _student(app, {"Accept-Language": "es"})
    r = c.post(
        "/api/sessions",
        json={"variant_id": "supine_twist_partial", "start_pain": 2},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 201, r.text
    with c.websocket_connect(f"/ws/practice/{r.json()['session_id']}") as ws:
        ws.send_text(json.dumps({"type": "sharp"}))
        while ws.receive_json()["type"] != "stopped":
            pass
    now[0] = start + dt.timedelta(minutes=5)
    today = text_of(c.get("/practice").text)
    assert "Ahora no se pueden practicar torsiones." in today
    assert "Nada de torsiones el resto del día" in today
    now[0] = start + dt.timedelta(days=1)
    page = text_of(c.get("/practice").text)
    assert "Primero, unas preguntas" in page
    assert "¿Tiene debilidad nueva en una pierna o un pie" in page
    assert "Enviar mis respuestas" in page and "Mejor" in page and "Peor" in page
    for phrase in ("Check in", "Better", "Worse", "Yes", "Sharp pain", "your back"):
        assert phrase not in page, phrase
    assert not tr.missed, tr.missed
    engine.dispose()


def test_a_flag_quoted_without_its_full_stop_after_a_bracket_is_translated() -> None:
    # The roster quotes a rule's sentence without its full stop; one ending in ")" stayed
    # English under a Spanish dashboard.
    tr = i18n.translator("es")
    said = tr.text(
        "Pain went up in 2 of your recent sessions (the last on 2026-12-07) — waiting for review"
    )
    assert said == (
        "El dolor subió en 2 de sus últimas sesiones (la última, el 2026-12-07) — espera revisión"
    )
    assert tr.text("3 over the cap") == "por encima del límite: 3"
