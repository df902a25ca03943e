"""Integration: new postings that match a saved search are announced at most once per saved
search per day (jobs.saved_search.matched.v1, through the outbox); the saved searches are
percolator queries on the live engine, and each new posting is percolated once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from services.jobs import search_index
from services.jobs.domain import today_jst
from services.jobs.service_indexing import saved_search_document
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


def percolations(jobs, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The job ids of the postings the service percolates from now on (each engine request)."""
    engine = jobs.services.search.engine  # the one engine of the service (matching's too)
    seen: list[str] = []
    call = engine.call

    async def counting(method: str, path: str, body: Any = None, **kw: Any) -> Any:
        for f in (body or {}).get("query", {}).get("bool", {}).get("filter", []):
            if "percolate" in f:
                seen.append(f["percolate"]["document"]["job_id"])
        return await call(method, path, body, **kw)

    monkeypatch.setattr(engine, "call", counting)
    return seen


async def test_a_new_posting_is_percolated_once_against_the_saved_searches(
    jobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = marker()
    seeker = await jobs.seeker()
    hit = await save(jobs, seeker, "東京", q=m, prefecture="13")
    miss = await save(jobs, seeker, "大阪", q=m, prefecture="27")
    gone = await save(jobs, seeker, "消した", q=m)
    resp = await jobs.client.delete(
        f"/api/v1/me/saved-searches/{gone}", headers=jobs.tokens.seeker(seeker)
    )
    assert resp.status_code == 204
    seen = percolations(jobs, monkeypatch)

    created = await create(jobs.client, jobs.tokens.employer(await jobs.employer()), description=m)
    (event,) = await jobs.spy.wait_for(MATCHED, saved_search_id=hit)
    assert event.data["jobs"][0]["job_id"] == created["job_id"]
    await settle(0.5)
    assert jobs.spy.of(MATCHED, saved_search_id=miss) == []
    assert jobs.spy.of(MATCHED, saved_search_id=gone) == []
    assert seen.count(created["job_id"]) == 1


async def test_every_condition_of_a_saved_search_is_in_its_stored_query(jobs) -> None:
    """The percolator index maps every field a saved search's conditions name: one saved search
    with all of them matches the posting, and a posting that misses any one does not."""
    m = marker()
    engine = jobs.services.search.engine
    created = await create(
        jobs.client,
        jobs.tokens.employer(await jobs.employer()),
        title="システムエンジニア",
        description=f"{m} 自社開発",
        prefecture="13",
        municipality="新宿区",
        occupation_code="10",
        wage_min=300000,
        wage_max=None,
        remote="partial",
        accepts_direct_application=True,
    )
    stored = await jobs.db["postings"].find_one({"_id": created["job_id"]})
    posting = search_index.document(stored)
    saved_id = f"every{m}"
    conditions = {
        "q": f"{m} 開発 OR 介護 -派遣",
        "fields": ["title", "duties"],
        "prefecture": ["13", "14"],
        "occupation": ["B"],  # a major group: its middle groups (10 among them)
        "employment_type": ["full_time", "contract"],
        "wage_min": 250000,
        "wage_unit": "monthly",
        "municipality": ["新宿区"],
        "job_number": [created["job_number"]],
        "new_within_days": 7,  # a new posting is new: not in the stored query
        "remote": True,
        "accepts_direct_application": True,
        "no_experience_required": True,
    }
    await engine.put_saved_search(
        saved_id,
        saved_search_document({"saved_search_id": saved_id, "conditions": conditions}, "seeker-x"),
    )

    async def matches(**changes: Any) -> bool:
        found = await engine.matching_saved_searches({**posting, **changes})
        return any(s["saved_search_id"] == saved_id for s in found)

    try:
        assert await matches()
        misses: dict[str, dict[str, Any]] = {
            "keyword": {"duties": "自社開発"},
            "OR group": {"duties": m, "title": "営業"},
            "exclusion": {"duties": f"{m} 自社開発 派遣"},
            "fields": {"duties": "自社開発", "company": m, "extra": m},
            "prefecture": {"prefectures": ["27"]},
            "occupation": {"occupation_code": "36"},
            "employment type": {"employment_type": "part_time"},
            "wage": {"wage_top": 240000},
            "wage unit": {"wage_unit": "hourly"},
            "municipality": {"municipalities": ["渋谷区"]},
            "job number": {"job_number": "13010-99999999"},
            "remote": {"is_remote": False},
            "direct application": {"accepts_direct_application": False},
            "experience": {"experience_required": True},
        }
        for what, changes in misses.items():
            assert not await matches(**changes), what
        # silenced: not percolated into
        await engine.put_saved_search(
            saved_id,
            saved_search_document(
                {"saved_search_id": saved_id, "conditions": conditions, "notify": False},
                "seeker-x",
            ),
        )
        assert not await matches()
    finally:
        await engine.delete_saved_search(saved_id)
    assert not await matches()
