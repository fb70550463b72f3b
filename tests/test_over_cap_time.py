"""The time a session spent over the cap, from its samples' own times (storage.progress's
``over_cap_s`` was the number of samples over it, right only at one sample a second), and
the CLI and the web saying it the same way, in seconds, in English and Spanish."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from twistcoach import i18n
from twistcoach.cli.app import build_app
from twistcoach.storage import Repository, SampleRecord, create_engine_for_url, init_db
from twistcoach.storage.progress import outcome_of

runner = CliRunner()
CAP = 30.0


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Repository]:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("TWISTCOACH_DATABASE_URL", url)
    engine = create_engine_for_url(url)
    init_db(engine)
    yield Repository(engine)
    engine.dispose()


@pytest.fixture()
def language() -> Iterator[None]:
    before = list(i18n._cli_language)
    yield
    i18n._cli_language[:] = before


def _session(repo: Repository, samples: list[tuple[float, float | None]], name: str = "Una") -> int:
    """A completed session of ``(t, knee drop)`` samples against a 30° cap; its id."""
    person = repo.get_or_create_person(name)
    s = repo.start_session(person.id, "supine_twist_supported", CAP, "test", start_pain=2)
    for t, drop in samples:
        repo.add_sample(s.id, SampleRecord(t, drop, 2.0, 0.0, 2.0, 0.0, 0.9, CAP))
    repo.end_session(s.id, "completed", None, 2)
    return s.id


def test_two_samples_a_second_over_the_cap_are_half_a_second_each(repo: Repository) -> None:
    # Four samples over the cap, half a second apart, then one within it: 2 s over, not the
    # 4 "seconds" the count of samples said (which held progression back for 4 s > 2 s).
    sid = _session(repo, [(0.0, 35.0), (0.5, 36.0), (1.0, 34.0), (1.5, 33.0), (2.0, 10.0)])
    summary = repo.get_session(sid).summary
    assert summary.over_cap_samples == 4
    assert summary.over_cap_s == pytest.approx(2.0)
    outcome = outcome_of(summary)
    assert outcome is not None and outcome.over_cap_s == pytest.approx(2.0)
    assert summary.to_json()["over_cap_s"] == pytest.approx(2.0)


def test_a_gap_counts_at_most_one_sampling_period(repo: Repository) -> None:
    # Over the cap at 0 s, then nothing known until 10 s (out of view, paused): one period,
    # never ten seconds; a sample with no knee drop ends the time over; the last sample over
    # the cap counts one period.
    sid = _session(repo, [(0.0, 40.0), (10.0, 5.0), (11.0, 31.0), (11.25, None), (12.0, 32.0)])
    summary = repo.get_session(sid).summary
    assert summary.over_cap_samples == 3
    assert summary.over_cap_s == pytest.approx(1.0 + 0.25 + 1.0)
    # At one sample a second it is the count, as before.
    one_hz = _session(repo, [(float(t), 35.0 if t in (1, 2, 4) else 0.0) for t in range(6)])
    assert repo.get_session(one_hz).summary.over_cap_s == pytest.approx(3.0)
    # No samples: nothing over.
    empty = _session(repo, [])
    assert repo.get_session(empty).summary.over_cap_s == 0.0


def test_the_words_are_whole_seconds_never_zero_beside_the_flag() -> None:
    from twistcoach.wording import over_cap_words

    assert over_cap_words(0.0) == ""
    assert over_cap_words(0.25) == "1 second over the cap"
    assert over_cap_words(1.0) == "1 second over the cap"
    assert over_cap_words(2.0) == "2 seconds over the cap"
    spanish = i18n.translator("es")
    assert spanish.text(over_cap_words(1.0)) == "1 segundo por encima del límite"
    assert spanish.text(over_cap_words(2.0)) == "2 segundos por encima del límite"


def test_the_cli_says_the_seconds_the_web_says(repo: Repository, language: None) -> None:
    sid = _session(repo, [(0.0, 35.0), (0.5, 36.0), (1.0, 34.0), (1.5, 33.0), (2.0, 10.0)])
    for lang, said, wrong in (
        ("en", "2 seconds over the cap", "4 samples"),
        ("es", "2 segundos por encima del límite", "4 muestras"),
    ):
        for args in (("sessions",), ("sessions", "show", str(sid))):
            result = runner.invoke(build_app(), ["--lang", lang, *args])
            assert result.exit_code == 0, result.output
            flat = " ".join(result.stdout.split())  # the table may wrap its cells
            assert said in flat, result.stdout
            assert wrong not in flat, result.stdout
