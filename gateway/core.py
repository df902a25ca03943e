"""The gateway's parts for one process: route table, proxy, token check, rate limiters, open
event streams, maintenance state, the merged-docs cache, and their start and stop."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import structlog

from gateway import openapi
from gateway.maintenance import MaintenanceStore
from gateway.proxy import Proxy
from gateway.ratelimit import RateLimiter
from gateway.revocations import RevocationFeed
from gateway.routes import SERVICES, WEB, RouteTable
from gateway.settings import GatewaySettings
from gateway.streams import StreamSlots
from gateway.tokens import TokenCheck
from servicekit import db as dbmod
from servicekit import tracing
from servicekit.clock import Clock

log = structlog.get_logger()


class Gateway:
    def __init__(self, settings: GatewaySettings, *, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        # the process's tracer provider (OTEL_* variables; once per process)
        tracing.setup(settings.service_name)
        self.table = RouteTable()
        self.upstreams = settings.upstreams()
        self.proxy = Proxy(settings)
        self.tokens = TokenCheck(
            jwks_url=settings.jwks_url,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            cache_size=settings.token_cache_size,
        )
        self.limiter = RateLimiter(
            per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst, clock=clock
        )
        # the per-address ceiling on routes whose bucket is per (address, account)
        self.address_limiter = RateLimiter(
            per_minute=settings.rate_limit_address_per_minute,
            burst=settings.rate_limit_address_burst,
            clock=clock,
        )
        self.streams = StreamSlots(
            per_account=settings.stream_max_per_account,
            per_address=settings.stream_max_per_address,
            total=settings.stream_max_open,
        )
        self.client, self.db = dbmod.connect(settings.mongodb_url, settings.database)
        # ended sessions (logout, password reset): their tokens are refused, cached or not
        self.revoked = RevocationFeed(settings, self.db)
        self.tokens.revocations = self.revoked.revocations
        self.maintenance = MaintenanceStore(
            self.db, clock=clock, refresh_seconds=settings.maintenance_cache_seconds
        )
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._docs: tuple[float, dict[str, Any]] | None = None

    async def start(self) -> None:
        await self.proxy.start()
        await self.maintenance.load()
        self._tasks.append(asyncio.create_task(self.maintenance.run(self._stop)))
        await self.revoked.start()
        log.info(
            "service.started",
            port=self.settings.http_port,
            internal_port=self.settings.internal_port,
            upstreams=self.upstreams,
        )

    async def stop(self) -> None:
        self._stop.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        await self.revoked.stop()
        await self.proxy.close()
        await self.client.close()
        tracing.shutdown(timeout_seconds=2)
        log.info("service.stopped")

    def owner(self, path: str) -> str | None:
        route = self.table.resolve(path)
        return route.target if route else None

    async def docs(self, own: dict[str, Any]) -> dict[str, Any]:
        """The merged OpenAPI, reused for ``docs_cache_seconds``."""
        now = time.monotonic()
        if self._docs and now - self._docs[0] < self.settings.docs_cache_seconds:
            return self._docs[1]
        bases = {name: self.upstreams[name] for name in SERVICES}
        specs = await openapi.fetch_specs(self.proxy.session, bases)
        merged = openapi.merge(own, specs, self.owner)
        self._docs = (now, merged)
        return merged

    async def readiness(self) -> dict[str, Any]:
        """Whether this gateway can serve: its own database answers. Not the upstreams: one
        service with no ready pod must not take every gateway pod out of the load balancer (the
        gateway answers 503 for that service's routes alone); ``upstreams`` tells about them."""
        try:
            async with asyncio.timeout(self.settings.readyz_timeout_seconds):
                return {"database": {"ready": await dbmod.ping(self.db)}}
        except TimeoutError:
            return {"database": {"ready": False, "error": "timeout"}}

    async def upstreams_ready(self) -> dict[str, Any]:
        """Every upstream's /readyz (information for operators, on the internal listener)."""
        timeout = self.settings.readyz_timeout_seconds

        async def upstream(name: str) -> dict[str, Any]:
            try:
                async with (
                    asyncio.timeout(timeout),
                    self.proxy.session.get(self.upstreams[name] + "/readyz") as resp,
                ):
                    await resp.read()
                    return {"ready": resp.status == 200, "status": resp.status}
            except (aiohttp.ClientError, TimeoutError) as exc:
                return {"ready": False, "error": type(exc).__name__}

        names = [name for name in (*SERVICES, WEB) if name in self.upstreams]
        results = await asyncio.gather(*(upstream(n) for n in names))
        return dict(zip(names, results, strict=True))
