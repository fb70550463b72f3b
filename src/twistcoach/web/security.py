"""Passwords, server-side sign-ins, CSRF tokens and password strength.

Passwords are hashed with argon2id (argon2-cffi's defaults). A sign-in is a row of the
``web_sessions`` table (:class:`~twistcoach.storage.models.WebSession`): the cookie carries a
random token, signed with the app's secret (itsdangerous, timestamped), and the server
keeps only the token's SHA-256 with the account, the CSRF token and the expiry. Sign-out
revokes the row, a password change revokes every row of the account, so a copied cookie
stops working at once. A tampered, expired or revoked cookie signs nobody in.

The CSRF token is random per sign-in, kept in the session row, and must come back in every
state-changing form (field ``csrf_token``) or API call (header ``X-CSRF-Token``); a
cross-site page cannot read it, so it cannot forge the request. Before sign-in, the sign-in
and sign-up forms carry a double-submit token whose cookie is signed (:class:`PreToken`).

Password strength is judged offline by zxcvbn (Dropbox's estimator, from PyPI): nothing
leaves the server.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "tc_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
PRE_CSRF_COOKIE = "tc_pre"

#: Password length bounds (characters).
MIN_PASSWORD = 10
MAX_PASSWORD = 200
#: The lowest zxcvbn score (0-4) accepted: 3 is "safely unguessable: moderate protection
#: from offline slow-hash scenario" in zxcvbn's words (argon2id is such a slow hash).
MIN_PASSWORD_SCORE = 3
#: zxcvbn's time grows with the length; a longer password is judged on its start.
_ZXCVBN_CHARS = 100


class PasswordService:
    """argon2id hashing and verification, with the same cost for unknown accounts.

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
        # Verified against when the e-mail has no account, so that a failed sign-in takes
        # as long for an unknown address as for a real one (no account enumeration by time).
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        """The encoded argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, encoded: str | None, password: str) -> bool:
        """True when ``password`` matches ``encoded``; False for a mismatch or a bad hash.

        ``encoded`` None (no such account) verifies against a dummy hash of the same cost
        and returns False.
        """
        try:
            ok = bool(self._hasher.verify(encoded or self._dummy, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return ok and encoded is not None


@dataclass(frozen=True)
class SessionData:
    """A live sign-in: the account, its CSRF token and the session row's id."""

    account_id: int
    csrf: str
    session_id: str


def session_id_of(token: str) -> str:
    """The stored id of a cookie's token (SHA-256, hex): the token itself is never stored."""
    return hashlib.sha256(token.encode()).hexdigest()


class SessionSigner:
    """Signs and reads the session cookie (itsdangerous, timestamped): ``{"sid": token}``."""

    def __init__(self, secret_key: str, max_age_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="twistcoach-session")
        self._max_age_s = max_age_s

    def new(self) -> tuple[str, str, str]:
        """A new cookie value, the stored session id and a fresh CSRF token."""
        token = secrets.token_urlsafe(32)
        return (
            self._serializer.dumps({"sid": token}),
            session_id_of(token),
            secrets.token_urlsafe(24),
        )

    def read(self, value: str | None) -> str | None:
        """The stored session id a cookie value names, or None when absent, forged,
        malformed or older than the sign-in's lifetime."""
        if not value or len(value) > 4096:
            return None
        try:
            payload = self._serializer.loads(value, max_age=self._max_age_s)
        except BadSignature:
            return None
        token = payload.get("sid") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not 20 <= len(token) <= 100:
            return None
        return session_id_of(token)


class PreToken:
    """The double-submit CSRF token of the sign-in and sign-up forms (before a session).

    The cookie holds the token signed with the app's secret (an attacker who can plant a
    cookie on the site still cannot make one the server accepts); the form carries the
    token itself.
    """

    MAX_AGE_S = 3600

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="twistcoach-pre")

    def new(self) -> tuple[str, str]:
        """A new (cookie value, form token)."""
        token = secrets.token_urlsafe(24)
        return self._serializer.dumps(token), token

    def token(self, cookie: str | None) -> str | None:
        """The token a cookie value carries, or None when absent, forged or expired."""
        if not cookie or len(cookie) > 512:
            return None
        try:
            token = self._serializer.loads(cookie, max_age=self.MAX_AGE_S)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    def ok(self, cookie: str | None, form_token: str | None) -> bool:
        """True when the form's token is the one the signed cookie carries."""
        token = self.token(cookie)
        if token is None or not form_token:
            return False
        return hmac.compare_digest(token.encode(), form_token.encode())


def csrf_ok(session: SessionData | None, token: str | None) -> bool:
    """True when ``token`` is the session's CSRF token (constant-time comparison)."""
    if session is None or not token:
        return False
    return hmac.compare_digest(session.csrf.encode(), token.encode())


def password_problem(password: str, email: str, display_name: str = "") -> str | None:
    """Why a new password is refused, in plain words, or None when it is strong enough.

    Refused: fewer than :data:`MIN_PASSWORD` or more than :data:`MAX_PASSWORD` characters,
    only spaces, the e-mail address (or its name part), and anything zxcvbn scores under
    :data:`MIN_PASSWORD_SCORE` (common passwords, keyboard runs, repeats, dates, guesses
    from the e-mail and name, which it is given).
    """
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return f"The password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters."
    if not password.strip():
        return "The password cannot be only spaces."
    lowered = password.strip().lower()
    address = email.strip().lower()
    if address and lowered in {address, address.split("@", 1)[0]}:
        return "The password cannot be your e-mail address."
    from zxcvbn import zxcvbn

    hints = [h for h in (address, address.split("@", 1)[0], display_name.strip()) if h]
    verdict = zxcvbn(password[:_ZXCVBN_CHARS], user_inputs=hints)
    if int(verdict["score"]) >= MIN_PASSWORD_SCORE:
        return None
    warning = str(verdict["feedback"].get("warning") or "").strip()
    tips = " ".join(str(s) for s in verdict["feedback"].get("suggestions") or ())
    advice = " ".join(x for x in (warning, tips) if x)
    return "This password is too easy to guess." + (f" {advice}" if advice else "")
