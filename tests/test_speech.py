"""Speech: the real espeak-ng writes audio; queueing, interruption and fallbacks."""

from __future__ import annotations

import shutil
import stat
import time
from pathlib import Path

import pytest

from twistcoach.speech import EspeakSpeaker, SilentSpeaker, make_speaker


def test_real_espeak_ng_speaks_into_a_wav_file(tmp_path: Path) -> None:
    exe = shutil.which("espeak-ng")
    assert exe is not None, "espeak-ng is a system package of this project (make system)"
    wav = tmp_path / "cue.wav"
    speaker = EspeakSpeaker(exe, extra_args=["-w", str(wav)])
    speaker.say("Exhale, let your belly soften.")
    speaker.close()
    data = wav.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert len(data) > 20_000  # about a second of 22 kHz 16-bit audio
    assert speaker.spoken == ["Exhale, let your belly soften."]


def _fake_espeak(tmp_path: Path, delay_s: float) -> Path:
    """A stand-in program that logs its last argument (the text) after a delay."""
    log = tmp_path / "said.txt"
    script = tmp_path / "fake-espeak"
    script.write_text(f'#!/bin/sh\nsleep {delay_s}\nfor last; do :; done\necho "$last" >> {log}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_say_does_not_block_and_keeps_order(tmp_path: Path) -> None:
    script = _fake_espeak(tmp_path, 0.2)
    speaker = EspeakSpeaker(str(script))
    start = time.monotonic()
    speaker.say("one")
    speaker.say("two")
    assert time.monotonic() - start < 0.1  # queued, not spoken in the caller's thread
    speaker.close()
    assert (tmp_path / "said.txt").read_text().split() == ["one", "two"]


def test_urgent_cue_cuts_in_and_drops_the_queue(tmp_path: Path) -> None:
    script = _fake_espeak(tmp_path, 1.0)
    speaker = EspeakSpeaker(str(script))
    speaker.say("breathe in")
    speaker.say("exhale")
    speaker.say("shoulders")
    time.sleep(0.3)  # "breathe in" is being said
    speaker.say("stop now", urgent=True)
    speaker.close()
    said = (tmp_path / "said.txt").read_text().split("\n")
    assert [s for s in said if s] == ["stop now"]  # the rest was cut off or dropped


def test_make_speaker_falls_back_to_silence() -> None:
    off = make_speaker(False)
    assert isinstance(off, SilentSpeaker) and off.reason == "voice off"
    missing = make_speaker(True, which=lambda name: None)
    assert isinstance(missing, SilentSpeaker)
    assert "espeak-ng is not installed" in missing.reason
    missing.say("nothing happens")
    missing.close()
    with pytest.raises(ValueError, match="words_per_minute"):
        EspeakSpeaker("espeak-ng", words_per_minute=10)


def test_the_voice_never_lags_far_behind(tmp_path: Path) -> None:
    script = _fake_espeak(tmp_path, 0.5)
    speaker = EspeakSpeaker(str(script), max_pending=2)
    speaker.say("one")
    time.sleep(0.2)  # "one" is being said
    for word in ("two", "three", "four", "five"):
        speaker.say(word)
    speaker.close()
    said = (tmp_path / "said.txt").read_text().split()
    # "one" was being said; of the four that queued up behind it only the last two remain.
    assert said == ["one", "four", "five"]
