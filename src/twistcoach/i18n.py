"""The languages people read and hear: English and Spanish message catalogues (an edge module).

Every text a student reads or hears is English in the source (templates, the rule and pose
YAML files, the few Python constants and f-strings that make sentences) and is translated
where it is shown or said, from a gettext catalogue made with Babel:
``locale/<lang>/LC_MESSAGES/twistcoach.po`` (the translation people edit) compiled to
``twistcoach.mo`` (what is read at run time; committed, and a test checks it is up to date).
The English texts are the message ids, so English needs no catalogue.

Texts made at run time from a template (``"... towards your {side} ..."`` with ``left``
filled in; a planning reason with a date) are translated by :class:`Translator.text`: an
exact catalogue entry, else the catalogued template the text was made from (its values
translated in turn: ``left`` -> ``izquierda``; numbers, dates and names kept), else each
sentence on its own (camera advice is made of sentences joined). A text it cannot
translate stays English and is remembered in :attr:`Translator.missed` (tests assert
there are none on the pages of a Spanish session).

Where the language comes from: on the web, ``?lang=es`` (remembered in a cookie), else the
cookie, else the browser's ``Accept-Language``, else English (:func:`negotiate`); in the
CLI, ``--lang``, else ``TWISTCOACH_LANG``, else the locale (``LC_ALL``, ``LC_MESSAGES``,
``LANG``), else English (:func:`from_environment`).

Maintainers: ``python -m twistcoach.i18n update`` extracts every student-facing text
(:func:`extract`) into ``locale/twistcoach.pot``, merges it into each ``.po`` and compiles the
``.mo``; translate the new empty entries of the ``.po`` and run ``compile``
(``docs/languages.md``). ``check`` lists what is untranslated.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

#: The languages with a catalogue, the first the source language (message ids).
LANGUAGES: tuple[str, ...] = ("en", "es")
DEFAULT_LANGUAGE = "en"
#: The language names people choose from (in their own language).
LANGUAGE_NAMES: Mapping[str, str] = {"en": "English", "es": "Español"}
DOMAIN = "twistcoach"
#: Where the catalogues are, in the source tree (the package's ``locale`` folder).
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: The cookie that remembers a language chosen with ``?lang=`` on the web.
COOKIE = "tc_lang"
#: The environment variable the CLI reads (``--lang`` wins over it).
ENV_VAR = "TWISTCOACH_LANG"
#: espeak-ng's voice for each language (``espeak-ng --voices``: ``en``, ``es`` = Spain).
ESPEAK_VOICES: Mapping[str, str] = {"en": "en", "es": "es"}
#: The Web Speech API's ``SpeechSynthesisUtterance.lang`` (BCP 47) for each language.
SPEECH_LANGS: Mapping[str, str] = {"en": "en-GB", "es": "es-ES"}

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^{}]*)?\}")
_PERCENT = re.compile(r"%\(([A-Za-z_][A-Za-z0-9_]*)\)[sd]")
#: A sentence ends with . ! ? (or a closing bracket or quote after one) before a capital.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z¿¡\"'(])")
#: The dates written into a compiled catalogue's header, fixed so that compiling the same
#: .po always gives the same bytes (the test compares the committed .mo with a fresh one).
_EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_CACHE_MAX = 4096
_MISSED_MAX = 1000


def normalize(text: str) -> str:
    """The text with runs of white space made one space and the ends trimmed (message ids
    are compared in this form: a YAML text folded over lines is the same message)."""
    return " ".join(text.split())


def placeholders(text: str) -> set[str]:
    """The names of the ``{name}`` and ``%(name)s`` placeholders in a message."""
    return set(_PLACEHOLDER.findall(text)) | set(_PERCENT.findall(text))


# ---------------------------------------------------------------- choosing a language


def parse_language(value: str | None) -> str | None:
    """``"es"`` for ``"es"``, ``"es-MX"``, ``"es_ES.UTF-8"``; None when not a language we have."""
    if not value:
        return None
    primary = value.strip().replace("_", "-").split(".")[0].split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The best language we have from an HTTP ``Accept-Language`` header (by its ``q``
    weights, first listed first on a tie); None when it names none of ours."""
    if not header:
        return None
    best: tuple[float, int, str] | None = None
    for index, item in enumerate(header.split(",")[:32]):
        parts = item.strip().split(";")
        lang = parse_language(parts[0])
        if lang is None:
            continue
        q = 1.0
        for param in parts[1:]:
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        if best is None or (q, -index) > (best[0], -best[1]):
            best = (q, index, lang)
    return None if best is None else best[2]


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """A web request's language: ``?lang=``, else the cookie, else ``Accept-Language``,
    else English."""
    return (
        parse_language(query)
        or parse_language(cookie)
        or from_accept_language(accept_language)
        or DEFAULT_LANGUAGE
    )


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The CLI's default language: ``TWISTCOACH_LANG``, else the locale's (``LC_ALL``,
    ``LC_MESSAGES``, ``LANG``), else English."""
    env = os.environ if environ is None else environ
    for name in (ENV_VAR, "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            lang = parse_language(value)
            if lang is not None:
                return lang
            if name == ENV_VAR:
                continue
            return DEFAULT_LANGUAGE  # a locale is set, and it is not one of ours
    return DEFAULT_LANGUAGE


# ------------------------------------------------------------------------ translating


@dataclass(frozen=True)
class _Template:
    """A catalogued message with placeholders, as a pattern that finds its values."""

    pattern: re.Pattern[str]
    translated: str  # the translation, with format specs dropped (values are strings)
    literal: int  # characters that are not placeholders: more is more specific
    chunks: tuple[str, ...]  # the literal parts, in order (the first and last anchored)

    def could_match(self, text: str) -> bool:
        """A quick test before the pattern: the text starts and ends with the template's
        literal ends and holds its other literal parts (most templates fail here)."""
        first, last = self.chunks[0], self.chunks[-1]
        if not text.startswith(first) or not text.endswith(last):
            return False
        return all(chunk in text for chunk in self.chunks[1:-1])


def _compile_template(english: str, translated: str) -> _Template | None:
    """The template of a message with ``{name}`` placeholders (None for one without any,
    or one that is nothing but a placeholder such as ``"{advice}"``): each placeholder
    matches any text, a repeated one the same text again."""
    names: set[str] = set()
    pattern = ""
    last = 0
    chunks: list[str] = []
    for match in _PLACEHOLDER.finditer(english):
        chunks.append(english[last : match.start()])
        pattern += re.escape(english[last : match.start()])
        name = match.group(1)
        pattern += f"(?P={name})" if name in names else f"(?P<{name}>.+?)"
        names.add(name)
        last = match.end()
    pattern += re.escape(english[last:])
    chunks.append(english[last:])
    literal = len(_PLACEHOLDER.sub("", english).strip(" .,:;'\"()"))
    if not names or literal < 3:
        return None  # "{advice}": the value itself is what is translated
    plain = _PLACEHOLDER.sub(lambda m: "{" + m.group(1) + "}", translated)
    return _Template(re.compile(pattern, re.DOTALL), plain, literal, tuple(chunks))


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: A date as ``strftime("%d %b")`` (optionally with the year) writes it in English.
_DATE = re.compile(r"\b(\d{1,2}) (" + "|".join(_MONTHS) + r")\b")


@functools.cache
def _month_names(lang: str) -> tuple[str, ...]:
    """The abbreviated month names of ``lang`` (CLDR's, through Babel), January first."""
    from babel.dates import get_month_names

    names = get_month_names("abbreviated", locale=lang)
    return tuple(str(names[m]).rstrip(".") for m in range(1, 13))


#: The word that joins a list's last two items, by language ("A, B and C").
_AND: Mapping[str, str] = {"en": "and", "es": "y"}
#: Spanish writes "e" for "y" before a word that starts with the sound /i/ ("i", "hi"),
#: not before a diphthong ("agua y hielo", "cobre y iodo"): RAE, Ortografía 2010, 5.2.4.1.
_SPANISH_I_SOUND = re.compile(r"[hH]?[iíIÍ](?![aeiouáéíóúAEIOUÁÉÍÓÚ])")
#: How :func:`join_words` joins an English list, for :class:`Translator` to take apart.
_ENGLISH_LIST_SEP = re.compile(r"(, | and )")


def join_words(items: Iterable[str], lang: str = DEFAULT_LANGUAGE) -> str:
    """Items joined for people in ``lang``: ``"A"``, ``"A and B"``, ``"A, B and C"``
    (Spanish ``"A, B y C"``, and ``"A e Ibiza"`` before an /i/ sound). The one way a list
    of names is joined in a sentence or a cell people read: the web pages (``join_words``
    in templates), the staff forms' messages, the command line.

    Parameters
    ----------
    items
        The items, already in ``lang``.
    lang
        The language code (English for one we do not have).

    Returns
    -------
    str
        The joined items; empty for none.
    """
    said = [str(item) for item in items]
    if len(said) <= 1:
        return "".join(said)
    lang = parse_language(lang) or DEFAULT_LANGUAGE
    word = _AND.get(lang, _AND[DEFAULT_LANGUAGE])
    last = said[-1]
    if lang == "es" and _SPANISH_I_SOUND.match(last.lstrip()):
        word = "e"
    return f"{', '.join(said[:-1])} {word} {last}"


class Translator:
    """Translates English texts into one language (identity for English).

    Parameters
    ----------
    lang
        The language code (``"es"``).
    messages
        English message id -> translation (empty translations are left out).
    """

    def __init__(self, lang: str, messages: Mapping[str, str]) -> None:
        self.lang = lang
        self._messages = {normalize(k): v for k, v in messages.items() if k and v}
        compiled = [_compile_template(normalize(k), v) for k, v in self._messages.items()]
        self._templates = sorted((t for t in compiled if t is not None), key=lambda t: -t.literal)
        self._cache: dict[str, str | None] = {}
        #: Texts :meth:`text` could not translate (kept English), for tests and logs.
        self.missed: set[str] = set()

    @property
    def is_source(self) -> bool:
        """True for English, the language of the message ids."""
        return self.lang == DEFAULT_LANGUAGE

    def gettext(self, message: str) -> str:
        """The catalogue's translation of one message id (the id itself when there is none)."""
        if self.is_source:
            return message
        return self._messages.get(normalize(message), message)

    def text(self, value: str) -> str:
        """A text made at run time, translated (see the module docs); English when it
        cannot be, and then remembered in :attr:`missed`."""
        if self.is_source or not value or not value.strip():
            return value
        text = normalize(value)
        if _DATE.sub("", text).strip(" 0123456789") == "":  # only dates: "05 Dec 2026"
            return self._months(text)
        found = self._lookup(text, 0)
        if found is None:
            self._miss(text)
            return value
        return self._months(found)

    def _months(self, text: str) -> str:
        """English month abbreviations of ``%d %b`` dates in this language's words."""
        if _DATE.search(text) is None:
            return text
        names = _month_names(self.lang)
        return _DATE.sub(lambda m: f"{m.group(1)} {names[_MONTHS.index(m.group(2))]}", text)

    def _miss(self, text: str) -> None:
        if len(self.missed) < _MISSED_MAX:  # bounded: a long-running server keeps a sample
            self.missed.add(text)

    def _lookup(self, text: str, depth: int) -> str | None:
        if text in self._cache:
            return self._cache[text]
        found = self._find(text, depth)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[text] = found
        return found

    def _find(self, text: str, depth: int) -> str | None:
        exact = self._messages.get(text)
        if exact is not None:
            return exact
        if text[:1].isupper():  # "Sciatica" for the catalogue's "sciatica"
            lower = self._messages.get(text[:1].lower() + text[1:])
            if lower is not None:
                return lower[:1].upper() + lower[1:]
        if depth > 3:
            return None
        for template in self._templates:
            if not template.could_match(text):
                continue
            match = template.pattern.fullmatch(text)
            if match is None:
                continue
            values = {name: self._value(value, depth) for name, value in match.groupdict().items()}
            try:
                return template.translated.format(**values)
            except (KeyError, IndexError, ValueError):
                continue
        pieces = _SENTENCE_BREAK.split(text)
        if 1 < len(pieces) <= 24:
            said = self._sentences(pieces, depth)
            if said is not None:
                return said
        if text[-1:].isalnum() or text.endswith(")"):  # a sentence quoted without its full stop
            full = self._find(text + ".", depth + 1)
            if full is not None:
                return full.rstrip(".")
        if text.endswith(".") and text[-2:-1].isalnum():  # a phrase given a full stop
            bare = self._find(text[:-1], depth + 1)
            if bare is not None:
                return bare if bare.endswith((".", "!", "?")) else bare + "."
        return None

    def _sentences(self, pieces: list[str], depth: int) -> str | None:
        """Texts joined one after another (reasons, advice): the sentences cut into runs
        that are each a catalogued text or template, fewest runs first; None when no cut
        translates every run."""
        n = len(pieces)
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for end in range(1, n + 1):
            for start in range(end):
                before = best[start]
                if before is None or (start == 0 and end == n):
                    continue  # the whole text is not a run of itself here
                said = self._lookup(" ".join(pieces[start:end]), depth + 1)
                if said is not None and (
                    best[end] is None or len(before) + 1 < len(best[end] or [])
                ):
                    best[end] = [*before, said]
        found = best[n]
        return None if found is None else " ".join(found)

    def _value(self, value: str, depth: int) -> str:
        """A template's value: translated when it is a catalogued text (``left``), else as
        it is (a number, a date, a name); a list as :func:`join_words` joins it in English
        ("A, B and C") joined again in this language, each item translated; a list joined
        with "; " (the poses a staff form names) item by item."""
        items = value.split("; ")
        said: list[str | None] = []
        if len(items) > 1 and value not in self._messages:
            # Item by item first: a template could also match the whole run, its last
            # placeholder taking the rest ("X's clearance of D (A); Y's clearance of E (B)").
            said = [self._lookup(i, depth + 1) or self._list(i, depth) for i in items]
            if all(s is not None for s in said):
                return "; ".join(s for s in said if s is not None)
        found = self._lookup(value, depth + 1) or self._list(value, depth)
        if found is None and any(s is not None for s in said):
            return "; ".join(s if s is not None else i for s, i in zip(said, items, strict=True))
        if found is None and len(re.findall(r"[A-Za-z]{2,}", value)) >= 4:
            self._miss(value)  # words, not a name or a number: worth a translation
        return value if found is None else found

    def _list(self, value: str, depth: int) -> str | None:
        """An English list made by :func:`join_words` ("A, B and C"), each item a catalogued
        text, joined again in this language; None when it is not one. Items may hold
        ", " themselves ("Supine twist, supported"): the value is cut where every run is a
        catalogued text, ", " between them and " and " before the last, fewest runs first."""
        parts = _ENGLISH_LIST_SEP.split(value)
        pieces, seps = parts[0::2], parts[1::2]
        if " and " not in seps or len(pieces) > 24:
            return None
        n = len(pieces)

        def run(start: int, end: int) -> str | None:
            text = "".join(parts[2 * start : 2 * end - 1])
            return self._lookup(text, depth + 1)

        # commas[end]: pieces[:end] as runs joined by ", " (fewest runs), each translated.
        commas: list[list[str] | None] = [None] * (n + 1)
        commas[0] = []
        for end in range(1, n):
            for start in range(end):
                before = commas[start]
                if before is None or (start and seps[start - 1] != ", "):
                    continue
                said = run(start, end)
                if said is not None and (
                    commas[end] is None or len(before) + 1 < len(commas[end] or [])
                ):
                    commas[end] = [*before, said]
        best: list[str] | None = None
        for start in range(1, n):
            before = commas[start]
            if before is None or seps[start - 1] != " and ":
                continue
            said = run(start, n)
            if said is not None and (best is None or len(before) + 1 < len(best)):
                best = [*before, said]
        return None if best is None else join_words(best, self.lang)


def _read_catalogue(lang: str) -> dict[str, str]:
    """The compiled catalogue of ``lang`` as {English: translation}."""
    from babel.messages.mofile import read_mo

    mo = resources.files("twistcoach").joinpath(f"locale/{lang}/LC_MESSAGES/{DOMAIN}.mo")
    with mo.open("rb") as handle:
        catalog = read_mo(handle)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
    }


