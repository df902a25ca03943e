"""One messaging service for the messaging tests: a real MongoDB-compatible server and RabbitMQ,
a database and broker namespace of its own, tokens signed by the test, a clock the tests can move,
other services' facts fed through the broker as those services publish them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from contracts import Envelope
from services.messaging.app import create_app
from services.messaging.settings import MessagingSettings
from tests.conftest import RUN_ID, eventually, running
from tests.messaging.support import Feed, Spy, SteppingClock, Tokens, uid


@dataclass
class MsgEnv:
    app: FastAPI
    client: httpx.AsyncClient
    tokens: Tokens
    feed: Feed
    spy: Spy
    clock: SteppingClock
    settings: MessagingSettings

    @property
    def db(self) -> Any:
        return self.app.state.runtime.db

    async def handled(self, *envs: Envelope) -> None:
        for env in envs:
            key = f"{self.settings.bus_prefix}messaging.events:{env.id}"
            query = {"_id": key, "state": "done"}
            await eventually(partial(self.db["processed_messages"].find_one, query))

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        doc: dict[str, Any] = await eventually(
            lambda: self.db["conversations"].find_one({"_id": conversation_id})
        )
        return doc

    async def opened_pair(self, *, route: str = "direct") -> tuple[str, str, str, str]:
        """(conversation_id, seeker_id, employer_id, seeker_number) of a fresh open conversation."""
        employer_id, e1 = await self.feed.employer()
        seeker_id, number, e2 = await self.feed.seeker()
        await self.handled(e1, e2)
        application_id, e3 = await self.feed.submitted(seeker_id, employer_id, route=route)
        await self.handled(e3)
        cid = f"app-{application_id}"
        await self.conversation(cid)
        return cid, seeker_id, employer_id, number


def isolated_settings(make_settings: Any, tag: str, **overrides: Any) -> MessagingSettings:
    settings: MessagingSettings = make_settings(
        MessagingSettings,
        db_name=f"t{RUN_ID}_{tag}",
        bus_prefix=f"t{RUN_ID}{tag}.",
        **overrides,
    )
    return settings


@pytest.fixture(scope="session")
async def msg(make_settings: Any) -> AsyncIterator[MsgEnv]:
    settings = isolated_settings(make_settings, "msg", close_interval_seconds=3600)
    tokens = Tokens(settings)
    clock = SteppingClock()
    app = create_app(settings, clock=clock, verifier=tokens.verifier())
    async with running(app) as client:
        feed = Feed(settings)
        await feed.start()
        spy = Spy(f"{settings.bus_prefix}hataraku.events")
        await spy.start()
        try:
            yield MsgEnv(app, client, tokens, feed, spy, clock, settings)
        finally:
            await spy.stop()
            await feed.stop()


__all__ = ["MsgEnv", "isolated_settings", "uid"]
