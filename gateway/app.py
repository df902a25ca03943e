"""Gateway wiring.

Own routes (gateway/api.py): GET /api/v1/status, PUT /api/v1/admin/maintenance, GET /api/docs
(Swagger UI) and /api/openapi.json (the merged OpenAPI), /healthz. Everything else goes through
gateway/dispatch.py to the service the route table (gateway/routes.py) names. ``app.internal``
answers the internal listener (gateway/listeners.py): /healthz, /readyz, /status/upstreams,
/metrics. Consumes and publishes no events; needs no broker. Its
database (hataraku_gateway) holds only the maintenance state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from gateway import api
from gateway.core import Gateway
from gateway.dispatch import Dispatch
from gateway.listeners import NO_TELEMETRY, internal_app
from gateway.settings import GatewaySettings
from servicekit.clock import Clock, SystemClock
from servicekit.errors import install_error_handlers


class GatewayApp(FastAPI):
    """FastAPI for the gateway's own routes, with the request path (Dispatch) in front of it:
    a proxied request never enters FastAPI's middleware stack (measured: that stack costs about
    a tenth of the gateway's CPU per proxied request)."""

    dispatch: Dispatch
    # the internal listener's app (gateway/listeners.py), sharing this app's Gateway
    internal: FastAPI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.dispatch(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def own(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The gateway's own routes (FastAPI, with its error handlers)."""
        await super().__call__(scope, receive, send)


def create_app(settings: GatewaySettings, *, clock: Clock | None = None) -> GatewayApp:
    gw = Gateway(settings, clock=clock or SystemClock())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await gw.start()
        try:
            yield
        finally:
            await gw.stop()

    app = GatewayApp(
        title="hataraku gateway",
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # Dispatch makes the gateway's span for every request, its own routes' too
        telemetry=NO_TELEMETRY,
    )
    app.state.gateway = gw
    install_error_handlers(app)
    app.include_router(api.router)
    app.dispatch = Dispatch(app.own, gateway=gw)
    app.internal = internal_app(gw)
    return app