@functools.cache
def translator(lang: str) -> Translator:
    """The (shared, cached) translator of a language; English for an unknown code."""
    lang = parse_language(lang) or DEFAULT_LANGUAGE
    if lang == DEFAULT_LANGUAGE:
        return Translator(lang, {})
    return Translator(lang, _read_catalogue(lang))


# ------------------------------------------------------------------- the CLI's language

_cli_language: list[str] = []


def set_language(lang: str) -> None:
    """Choose the language of this process's command-line output (``--lang``)."""
    _cli_language[:] = [parse_language(lang) or DEFAULT_LANGUAGE]


def current_language() -> str:
    """The command line's language: what :func:`set_language` chose, else the environment's."""
    return _cli_language[0] if _cli_language else from_environment()


def t(text: str) -> str:
    """A text in the command line's language (:meth:`Translator.text`)."""
    return translator(current_language()).text(text)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The English message for ``n`` things: ``singular`` for exactly one, else ``plural``
    (``"{n} session on {first}."``, ``"{n} sessions from {first} to {last}."``).

    Each form is its own catalogue entry, translated where it is shown (:func:`t`, the
    ``| t`` filter, the templates' ``ngettext``, which calls this). That is gettext's plural
    rule for every language we have: English and Spanish both take the singular for 1 and
    the plural for every other number, 0 included (``Plural-Forms: nplurals=2; plural=(n !=
    1)``), so choosing the English form chooses the translation's. A language with other
    plural forms would need gettext's plural entries in its catalogue instead.
    """
    return singular if n == 1 else plural


# ---------------------------------------------------------------------------- Jinja2


def install(env: Any) -> None:
    """Add the i18n extension to a Jinja2 environment, with gettext that reads the page's
    ``lang`` (a context value; English when absent), the ``t`` filter for texts made at
    run time, the ``join_words`` filter (a list joined in the page's language:
    :func:`join_words`), and ``js_texts()`` (the practice page script's words,
    translated)."""
    from jinja2 import pass_context

    @pass_context
    def gettext(context: Any, message: str, **variables: Any) -> str:
        from markupsafe import Markup

        said = translator(str(context.get("lang") or DEFAULT_LANGUAGE)).gettext(message)
        rv: str = Markup(said) if context.eval_ctx.autoescape else said
        return rv % variables

    @pass_context
    def page_ngettext(context: Any, singular: str, plural: str, n: int, **variables: Any) -> str:
        from markupsafe import Markup

        chosen = ngettext(singular, plural, n)
        said = translator(str(context.get("lang") or DEFAULT_LANGUAGE)).gettext(chosen)
        rv: str = Markup(said) if context.eval_ctx.autoescape else said
        return rv % ({"num": n} | variables)

    @pass_context
    def translate_filter(context: Any, value: Any) -> str:
        if value is None:
            return ""
        return translator(str(context.get("lang") or DEFAULT_LANGUAGE)).text(str(value))

    @pass_context
    def join_filter(context: Any, items: Iterable[Any]) -> str:
        from markupsafe import Markup, escape

        lang = str(context.get("lang") or DEFAULT_LANGUAGE)
        if context.eval_ctx.autoescape:  # each item escaped once, the list kept as markup
            return Markup(join_words((str(escape(item)) for item in items), lang))
        return join_words((str(item) for item in items), lang)

    @pass_context
    def page_js_texts(context: Any) -> dict[str, str]:
        return js_texts(str(context.get("lang") or DEFAULT_LANGUAGE))

    for lang in LANGUAGES:  # read now, not in the middle of a page or a practice socket
        translator(lang)
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    env.newstyle_gettext = True
    env.globals.update(
        gettext=gettext,
        ngettext=page_ngettext,
        lang=DEFAULT_LANGUAGE,
        language_names=LANGUAGE_NAMES,
        js_texts=page_js_texts,
    )
    env.filters["t"] = translate_filter
    env.filters["join_words"] = join_filter


#: The practice page script's own words (static/practice.js reads them from the page, as
#: JSON rendered in the page's language): key -> English. ``{n}`` takes a number.
JS_TEXTS: Mapping[str, str] = {
    "why": "Why:",
    "session_ended": "Session ended: {words}.",
    "well_done": "well done",
    "stopped": "stopped",
    "sharp_pain": "sharp pain",
    "connection_closed": "the connection to the coach closed",
    "knees": "Knees:",
    "not_measured": "Knee drop not measured",
    "about": "Knee drop about {n}",
    "range_up_to": "range up to {n}",
    "up_to": "up to {n}",
    "cap": "cap {n}",
    "problem": "Problem:",
    "connected": "Connected. Lie on your back, knees bent, feet flat.",
    "stop_now": "Stop. Come back to the centre slowly and rest.",
    "sharp_noted": "Sharp pain noted: no more twists today. If it does not settle, or it "
    "comes back, see a healthcare professional.",
    "sharp_not_noted": "Sharp pain could not be recorded:",
    "end_pain_noted": "Thank you: your pain after the session is noted.",
    "end_pain_not_noted": "Your pain after the session could not be recorded:",
    "end_pain_choose": "Choose a number from 0 to 10, or skip.",
    "no_camera": "No camera:",
    "loading": "Loading the pose model…",
    "watching": "Watching. Follow the cues.",
    "pose_error": "Pose error:",
    # The pose model's files did not come (a failed or blocked request), or not in time.
    "model_failed": "The pose model could not be loaded, so the coach cannot see you yet. "
    "Check your internet connection, then press “Try again”.",
    "model_slow": "The pose model is taking a long time to load. Check your internet "
    "connection, then press “Try again” (or wait a little longer).",
    "model_status": "Pose model not loaded",
    # The camera's place before the coach has measured the starting position: the
    # tracker's first verdict, not yet a place it has measured from.
    "place_checking": "Looks right so far: the coach confirms it once it has measured your "
    "starting position.",
}


def js_texts(lang: str) -> dict[str, str]:
    """:data:`JS_TEXTS` in ``lang``, with ``speech_lang`` (the Web Speech API's language)."""
    tr = translator(lang)
    out = {key: tr.gettext(text) for key, text in JS_TEXTS.items()}
    out["speech_lang"] = SPEECH_LANGS.get(tr.lang, SPEECH_LANGS[DEFAULT_LANGUAGE])
    return out


# ------------------------------------------------------------- the practice socket


def localize_message(message: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """A practice-socket message (``practice.py``'s protocol) with its texts in ``lang``:
    a cue's text and reason, the metrics' step, an error's message, the stop's text."""
    out = dict(message)
    tr = translator(lang)
    if tr.is_source:
        return out
    kind = out.get("type")
    keys = {
        "cue": ("text", "reason"),
        "metrics": ("step", "advice"),
        "error": ("message",),
        "stopped": ("text", "words"),
        "status": ("text",),
    }.get(str(kind), ())
    for key in keys:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = tr.text(value)
    return out


# ----------------------------------------------------------------- what is translated

#: Texts Python code makes with f-strings or joins (outside the YAML files and the
#: constants :func:`extract` reads), as the templates the translator matches. Each names
#: the function that makes it: change one there, change it here.
RUNTIME_TEXTS: tuple[str, ...] = (
    # web.domain.verdict_words
    "allowed now, up to {cap}°",
    "allowed by your plan, but the coach cannot measure it yet",
    "not now",
    # web.domain.flag_words
    "{flag} — waiting for review",
    "{flag} — waiting for a clinician's review",
    # wording.timeline
    "Pain reported: {level} out of 10",
    "Pain reported",
    # web.domain.suggestion_view
    "no measured cap",
    # screening.screen: a rule's text with its cap
    "{text} ({what} at most {limit} degrees)",
    "knee drop",
    "trunk rotation",
    # recognition.recognize (hips or shoulders not visible), joined with ADVICE_RECOMMENDED
    "I cannot see your hips and shoulders.",
    # coaching.Coach.step_text and coaching._coach._label (the reason's value, spaced)
    "Waiting for you",
    "Set up",
    "Calibrating",
    "Knees to the {side}",
    "Entering",
    "Hold ({side})",
    "Hold",
    "Back to the centre",
    "Rest, then the other side",
    "Rest",
    "Done",
    "Paused",
    "Stopped",
    "Paused: {reason}",
    "Stopped: {reason}",
    "tracking lost",
    "camera view",
    "user",
    "pain high",
    "pain rise",
    "wrong pose",
    "quit",
    # metrics.Side, said in cues ("towards your {side}")
    "left",
    "right",
    # cli/screening_cmds.render_plan (a variant's status) and cli/storage_cmds.progress
    # (progression.Action, spaced)
    "needs clearance",
    "not allowed",
    "start",
    "keep",
    "raise cap",
    "lower cap",
    "pause",
    "see clinician",
    "unlock variant",
    # web.services.validate_signup, web.security.password_problem (with zxcvbn 4.5's
    # feedback, each sentence), web.services.add_link, web.services.sign_in
    "Give your name (1 to 200 characters).",
    "Give a valid e-mail address.",
    "Give a valid e-mail address, or leave it empty.",
    "Give the e-mail address of your teacher or clinician.",
    "Wrong e-mail or password.",
    "The password needs {low} to {high} characters.",
    "The password cannot be only spaces.",
    "The password cannot be your e-mail address.",
    "This password is too easy to guess.",
    "Capitalization doesn't help very much.",
    "Dates are often easy to guess.",
    "No need for symbols, digits, or uppercase letters.",
    "Recent years are easy to guess.",
    "Reversed words aren't much harder to guess.",
    "Use a few words, avoid common phrases.",
    "A word by itself is easy to guess.",
    "Add another word or two.",
    "Uncommon words are better.",
    "Avoid dates and years that are associated with you.",
    "Avoid recent years.",
    "Avoid repeated words and characters.",
    "Avoid sequences.",
    "Avoid years that are associated with you.",
    "Common names and surnames are easy to guess.",
    "Names and surnames by themselves are easy to guess.",
    'Repeats like "aaa" are easy to guess.',
    'Sequences like "abc" or "6543" are easy to guess.',
    "Short keyboard patterns are easy to guess.",
    "Straight rows of keys are easy to guess.",
    "This is a top-10 common password.",
    "This is a top-100 common password.",
    "This is a very common password.",
    "This is similar to a commonly used password.",
    "Use a longer keyboard pattern with more turns.",
    # web.domain.validate_intake (pydantic's messages, as intake.describe_validation_error
    # words them) for what the intake form can send
    "required field is missing",
    "Input should be greater than or equal to {n} (got {got})",
    "Input should be less than or equal to {n} (got {got})",
    "Input should be a valid integer, unable to parse string as an integer (got {got})",
    "Input should be a valid number, unable to parse string as a number (got {got})",
    "Input should be a valid integer, got a number with a fractional part (got {got})",
    # planning.decision.PracticeDecision.refusal, with no reason
    "not allowed now",
    # web.services (what a student may meet)
    "Session {id} is still running in another window: end it there first (or close that window).",
    "You can link at most {n} people; remove one first.",
    "this page is for students; teachers and clinicians use the dashboard",
    "The current password is wrong.",
    "no check-in is needed now",
    # web.services.visible_person and visible_session: the one 404 for an unknown id and
    # for one that is not the viewer's
    "There is no such student, or not one you may see.",
    "There is no such session, or not one you may see.",
    # kinematics.calibrate and tracking: why a calibration was refused (analyze's warning
    # when a video never calibrated)
    "no frames to calibrate from: lie on your back, knees up",
    "you moved while calibrating: lie still, knees up, for a moment",
    "your knees seem dropped to one side: bring them up to the middle",
    "bend your knees so they point up, feet flat on the floor",
    "the knees look dropped to one side",
    # session.CAP_LOWERED_WORDS: why a running session stops when its plan's cap went down
    "Your plan's range for this twist is now {cap}°: start again to practise within it.",
    # web.practice: why the practice socket refuses (shown on the practice page)
    "sign in first",
    "session {id} has already ended ({status})",
    "session {id} is already open in another window",
    "cross-site connection refused",
    "completed",
    "interrupted",
    # web.app._error_page
    "Not allowed",
    "Not found",
    "Too large",
    "Invalid request",
    "Too many attempts",
    "Server error",
    "Problem",
    "Something went wrong on our side. Nothing you saved was lost.",
    "There is no page at this address.",
    "This page cannot be used that way.",
    # web.practice (socket errors a student may see)
    "too many pain reports; wait a moment",
    "t went backwards; frame ignored",
    # web.services and web.pages (messages a student may see on a form)
    "The form was stale (CSRF check failed). Try again.",
    "Please correct the fields marked below.",
    # account roles (base.html) and staff decisions (_sessions.html: "Last decision")
    "student",
    "teacher",
    "clinician",
    "approved",
    "declined",
)


def _yaml_texts() -> Iterator[tuple[str, str]]:
    """(text, where) for every student-facing text of the packaged YAML files."""
    import yaml

    text_keys = {
        "label",
        "text",
        "title",
        "reason",
        "advice",
        "general_advice",
        "english_name",
        "position",
        "note",  # a pose's source notes (the CLINICAL.md section itself stays English)
        "question_back",
        "question_leg",
        "question_weakness",
    }

    def walk(node: Any, where: str, wanted: bool) -> Iterator[tuple[str, str]]:
        if isinstance(node, Mapping):
            for key, value in node.items():
                yield from walk(value, where, wanted or str(key) in text_keys)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item, where, wanted)
        elif isinstance(node, str) and wanted:
            yield node, where

    root = resources.files("twistcoach")
    files = sorted(
        f"rules/{p.name}"
        for p in root.joinpath("rules").iterdir()
        if p.name.endswith(".yaml") and p.name != "wording.yaml"
    )
    library = root.joinpath("poses/library")
    files += sorted(
        f"poses/library/{p.name}" for p in library.iterdir() if p.name.endswith(".yaml")
    )
    for name in files:
        yield from walk(yaml.safe_load(root.joinpath(name).read_text("utf-8")), name, False)
    # Every text of the wording files: the stored ids' words and the clinical PDF's.
    for name in ("rules/wording.yaml", "export/clinical_report.yaml"):
        texts = yaml.safe_load(root.joinpath(name).read_text("utf-8"))
        for key, value in texts.items():
            if key != "version":
                yield from walk(value, name, True)


def _python_texts() -> Iterator[tuple[str, str]]:
    """(text, where) for the student-facing Python constants."""
    from twistcoach import coaching, intake, recognition
    from twistcoach.metrics import PoseFamily
    from twistcoach.poses.schema import Prop
    from twistcoach.web import domain, pages

    yield recognition.ADVICE_RECOMMENDED, "recognition.py"
    yield recognition.FAR_SIDE_ADVICE, "recognition.py"
    yield recognition.CALIBRATE_ADVICE, "recognition.py"
    yield recognition.CAMERA_TURNED_ADVICE, "recognition.py"
    from twistcoach.kinematics import CAMERA_TURNED_REFUSAL

    # kinematics.calibrate's refusal of a turned picture (analyze's warning; --flat)
    yield CAMERA_TURNED_REFUSAL, "kinematics/_calibration.py"
    for advice in recognition.VIEW_ADVICE.values():
        for sentence in _SENTENCE_BREAK.split(advice):
            if sentence:
                yield sentence, "recognition.py"
    yield coaching.CAMERA_FALLBACK_ADVICE, "coaching/_coach.py"
    for text in intake.CLEARANCE_BY_WORDS.values():
        yield text, "intake.py (a clearance's giver in reasons)"
    for text in intake.RED_FLAG_QUESTIONS.values():
        yield text, "intake.py"
    for text in intake.CONDITION_DESCRIPTIONS.values():
        yield text, "intake.py"
    for prop in Prop:
        yield prop.value, "poses/schema.py"
    # Said in the wrong-pose stop cue ("This looks like a {seen} pose"), spaced.
    from twistcoach.wording import family_words

    for family in PoseFamily:
        yield family.value.replace("_", " "), "metrics.PoseFamily"
        yield family_words(family.value), "wording.family_words"
    for name in domain.variant_names().values():
        yield name, "poses/library (web.domain.variant_names)"
    from twistcoach.planning.decision import STATUS_HEADLINES, STATUS_WORDS

    for text in (*STATUS_WORDS.values(), *STATUS_HEADLINES.values()):
        yield text, "planning/decision.py"
    # The progress chart's description (its dates, strftime "%d %b", translated by _months).
    for forms in (*domain.PROGRESS_DESCRIPTIONS.values(), domain.PROGRESS_STOPPED):
        for text in forms:
            yield text, "web/domain.py (progress_chart)"
    for table in (
        domain.LABELS,
        domain.VARIANT_STATUS_WORDS,
        domain._ACTION_WORDS,
        domain.CROSS_FIELD_WORDS,
        pages.FLASH,
    ):
        for text in table.values():
            yield text, "web/domain.py, web/pages.py"
    from twistcoach.web import practice

    for name in ("READY_TEXT", "WAITING_START_TEXT", "WAITING_CALIBRATION_TEXT"):
        said = getattr(practice, name, None)
        if isinstance(said, str):
            yield said, "web/practice.py"
    yield from _report_and_staff_texts()
    for text in RUNTIME_TEXTS:
        yield text, "i18n.py (RUNTIME_TEXTS)"
    for text in JS_TEXTS.values():
        yield text, "i18n.py (JS_TEXTS)"


def _report_and_staff_texts() -> Iterator[tuple[str, str]]:
    """(text, where) for the reports' and the staff's words kept in Python: the video report
    and overlay, the clinical PDF, the batch overview, ``twistcoach sessions``, the roster
    and the audit trail."""
    # The video report's words (report/html.py, templates/report.html): its measure's names,
    # plot labels and events, and the body model it names.
    from twistcoach.metrics import BodyType
    from twistcoach.report import words as report_words

    yield report_words.NOT_MEASURED, "report/words.py"
    from twistcoach import photo

    yield photo.LONE_PHOTO_SUPINE, "photo.py (twistcoach analyze)"
    yield photo.LONE_PHOTO_ROTATION, "photo.py (twistcoach analyze)"
    for measure in report_words.MEASURE_WORDS.values():
        for text in (measure.name, measure.axis, *measure.labels.values()):
            yield text, "report/words.py"
        for _kind, label in measure.events.values():
            yield label, "report/words.py"
    for body in BodyType:
        yield body.value, "metrics.BodyType (the video report)"
    # The clinical PDF (export/clinical_report.py; its wording file is with the YAML texts):
    # the accuracy it quotes, how a session ended, its tables' heads.
    from twistcoach.export import accuracy as export_accuracy
    from twistcoach.export import clinical_report
    from twistcoach.export import facts as export_facts

    quoted = export_accuracy.load_accuracy()
    place = quoted.place
    for text in (
        quoted.method,
        quoted.source,
        place.name,
        place.description,
        place.limits,
        export_accuracy.NOTE,
        *export_accuracy.GIVEN_WORDS.values(),
        *export_facts.OUTCOME_TEXT.values(),
        *clinical_report.PLAN_HEADS,
        *clinical_report.CLEARANCE_HEADS,
        *clinical_report.SESSION_HEADS,
        *clinical_report.TREND_HEADS,
    ):
        yield " ".join(text.split()), "export (the clinical PDF)"
    from twistcoach.batch import table as batch_table

    for text in (
        *batch_table.MEASURE_NAMES.values(),
        *batch_table.KIND_WORDS.values(),
        *batch_table.OVERVIEW_HEADERS,
    ):
        yield text, "batch/table.py (the batch overview)"
    from twistcoach.cli import storage_cmds
    from twistcoach.wording import TIMELINE_KINDS

    for text in TIMELINE_KINDS.values():
        yield text, "wording.py (a session's timeline)"
    for text in (*storage_cmds.SESSION_COLUMNS, *storage_cmds.DETAIL_LABELS):
        yield text, "cli/storage_cmds.py (twistcoach sessions)"
    # The staff pages' words for stored values: the roster and the audit trail.
    from twistcoach.screening import PlanStatus
    from twistcoach.web import clinic, services

    for status in PlanStatus:
        yield status.value.replace("_", " "), "screening.PlanStatus (web/templates/dashboard.html)"
    yield "not now", "planning PracticeDecision.headline_status (web/templates/dashboard.html)"
    yield services.NO_INTAKE, "web/services.py"
    for text in (*services.PAIN_TRENDS, *services.ROSTER_FLAGS.values()):
        yield text, "web/services.py (roster)"
    for text in clinic.AUDIT_WORDS.values():
        yield text, "web/clinic.py (audit)"
    yield clinic.UNKNOWN_ACTION, "web/clinic.py (audit)"
    yield clinic.REVIEW_DATE_WORDS, "web/clinic.py (a care plan's review date)"
    for text in clinic.CARE_PLAN_WORDS.values():
        yield text, "web/clinic.py (the care-plan form)"
    for text in services.STAFF_WORDS.values():
        yield text, "web/services.py (the staff's forms)"
    yield services.NOT_VISIBLE_CLEARANCE, "web/services.py (a clearance not theirs to see)"
    # The database refusals the command line prints (cli.output.print_error translates).
    from twistcoach.storage import db

    for text in db.REFUSALS.values():
        yield text, "storage/db.py (the database refusals)"
    yield services.UNKNOWN_TWIST, "web/services.py (the practice form and the API)"
    yield services.INTAKE_MISTAKES, "web/services.py (the API's intake)"


#: ``t("text")`` or ``t('text')`` with one plain literal, wherever it is (f-strings too).
_T_CALL = re.compile(r"""(?<![\w])t\((["'])((?:(?!\1)[^\\{}])+)\1\)""")


def _code_texts() -> Iterator[tuple[str, str]]:
    """(text, where) for the ``t("...")`` calls of the command line's modules, and the
    tables of words they print."""
    from babel.messages.extract import extract_python

    from twistcoach.cli import answers

    root = resources.files("twistcoach")
    modules = [
        *root.joinpath("cli").iterdir(),
        root.joinpath("storage/plot.py"),
        root.joinpath("report/html.py"),  # its plots' words: _t("...")
        root.joinpath("report/annotate.py"),  # the annotated overlay's
        root.joinpath("overlay.py"),  # the dial's and the hold's words
        root.joinpath("batch/table.py"),  # the batch overview
        root.joinpath("export/clinical_report.py"),  # the clinical PDF's _t("...")
        root.joinpath("web/ratelimit.py"),  # its messages' ngettext forms (the sign-in form)
        root.joinpath("wording.py"),  # its ngettext forms (the time over the cap)
        root.joinpath("pipeline.py"),  # a video's warnings (frames too far apart)
    ]
    for item in sorted(modules, key=lambda p: p.name):
        if not item.name.endswith(".py"):
            continue
        with item.open("rb") as handle:
            found = extract_python(
                io.BytesIO(handle.read()), {"t": None, "_t": None, "ngettext": None}, [], {}
            )
            for lineno, _func, message, _comments in found:
                texts = message if isinstance(message, tuple) else (message,)
                for text in texts:
                    if isinstance(text, str) and text:
                        yield text, f"cli/{item.name}:{lineno}"
        # Babel reads no calls inside f-strings: t('Steps') in f"[bold]{t('Steps')}[/]".
        for match in _T_CALL.finditer(item.read_text("utf-8")):
            yield match.group(2), f"cli/{item.name}"
    for value in answers.offered_values():
        yield answers.english_word(value), "cli/answers.py"


def _template_texts() -> Iterator[tuple[str, str]]:
    """(text, where) for every ``_()`` and ``{% trans %}`` of the web and report templates."""
    from jinja2.ext import babel_extract

    root = resources.files("twistcoach")
    for folder in ("web/templates", "templates"):
        for item in sorted(root.joinpath(folder).iterdir(), key=lambda p: p.name):
            if not item.name.endswith(".html"):
                continue
            with item.open("rb") as handle:
                found = babel_extract(
                    io.BytesIO(handle.read()),
                    ("_", "gettext", "ngettext"),
                    (),
                    {"trimmed": "true", "extensions": "jinja2.ext.i18n"},
                )
                for lineno, _func, message, _comments in found:
                    texts = message if isinstance(message, tuple) else (message,)
                    for text in texts:
                        if text:
                            yield text, f"{folder}/{item.name}:{lineno}"


def extract() -> dict[str, list[str]]:
    """Every student-facing English text (normalized) -> where it comes from."""
    out: dict[str, list[str]] = {}
    for source in (_template_texts(), _yaml_texts(), _python_texts(), _code_texts()):
        for text, where in source:
            key = normalize(text)
            if key and any(ch.isalpha() for ch in key):
                places = out.setdefault(key, [])
                if where not in places:
                    places.append(where)
    return out


def missing(lang: str) -> list[str]:
    """The extracted texts with no translation in ``lang``'s catalogue source (.po)."""
    catalogue = _read_po(lang)
    return [text for text in extract() if not catalogue.get(text)]


def _po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read_po(lang: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    with _po_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    return {normalize(str(m.id)): str(m.string) for m in catalog if m.id and m.string}


def _template_catalog(texts: Mapping[str, list[str]]) -> Any:
    from babel.messages.catalog import Catalog

    catalog = Catalog(project="twistcoach", domain=DOMAIN, charset="utf-8")
    for text, places in texts.items():
        catalog.add(text, auto_comments=places)
    return catalog


def write_pot(path: Path | None = None) -> Path:
    """Write the extracted texts as a gettext template (``locale/twistcoach.pot``)."""
    from babel.messages.pofile import write_po

    target = path or LOCALE_DIR / f"{DOMAIN}.pot"
    buffer = io.BytesIO()
    write_po(buffer, _template_catalog(extract()), width=100, omit_header=False)
    target.write_bytes(buffer.getvalue())
    return target


def update(lang: str) -> list[str]:
    """Merge the extracted texts into ``lang``'s .po (new ones untranslated, gone ones
    dropped) and compile it; returns the texts still untranslated."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    texts = extract()
    path = _po_path(lang)
    old: dict[str, str] = {}
    if path.exists():
        with path.open("rb") as handle:
            for m in read_po(handle, locale=lang, domain=DOMAIN):
                if m.id and m.string:
                    old[normalize(str(m.id))] = str(m.string)
    catalog = Catalog(locale=lang, project="twistcoach", domain=DOMAIN, charset="utf-8")
    for text, places in texts.items():
        catalog.add(text, old.get(text, ""), auto_comments=places)
    # Translations no longer extracted are kept (another branch may still use the text);
    # `prune` drops them.
    for text, said in old.items():
        if text not in texts:
            catalog.add(text, said, auto_comments=["not found by the last extraction"])
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False)
    path.write_bytes(buffer.getvalue())
    compile_catalogue(lang)
    return [text for text in texts if not old.get(text)]


def _write_po(lang: str, texts: Mapping[str, list[str]], translations: Mapping[str, str]) -> None:
    """Write ``lang``'s .po: the texts with their translations (empty when none)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(locale=lang, project="twistcoach", domain=DOMAIN, charset="utf-8")
    for text, places in texts.items():
        catalog.add(text, translations.get(text, ""), auto_comments=places)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False)
    _po_path(lang).write_bytes(buffer.getvalue())


def compiled_bytes(lang: str) -> bytes:
    """The .mo that ``lang``'s .po compiles to (what :func:`compile_catalogue` writes)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with _po_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    catalog.creation_date = catalog.revision_date = _EPOCH  # reproducible bytes
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def compile_catalogue(lang: str) -> Path:
    """Compile ``lang``'s .po into the .mo the app reads."""
    target = _po_path(lang).with_suffix(".mo")
    target.write_bytes(compiled_bytes(lang))
    return target


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m twistcoach.i18n extract|update|prune|compile|check``: see the module docs."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "check"
    others = [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]
    if command == "extract":
        print(write_pot())
        return 0
    if command == "update":
        write_pot()
        for lang in others:
            left = update(lang)
            print(f"{lang}: {len(left)} untranslated")
        return 0
    if command == "prune":
        for lang in others:
            texts = extract()
            kept = {t: s for t, s in _read_po(lang).items() if t in texts}
            _write_po(lang, texts, kept)
            compile_catalogue(lang)
            print(f"{lang}: {len(kept)} translations kept")
        return 0
    if command == "compile":
        for lang in others:
            print(compile_catalogue(lang))
        return 0
    if command == "check":
        status = 0
        for lang in others:
            left = missing(lang)
            for text in left:
                print(f"{lang}: untranslated: {text}")
            status = status or (1 if left else 0)
        return status
    print("usage: python -m twistcoach.i18n extract|update|prune|compile|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
