"""A tiny service built on servicekit only, for testing the event backbone itself."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, FastAPI

from contracts import Envelope
from contracts.identity import EmployerRegistered, PasswordChanged, SeekerRegistered
from servicekit import outbox
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings


class HarnessSettings(ServiceSettings):
    service_name: str = "harness"


class Harness:
    """Consumes SeekerRegistered (counting effects in a collection) and EmployerRegistered (a
    handler that can be told to fail); writes aggregates with their events through the outbox."""

    def __init__(self, settings: HarnessSettings, *, queue: str = "harness.events") -> None:
        self.rt = Runtime(settings)
        self.relay = self.rt.outbox(["aggregates"])
        self.failures_left = 0
        self.calls = 0
        # its own consumer (the runtime has others, e.g. ended sessions)
        self.consumer = self.rt.consume(
            queue, {SeekerRegistered: self.on_seeker, EmployerRegistered: self.on_employer}
        )
        router = APIRouter()

        @router.post("/aggregates/{doc_id}")
        async def create(doc_id: str) -> dict[str, str]:
            await self.write_aggregate(doc_id, PasswordChanged(account_id=doc_id, reason="change"))
            return {"id": doc_id}

        self.app: FastAPI = self.rt.build_app(title="harness", routers=[router])

    async def on_seeker(self, event: SeekerRegistered, envelope: Envelope) -> None:
        # a counter, not an idempotent write: the machinery must keep a repeat from reaching it
        await self.rt.db["effects"].update_one(
            {"_id": event.seeker_id}, {"$inc": {"count": 1}}, upsert=True
        )

    async def on_employer(self, event: EmployerRegistered, envelope: Envelope) -> None:
        self.calls += 1
        if self.failures_left != 0:
            self.failures_left -= 1
            raise RuntimeError("transient failure for the test")
        await self.rt.db["effects"].update_one(
            {"_id": event.employer_id}, {"$inc": {"count": 1}}, upsert=True
        )

    async def write_aggregate(self, doc_id: str, *events: Any) -> None:
        envs = [outbox.envelope(e, producer="harness", subject=doc_id) for e in events]
        await self.rt.db["aggregates"].insert_one({"_id": doc_id, **outbox.initial(*envs)})
        self.relay.kick("aggregates", doc_id)

    async def effect_count(self, key: str) -> int:
        doc = await self.rt.db["effects"].find_one({"_id": key})
        return int(doc["count"]) if doc else 0

    async def settle(self) -> None:
        await asyncio.sleep(0.3)
