"""Words typed in answer to the command line's questions, in the chosen language or English.

A question lists its answers in the reader's language (``[mejor/igual/peor]``) and takes any
of them, the English word, or a word's first letter where no other answer shares it, in any
case and with or without accents (``si`` for ``sí``): a person in pain should not have to
guess which spelling the program wants. Internal values (``below_knee``) are shown as words
(``below knee``), never as ids.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from twistcoach.i18n import LANGUAGES, t, translator
from twistcoach.intake import Activity, ClearanceBy, LegSymptoms

if TYPE_CHECKING:
    from twistcoach.poses import PoseLibrary

#: The check-in's answer to "how is your back since last time?" (rules/safety.yaml).
BACK_FEELINGS: tuple[str, ...] = ("better", "same", "worse")
YES_NO: tuple[str, ...] = ("yes", "no")


def offered_values() -> tuple[str, ...]:
    """Every answer the command line's questions offer (their words are catalogued by
    :func:`twistcoach.i18n.extract`, so each has its translation)."""
    enums = (Activity, LegSymptoms, ClearanceBy)
    return (*BACK_FEELINGS, *YES_NO, *(m.value for enum in enums for m in enum))


def _plain(text: str) -> str:
    """``text`` casefolded, its spaces made single and its accents dropped."""
    decomposed = unicodedata.normalize("NFKD", " ".join(text.split()).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def english_word(value: str) -> str:
    """An answer's value as an English word (the catalogue's message id)."""
    return value.replace("_", " ")


def shown_word(value: str) -> str:
    """The word people read for an answer's value, in the chosen language."""
    return t(english_word(value))


def accepted_answers(values: Sequence[str]) -> dict[str, str]:
    """Every answer taken for ``values`` (plain form, see :func:`_plain`) -> its value."""
    accepted: dict[str, str] = {}
    for value in values:
        for word in (value, english_word(value), shown_word(value)):
            accepted[_plain(word)] = value
    initials: dict[str, list[str]] = {}
    for value in values:
        for word in {_plain(shown_word(value)), _plain(value)}:
            initials.setdefault(word[0], []).append(value)
    for letter, owners in initials.items():
        if len(set(owners)) == 1 and letter not in accepted:
            accepted[letter] = owners[0]
    return accepted


def ask_word(
    ask: Callable[[str], str],
    say: Callable[[str], None],
    question: str,
    values: Sequence[str],
    *,
    default: str | None = None,
) -> str:
    """Ask ``question`` until the answer is one of ``values`` (see the module's notes).

    Parameters
    ----------
    ask, say
        Read one line after showing a prompt; show a line (the console's, or a test's).
    question
        The question, already in the reader's language.
    values
        The answers' values (an enum's values), in the order they are offered.
    default
        The value an empty answer gives; ``None``: an empty answer is asked again.

    Returns
    -------
    str
        One of ``values``.
    """
    accepted = accepted_answers(values)
    shown = "/".join(shown_word(v) for v in values)
    while True:
        answer = _plain(ask(f"{question} [{shown}] "))
        if not answer and default is not None:
            return default
        if answer in accepted:
            return accepted[answer]
        say(f"{t('Please answer with one of these words:')} {shown}")


def ask_yes_no(
    ask: Callable[[str], str], say: Callable[[str], None], question: str, *, default: bool | None
) -> bool:
    """A yes-or-no question in the reader's language (``y``/``n``, ``s``/``n`` in Spanish)."""
    fallback = None if default is None else ("yes" if default else "no")
    return ask_word(ask, say, question, YES_NO, default=fallback) == "yes"


def variant_named(library: PoseLibrary, words: str) -> str | None:
    """The id of the variant ``words`` name (``--variant``): its name as the plan and the
    coach show it, in English or any catalogued language, or its id; any case, spacing or
    accents (``"supine twist, supported"``, ``"torsion boca arriba, con apoyo"``). None when
    no variant has that name."""
    wanted = _plain(words)
    for variant_id, english in library.names().items():
        names = {variant_id, english, *(translator(lang).text(english) for lang in LANGUAGES)}
        if wanted in {_plain(name) for name in names}:
            return variant_id
    return None


def variant_names_words(library: PoseLibrary) -> str:
    """The names ``--variant`` takes, in the chosen language, each in quotes, for a
    message."""
    return "; ".join(f'"{t(name)}"' for name in library.names().values())
