from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.app import create_app
from gateway.settings import GatewaySettings
from servicekit.clock import Clock
from tests.gateway.harness import Keys, Upstream, serve
from tests.ports import free_port


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="session")
def kid(keys: Keys) -> str:
    return keys.add()


@pytest.fixture(scope="session")
async def identity(keys: Keys) -> AsyncIterator[Upstream]:
    """Stands in for identity (and serves the JWKS)."""
    up = Upstream("identity", keys)
    async with serve(up.app) as url:
        up.url = url  # type: ignore[attr-defined]
        yield up


@pytest.fixture(scope="session")
async def jobs() -> AsyncIterator[Upstream]:
    up = Upstream("jobs")
    async with serve(up.app) as url:
        up.url = url  # type: ignore[attr-defined]
        yield up


@pytest.fixture
def dead_url() -> str:
    """Nothing listens there."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def gateway_settings(
    make_settings, run_id, identity, jobs, dead_url
) -> Callable[..., GatewaySettings]:
    """identity → the identity stand-in, jobs → the jobs stand-in, applications → identity's,
    messaging → nothing, notifier → identity's (for the SSE endpoint). Own database per call."""
    identity.reset()
    jobs.reset()

    def build(**overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = {
            "db_name": f"t{run_id}_gateway_{uuid.uuid4().hex[:8]}",
            "identity_url": identity.url,
            "jobs_url": jobs.url,
            "applications_url": identity.url,
            "messaging_url": dead_url,
            "notifier_url": identity.url,
            "web_url": "",
            "jwks_url": identity.url + "/.well-known/jwks.json",
            "maintenance_cache_seconds": 0.2,
        }
        values.update(overrides)
        settings: GatewaySettings = make_settings(GatewaySettings, **values)
        return settings

    return build


@asynccontextmanager
async def running_gateway(
    settings: GatewaySettings,
    *,
    clock: Clock | None = None,
    trust_proxy: bool = False,
    app: FastAPI | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway under uvicorn on a free port, and a client for it. No proxy in front of it is
    trusted, so uvicorn leaves the client's address alone; with ``trust_proxy`` this test's own
    address is a trusted proxy, so that ``X-Forwarded-For`` picks the client address (as web's
    does in production). ``app``: one made with create_app(settings), to look inside."""
    proxy: dict[str, Any] = (
        {"proxy_headers": True, "forwarded_allow_ips": "127.0.0.1"}
        if trust_proxy
        else {"proxy_headers": False}
    )
    async with (
        serve(app or create_app(settings, clock=clock), **proxy) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        yield client


@pytest.fixture
async def gw(gateway_settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_gateway(gateway_settings()) as client:
        yield client
