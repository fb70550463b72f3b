"""Passwords, signed session cookies, CSRF tokens and the sign-in rate limit.

Passwords are hashed with argon2id (argon2-cffi's defaults). The session cookie holds a
signed, timestamped payload ``{"uid": account id, "csrf": token}`` (itsdangerous): the
server keeps no session table, and a tampered or expired cookie is simply ignored. The
CSRF token is random per sign-in, kept inside the signed cookie, and must come back in
every state-changing form (field ``csrf_token``) or API call (header ``X-CSRF-Token``);
a cross-site page cannot read it, so it cannot forge the request.
"""

from __future__ import annotations

import hmac
import secrets
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "tc_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


class PasswordService:
    """argon2id hashing and verification.

    Parameters
    ----------
    time_cost, memory_kib
        argon2 cost parameters for new hashes; None keeps argon2-cffi's defaults (the
        RFC 9106 low-memory profile). Tests lower them; verification always uses the
        parameters stored in the hash itself.
    """

    def __init__(self, time_cost: int | None = None, memory_kib: int | None = None) -> None:
        if time_cost is None and memory_kib is None:
            self._hasher = PasswordHasher()
        else:
            default = PasswordHasher()
            self._hasher = PasswordHasher(
                time_cost=time_cost or default.time_cost,
                memory_cost=memory_kib or default.memory_cost,
                parallelism=1,
            )

    def hash(self, password: str) -> str:
        """The encoded argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        """True when ``password`` matches ``encoded``; False for a mismatch or a bad hash."""
        try:
            return bool(self._hasher.verify(encoded, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


@dataclass(frozen=True)
class SessionData:
    """What a valid session cookie carries."""

    account_id: int
    csrf: str


class SessionSigner:
    """Signs and reads the session cookie (itsdangerous, timestamped)."""

    def __init__(self, secret_key: str, max_age_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="twistcoach-session")
        self._max_age_s = max_age_s

    def issue(self, account_id: int) -> tuple[str, SessionData]:
        """A new cookie value for ``account_id`` with a fresh CSRF token."""
        data = SessionData(account_id, secrets.token_urlsafe(24))
        return self._serializer.dumps({"uid": data.account_id, "csrf": data.csrf}), data

    def read(self, value: str | None) -> SessionData | None:
        """The session in a cookie value, or None when absent, forged, malformed or expired."""
        if not value or len(value) > 4096:
            return None
        try:
            payload = self._serializer.loads(value, max_age=self._max_age_s)
        except BadSignature:
            return None
        if not isinstance(payload, dict):
            return None
        uid, csrf = payload.get("uid"), payload.get("csrf")
        if not isinstance(uid, int) or not isinstance(csrf, str):
            return None
        return SessionData(uid, csrf)


def csrf_ok(session: SessionData | None, token: str | None) -> bool:
    """True when ``token`` is the session's CSRF token (constant-time comparison)."""
    if session is None or not token:
        return False
    return hmac.compare_digest(session.csrf.encode(), token.encode())


class RateLimiter:
    """Sliding-window limit of failed attempts per key.

    Time is passed in explicitly (seconds on any monotonic clock), so the limiter is
    testable without sleeping.

    Parameters
    ----------
    attempts
        Failures allowed per key within ``window_s``.
    window_s
        Length of the window, seconds.
    """

    def __init__(self, attempts: int, window_s: float) -> None:
        self._attempts = attempts
        self._window_s = window_s
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now_s: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now_s - times[0] > self._window_s:
            times.popleft()
        return times

    def blocked(self, key: str, now_s: float) -> bool:
        """True when ``key`` has used up its failures in the window ending at ``now_s``."""
        return len(self._recent(key, now_s)) >= self._attempts

    def retry_after_s(self, key: str, now_s: float) -> float:
        """Seconds until ``key`` may try again (0 when not blocked)."""
        times = self._recent(key, now_s)
        if len(times) < self._attempts:
            return 0.0
        return max(0.0, self._window_s - (now_s - times[0]))

    def fail(self, key: str, now_s: float) -> None:
        """Record one failed attempt for ``key`` at ``now_s``."""
        self._recent(key, now_s).append(now_s)

    def reset(self, key: str) -> None:
        """Forget ``key``'s failures (after a successful sign-in)."""
        self._failures.pop(key, None)
