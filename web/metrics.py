"""Web's Prometheus metrics: requests and latency by route template (``/jobs/{job_id}``, never
the requested path; "unmatched" when no route took it), method (a fixed set, else "other") and
status — the same series the services and the gateway write, with ``service="web"``.

``/metrics`` is for Prometheus on web's own port: the gateway never passes it on (its route table
answers 404 for /metrics on the public port)."""

from __future__ import annotations

import time

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.runtime import HTTP_LATENCY, HTTP_REQUESTS, method_label

SERVICE = "web"


class RequestMetrics:
    """ASGI middleware, outermost: counts every request once its route is known."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = method_label(scope["method"])
            HTTP_REQUESTS.labels(SERVICE, method, route, str(status)).inc()
            HTTP_LATENCY.labels(SERVICE, route).observe(time.perf_counter() - started)


def install(app: FastAPI) -> None:
    """``/metrics`` and the middleware (call after every other middleware: it must be
    outermost, to see the route the router picked and the final status)."""

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(RequestMetrics)
