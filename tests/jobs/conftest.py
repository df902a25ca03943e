"""One jobs service for the jobs tests: a real MongoDB-compatible server, RabbitMQ and OpenSearch,
a database, broker namespace and indices of this test run, tokens signed by the test, a clock the
tests can move."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.jobs.app import create_app
from services.jobs.deps import JobsServices
from services.jobs.settings import JobsSettings
from tests.conftest import RUN_ID, _answers, eventually, running
from tests.jobs.support import OFFICE, Identity, Spy, Tokens

OPENSEARCH_URL = os.environ.get("OPENSEARCH_URL", "http://127.0.0.1:9200")


@pytest.fixture(scope="session")
async def opensearch(infra: None) -> AsyncIterator[str]:
    """The search engine (fails, not skips, when it does not answer); this run's indices are
    deleted at the end."""
    if not _answers(OPENSEARCH_URL, 9200):
        pytest.fail(f"OpenSearch not answering at {OPENSEARCH_URL}: run `make infra`")
    yield OPENSEARCH_URL
    if os.environ.get("HATARAKU_KEEP_TEST_DATA"):
        return
    async with httpx.AsyncClient(base_url=OPENSEARCH_URL, timeout=30) as client:
        await client.delete(f"/t{RUN_ID}*", params={"expand_wildcards": "all"})


class SteppingClock:
    """Real time at the start, then a millisecond further on every reading (so postings created
    one after another never share a timestamp); tests can jump ahead."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        self._at += timedelta(milliseconds=1)
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta


@dataclass
class JobsEnv:
    app: FastAPI
    client: httpx.AsyncClient
    clock: SteppingClock
    tokens: Tokens
    identity: Identity
    spy: Spy
    settings: JobsSettings

    @property
    def db(self) -> Any:
        return self.app.state.runtime.db

    @property
    def services(self) -> JobsServices:
        services: JobsServices = self.app.state.jobs
        return services

    async def employer(self, *, office: str = OFFICE, has_mypage: bool = True, **kw: Any) -> str:
        employer_id = await self.identity.employer(office=office, has_mypage=has_mypage, **kw)
        await eventually(
            lambda: self.db["employers"].find_one({"_id": employer_id, "name": {"$exists": True}})
        )
        return employer_id

    async def seeker(self, *, office: str = OFFICE, status: str = "registered") -> str:
        seeker_id = await self.identity.seeker(office=office, status=status)
        await eventually(lambda: self.db["seekers"].find_one({"_id": seeker_id, "status": status}))
        return seeker_id


@pytest.fixture(scope="session")
async def jobs(make_settings: Any, opensearch: str) -> AsyncIterator[JobsEnv]:
    settings = make_settings(JobsSettings, expiry_interval_seconds=3600, opensearch_url=opensearch)
    tokens = Tokens(settings)
    clock = SteppingClock(datetime.now(UTC))
    app = create_app(settings, clock=clock, verifier=tokens.verifier())
    async with running(app) as client:
        identity = Identity(settings)
        await identity.start()
        spy = Spy(f"{settings.bus_prefix}hataraku.events")
        await spy.start()
        try:
            yield JobsEnv(app, client, clock, tokens, identity, spy, settings)
        finally:
            await spy.stop()
            await identity.stop()
