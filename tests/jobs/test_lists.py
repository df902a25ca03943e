"""Integration: saved searches (at most 20) and favourites (at most 200) of a seeker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

import pytest

from contracts.identity import SeekerCancelled
from tests.conftest import eventually
from tests.jobs.support import create

pytestmark = pytest.mark.integration


def search(name: str = "新宿のIT", **conditions: object) -> dict[str, object]:
    return {"name": name, "conditions": conditions or {"q": "エンジニア", "prefecture": ["13"]}}


async def test_saved_searches_are_kept_listed_and_deleted(jobs) -> None:
    seeker = await jobs.seeker()
    headers = jobs.tokens.seeker(seeker)
    resp = await jobs.client.post(
        "/api/v1/me/saved-searches",
        json={
            "name": "新宿のIT",
            "conditions": {"q": "ｴﾝｼﾞﾆｱ", "prefecture": "13,14", "wage_min": 250000},
        },
        headers=headers,
    )
    assert resp.status_code == 201, resp.text
    saved = resp.json()
    assert saved["conditions"] == {"q": "ｴﾝｼﾞﾆｱ", "prefecture": ["13", "14"], "wage_min": 250000}
    assert (
        saved["query"]
        == "q=%EF%BD%B4%EF%BE%9D%EF%BD%BC%EF%BE%9E%EF%BE%86%EF%BD%B1&prefecture=13%2C14&wage_min=250000"
    )
    listed = (await jobs.client.get("/api/v1/me/saved-searches", headers=headers)).json()
    assert saved["saved_search_id"] in [s["saved_search_id"] for s in listed["items"]]
    assert listed["limit"] == 20

    path = f"/api/v1/me/saved-searches/{saved['saved_search_id']}"
    assert (await jobs.client.delete(path, headers=headers)).status_code == 204
    resp = await jobs.client.delete(path, headers=headers)
    assert resp.status_code == 404 and resp.json()["code"] == "saved_search_not_found"
    # someone else's saved searches are not visible
    other = (
        await jobs.client.get(
            "/api/v1/me/saved-searches", headers=jobs.tokens.seeker(uuid.uuid4().hex)
        )
    ).json()
    assert other["items"] == []


async def test_at_most_twenty_saved_searches_even_in_parallel(jobs) -> None:
    seeker = await jobs.seeker()
    headers = jobs.tokens.seeker(seeker)
    for i in range(18):
        resp = await jobs.client.post(
            "/api/v1/me/saved-searches", json=search(f"条件{i}"), headers=headers
        )
        assert resp.status_code == 201
    results = await asyncio.gather(
        *(
            jobs.client.post("/api/v1/me/saved-searches", json=search(f"同時{i}"), headers=headers)
            for i in range(5)
        )
    )
    assert sorted(r.status_code for r in results) == [201, 201, 409, 409, 409]
    refused = next(r for r in results if r.status_code == 409).json()
    assert refused["code"] == "saved_search_limit"
    assert "20 件まで" in refused["detail"]
    listed = (await jobs.client.get("/api/v1/me/saved-searches", headers=headers)).json()["items"]
    assert len(listed) == 20
    await jobs.client.delete(
        f"/api/v1/me/saved-searches/{listed[0]['saved_search_id']}", headers=headers
    )
    assert (
        await jobs.client.post("/api/v1/me/saved-searches", json=search(), headers=headers)
    ).status_code == 201


async def test_saved_search_input_is_validated(jobs) -> None:
    headers = jobs.tokens.seeker(await jobs.seeker())
    for body in (
        {"name": "", "conditions": {}},
        {"name": "x", "conditions": {"prefecture": "99"}},
        {"name": "x", "conditions": {"colour": "red"}},
        {"name": "x", "conditions": {}, "extra": 1},
    ):
        resp = await jobs.client.post("/api/v1/me/saved-searches", json=body, headers=headers)
        assert resp.status_code == 422, body
    resp = await jobs.client.get("/api/v1/me/saved-searches", headers=jobs.tokens.staff())
    assert resp.status_code == 403


async def test_favourites_are_idempotent_and_closed_ones_stay_marked(jobs) -> None:
    employer = jobs.tokens.employer(await jobs.employer())
    first = await create(jobs.client, employer, title="一つ目")
    second = await create(jobs.client, employer, title="二つ目")
    headers = jobs.tokens.seeker(await jobs.seeker())
    for job in (first, second, first):
        resp = await jobs.client.put(f"/api/v1/me/favorites/{job['job_id']}", headers=headers)
        assert resp.status_code == 200 and resp.json()["favorited"] is True
    await jobs.client.post(f"/api/v1/jobs/{first['job_id']}/close", headers=employer)

    listed = (await jobs.client.get("/api/v1/me/favorites", headers=headers)).json()
    assert listed["count"] == 2
    assert [(f["job_id"], f["status"]) for f in listed["items"]] == [
        (second["job_id"], "open"),
        (first["job_id"], "closed"),
    ]
    assert listed["items"][1]["job"]["title"] == "一つ目"
    page = (
        await jobs.client.get("/api/v1/me/favorites", params={"limit": 1}, headers=headers)
    ).json()
    rest = (
        await jobs.client.get(
            "/api/v1/me/favorites", params={"cursor": page["next_cursor"]}, headers=headers
        )
    ).json()
    assert [f["job_id"] for f in page["items"] + rest["items"]] == [
        second["job_id"],
        first["job_id"],
    ]

    for _ in range(2):
        resp = await jobs.client.delete(f"/api/v1/me/favorites/{second['job_id']}", headers=headers)
        assert resp.status_code == 204
    listed = (await jobs.client.get("/api/v1/me/favorites", headers=headers)).json()
    assert [f["job_id"] for f in listed["items"]] == [first["job_id"]]
    resp = await jobs.client.put(f"/api/v1/me/favorites/{'0' * 32}", headers=headers)
    assert resp.status_code == 404 and resp.json()["code"] == "job_not_found"


async def test_at_most_two_hundred_favourites(jobs) -> None:
    seeker = await jobs.seeker()
    headers = jobs.tokens.seeker(seeker)
    now = datetime.now(UTC)
    # 199 favourites already kept (written as the service keeps them)
    filler = [uuid.uuid4().hex for _ in range(199)]
    await jobs.db["seeker_lists"].insert_one(
        {"_id": seeker, "favorite_ids": filler, "favorite_at": {j: now for j in filler}}
    )
    employer = jobs.tokens.employer(await jobs.employer())
    last, extra = await create(jobs.client, employer), await create(jobs.client, employer)
    assert (
        await jobs.client.put(f"/api/v1/me/favorites/{last['job_id']}", headers=headers)
    ).status_code == 200
    resp = await jobs.client.put(f"/api/v1/me/favorites/{extra['job_id']}", headers=headers)
    assert resp.status_code == 409 and resp.json()["code"] == "favorite_limit"
    assert "200 件まで" in resp.json()["detail"]
    # already a favourite: still fine when full
    assert (
        await jobs.client.put(f"/api/v1/me/favorites/{last['job_id']}", headers=headers)
    ).status_code == 200
    assert (await jobs.client.get("/api/v1/me/favorites", headers=headers)).json()["count"] == 200


async def test_cancellation_clears_the_lists_and_closes_them(jobs) -> None:
    seeker = await jobs.seeker()
    headers = jobs.tokens.seeker(seeker)
    job = await create(jobs.client, jobs.tokens.employer(await jobs.employer()))
    await jobs.client.post("/api/v1/me/saved-searches", json=search(), headers=headers)
    await jobs.client.put(f"/api/v1/me/favorites/{job['job_id']}", headers=headers)

    await jobs.identity.publish(
        SeekerCancelled(
            seeker_id=seeker, cancelled_by="seeker", cancelled_on=date(2026, 11, 24), version=2
        ),
        seeker,
    )
    await eventually(lambda: jobs.db["seekers"].find_one({"_id": seeker, "status": "cancelled"}))

    async def cleared() -> bool:
        return await jobs.db["seeker_lists"].find_one({"_id": seeker}) is None

    await eventually(cleared)
    assert (await jobs.client.get("/api/v1/me/saved-searches", headers=headers)).json()[
        "items"
    ] == []
    assert (await jobs.client.get("/api/v1/me/favorites", headers=headers)).json()["items"] == []
    resp = await jobs.client.post("/api/v1/me/saved-searches", json=search(), headers=headers)
    assert resp.status_code == 409 and resp.json()["code"] == "seeker_cancelled"
    resp = await jobs.client.put(f"/api/v1/me/favorites/{job['job_id']}", headers=headers)
    assert resp.status_code == 409 and resp.json()["code"] == "seeker_cancelled"
