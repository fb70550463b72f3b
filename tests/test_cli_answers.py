"""The command line's answers: the reader's words, English, initials, any case or accent."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from twistcoach import i18n
from twistcoach.cli.answers import accepted_answers, ask_word, ask_yes_no, offered_values
from twistcoach.cli.coach_cmd import ask_checkin


@pytest.fixture
def spanish() -> Iterator[None]:
    before = i18n.current_language()
    i18n.set_language("es")
    yield
    i18n.set_language(before)


def answers(
    *lines: str,
) -> tuple[list[str], list[str], tuple[Callable[[str], str], Callable[[str], None]]]:
    """A fake prompt that answers ``lines`` in turn; what it was shown; what was said."""
    queue = list(lines)
    prompts: list[str] = []
    said: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return queue.pop(0)

    return prompts, said, (ask, said.append)


def test_english_words_initials_and_values_are_taken() -> None:
    accepted = accepted_answers(("none", "above_knee", "below_knee", "both_legs"))
    assert accepted["below knee"] == accepted["below_knee"] == "below_knee"
    assert accepted["n"] == "none"  # the only answer starting with n
    assert "a" in accepted and "b" not in accepted  # 'below' and 'both' share their b


def test_a_spanish_check_in_shows_spanish_words_and_takes_them(spanish: None) -> None:
    prompts, said, (ask, _) = answers("PEOR", "si", "n")
    checkin = ask_checkin(ask)
    assert (checkin.back, checkin.new_leg_symptoms, checkin.weakness_or_numbness) == (
        "worse",
        True,
        False,
    )
    assert "[mejor/igual/peor]" in prompts[0] and "[sí/no]" in prompts[1]
    assert not said


def test_an_answer_not_offered_is_asked_again_in_the_readers_language(spanish: None) -> None:
    prompts, said, (ask, say) = answers("quizás", "", "s")
    assert ask_yes_no(ask, say, "¿Dolor?", default=None) is True
    assert len(prompts) == 3
    assert said == ["Por favor, responda con una de estas palabras: sí/no"] * 2


def test_an_empty_answer_gives_the_default() -> None:
    _, _, (ask, say) = answers("")
    assert ask_yes_no(ask, say, "Pain?", default=False) is False
    _, _, (ask, say) = answers(" Light ")
    assert ask_word(ask, say, "How active?", ("deconditioned", "light", "active")) == "light"


def test_every_offered_answer_has_its_spanish_word() -> None:
    es = i18n.translator("es")
    for value in offered_values():
        word = value.replace("_", " ")
        assert es.text(word) != word or word == "no", value
