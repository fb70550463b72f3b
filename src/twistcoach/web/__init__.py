"""The web app: FastAPI pages, JSON API and the browser coach (see ``docs/web.md``).

Use :func:`create_app` with :class:`WebSettings`; nothing is built at import time.
"""

from twistcoach.web.app import create_app
from twistcoach.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
