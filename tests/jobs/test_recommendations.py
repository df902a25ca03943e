"""Integration: staff recommendations (office rules, event) and automatic ones from the profile."""

from __future__ import annotations

import pytest

from tests.conftest import eventually
from tests.jobs.support import OTHER_OFFICE, create

pytestmark = pytest.mark.integration
SIX_HOURS = [{"start": "09:00", "end": "16:00", "break_minutes": 60}]


async def recommend(
    jobs, seeker: str, job_id: str, headers=None, note: str = "ご希望に合う求人です"
):
    return await jobs.client.post(
        f"/api/v1/staff/seekers/{seeker}/recommendations",
        json={"job_id": job_id, "note": note},
        headers=headers or jobs.tokens.staff(),
    )


async def test_staff_recommend_to_their_own_offices_registered_seekers(jobs) -> None:
    employer = jobs.tokens.employer(await jobs.employer())
    job = await create(jobs.client, employer, title="経理事務")
    seeker = await jobs.seeker()

    resp = await recommend(jobs, seeker, job["job_id"])
    assert resp.status_code == 201, resp.text
    sent = resp.json()
    assert sent["status"] == "sent"
    (event,) = await jobs.spy.wait_for(
        "jobs.recommendation.sent.v1", recommendation_id=sent["recommendation_id"]
    )
    assert event.data["note"] == "ご希望に合う求人です" and event.data["title"] == "経理事務"
    assert event.data["seeker_id"] == seeker and event.data["revision"] == 1

    again = await recommend(jobs, seeker, job["job_id"])
    assert again.status_code == 409 and again.json()["code"] == "already_recommended"

    listed = (
        await jobs.client.get(
            "/api/v1/me/recommendations",
            params={"source": "office"},
            headers=jobs.tokens.seeker(seeker),
        )
    ).json()
    assert [(r["source"], r["job_id"], r["note"]) for r in listed["items"]] == [
        ("office", job["job_id"], "ご希望に合う求人です")
    ]
    assert listed["items"][0]["job"]["title"] == "経理事務"


async def test_recommendation_refusals(jobs) -> None:
    job = await create(jobs.client, jobs.tokens.employer(await jobs.employer()))
    provisional = await jobs.seeker(status="provisional")
    resp = await recommend(jobs, provisional, job["job_id"])
    assert resp.status_code == 409 and resp.json()["code"] == "seeker_provisional"

    elsewhere = await jobs.seeker(office=OTHER_OFFICE)
    resp = await recommend(jobs, elsewhere, job["job_id"])
    assert resp.status_code == 403 and resp.json()["code"] == "other_office"
    assert (
        await recommend(jobs, elsewhere, job["job_id"], headers=jobs.tokens.admin())
    ).status_code == 201

    resp = await recommend(jobs, "f" * 32, job["job_id"])
    assert resp.status_code == 404 and resp.json()["code"] == "seeker_not_found"

    seeker = await jobs.seeker()
    resp = await recommend(jobs, seeker, "0" * 32)
    assert resp.status_code == 404 and resp.json()["code"] == "job_not_found"
    closed = await create(jobs.client, jobs.tokens.staff(), employer_id=(await jobs.employer()))
    await jobs.client.post(f"/api/v1/jobs/{closed['job_id']}/close", headers=jobs.tokens.staff())
    resp = await recommend(jobs, seeker, closed["job_id"])
    assert resp.status_code == 409 and resp.json()["code"] == "posting_not_open"
    # only staff send recommendations
    resp = await recommend(jobs, seeker, job["job_id"], headers=jobs.tokens.seeker(seeker))
    assert resp.status_code == 403

    # a provisional seeker gets none, and is told why
    listed = (
        await jobs.client.get("/api/v1/me/recommendations", headers=jobs.tokens.seeker(provisional))
    ).json()
    assert listed == {
        "items": [],
        "next_cursor": None,
        "provisional": True,
        "profile_available": False,
    }


