"""The API docs page (Swagger UI) from the app's own npm set-up, never from a CDN.

``swagger-ui-dist`` is pinned in ``frontend/package.json``; ``make frontend`` installs it and
the app serves it at ``/api/docs/assets/``. FastAPI's own docs page loads Swagger UI from a
CDN and starts it with an inline script, both of which the app's Content-Security-Policy
blocks; here the page and its start-up script are served by the app itself (``'self'``).
ReDoc is not served (its npm bundle fetches fonts from a CDN).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from twistcoach.errors import NotFound
from twistcoach.web.deps import Ctx

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>twistcoach API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/start.js"></script>
</body>
</html>
"""

_START = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
});
"""


@router.get("/api/docs")
def api_docs(ctx: Ctx) -> HTMLResponse:
    """Swagger UI for ``/openapi.json`` (404 when ``make frontend`` has not been run)."""
    if not (ctx.settings.swagger_ui_dir / "swagger-ui-bundle.js").is_file():
        raise NotFound("the API docs' assets are not installed: run `make frontend`")
    return HTMLResponse(_PAGE)


@router.get("/api/docs/start.js")
def api_docs_start() -> Response:
    """The script that starts Swagger UI on the docs page."""
    return Response(_START, media_type="text/javascript")
