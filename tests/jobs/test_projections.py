"""Integration: identity's facts kept as projections — idempotent and order-safe on the real
broker (an older event arriving after a newer one never wins)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from contracts import Envelope
from contracts.identity import (
    EmployerRegistered,
    MypageOpened,
    SeekerConfirmed,
    SeekerProfileUpdated,
    SeekerRegistered,
)
from tests.conftest import eventually
from tests.jobs.support import OFFICE, create, posting

pytestmark = pytest.mark.integration


async def handled(jobs, env: Envelope) -> None:
    """Wait until the jobs consumer has handled this event."""
    key = f"{jobs.settings.bus_prefix}jobs.events:{env.id}"
    await eventually(lambda: jobs.db["processed_messages"].find_one({"_id": key, "state": "done"}))


def registered(
    employer_id: str, name: str, version: int, *, has_mypage: bool = True
) -> EmployerRegistered:
    return EmployerRegistered(
        employer_id=employer_id,
        establishment_number="1301-123456-1",
        name=name,
        office_code=OFFICE,
        industry="製造業",
        has_mypage=has_mypage,
        version=version,
    )


async def test_an_older_employer_event_after_a_newer_one_changes_nothing(jobs) -> None:
    employer = uuid.uuid4().hex
    await handled(
        jobs, await jobs.identity.publish(registered(employer, "新社名株式会社", 2), employer)
    )
    late = await jobs.identity.publish(registered(employer, "旧社名株式会社", 1), employer)
    await handled(jobs, late)
    again = await jobs.identity.publish(
        registered(employer, "旧社名株式会社", 2), employer
    )  # a repeat
    await handled(jobs, again)
    created = await create(jobs.client, jobs.tokens.employer(employer))
    read = (await jobs.client.get(f"/api/v1/jobs/{created['job_id']}")).json()
    assert read["employer_name"] == "新社名株式会社"


async def test_an_employer_my_page_opened_later_allows_posting(jobs) -> None:
    employer = await jobs.employer(has_mypage=False)
    headers = jobs.tokens.employer(employer)
    assert (
        await jobs.client.post("/api/v1/jobs", json=posting(), headers=headers)
    ).status_code == 403
    opened = MypageOpened(
        account_id=uuid.uuid4().hex, account_type="employer", employer_id=employer, version=2
    )
    await handled(jobs, await jobs.identity.publish(opened, employer))
    resp = await jobs.client.post(
        "/api/v1/jobs", json=posting(accepts_direct_application=True), headers=headers
    )
    assert resp.status_code == 201, resp.text
    # the registration arriving again (or late) does not take the My Page away
    await handled(
        jobs,
        await jobs.identity.publish(
            registered(employer, "株式会社テスト商事", 1, has_mypage=False), employer
        ),
    )
    assert (
        await jobs.client.post("/api/v1/jobs", json=posting(), headers=headers)
    ).status_code == 201


async def test_seeker_status_is_order_safe(jobs) -> None:
    seeker = uuid.uuid4().hex
    confirmed = SeekerConfirmed(
        seeker_id=seeker,
        seeker_number=f"{OFFICE}-00000042",
        office_code=OFFICE,
        expires_on=date(2027, 2, 28),
        version=2,
    )
    provisional = SeekerRegistered(
        seeker_id=seeker,
        seeker_number=f"{OFFICE}-00000042",
        office_code=OFFICE,
        status="provisional",
        registered_on=date(2026, 11, 20),
        version=1,
    )
    # the confirmation overtakes the provisional registration
    await handled(jobs, await jobs.identity.publish(confirmed, seeker))
    await handled(jobs, await jobs.identity.publish(provisional, seeker))
    doc = await jobs.db["seekers"].find_one({"_id": seeker})
    assert doc["status"] == "registered" and doc["office_code"] == OFFICE
    # so staff may recommend to this seeker (a provisional one would be refused)
    job = await create(jobs.client, jobs.tokens.employer(await jobs.employer()))
    resp = await jobs.client.post(
        f"/api/v1/staff/seekers/{seeker}/recommendations",
        json={"job_id": job["job_id"], "note": "いかがですか"},
        headers=jobs.tokens.staff(),
    )
    assert resp.status_code == 201, resp.text


async def test_profile_updates_keep_the_newest(jobs) -> None:
    seeker = await jobs.seeker()
    await jobs.identity.profile(
        seeker, version=3, desired_occupations=["25"], desired_wage_min=220000
    )
    await eventually(lambda: jobs.db["seekers"].find_one({"_id": seeker, "versions.profile": 3}))
    env = await jobs.identity.publish(
        SeekerProfileUpdated.model_validate(
            {
                "seeker_id": seeker,
                "office_code": OFFICE,
                "status": "registered",
                "visibility": "private",
                "accepts_direct_requests": False,
                "profile": {"desired_occupations": ["46"]},
                "version": 2,
            }
        ),
        seeker,
    )
    await handled(jobs, env)
    doc = await jobs.db["seekers"].find_one({"_id": seeker})
    assert doc["profile"]["desired_occupations"] == ["25"] and doc["visibility"] == "public"
