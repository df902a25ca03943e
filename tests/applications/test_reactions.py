"""Integration: projections of identity's and jobs' facts and the reactions they cause —
idempotent (an event twice has one effect) and order-safe (an older event after a newer one
changes nothing)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import pytest

from contracts.identity import MypageOpened, SeekerCancelled, SeekerProfileUpdated, SeekerRegistered
from contracts.jobs import PostingClosed, PostingExpired, PostingRenewed

pytestmark = pytest.mark.integration


def closed(job: str, employer: str, version: int) -> PostingClosed:
    return PostingClosed(
        job_id=job,
        job_number="13010-00000001",
        employer_id=employer,
        version=version,
        closed_by="employer",
    )


async def test_cancelling_a_registration_ends_what_is_open_once(apps) -> None:
    seeker = await apps.seeker()
    employer = await apps.employer()
    jobs = [await apps.posting(employer) for _ in range(3)]
    open_referral = (await apps.applied(seeker, jobs[0]))["application_id"]
    open_direct = (await apps.applied(seeker, jobs[1], "direct"))["application_id"]
    finished = (await apps.applied(seeker, jobs[2], "direct"))["application_id"]
    emp = apps.tokens.employer(employer)
    await apps.client.post(
        f"/api/v1/applications/{finished}/status", json={"status": "rejected"}, headers=emp
    )
    request = await apps.client.post(
        "/api/v1/requests",
        json={"seeker_id": seeker, "job_id": jobs[2], "message": "いかがですか"},
        headers=emp,
    )
    assert request.status_code == 201

    event = SeekerCancelled(
        seeker_id=seeker, cancelled_by="seeker", cancelled_on=date.today(), version=7
    )
    await apps.handled(await apps.feed.publish(event, seeker))
    await apps.handled(await apps.feed.publish(event, seeker))  # the same fact again

    for app_id in (open_referral, open_direct):
        got = await apps.spy.wait_for(
            "applications.application.withdrawn.v1", application_id=app_id
        )
        assert got[0].data["by_role"] == "system" and got[0].data["reason"] == "seeker_cancelled"
    mine = await apps.client.get("/api/v1/me/applications", headers=apps.tokens.seeker(seeker))
    statuses = {i["application_id"]: i["status"] for i in mine.json()["items"]}
    assert statuses == {open_referral: "withdrawn", open_direct: "withdrawn", finished: "rejected"}
    expired = await apps.spy.wait_for(
        "applications.request.expired.v1", request_id=request.json()["request_id"]
    )
    assert expired[0].data["reason"] == "seeker_cancelled"
    # the employer no longer sees the profile of the cancelled seeker
    listed = await apps.client.get("/api/v1/employer/applications", headers=emp)
    item = next(i for i in listed.json()["items"] if i["application_id"] == open_direct)
    assert item["applicant"]["desired"] is None and item["applicant"]["age_band"] is None
    # a late, older registration event does not bring the seeker back
    late = SeekerRegistered(
        seeker_id=seeker,
        seeker_number="13010-00000001",
        office_code="13010",
        status="registered",
        registered_on=date.today(),
        version=1,
    )
    await apps.handled(await apps.feed.publish(late, seeker))
    resp = await apps.apply(seeker, jobs[0])
    assert resp.status_code == 409 and resp.json()["code"] == "seeker_cancelled"
    await asyncio.sleep(0.5)
    for app_id in (open_referral, open_direct):
        events = apps.spy.of("applications.application.withdrawn.v1", application_id=app_id)
        # one effect: one event (a repeat delivery would carry the same id)
        assert len({e.id for e in events}) == 1, [(str(e.id), e.data["version"]) for e in events]


async def test_posting_facts_are_order_safe(apps) -> None:
    employer = await apps.employer()
    job = await apps.posting(employer)
    seeker = await apps.seeker()
    await apps.handled(await apps.feed.publish(closed(job, employer, 3), job, "jobs"))
    # an older renewal arriving late does not reopen it
    old = PostingRenewed(
        job_id=job,
        job_number="13010-00000001",
        employer_id=employer,
        version=2,
        revision=1,
        valid_until=date.today() + timedelta(days=30),
        reopened=True,
    )
    await apps.handled(await apps.feed.publish(old, job, "jobs"))
    assert (await apps.apply(seeker, job)).json()["code"] == "posting_closed"
    newer = old.model_copy(update={"version": 4})
    await apps.handled(await apps.feed.publish(newer, job, "jobs"))
    assert (await apps.apply(seeker, job)).status_code == 201


async def test_a_late_closing_event_after_a_renewal_expires_nothing(apps) -> None:
    employer = await apps.employer()
    job = await apps.posting(employer)
    seeker = await apps.seeker()
    sent = await apps.client.post(
        "/api/v1/requests",
        json={"seeker_id": seeker, "job_id": job, "message": "ご検討ください"},
        headers=apps.tokens.employer(employer),
    )
    request_id = sent.json()["request_id"]
    renewed = PostingRenewed(
        job_id=job,
        job_number="13010-00000001",
        employer_id=employer,
        version=5,
        revision=1,
        valid_until=date.today() + timedelta(days=30),
        reopened=True,
    )
    await apps.handled(await apps.feed.publish(renewed, job, "jobs"))
    expired = PostingExpired(
        job_id=job,
        job_number="13010-00000001",
        employer_id=employer,
        version=4,
        valid_until=date.today() - timedelta(days=1),
    )
    await apps.handled(await apps.feed.publish(expired, job, "jobs"))
    await asyncio.sleep(0.3)
    assert not apps.spy.of("applications.request.expired.v1", request_id=request_id)
    mine = await apps.client.get("/api/v1/me/requests", headers=apps.tokens.seeker(seeker))
    assert mine.json()["items"][0]["status"] == "pending"


async def test_projections_accept_facts_in_any_order(apps) -> None:
    # the profile overtakes the registration
    seeker = uuid.uuid4().hex
    profile = SeekerProfileUpdated.model_validate(
        {
            "seeker_id": seeker,
            "office_code": "13010",
            "status": "registered",
            "visibility": "public",
            "accepts_direct_requests": True,
            "profile": {"age_band": "40-44", "desired_occupations": ["10"]},
            "version": 2,
        }
    )
    await apps.handled(await apps.feed.publish(profile, seeker))
    registered = SeekerRegistered(
        seeker_id=seeker,
        seeker_number="13010-00000777",
        office_code="13010",
        status="provisional",
        registered_on=date.today(),
        version=1,
    )
    await apps.handled(await apps.feed.publish(registered, seeker))
    doc = await apps.db["seekers"].find_one({"_id": seeker})
    assert doc["status"] == "registered" and doc["seeker_number"] == "13010-00000777"
    job = await apps.posting(await apps.employer())
    made = await apps.applied(seeker, job)  # registered (not provisional): referral allowed
    assert made["seeker_number"] == "13010-00000777"

    # an employer registered without a My Page opens it later: it may send requests then
    employer = await apps.employer(has_mypage=False)
    own = await apps.posting(employer)
    body = {"seeker_id": await apps.seeker(), "job_id": own, "message": "ぜひ"}
    headers = apps.tokens.employer(employer)
    assert (
        await apps.client.post("/api/v1/requests", json=body, headers=headers)
    ).status_code == 403
    opened = MypageOpened(
        account_id=uuid.uuid4().hex, account_type="employer", employer_id=employer, version=2
    )
    await apps.handled(await apps.feed.publish(opened, employer))
    assert (
        await apps.client.post("/api/v1/requests", json=body, headers=headers)
    ).status_code == 201
