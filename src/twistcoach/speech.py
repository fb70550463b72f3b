"""Spoken cues, offline, through the ``espeak-ng`` program (an edge module).

Speaking never blocks the coach: :class:`EspeakSpeaker` queues texts and one background
thread speaks them in order. An urgent text (a safety cue such as a stop) cuts off what is
being said and drops everything still waiting, so "stop now" is never stuck behind a breath
cue. When ``espeak-ng`` is not installed, or the voice is switched off, :func:`make_speaker`
returns a :class:`SilentSpeaker` that says why; the coach works the same without a voice.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

ESPEAK = "espeak-ng"


class Speaker(Protocol):
    """Something that can say texts without blocking the caller."""

    def say(self, text: str, *, urgent: bool = False) -> None:
        """Queue ``text``; ``urgent`` interrupts and drops anything not yet said."""

    def close(self, *, wait: bool = True) -> None:
        """Stop speaking (after the queue drains when ``wait``) and release the thread."""


@dataclass
class SilentSpeaker:
    """A speaker that says nothing (voice off, or no ``espeak-ng``).

    Attributes
    ----------
    reason
        Why there is no voice, for a one-line notice.
    """

    reason: str = "voice off"

    def say(self, text: str, *, urgent: bool = False) -> None:
        """Say nothing."""

    def close(self, *, wait: bool = True) -> None:
        """Nothing to release."""


_STOP = object()


class EspeakSpeaker:
    """Speaks queued texts with ``espeak-ng`` on a background thread.

    Parameters
    ----------
    executable
        Path of ``espeak-ng``.
    words_per_minute
        Speaking rate; a calm 150 by default.
    voice
        ``espeak-ng`` voice name (``-v``).
    extra_args
        More ``espeak-ng`` arguments (tests use ``-w FILE`` to write a WAV file instead of
        playing it).
    max_pending
        Texts allowed to wait; when cues come faster than they can be spoken the oldest
        waiting one is dropped, so the voice never lags far behind the session.
    """

    def __init__(
        self,
        executable: str,
        *,
        words_per_minute: int = 150,
        voice: str = "en",
        extra_args: Sequence[str] = (),
        max_pending: int = 2,
    ) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be at least 1, got {max_pending}")
        self._max_pending = max_pending
        if not 80 <= words_per_minute <= 450:
            raise ValueError(f"words_per_minute must be 80-450, got {words_per_minute}")
        self._base = [executable, "-v", voice, "-s", str(words_per_minute), *extra_args]
        self._queue: queue.Queue[object] = queue.Queue()
        self._lock = threading.Lock()
        self._current: subprocess.Popen[bytes] | None = None
        self._closed = False
        self.spoken: list[str] = []  # what was said (completed or cut off), for tests and logs
        self._thread = threading.Thread(target=self._run, name="twistcoach-speech", daemon=True)
        self._thread.start()

    def say(self, text: str, *, urgent: bool = False) -> None:
        """Queue ``text``; an urgent text cuts off the current one and drops the queue."""
        text = " ".join(text.split())
        if self._closed or not text:
            return
        if urgent:
            self._drop_pending()
            with self._lock:
                if self._current is not None and self._current.poll() is None:
                    self._current.terminate()
        else:
            self._drop_oldest_beyond(self._max_pending - 1)
        self._queue.put(text)

    def _drop_oldest_beyond(self, keep: int) -> None:
        """Drop the oldest waiting texts until at most ``keep`` wait."""
        while self._queue.qsize() > keep:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is _STOP:  # never drop the shutdown request
                self._queue.put(_STOP)
                return

    def close(self, *, wait: bool = True) -> None:
        """Finish (or, with ``wait=False``, cut off) speaking and end the thread."""
        if self._closed:
            return
        self._closed = True
        if not wait:
            self._drop_pending()
            with self._lock:
                if self._current is not None and self._current.poll() is None:
                    self._current.terminate()
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def _drop_pending(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is _STOP:  # keep the shutdown request
                self._queue.put(_STOP)
                return

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, str)
            try:
                with self._lock:
                    self._current = subprocess.Popen(
                        [*self._base, "--", item],
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    process = self._current
                process.wait()
                self.spoken.append(item)
            except OSError:
                # The program vanished or cannot run: speech is a convenience, never a failure.
                continue
            finally:
                with self._lock:
                    self._current = None


def make_speaker(
    enabled: bool,
    *,
    which: Callable[[str], str | None] = shutil.which,
    words_per_minute: int = 150,
    voice: str = "en",
) -> Speaker:
    """The speaker to use: espeak-ng when enabled and installed, else a silent one.

    Parameters
    ----------
    enabled
        False for ``--no-voice`` (and headless runs).
    which
        How to find the program (``shutil.which``; tests pass their own).
    words_per_minute
        Speaking rate.
    voice
        The ``espeak-ng`` voice: the language the cues are in
        (:data:`twistcoach.i18n.ESPEAK_VOICES`: ``en``, ``es``).
    """
    if not enabled:
        return SilentSpeaker("voice off")
    exe = which(ESPEAK)
    if exe is None:
        return SilentSpeaker(f"{ESPEAK} is not installed; cues are shown but not spoken")
    return EspeakSpeaker(exe, voice=voice, words_per_minute=words_per_minute)
