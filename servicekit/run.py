"""Run a service's FastAPI app (API + consumers + relay in one event loop) with uvicorn."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from servicekit.settings import ServiceSettings


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=20,
        loop="uvloop",
    )
    # Server.run() uses the configured loop (uvloop); asyncio.run(server.serve()) would not
    uvicorn.Server(config).run()