async def test_automatic_recommendations_say_why(jobs) -> None:
    seeker = await jobs.seeker()
    await jobs.identity.profile(
        seeker,
        version=2,
        desired_occupations=["25"],
        desired_places=[{"prefecture": "27", "municipality": "堺市堺区"}],
        employment_types=["full_time"],
        desired_wage_min=200000,
        desired_wage_unit="monthly",
    )
    await eventually(lambda: jobs.db["seekers"].find_one({"_id": seeker, "versions.profile": 2}))
    employer = jobs.tokens.employer(await jobs.employer())
    sakai = {"prefecture": "27", "municipality": "堺市堺区", "nearest_station": "堺東駅"}
    best = await create(
        jobs.client,
        employer,
        title="一般事務",
        occupation_code="25",
        wage_min=210000,
        wage_max=None,
        **sakai,
    )
    related = await create(
        jobs.client,
        employer,
        title="経理",
        occupation_code="26",
        wage_min=180000,
        wage_max=None,
        working_shifts=SIX_HOURS,  # 180,000 for 122.5 hours a month: above the minimum wage
        **sakai,
    )
    unrelated = await create(
        jobs.client,
        employer,
        title="酪農スタッフ",
        occupation_code="46",
        prefecture="01",
        municipality="帯広市",
        wage_min=150000,
        wage_max=None,
        working_shifts=SIX_HOURS,
    )
    headers = jobs.tokens.seeker(seeker)

    listed = (
        await jobs.client.get(
            "/api/v1/me/recommendations", params={"source": "auto"}, headers=headers
        )
    ).json()
    items = listed["items"]
    by_job = {i["job_id"]: i for i in items}
    assert items[0]["job_id"] == best["job_id"] and items[0]["source"] == "auto"
    assert [r["code"] for r in items[0]["reasons"]] == [
        "occupation",
        "municipality",
        "wage",
        "employment_type",
        "new",
    ]
    assert items[0]["reasons"][0]["text"] == "希望職種（一般事務の職業）に合う求人です"
    assert items[0]["reasons"][2]["text"] == "希望賃金（月給200,000円以上）を満たしています"
    assert [r["code"] for r in by_job[related["job_id"]]["reasons"]][:2] == [
        "occupation_group",
        "municipality",
    ]
    assert "wage" not in [r["code"] for r in by_job[related["job_id"]]["reasons"]]
    assert unrelated["job_id"] not in by_job
    english = (
        await jobs.client.get(
            "/api/v1/me/recommendations",
            params={"source": "auto"},
            headers={**headers, "Accept-Language": "en"},
        )
    ).json()
    assert (
        english["items"][0]["reasons"][0]["text"]
        == "Matches your desired occupation (一般事務の職業)"
    )

    # both sources together, each marked; dismissing removes one of each kind
    await recommend(jobs, seeker, unrelated["job_id"], note="酪農もいかがですか")
    both = (await jobs.client.get("/api/v1/me/recommendations", headers=headers)).json()["items"]
    assert both[0]["source"] == "office" and both[0]["job_id"] == unrelated["job_id"]
    assert {"auto"} == {i["source"] for i in both[1:]}
    office_id = both[0]["recommendation_id"]
    for target in (office_id, best["job_id"]):
        resp = await jobs.client.post(
            f"/api/v1/me/recommendations/{target}/dismiss", headers=headers
        )
        assert resp.status_code == 204
    remaining = (await jobs.client.get("/api/v1/me/recommendations", headers=headers)).json()[
        "items"
    ]
    assert office_id not in [i["recommendation_id"] for i in remaining]
    assert best["job_id"] not in [i["job_id"] for i in remaining]
    assert related["job_id"] in [i["job_id"] for i in remaining]
    resp = await jobs.client.post(f"/api/v1/me/recommendations/{'e' * 32}/dismiss", headers=headers)
    assert resp.status_code == 404 and resp.json()["code"] == "recommendation_not_found"


async def test_no_profile_yet_means_no_automatic_recommendations(jobs) -> None:
    seeker = await jobs.seeker()
    listed = (
        await jobs.client.get(
            "/api/v1/me/recommendations",
            params={"source": "auto"},
            headers=jobs.tokens.seeker(seeker),
        )
    ).json()
    assert listed["items"] == [] and listed["profile_available"] is False
