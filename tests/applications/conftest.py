"""One applications service for the applications tests: a real MongoDB-compatible server and
RabbitMQ, a database and broker namespace of this test run, tokens signed by the test, identity's
and jobs' facts fed through the broker as those services publish them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from contracts import Envelope
from contracts.identity import (
    EmployerRegistered,
    SeekerProfileUpdated,
    SeekerRegistered,
)
from contracts.jobs import PostingPublished, PostingSnapshot
from services.applications.app import create_app
from services.applications.settings import ApplicationsSettings
from tests.applications.support import OFFICE, Feed, Spy, Tokens, snapshot
from tests.conftest import eventually, running

PROFILE = {
    "age_band": "25-29",
    "desired_occupations": ["10"],
    "desired_places": [{"prefecture": "13", "municipality": "新宿区"}],
    "employment_types": ["full_time"],
    "desired_wage_min": 240000,
    "desired_wage_unit": "monthly",
    "self_pr": "業務システムの開発経験が5年あります。",
}


@dataclass
class AppsEnv:
    app: FastAPI
    client: httpx.AsyncClient
    tokens: Tokens
    feed: Feed
    spy: Spy
    settings: ApplicationsSettings

    @property
    def db(self) -> Any:
        return self.app.state.runtime.db

    async def handled(self, env: Envelope) -> None:
        """Wait until the applications consumer has handled this event."""
        key = f"{self.settings.bus_prefix}applications.events:{env.id}"
        await eventually(
            lambda: self.db["processed_messages"].find_one({"_id": key, "state": "done"})
        )

    async def seeker(
        self,
        *,
        office: str = OFFICE,
        status: str = "registered",
        visibility: str = "public",
        accepts_direct_requests: bool = True,
        profile: dict[str, Any] | None = None,
    ) -> str:
        seeker_id = uuid.uuid4().hex
        await self.handled(
            await self.feed.publish(
                SeekerRegistered(
                    seeker_id=seeker_id,
                    seeker_number=f"{office}-{uuid.uuid4().int % 10**8:08d}",
                    office_code=office,
                    status=status,
                    registered_on="2026-11-01",
                    version=1,
                ),
                seeker_id,
            )
        )
        await self.handled(
            await self.feed.publish(
                SeekerProfileUpdated.model_validate(
                    {
                        "seeker_id": seeker_id,
                        "office_code": office,
                        "status": status,
                        "visibility": visibility,
                        "accepts_direct_requests": accepts_direct_requests,
                        "profile": PROFILE if profile is None else profile,
                        "version": 2,
                    }
                ),
                seeker_id,
            )
        )
        return seeker_id

    async def employer(self, *, office: str = OFFICE, has_mypage: bool = True) -> str:
        employer_id = uuid.uuid4().hex
        await self.handled(
            await self.feed.publish(
                EmployerRegistered(
                    employer_id=employer_id,
                    establishment_number=f"{office[:4]}-{uuid.uuid4().int % 10**6:06d}-1",
                    name="株式会社テスト商事",
                    office_code=office,
                    industry="情報通信業",
                    has_mypage=has_mypage,
                    version=1,
                ),
                employer_id,
            )
        )
        return employer_id

    async def posting(self, employer_id: str, **overrides: Any) -> str:
        job_id = uuid.uuid4().hex
        snap = PostingSnapshot.model_validate(snapshot(job_id, employer_id, **overrides))
        event = PostingPublished(job_id=job_id, version=1, posting=snap)
        await self.handled(await self.feed.publish(event, job_id, producer="jobs"))
        return job_id

    async def apply(
        self, seeker_id: str, job_id: str, route: str = "referral", **extra: Any
    ) -> httpx.Response:
        body = {"job_id": job_id, "route": route, "motivation": "御社で働きたいです。", **extra}
        return await self.client.post(
            "/api/v1/applications", json=body, headers=self.tokens.seeker(seeker_id)
        )

    async def applied(self, seeker_id: str, job_id: str, route: str = "referral") -> dict[str, Any]:
        resp = await self.apply(seeker_id, job_id, route)
        assert resp.status_code == 201, resp.text
        result: dict[str, Any] = resp.json()
        return result


@pytest.fixture(scope="session")
async def apps(make_settings: Any) -> AsyncIterator[AppsEnv]:
    settings = make_settings(ApplicationsSettings)
    tokens = Tokens(settings)
    app = create_app(settings, verifier=tokens.verifier())
    async with running(app) as client:
        feed = Feed(settings)
        await feed.start()
        spy = Spy(f"{settings.bus_prefix}hataraku.events")
        await spy.start()
        try:
            yield AppsEnv(app, client, tokens, feed, spy, settings)
        finally:
            await spy.stop()
            await feed.stop()
