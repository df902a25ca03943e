"""Integration: direct requests (リクエスト) over HTTP — the quota of 10 seekers per posting and
once per seeker, decided under concurrency; the rules; the seeker's answer or refusal; the
employer's search of public profiles."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from contracts.identity import SeekerVisibilityChanged
from contracts.jobs import PostingClosed

pytestmark = pytest.mark.integration


async def send(apps, employer: str, seeker: str, job: str, message: str = "ぜひご応募ください。"):
    return await apps.client.post(
        "/api/v1/requests",
        json={"seeker_id": seeker, "job_id": job, "message": message},
        headers=apps.tokens.employer(employer),
    )


async def test_twenty_parallel_requests_fill_at_most_ten_slots(apps) -> None:
    employer = await apps.employer()
    job = await apps.posting(employer)
    seekers = [await apps.seeker() for _ in range(20)]
    results = await asyncio.gather(*(send(apps, employer, s, job) for s in seekers))
    codes = [r.status_code for r in results]
    assert codes.count(201) == 10, [r.text for r in results]
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"request_quota_exceeded"}
    listed = await apps.client.get(
        "/api/v1/employer/requests", params={"job_id": job}, headers=apps.tokens.employer(employer)
    )
    assert listed.status_code == 200
    assert listed.json()["quota"] == {"limit": 10, "used": 10, "remaining": 0}
    assert len(listed.json()["items"]) == 10
    # the same list on the path the gateway already routes
    alias = await apps.client.get(
        "/api/v1/requests", params={"job_id": job}, headers=apps.tokens.employer(employer)
    )
    assert alias.json()["quota"]["used"] == 10
    # a seeker who got one is refused as already asked, one who did not as over quota
    asked = next(s for s, r in zip(seekers, results, strict=True) if r.status_code == 201)
    again = await send(apps, employer, asked, job)
    assert again.status_code == 409 and again.json()["code"] == "already_requested"
    await apps.spy.wait_for("applications.request.sent.v1", 10, job_id=job)
    await asyncio.sleep(0.3)
    assert len(apps.spy.of("applications.request.sent.v1", job_id=job)) == 10


async def test_one_request_per_seeker_and_posting_even_in_parallel(apps) -> None:
    employer = await apps.employer()
    job = await apps.posting(employer)
    seeker = await apps.seeker()
    results = await asyncio.gather(*(send(apps, employer, seeker, job) for _ in range(8)))
    assert sorted(r.status_code for r in results) == [201] + [409] * 7
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"already_requested"}
    listed = await apps.client.get(
        "/api/v1/employer/requests", params={"job_id": job}, headers=apps.tokens.employer(employer)
    )
    # the refused ones did not use up slots
    assert listed.json()["quota"] == {"limit": 10, "used": 1, "remaining": 9}


async def test_the_rules_of_sending(apps) -> None:
    employer = await apps.employer()
    job = await apps.posting(employer)
    private = await apps.seeker(visibility="private")
    closed_door = await apps.seeker(accepts_direct_requests=False)
    cases = [
        (await send(apps, employer, private, job), 409, "profile_not_public"),
        (await send(apps, employer, uuid.uuid4().hex, job), 409, "profile_not_public"),
        (await send(apps, employer, closed_door, job), 409, "requests_not_accepted"),
    ]
    no_direct = await apps.posting(employer, accepts_direct_application=False)
    seeker = await apps.seeker()
    cases.append(
        (await send(apps, employer, seeker, no_direct), 409, "direct_application_not_accepted")
    )
    other = await apps.employer()
    cases.append((await send(apps, other, seeker, job), 403, "not_posting_owner"))
    without_mypage = await apps.employer(has_mypage=False)
    own = await apps.posting(without_mypage)
    cases.append((await send(apps, without_mypage, seeker, own), 403, "employer_mypage_required"))
    for resp, status, code in cases:
        assert (resp.status_code, resp.json()["code"]) == (status, code), resp.text
    too_long = await send(apps, employer, seeker, job, "あ" * 1001)
    assert too_long.status_code == 422
    # a profile made private later takes no more requests
    later = await apps.seeker()
    hidden = SeekerVisibilityChanged(
        seeker_id=later, visibility="private", accepts_direct_requests=True, version=3
    )
    await apps.handled(await apps.feed.publish(hidden, later))
    resp = await send(apps, employer, later, job)
    assert resp.status_code == 409 and resp.json()["code"] == "profile_not_public"


async def test_the_seeker_answers_by_applying_or_declines(apps) -> None:
    employer = await apps.employer()
    job = await apps.posting(employer)
    other_job = await apps.posting(employer)
    seeker = await apps.seeker()
    headers = apps.tokens.seeker(seeker)
    first = (await send(apps, employer, seeker, job, "  ご経験を拝見しました。\u0007")).json()
    second = (await send(apps, employer, seeker, other_job)).json()

    mine = await apps.client.get("/api/v1/me/requests", headers=headers)
    assert [r["request_id"] for r in mine.json()["items"]] == [
        second["request_id"],
        first["request_id"],
    ]
    got = mine.json()["items"][1]
    assert got["message"] == "ご経験を拝見しました。" and got["status"] == "pending"
    assert "client_reference" not in got or got["client_reference"] is None

    wrong_posting = await apps.apply(seeker, other_job, "direct", request_id=first["request_id"])
    assert wrong_posting.status_code == 409
    answer = await apps.apply(seeker, job, "direct", request_id=first["request_id"])
    assert answer.status_code == 201, answer.text
    assert answer.json()["request_id"] == first["request_id"]
    declined = await apps.client.post(
        f"/api/v1/me/requests/{second['request_id']}/decline", headers=headers
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    twice = await apps.client.post(
        f"/api/v1/me/requests/{second['request_id']}/decline", headers=headers
    )
    assert twice.status_code == 409 and twice.json()["code"] == "request_not_pending"
    late = await apps.apply(seeker, other_job, "direct", request_id=second["request_id"])
    assert late.status_code == 409 and late.json()["code"] == "request_not_pending"
    # someone else's request is not there at all
    stranger = await apps.client.post(
        f"/api/v1/me/requests/{first['request_id']}/decline",
        headers=apps.tokens.seeker(await apps.seeker()),
    )
    assert stranger.status_code == 404

    statuses = {
        r["request_id"]: (r["status"], r["application_id"])
        for r in (await apps.client.get("/api/v1/me/requests", headers=headers)).json()["items"]
    }
    assert statuses[first["request_id"]] == ("answered", answer.json()["application_id"])
    assert statuses[second["request_id"]] == ("declined", None)
    await apps.spy.wait_for("applications.request.declined.v1", request_id=second["request_id"])
    submitted = await apps.spy.wait_for(
        "applications.application.submitted.v1", request_id=first["request_id"]
    )
    assert submitted[0].data["route"] == "direct"


async def test_closing_a_posting_expires_its_pending_requests(apps) -> None:
    employer = await apps.employer()
    job = await apps.posting(employer)
    pending, answered = await apps.seeker(), await apps.seeker()
    r1 = (await send(apps, employer, pending, job)).json()
    r2 = (await send(apps, employer, answered, job)).json()
    await apps.apply(answered, job, "direct", request_id=r2["request_id"])
    closed = PostingClosed(
        job_id=job, job_number="13010-00000001", employer_id=employer, version=2, closed_by="staff"
    )
    await apps.handled(await apps.feed.publish(closed, job, producer="jobs"))
    expired = await apps.spy.wait_for(
        "applications.request.expired.v1", request_id=r1["request_id"]
    )
    assert expired[0].data["reason"] == "posting_closed"
    mine = await apps.client.get("/api/v1/me/requests", headers=apps.tokens.seeker(pending))
    assert mine.json()["items"][0]["status"] == "expired"
    assert not apps.spy.of("applications.request.expired.v1", request_id=r2["request_id"])
    # the applicant is told (the application itself goes on)
    note = await apps.spy.wait_for("applications.application.posting_closed.v1", job_id=job)
    assert note[0].data["reason"] == "closed" and note[0].data["status"] == "applied"
    # and nobody can send for a closed posting
    resp = await send(apps, employer, await apps.seeker(), job)
    assert resp.status_code == 409 and resp.json()["code"] == "posting_closed"


async def test_employers_search_public_profiles_without_personal_data(apps) -> None:
    occupation = f"9{uuid.uuid4().int % 90 + 10}"  # a code no other test uses
    profile = {
        "age_band": "30-34",
        "desired_occupations": [occupation],
        "desired_places": [{"prefecture": "27"}],
        "employment_types": ["part_time"],
        "desired_wage_min": 1200,
        "desired_wage_unit": "hourly",
        "self_pr": "接客が得意です。",
        "experience": "飲食店 5年",
    }
    public = await apps.seeker(profile=profile)
    await apps.seeker(profile=profile, visibility="private")
    pricey = await apps.seeker(profile={**profile, "desired_wage_min": 2000})
    employer = await apps.employer()
    headers = apps.tokens.employer(employer)

    async def search(**params):
        resp = await apps.client.get(
            "/api/v1/employer/seekers", params={"occupation": occupation, **params}, headers=headers
        )
        assert resp.status_code == 200, resp.text
        return resp.json()

    found = await search()
    assert {i["seeker_id"] for i in found["items"]} == {public, pricey}
    card = next(i for i in found["items"] if i["seeker_id"] == public)
    assert card["age_band"] == "30-34" and card["desired"]["desired_wage_min"] == 1200
    assert "self_pr" not in str(card) and "experience" not in str(card) and "name" not in card
    assert {i["seeker_id"] for i in (await search(wage=1500, wage_unit="hourly"))["items"]} == {
        public
    }
    assert (await search(prefecture="13"))["items"] == []
    assert (await search(employment_type="full_time"))["items"] == []
    page1 = await search(limit=1)
    page2 = await search(limit=1, cursor=page1["next_cursor"])
    assert page1["next_cursor"] and len(page2["items"]) == 1
    assert page1["items"][0]["seeker_id"] != page2["items"][0]["seeker_id"]
    no_mypage = apps.tokens.employer(await apps.employer(has_mypage=False))
    resp = await apps.client.get("/api/v1/employer/seekers", headers=no_mypage)
    assert resp.status_code == 403 and resp.json()["code"] == "employer_mypage_required"
