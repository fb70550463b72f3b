"""The web app's rate limits, on the server's clock, with the ``limits`` library.

Every limit is a moving window kept in this process's memory (``limits``'
``MemoryStorage`` with the ``MovingWindowRateLimiter``; its clock is the server's, never a
time the client sends). Behind several server processes each keeps its own counts: a
deployment that runs more than one should give ``limits`` a shared storage (Redis), which
is one line here.

Sign-in
    Failed sign-ins are counted per (client address, e-mail) pair and per client address,
    never per e-mail alone: a stranger's wrong guesses elsewhere cannot lock a person out,
    and a clinic's shared address blocks only after many failures. A success clears the
    pair's count.
Password change
    A wrong current password counts as a failed sign-in, under the same limits and in the
    same counts (someone holding a signed-in browser could otherwise guess the password
    there without end); the right one clears the pair's count as a sign-in does.
Sign-up
    Every sign-up attempt counts, per client address.
Socket pain reports
    Per practice session (a flood of pain buttons is answered with an error and not
    stored; sharp pain is never limited: it stops the session).

The landmark frame rate is limited in the socket itself, by the server's monotonic clock
(one frame per ``1 / max_landmark_rate_hz`` seconds), see ``twistcoach.web.practice``.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from twistcoach.errors import RateLimited
from twistcoach.i18n import ngettext
from twistcoach.web.settings import WebSettings


def _per(amount: int, window_s: float) -> RateLimitItem:
    return RateLimitItemPerSecond(max(1, amount), max(1, math.ceil(window_s)))


class RateLimits:
    """The app's limits (see the module docs); one instance per app."""

    def __init__(self, settings: WebSettings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self.signin_pair = _per(settings.signin_attempts, settings.signin_window_s)
        self.signin_client = _per(settings.signin_client_attempts, settings.signin_window_s)
        self.signup = _per(settings.signup_attempts, settings.signup_window_s)
        self.pain = _per(settings.pain_reports, settings.pain_window_s)

    def _retry_after(self, item: RateLimitItem, *keys: str) -> int:
        stats = self._limiter.get_window_stats(item, *keys)
        return max(1, math.ceil(stats.reset_time - time.time()))

    def check_signin(self, client: str, email: str) -> None:
        """Raise :class:`~twistcoach.errors.RateLimited` when this client may not try now."""
        wait = self._password_wait(client, email)
        if wait is not None:
            raise RateLimited(
                ngettext(
                    "Too many failed sign-ins. Try again in {wait} second.",
                    "Too many failed sign-ins. Try again in {wait} seconds.",
                    wait,
                ).format(wait=wait),
                retry_after_s=wait,
            )

    def check_password_change(self, client: str, email: str) -> None:
        """Raise :class:`~twistcoach.errors.RateLimited` when this client may not give the
        account's current password now: the sign-in's limits and counts (a signed-in
        session guessing the password is one more way of guessing it)."""
        wait = self._password_wait(client, email)
        if wait is not None:
            raise RateLimited(
                ngettext(
                    "Too many wrong passwords. Try again in {wait} second.",
                    "Too many wrong passwords. Try again in {wait} seconds.",
                    wait,
                ).format(wait=wait),
                retry_after_s=wait,
            )

    def _password_wait(self, client: str, email: str) -> int | None:
        """Seconds until this client may try a password for ``email`` again, None if now."""
        pair = ("signin", client, email.strip().lower())
        for item, keys in ((self.signin_pair, pair), (self.signin_client, ("signin", client))):
            if not self._limiter.test(item, *keys):
                return self._retry_after(item, *keys)
        return None

    def signin_failed(self, client: str, email: str) -> None:
        """Count one failed sign-in."""
        self._limiter.hit(self.signin_pair, "signin", client, email.strip().lower())
        self._limiter.hit(self.signin_client, "signin", client)

    def signin_succeeded(self, client: str, email: str) -> None:
        """Forget the pair's failures (the client's count stays)."""
        self._limiter.clear(self.signin_pair, "signin", client, email.strip().lower())

    def password_change_failed(self, client: str, email: str) -> None:
        """Count one wrong current password as one failed sign-in."""
        self.signin_failed(client, email)

    def password_change_succeeded(self, client: str, email: str) -> None:
        """The right current password: as a sign-in that succeeded."""
        self.signin_succeeded(client, email)

    def count_signup(self, client: str) -> None:
        """Count one sign-up attempt; raise RateLimited over the limit."""
        if not self._limiter.hit(self.signup, "signup", client):
            wait = self._retry_after(self.signup, "signup", client)
            raise RateLimited(
                ngettext(
                    "Too many sign-ups from here. Try again in {wait} second.",
                    "Too many sign-ups from here. Try again in {wait} seconds.",
                    wait,
                ).format(wait=wait),
                retry_after_s=wait,
            )

    def allow_pain(self, session_id: int) -> bool:
        """Count one pain report of a session; False when over the limit (not stored)."""
        return self._limiter.hit(self.pain, "pain", str(session_id))
