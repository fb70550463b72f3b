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


def default_swagger_ui_dir() -> Path:
    """Where ``make frontend`` installs ``swagger-ui-dist`` (the API docs' assets)."""
    return Path(__file__).resolve().parents[3] / "frontend" / "node_modules" / "swagger-ui-dist"


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
    swagger_ui_dir
        Folder holding the ``swagger-ui-dist`` npm package: the API docs at ``/api/docs``.
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
        At most this many failed sign-ins per (client address, e-mail) pair in the moving
        window, seconds (never per e-mail alone: nobody can lock a person out from
        elsewhere).
    signin_client_attempts
        At most this many failed sign-ins per client address (any e-mail) in the window.
    signup_attempts, signup_window_s
        At most this many sign-up attempts per client address in the window, seconds.
    pain_reports, pain_window_s
        At most this many pain reports per practice session in the window, seconds (sharp
        pain is never limited).
    trusted_proxies
        Addresses of reverse proxies whose ``X-Forwarded-For``/``X-Forwarded-Proto`` are
        believed (uvicorn's ``forwarded_allow_ips``); empty (the default): none, the
        client address is the TCP peer's.
    stale_session_s
        A ``running`` browser session with no live socket and no heartbeat for this long
        (never connected, or its socket died) is marked ``interrupted``.
    reap_interval_s
        How often the app looks for such sessions, seconds (and once at start).
    ws_idle_s
        A practice socket that sends nothing for this long is closed and its session
        marked ``interrupted`` (a dead connection never says goodbye).
    password_time_cost, password_memory_kib
        argon2id costs for new password hashes (None: argon2-cffi's defaults). Only tests
        should lower them.
    calibration_process
        Fit each practice session's calibration in a process of its own
        (:mod:`twistcoach.web.calibration_pool`, started on the first fit) rather than in
        the server's threads, where a fit holds every running stream back. Used when the
        app makes its own trackers (no ``tracker_factory`` given).
    """

    database_url: str
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    mediapipe_dir: Path = field(default_factory=default_mediapipe_dir)
    swagger_ui_dir: Path = field(default_factory=default_swagger_ui_dir)
    cookie_secure: bool = False
    session_max_age_s: int = 12 * 3600
    max_body_bytes: int = 64 * 1024
    max_ws_message_bytes: int = 16 * 1024
    max_landmark_rate_hz: float = 30.0
    signin_attempts: int = 5
    signin_window_s: float = 300.0
    signin_client_attempts: int = 50
    signup_attempts: int = 10
    signup_window_s: float = 3600.0
    pain_reports: int = 5
    pain_window_s: float = 10.0
    trusted_proxies: tuple[str, ...] = ()
    stale_session_s: float = 120.0
    reap_interval_s: float = 30.0
    ws_idle_s: float = 60.0
    password_time_cost: int | None = None
    password_memory_kib: int | None = None
    calibration_process: bool = True
