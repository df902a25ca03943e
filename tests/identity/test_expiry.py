"""The expiry scan, on an identity of its own whose FrozenClock the test moves: notices 14, 7
and 1 days before the last valid day and the lapse, each raised exactly once although the
background loop and several direct scans run at the same time; an extension moves the notices
to the new last day; staff renew a lapsed registration."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import httpx
import pytest

from servicekit.clock import FrozenClock
from services.identity import service_registration
from services.identity.app import create_app
from services.identity.domain_seeker import JST
from services.identity.service import Identity
from services.identity.service_expiry import scan_expiry
from services.identity.settings import IdentitySettings
from tests.conftest import RUN_ID, eventually, running
from tests.identity.support import STAFF_PASSWORD, BusTap, bearer, new_email

pytestmark = pytest.mark.integration

EXPIRING = "identity.seeker.registration_expiring.v1"
LAPSED = "identity.seeker.registration_lapsed.v1"


@dataclass
class Expiry:
    client: httpx.AsyncClient
    clock: FrozenClock
    identity: Identity
    tap: BusTap
    staff: dict[str, str]

    def at(self, day: date, hour: int = 0) -> None:
        self.clock.set(datetime.combine(day, time(hour, 5), JST).astimezone(UTC))

    async def scan_hard(self) -> None:
        """Three scans at once, beside the background loop."""
        await asyncio.gather(*(scan_expiry(self.identity) for _ in range(3)))
        await asyncio.sleep(0.5)  # the loop (every 0.2 s) has had its turns too

    def events(self, seeker_id: str, type_: str) -> list[dict]:
        return [e.data for e in self.tap.events if e.subject == seeker_id and e.type == type_]

    async def register(self) -> dict:
        body = {"email": new_email(), "name": "期限 太郎", "birth_date": "1980-02-02"}
        r = await self.client.post("/api/v1/staff/seekers", headers=self.staff, json=body)
        assert r.status_code == 201, r.text
        return r.json()


@pytest.fixture(scope="module")
async def expiry(make_settings) -> AsyncIterator[Expiry]:
    settings = make_settings(
        IdentitySettings,
        db_name=f"t{RUN_ID}_identity_expiry",
        expiry_scan_seconds=0.2,
        uniform_response_seconds=0,
    )
    # frozen at the real time, so that the tokens it signs pass the real-time check
    clock = FrozenClock(datetime.now(UTC))
    app = create_app(settings, clock=clock)
    async with running(app) as client:
        tap = await BusTap().start(settings)
        identity: Identity = app.state.identity
        email = f"staff-{uuid.uuid4().hex[:8]}@hataraku.example"
        await service_registration.create_staff(
            identity, email=email, office_code="13010", password=STAFF_PASSWORD
        )
        r = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": STAFF_PASSWORD}
        )
        try:
            yield Expiry(client, clock, identity, tap, bearer(r.json()))
        finally:
            await tap.close()


async def test_notices_14_7_1_days_before_and_the_lapse_each_once(expiry):
    seeker = await expiry.register()
    sid, last = seeker["seeker_id"], date.fromisoformat(seeker["expires_on"])

    expiry.at(last - timedelta(days=15), hour=23)
    await expiry.scan_hard()
    assert expiry.events(sid, EXPIRING) == []

    for days in (14, 7, 1):
        expiry.at(last - timedelta(days=days))
        await expiry.scan_hard()

        def latest_is(d: int = days) -> bool:
            return [e["days_left"] for e in expiry.events(sid, EXPIRING)][-1:] == [d]

        await eventually(latest_is)
        # later the same day, and the day after: nothing new
        expiry.at(last - timedelta(days=days), hour=20)
        await expiry.scan_hard()
    expiry.at(last, hour=23)  # the last day is still valid
    await expiry.scan_hard()
    assert expiry.events(sid, LAPSED) == []

    expiry.at(last + timedelta(days=1))
    await expiry.scan_hard()
    await eventually(lambda: expiry.events(sid, LAPSED))
    await asyncio.sleep(0.5)
    expiry.at(last + timedelta(days=3))
    await expiry.scan_hard()

    notices = expiry.events(sid, EXPIRING)
    assert [n["days_left"] for n in notices] == [14, 7, 1]
    assert all(n["expires_on"] == last.isoformat() for n in notices)
    (lapse,) = expiry.events(sid, LAPSED)
    assert lapse["expired_on"] == last.isoformat()
    versions = [n["version"] for n in notices] + [lapse["version"]]
    assert versions == sorted(set(versions))
    ids = Counter(e.id for e in expiry.tap.events if e.subject == sid)
    assert set(ids.values()) == {1}  # every event published once

    # the record on the seeker document, then staff renew
    account = await expiry.identity.seekers.account_of_seeker(sid)
    assert account is not None and account["seeker"]["status"] == "lapsed"
    assert len(account["seeker"]["notices"]) == 4 and account["seeker"]["due_on"] is None
    r = await expiry.client.post(f"/api/v1/staff/seekers/{sid}/renew", headers=expiry.staff)
    assert r.status_code == 200 and r.json()["status"] == "registered"
    renewed = date.fromisoformat(r.json()["expires_on"])
    assert renewed > last + timedelta(days=56)

    expiry.at(renewed - timedelta(days=14))
    await expiry.scan_hard()
    await eventually(lambda: len(expiry.events(sid, EXPIRING)) == 4)
    assert expiry.events(sid, EXPIRING)[-1]["expires_on"] == renewed.isoformat()


async def test_an_extension_moves_the_notices_to_the_new_last_day(expiry):
    expiry.clock.set(datetime.now(UTC))
    seeker = await expiry.register()
    sid, last = seeker["seeker_id"], date.fromisoformat(seeker["expires_on"])
    expiry.at(last - timedelta(days=14))
    await expiry.scan_hard()
    await eventually(lambda: len(expiry.events(sid, EXPIRING)) == 1)

    r = await expiry.client.post(
        f"/api/v1/staff/seekers/{sid}/consultations", headers=expiry.staff, json={"note": "相談"}
    )
    new_last = date.fromisoformat(r.json()["expires_on"])
    assert new_last > last

    expiry.at(last - timedelta(days=7))
    await expiry.scan_hard()
    expiry.at(last + timedelta(days=1))
    await expiry.scan_hard()
    assert len(expiry.events(sid, EXPIRING)) == 1 and expiry.events(sid, LAPSED) == []

    expiry.at(new_last - timedelta(days=14))
    await expiry.scan_hard()
    await eventually(lambda: len(expiry.events(sid, EXPIRING)) == 2)
    assert expiry.events(sid, EXPIRING)[-1]["expires_on"] == new_last.isoformat()


async def test_the_background_loop_sends_one_notice_for_the_stages_missed(expiry):
    expiry.clock.set(datetime.now(UTC))
    seeker = await expiry.register()
    sid, last = seeker["seeker_id"], date.fromisoformat(seeker["expires_on"])
    expiry.at(last - timedelta(days=3))  # 14 and 7 days before were missed
    # no direct scan here: the background loop does it
    await eventually(lambda: expiry.events(sid, EXPIRING))
    await asyncio.sleep(0.3)
    assert [e["days_left"] for e in expiry.events(sid, EXPIRING)] == [3]
