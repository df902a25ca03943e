"""The gateway's two listeners, served by one uvicorn server (one lifespan, one drain):

- the public port (``HTTP_PORT``, 8000): the API, the web client, ``/healthz``; ``/readyz``,
  ``/metrics`` and ``/status/upstreams`` answer 404 there (gateway/routes.py, target INTERNAL);
- the internal port (``INTERNAL_PORT``, 9000; ``INTERNAL_HOST``, by default HTTP_HOST's address):
  ``/healthz``, ``/readyz`` (this gateway's own database: an upstream with no ready pod does not
  take the gateway out of the load balancer), ``/status/upstreams`` (every upstream's /readyz, for
  operators: 200 when all are ready, else 503) and ``/metrics`` (Prometheus). Only the kubelet's
  probes and Prometheus reach it: neither the Service nor the Ingress names it.

A request goes to the internal app when it arrived on the internal socket (the local port of
its connection, ``scope["server"]``).
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.core import Gateway
from gateway.settings import GatewaySettings

# FastAPI's own OpenTelemetry off: probes and scrapes make no traces, and the public app's
# requests get their span from gateway/dispatch.py
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def internal_app(gw: Gateway) -> FastAPI:
    """The internal listener's routes (no lifespan: the public app's starts and stops ``gw``)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, telemetry=NO_TELEMETRY)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "gateway"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        return _verdict("checks", await gw.readiness())

    @app.get("/status/upstreams")
    async def upstreams() -> JSONResponse:
        return _verdict("upstreams", await gw.upstreams_ready())

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


def _verdict(key: str, checks: dict[str, Any]) -> JSONResponse:
    """200 when every check is ready, else 503, with the checks under ``key``."""
    ok = all(check["ready"] for check in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not_ready", key: checks}, status_code=200 if ok else 503
    )


class Listeners:
    """ASGI: requests that arrived on one of ``internal_ports`` go to ``internal``, everything
    else (and the lifespan) to ``public``."""

    def __init__(self, public: ASGIApp, internal: ASGIApp, internal_ports: set[int]) -> None:
        self.public = public
        self.internal = internal
        self.internal_ports = frozenset(internal_ports)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server")
        if scope["type"] != "lifespan" and server and server[1] in self.internal_ports:
            await self.internal(scope, receive, send)
        else:
            await self.public(scope, receive, send)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def server(
    app: Any, settings: GatewaySettings, **options: Any
) -> tuple[uvicorn.Server, list[socket.socket]]:
    """A uvicorn server for ``app`` (gateway.app.create_app) and its two bound sockets: call
    ``server.run(sockets=sockets)`` (or ``await server.serve(sockets=sockets)``)."""
    public = bind(settings.http_host, settings.http_port)
    try:
        internal = bind(settings.internal_bind_host, settings.internal_port)
    except OSError:
        public.close()
        raise
    config = uvicorn.Config(
        Listeners(app, app.internal, {internal.getsockname()[1]}),
        log_config=None,
        access_log=False,
        lifespan="on",
        **{"timeout_graceful_shutdown": 20, "loop": "uvloop", **options},
    )
    return uvicorn.Server(config), [public, internal]
