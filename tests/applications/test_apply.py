"""Integration: the rules of applying — who may, to what, how often, with what text — and the
posting revision each application keeps."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from contracts.identity import RegistrationExtended, RegistrationLapsed, SeekerCancelled
from contracts.jobs import PostingChanged, PostingClosed, PostingSnapshot
from tests.applications.support import snapshot

pytestmark = pytest.mark.integration


def code(resp) -> str:
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.text
    return str(resp.json()["code"])


async def test_a_provisional_seeker_may_apply_directly_but_not_through_the_office(apps) -> None:
    seeker = await apps.seeker(status="provisional")
    job = await apps.posting(await apps.employer())
    referral = await apps.apply(seeker, job, "referral")
    assert referral.status_code == 409 and code(referral) == "provisional_seeker"
    assert "仮登録" in referral.json()["detail"]
    direct = await apps.apply(seeker, job, "direct")
    assert direct.status_code == 201, direct.text
    assert direct.json()["status"] == "applied"


async def test_each_route_only_where_the_posting_accepts_it(apps) -> None:
    seeker = await apps.seeker()
    employer = await apps.employer()
    no_direct = await apps.posting(employer, accepts_direct_application=False)
    no_referral = await apps.posting(employer, accepts_online_referral=False)
    resp = await apps.apply(seeker, no_direct, "direct")
    assert resp.status_code == 409 and code(resp) == "direct_application_not_accepted"
    resp = await apps.apply(seeker, no_referral, "referral")
    assert resp.status_code == 409 and code(resp) == "online_referral_not_accepted"
    assert (await apps.apply(seeker, no_direct, "referral")).status_code == 201
    assert (await apps.apply(seeker, no_referral, "direct")).status_code == 201


async def test_closed_and_expired_postings_take_no_applications(apps) -> None:
    seeker = await apps.seeker()
    employer = await apps.employer()
    job = await apps.posting(employer)
    closed = PostingClosed(
        job_id=job,
        job_number="13010-00000001",
        employer_id=employer,
        version=2,
        closed_by="employer",
    )
    await apps.handled(await apps.feed.publish(closed, job, producer="jobs"))
    resp = await apps.apply(seeker, job)
    assert resp.status_code == 409 and code(resp) == "posting_closed"
    # past its last valid day, before any expiry event arrived
    stale = await apps.posting(employer, valid_until=(date.today() - timedelta(days=2)).isoformat())
    resp = await apps.apply(seeker, stale, "direct")
    assert resp.status_code == 409 and code(resp) == "posting_closed"
    missing = await apps.apply(seeker, uuid.uuid4().hex)
    assert missing.status_code == 404 and code(missing) == "job_not_found"


async def test_cancelled_lapsed_and_unknown_seekers_cannot_apply(apps) -> None:
    job = await apps.posting(await apps.employer())
    cancelled = await apps.seeker()
    event = SeekerCancelled(
        seeker_id=cancelled, cancelled_by="seeker", cancelled_on=date.today(), version=5
    )
    await apps.handled(await apps.feed.publish(event, cancelled))
    resp = await apps.apply(cancelled, job, "direct")
    assert resp.status_code == 409 and code(resp) == "seeker_cancelled"

    lapsed = await apps.seeker()
    lapse = RegistrationLapsed(seeker_id=lapsed, expired_on=date.today(), version=3)
    await apps.handled(await apps.feed.publish(lapse, lapsed))
    resp = await apps.apply(lapsed, job)
    assert resp.status_code == 409 and code(resp) == "registration_lapsed"
    # renewed by staff: valid again
    renewed = RegistrationExtended(
        seeker_id=lapsed, expires_on=date.today() + timedelta(days=60), reason="renewal", version=4
    )
    await apps.handled(await apps.feed.publish(renewed, lapsed))
    assert (await apps.apply(lapsed, job)).status_code == 201

    unknown = await apps.apply(uuid.uuid4().hex, job)
    assert unknown.status_code == 409 and code(unknown) == "seeker_unknown"
    no_seeker = await apps.client.post(
        "/api/v1/applications",
        json={"job_id": job, "route": "direct", "motivation": "はい"},
        headers=apps.tokens.headers("seeker"),
    )
    assert no_seeker.status_code == 403 and code(no_seeker) == "no_seeker_registration"
    employer = await apps.client.post(
        "/api/v1/applications",
        json={"job_id": job, "route": "direct", "motivation": "はい"},
        headers=apps.tokens.employer(uuid.uuid4().hex),
    )
    assert employer.status_code == 403


async def test_a_parallel_apply_waits_for_the_winning_insert(apps) -> None:
    """The losing requests of a race find the claim before its application is written; they
    wait for that insert and answer already_applied, never "pending, retry" (a slow insert,
    as under load, made the window wide)."""
    store = apps.app.state.applications.apply.core.store
    applications = store.applications

    class SlowInsert:
        def __getattr__(self, name: str) -> Any:
            return getattr(applications, name)

        async def insert_one(self, doc: Any) -> Any:
            await asyncio.sleep(0.5)
            return await applications.insert_one(doc)

    seeker = await apps.seeker()
    job = await apps.posting(await apps.employer())
    store.applications = SlowInsert()
    try:
        results = await asyncio.gather(*(apps.apply(seeker, job, "direct") for _ in range(4)))
    finally:
        store.applications = applications
    assert sorted(r.status_code for r in results) == [201] + [409] * 3
    assert {code(r) for r in results if r.status_code == 409} == {"already_applied"}


async def test_one_live_application_per_posting_even_in_parallel(apps) -> None:
    seeker = await apps.seeker()
    job = await apps.posting(await apps.employer())
    results = await asyncio.gather(
        *(apps.apply(seeker, job, "referral" if i % 2 else "direct") for i in range(10))
    )
    assert sorted(r.status_code for r in results) == [201] + [409] * 9
    assert {code(r) for r in results if r.status_code == 409} == {"already_applied"}
    created = next(r.json() for r in results if r.status_code == 201)
    # withdrawn (辞退): the posting is open to this seeker again
    withdrawn = await apps.client.post(
        f"/api/v1/applications/{created['application_id']}/withdraw",
        json={"reason": "他社に決まりました"},
        headers=apps.tokens.seeker(seeker),
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    again = await apps.apply(seeker, job)
    assert again.status_code == 201
    await apps.spy.wait_for(
        "applications.application.withdrawn.v1",
        application_id=created["application_id"],
        reason="他社に決まりました",
        by_role="seeker",
    )


async def test_the_motivation_is_required_normalised_and_bounded(apps) -> None:
    seeker = await apps.seeker()
    employer = await apps.employer()
    jobs = [await apps.posting(employer) for _ in range(2)]
    resp = await apps.client.post(
        "/api/v1/applications",
        json={
            "job_id": jobs[0],
            "route": "direct",
            "motivation": "  ＩＴの仕事が\u0000したい\u0007です\r\n",
        },
        headers=apps.tokens.seeker(seeker),
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["motivation"] == "ITの仕事がしたいです"

    def body(**changes):
        return {"job_id": jobs[1], "route": "direct", "motivation": "x" * 2000, **changes}

    headers = apps.tokens.seeker(seeker)
    for bad in (
        body(motivation="x" * 2001),
        body(motivation="\u0000\u0001  "),
        {k: v for k, v in body().items() if k != "motivation"},
        body(route="walk_in"),
        body(job_id="not-an-id"),
        body(extra="field"),
        body(request_id=uuid.uuid4().hex, route="referral"),
    ):
        resp = await apps.client.post("/api/v1/applications", json=bad, headers=headers)
        assert resp.status_code == 422, (bad.keys(), resp.text)
        assert code(resp) == "validation_error" and resp.json()["errors"]
    english = await apps.client.post(
        "/api/v1/applications",
        json=body(motivation=""),
        headers={**headers, "Accept-Language": "en"},
    )
    assert english.json()["detail"] == "The input is not valid."
    longest = await apps.client.post("/api/v1/applications", json=body(), headers=headers)
    assert longest.status_code == 201


async def test_each_application_keeps_the_revision_it_was_made_against(apps) -> None:
    employer = await apps.employer()
    job = await apps.posting(employer, title="倉庫内作業")
    first = await apps.applied(await apps.seeker(), job, "direct")
    snap = snapshot(job, employer, revision=2, title="倉庫内作業（リーダー候補）", wage_min=280000)
    changed = PostingChanged(
        job_id=job,
        version=2,
        revision=2,
        changed_fields=("title", "wage_min"),
        status="open",
        posting=PostingSnapshot.model_validate(snap),
    )
    await apps.handled(await apps.feed.publish(changed, job, producer="jobs"))
    second = await apps.applied(await apps.seeker(), job, "direct")
    assert (first["revision"], first["posting"]["title"]) == (1, "倉庫内作業")
    assert (second["revision"], second["posting"]["title"]) == (2, "倉庫内作業（リーダー候補）")
    reread = await apps.client.get(
        f"/api/v1/applications/{first['application_id']}", headers=apps.tokens.staff()
    )
    assert reread.json()["posting"]["wage_min"] == 250000
    events = await apps.spy.wait_for(
        "applications.application.submitted.v1", application_id=second["application_id"]
    )
    data = events[0].data
    assert data["revision"] == 2 and data["route"] == "direct" and data["office_code"] == "13010"
    assert date.fromisoformat(data["submitted_on"]) >= date.today() - timedelta(days=1)
    assert data["seeker_id"] == second["seeker_id"] and data["version"] == 1
