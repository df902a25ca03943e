"""The gateway's copy of identity's session facts (servicekit.revocations): its own durable queue
``gateway.sessions`` on the broker, its own ``revoked_tokens`` collection in hataraku_gateway, and
every replica's in-memory set re-read every half second. The token check (gateway/tokens.py) asks
the set on every request, cached tokens included: two dictionary look-ups, no I/O.

The broker is needed only for this: when it does not answer, the gateway still serves (it retries
in the background, and the durable queue keeps what was published meanwhile), and every service
refuses a revoked token itself anyway."""

from __future__ import annotations

import asyncio

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.bus import Bus, watch_consumers
from servicekit.db import Doc
from servicekit.revocations import Revocations
from servicekit.settings import ServiceSettings

log = structlog.get_logger()

QUEUE = "gateway.sessions"


class RevocationFeed:
    def __init__(
        self,
        settings: ServiceSettings,
        db: AsyncDatabase[Doc],
        *,
        poll_seconds: float = 0.5,
    ) -> None:
        self.revocations = Revocations(db, poll_seconds=poll_seconds)
        self.bus = Bus(settings)
        self.bus.consumer(
            QUEUE,
            self.revocations.handlers,
            db=db,
            description="Ended login sessions: the gateway refuses their access tokens.",
        )
        self.consuming = False
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Load what is recorded (when the database answers), then follow it and the broker in
        the background."""
        try:
            await asyncio.wait_for(self.revocations.start(), timeout=5)
        except Exception as exc:
            log.warning("revocations.load_failed", error=repr(exc)[:300])
        self._tasks.append(asyncio.create_task(self.revocations.run(self._stop)))
        self._tasks.append(asyncio.create_task(self._consume()))

    async def _consume(self) -> None:
        said = False
        while not self._stop.is_set():
            try:
                await self.bus.broker.connect()
                await self.bus.declare()
                await self.bus.broker.start()
                self.consuming = True
                break
            except Exception as exc:
                if not said:
                    log.warning("revocations.broker_unavailable", error=repr(exc)[:300])
                    said = True
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=2)
            except TimeoutError:
                pass
        if self.consuming:
            await watch_consumers(self.bus, self._stop)

    async def stop(self) -> None:
        self._stop.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        await self.bus.broker.stop()
