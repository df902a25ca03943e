"""Integration: new postings that match a saved search are announced at most once per saved
search per day (jobs.saved_search.matched.v1, through the outbox)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from services.jobs.domain import today_jst
from tests.conftest import eventually
from tests.jobs.support import create, marker, settle

pytestmark = pytest.mark.integration
MATCHED = "jobs.saved_search.matched.v1"


async def save(jobs, seeker: str, name: str, **conditions: object) -> str:
    resp = await jobs.client.post(
        "/api/v1/me/saved-searches",
        json={"name": name, "conditions": conditions},
        headers=jobs.tokens.seeker(seeker),
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["saved_search_id"])


async def test_a_saved_search_is_announced_once_a_day(jobs) -> None:
    m = marker()
    tokyo_seeker, osaka_seeker, picky_seeker = [await jobs.seeker() for _ in range(3)]
    tokyo = await save(jobs, tokyo_seeker, "東京の開発", q=f"ｴﾝｼﾞﾆｱ {m}", prefecture="13")
    osaka = await save(jobs, osaka_seeker, "大阪", q=m, prefecture="27")
    picky = await save(jobs, picky_seeker, "派遣以外", q=f"{m} -派遣", employment_type="dispatch")
    employer = jobs.tokens.employer(await jobs.employer())

    # three matching postings at once: one announcement
    created = await asyncio.gather(
        *(
            create(jobs.client, employer, title="システムエンジニア", description=m)
            for _ in range(3)
        )
    )
    (event,) = await jobs.spy.wait_for(MATCHED, saved_search_id=tokyo)
    assert event.data["seeker_id"] == tokyo_seeker and event.data["name"] == "東京の開発"
    assert event.data["date"] == today_jst(jobs.clock.now()).isoformat()
    assert event.data["jobs"][0]["job_id"] in {c["job_id"] for c in created}
    assert event.data["query"].startswith("q=")
    assert event.subject == tokyo

    # a fourth the same day is only added to the day's list
    fourth = await create(jobs.client, employer, title="インフラエンジニア", description=m)
    match_id = f"{tokyo}:{event.data['date']}"
    await eventually(
        lambda: jobs.db["saved_search_matches"].find_one(
            {"_id": match_id, "job_ids": fourth["job_id"]}
        )
    )
    await settle(0.5)
    assert len(jobs.spy.of(MATCHED, saved_search_id=tokyo)) == 1
    # other prefecture, excluded employment type: nothing
    assert jobs.spy.of(MATCHED, saved_search_id=osaka) == []
    assert jobs.spy.of(MATCHED, saved_search_id=picky) == []

    # the next day the first match is announced again
    jobs.clock.advance(timedelta(days=1))
    await create(jobs.client, employer, title="社内SE（エンジニア）", description=m)
    events = await jobs.spy.wait_for(MATCHED, count=2, saved_search_id=tokyo)
    assert events[1].data["date"] == today_jst(jobs.clock.now()).isoformat()

    # an Osaka posting for the other seeker; a dispatch one is excluded by the third
    await create(
        jobs.client,
        employer,
        description=f"{m} 派遣",
        employment_type="dispatch",
        prefecture="27",
        municipality="大阪市北区",
    )
    (osaka_event,) = await jobs.spy.wait_for(MATCHED, saved_search_id=osaka)
    assert osaka_event.data["seeker_id"] == osaka_seeker
    await settle(0.5)
    assert jobs.spy.of(MATCHED, saved_search_id=picky) == []
    assert len(jobs.spy.of(MATCHED, saved_search_id=tokyo)) == 2


async def test_saved_searches_without_notification_stay_quiet(jobs) -> None:
    m = marker()
    seeker = await jobs.seeker()
    resp = await jobs.client.post(
        "/api/v1/me/saved-searches",
        json={"name": "静か", "conditions": {"q": m}, "notify": False},
        headers=jobs.tokens.seeker(seeker),
    )
    quiet = resp.json()["saved_search_id"]
    loud = await save(jobs, await jobs.seeker(), "通知あり", q=m)
    await create(jobs.client, jobs.tokens.employer(await jobs.employer()), description=m)
    await jobs.spy.wait_for(MATCHED, saved_search_id=loud)
    await settle(0.3)
    assert jobs.spy.of(MATCHED, saved_search_id=quiet) == []
