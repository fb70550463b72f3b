"""Typed settings of the web app, parsed once at the edge (CLI or tests) and passed down."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path


def default_mediapipe_dir() -> Path:
    """Where ``make frontend`` installs ``@mediapipe/pose`` (``frontend/node_modules``).

    The npm project lives at the repository root (``frontend/``); the package is installed
    editable, so the path is found relative to this file.
    """
    return Path(__file__).resolve().parents[3] / "frontend" / "node_modules" / "@mediapipe" / "pose"


@dataclass(frozen=True)
class WebSettings:
    """Settings of one web app instance.

    Attributes
    ----------
    database_url
        SQLAlchemy URL of the store (SQLite file by default, PostgreSQL by URL).
    secret_key
        Key that signs session cookies and CSRF tokens. A random one (sessions do not
        survive a restart) when none is given.
    mediapipe_dir
        Folder holding the ``@mediapipe/pose`` npm package, served at ``/mp/``.
    cookie_secure
        Send the session cookie only over HTTPS (set behind a TLS proxy).
    session_max_age_s
        Lifetime of a sign-in, seconds.
    max_body_bytes
        Largest accepted HTTP request body, bytes.
    max_ws_message_bytes
        Largest accepted WebSocket message, bytes (one landmark frame is about 3 kB).
    max_landmark_rate_hz
        Landmark frames per second the server accepts; faster frames are dropped.
    signin_attempts, signin_window_s
        At most this many failed sign-ins per e-mail address and per client address in
        the sliding window, seconds.
    password_time_cost, password_memory_kib
        argon2id costs for new password hashes (None: argon2-cffi's defaults). Only tests
        should lower them.
    """

    database_url: str
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    mediapipe_dir: Path = field(default_factory=default_mediapipe_dir)
    cookie_secure: bool = False
    session_max_age_s: int = 12 * 3600
    max_body_bytes: int = 64 * 1024
    max_ws_message_bytes: int = 16 * 1024
    max_landmark_rate_hz: float = 30.0
    signin_attempts: int = 5
    signin_window_s: float = 300.0
    password_time_cost: int | None = None
    password_memory_kib: int | None = None
