"""The faults, in turn, while the drivers keep sending: SIGKILL of a service process (restarted
at once), of the RabbitMQ node and of the database server (each restarted once every service
says not ready), and of a producer between its database write and its publish (proved by the
outbox entries the dead process left pending in its database)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from servicekit.outbox import PENDING_INDEX
from tests.bus.private_broker import PrivateBroker
from tests.bus.private_database import PrivateDatabase
from tests.fault.driver import Pacer
from tests.system import SERVICES, System

PENDING = {"outbox.at": {"$exists": True}}
IN_FLIGHT = {"state": "processing"}


@dataclass
class Faults:
    system: System
    broker: PrivateBroker
    database: PrivateDatabase
    dbs: dict[str, Any]  # service → its database (a client of the test's own)
    pacer: Pacer
    timings: list[str] = field(default_factory=list)
    # per outage (broker, database): the services whose /readyz answered 503 meanwhile
    not_ready: dict[str, set[str]] = field(default_factory=dict)
    # per producer kill: the outbox entries its process left pending, per attempt
    left_pending: dict[str, list[int]] = field(default_factory=dict)
    # per service killed: whether it held an event half-handled at the kill
    killed_mid_event: dict[str, bool] = field(default_factory=dict)

    async def _ready_all(self, timeout: float = 120) -> None:
        for name in [*SERVICES, "gateway"]:
            await asyncio.to_thread(self.system.wait_ready, name, timeout)

    async def _readyz(self, client: httpx.AsyncClient, name: str) -> int:
        try:
            url = f"http://127.0.0.1:{self.system.ports[name]}/readyz"
            return (await client.get(url, timeout=8)).status_code
        except httpx.HTTPError:
            return 0

    async def _until_not_ready(self, outage: str, timeout: float = 20) -> None:
        """Poll every service's /readyz until each has said 503 (or the time is up)."""
        seen = self.not_ready.setdefault(outage, set())
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline and len(seen) < len(SERVICES):
                codes = await asyncio.gather(*(self._readyz(client, s) for s in SERVICES))
                seen.update(s for s, c in zip(SERVICES, codes, strict=True) if c == 503)
                await asyncio.sleep(0.3)

    def _kill(self, name: str) -> None:
        proc = self.system.processes[name]
        proc.kill()
        proc.wait()

    async def _when(
        self, db: Any, collection: str, query: dict[str, Any], within: float, **find: Any
    ) -> bool:
        """Poll until a document matches (True) or ``within`` seconds pass (False)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if await db[collection].find_one(query, {"_id": 1}, **find) is not None:
                return True
            await asyncio.sleep(0.01)
        return False

    async def kill_service(self, name: str) -> None:
        """SIGKILL a service, preferably while it holds an event half-handled (claimed, not
        done: its redelivery must wait out the dead holder's lease, then be handled once)."""
        started = time.monotonic()
        busy = await self._when(self.dbs[name], "processed_messages", IN_FLIGHT, within=3)
        self._kill(name)
        self.system.start(name)
        await asyncio.to_thread(self.system.wait_ready, name, 120)
        self.killed_mid_event[name] = busy
        self.timings.append(f"kill {name} {time.monotonic() - started:.1f}s")

    async def kill_broker(self) -> None:
        started = time.monotonic()
        # killed whatever waits in a <queue>.delayed (a consumer killed holding an event parks
        # its redeliveries there): the delay relay acknowledges only after the confirmed publish
        await self.broker.kill()
        await self._until_not_ready("broker")
        await self.broker.start()
        await self._ready_all()
        self.timings.append(f"kill rabbitmq {time.monotonic() - started:.1f}s")

    async def kill_database(self) -> None:
        started = time.monotonic()
        await self.database.kill()
        await self._until_not_ready("database")
        await self.database.start()
        await self._ready_all()
        self.timings.append(f"kill database {time.monotonic() - started:.1f}s")

    async def kill_producer(self, name: str, collection: str, attempts: int = 5) -> None:
        """SIGKILL ``name`` in a burst of actions the moment its database shows an event written
        and not yet published, until the dead process has left such entries behind (counted
        once it is dead: entries in the outbox of ``collection``)."""
        started = time.monotonic()
        counts = self.left_pending.setdefault(name, [])
        db = self.dbs[name]
        for _ in range(attempts):
            self.pacer.burst = True
            try:
                await self._when(db, collection, PENDING, within=10, hint=PENDING_INDEX)
                self._kill(name)
            finally:
                self.pacer.burst = False
            counts.append(await db[collection].count_documents(PENDING))
            self.system.start(name)
            await asyncio.to_thread(self.system.wait_ready, name, 120)
            if counts[-1]:
                break
        self.timings.append(
            f"kill {name} mid-publish {time.monotonic() - started:.1f}s "
            f"(left pending per attempt: {counts})"
        )

    async def pending(self) -> int:
        total = 0
        for db in self.dbs.values():
            for name in await db.list_collection_names():
                total += await db[name].count_documents(PENDING)
        return total
