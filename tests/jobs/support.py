"""Test support for the jobs service: signed tokens, identity's events on the real broker, a spy
on the jobs events, and posting bodies."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from contracts import Envelope, Message
from contracts.identity import EmployerRegistered, SeekerProfileUpdated, SeekerRegistered
from servicekit import outbox
from servicekit.bus import Bus
from servicekit.settings import ServiceSettings
from tests.support import OFFICE, OTHER_OFFICE, Tokens  # noqa: F401 - the suite's tests import them from here
from tests.support import Spy as SharedSpy


class Identity:
    """Publishes identity's events onto the test's broker namespace, as identity would."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.bus = Bus(settings)

    async def start(self) -> None:
        await self.bus.broker.connect()

    async def stop(self) -> None:
        await self.bus.broker.stop()

    async def publish(self, event: Message, subject: str) -> Envelope:
        env = outbox.envelope(event, producer="identity", subject=subject)
        await self.bus.publish(env)
        return env

    async def employer(
        self, *, office: str = OFFICE, has_mypage: bool = True, name: str = "株式会社テスト商事"
    ) -> str:
        employer_id = uuid.uuid4().hex
        await self.publish(
            EmployerRegistered(
                employer_id=employer_id,
                establishment_number=f"{office[:4]}-{uuid.uuid4().int % 10**6:06d}-1",
                name=name,
                office_code=office,
                industry="情報通信業",
                has_mypage=has_mypage,
                version=1,
            ),
            employer_id,
        )
        return employer_id

    async def seeker(
        self, *, office: str = OFFICE, status: str = "registered", version: int = 1
    ) -> str:
        seeker_id = uuid.uuid4().hex
        await self.publish(
            SeekerRegistered(
                seeker_id=seeker_id,
                seeker_number=f"{office}-{uuid.uuid4().int % 10**8:08d}",
                office_code=office,
                status=status,
                registered_on="2026-11-01",
                version=version,
            ),
            seeker_id,
        )
        return seeker_id

    async def profile(
        self, seeker_id: str, *, version: int, office: str = OFFICE, **profile: Any
    ) -> None:
        await self.publish(
            SeekerProfileUpdated.model_validate(
                {
                    "seeker_id": seeker_id,
                    "office_code": office,
                    "status": profile.pop("status", "registered"),
                    "visibility": "public",
                    "accepts_direct_requests": True,
                    "profile": profile,
                    "version": version,
                }
            ),
            seeker_id,
        )


def posting(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "社内システムエンジニア",
        "description": "自社の業務システムの開発と保守。",
        "occupation_code": "10",
        "prefecture": "13",
        "municipality": "新宿区",
        "nearest_station": "新宿駅",
        "employment_type": "full_time",
        "wage_min": 250000,
        "wage_max": 350000,
        "wage_unit": "monthly",
        "working_hours": "9:00〜18:00",
        "days_off": ["sat", "sun"],
        "public_holidays_off": True,
        "annual_holidays": 120,
        "two_day_weekend": "every_week",
        "insurance": ["employment", "workers_comp", "health", "pension"],
        "accepts_online_referral": True,
        "accepts_direct_application": False,
    }
    body.update(overrides)
    return body


def marker() -> str:
    """A word no other posting has: lets a test search only among its own postings."""
    letters = "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:8])
    return f"zz{letters}"


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    resp = await client.post("/api/v1/jobs", json=posting(**overrides), headers=headers)
    assert resp.status_code == 201, resp.text
    result: dict[str, Any] = resp.json()
    return result


async def settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)


@dataclass
class Spy(SharedSpy):
    """The spy on what this service publishes."""

    pattern: str = "jobs.#"


async def searchable(
    client: httpx.AsyncClient, count: int, timeout: float = 10.0, **params: Any
) -> list[str]:
    """Wait until a search finds ``count`` postings (the index follows the writes within about a
    second); their ids."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        resp = await client.get("/api/v1/jobs", params={"limit": 100, **params})
        assert resp.status_code == 200, resp.text
        found = [i["job_id"] for i in resp.json()["items"]]
        if len(found) == count:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"search found {len(found)} postings, not {count}: {params}")
        await asyncio.sleep(0.05)
