"""Swagger UI at /api/docs over the merged OpenAPI (/api/openapi.json). Every file is served by
the gateway itself from the installed fastapi-offline package (Swagger UI 5, which reads
OpenAPI 3.1): no CDN, so the page works on a closed network and under a Content-Security-Policy
that allows scripts from this origin only."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi.responses import FileResponse

OPENAPI_URL = "/api/openapi.json"
_SWAGGER = Path(fastapi_offline.__file__).parent / "static"
_OWN = Path(__file__).parent / "static"
# the files /api/docs/<name> serves, and nothing else
FILES = {
    "swagger-ui-bundle.js": _SWAGGER / "swagger-ui-bundle.js",
    "swagger-ui.css": _SWAGGER / "swagger-ui.css",
    "favicon.png": _SWAGGER / "favicon.png",
    "swagger-init.js": _OWN / "swagger-init.js",
}

PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hataraku API</title>
<link rel="icon" type="image/png" href="/api/docs/favicon.png">
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<noscript>This page needs JavaScript. The document itself: <a href="{OPENAPI_URL}">{OPENAPI_URL}</a>
</noscript>
<div id="swagger-ui" data-url="{OPENAPI_URL}"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/swagger-init.js"></script>
</body>
</html>
"""

PAGE_HEADERS = {
    # Swagger UI sets inline styles on its elements; it runs no inline or evaluated script
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def asset(name: str) -> FileResponse | None:
    path = FILES.get(name)
    if path is None:
        return None
    return FileResponse(
        path, headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    )
