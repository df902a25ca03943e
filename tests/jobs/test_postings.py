"""Integration: creating, changing, closing, renewing and expiring postings; who may do it; the
events other services receive (through the outbox, on the real broker)."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

import pytest

from services.jobs.domain import end_of_month_after_next, today_jst
from tests.conftest import eventually
from tests.jobs.support import OTHER_OFFICE, create, marker, posting, searchable

pytestmark = pytest.mark.integration


async def test_employer_with_mypage_publishes_a_posting(jobs) -> None:
    employer = await jobs.employer(name="株式会社青葉システムズ")
    resp = await jobs.client.post(
        "/api/v1/jobs", json=posting(), headers=jobs.tokens.employer(employer)
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["status"] == "open" and created["revision"] == 1
    assert re.fullmatch(r"13010-\d{8}", created["job_number"])
    expected = end_of_month_after_next(today_jst(jobs.clock.now()))
    assert created["valid_until"] == expected.isoformat()

    read = (await jobs.client.get(f"/api/v1/jobs/{created['job_id']}")).json()
    assert read["employer_name"] == "株式会社青葉システムズ"
    assert read["occupation_name"] == "情報処理・通信技術者"
    assert read["places"][0] == {
        "prefecture": "13",
        "prefecture_name": "東京都",
        "municipality": "新宿区",
        "nearest_station": "新宿駅",
    }

    (event,) = await jobs.spy.wait_for("jobs.posting.published.v1", job_id=created["job_id"])
    snap = event.data["posting"]
    assert snap["job_number"] == created["job_number"] and snap["revision"] == 1
    assert snap["employer_name"] == "株式会社青葉システムズ" and snap["office_code"] == "13010"
    assert snap["wage_min"] == 250000 and snap["days_off"] == ["sat", "sun"]
    assert event.producer == "jobs" and event.subject == created["job_id"]
    # the relay removed the event from the document once the broker confirmed it
    await eventually(
        lambda: jobs.db["postings"].find_one(
            {"_id": created["job_id"], "outbox.0": {"$exists": False}}
        )
    )


async def test_posting_numbers_are_allocated_atomically(jobs) -> None:
    employer = await jobs.employer(office="01010")
    headers = jobs.tokens.employer(employer, office="01010")
    results = await asyncio.gather(*(create(jobs.client, headers) for _ in range(8)))
    serials = sorted(int(r["job_number"].split("-")[1]) for r in results)
    assert all(r["job_number"].startswith("01010-") for r in results)
    assert serials == list(range(serials[0], serials[0] + 8))


async def test_employer_without_mypage_is_served_by_staff_only(jobs) -> None:
    employer = await jobs.employer(has_mypage=False)
    resp = await jobs.client.post(
        "/api/v1/jobs", json=posting(), headers=jobs.tokens.employer(employer)
    )
    assert resp.status_code == 403
    assert resp.json()["code"] == "employer_mypage_required"
    assert "求人者マイページ" in resp.json()["detail"]

    staff = jobs.tokens.staff()
    resp = await jobs.client.post(
        "/api/v1/jobs",
        json=posting(employer_id=employer, accepts_direct_application=True),
        headers=staff,
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "direct_application_requires_mypage"

    created = await create(jobs.client, staff, employer_id=employer)
    resp = await jobs.client.patch(
        f"/api/v1/jobs/{created['job_id']}",
        json={"accepts_direct_application": True},
        headers=staff,
    )
    assert resp.status_code == 409
    assert resp.json()["code"] == "direct_application_requires_mypage"

    # staff must say which employer
    resp = await jobs.client.post("/api/v1/jobs", json=posting(), headers=staff)
    assert resp.status_code == 422 and resp.json()["code"] == "employer_id_required"


async def test_staff_of_another_office_are_refused_admin_is_not(jobs) -> None:
    employer = await jobs.employer()
    resp = await jobs.client.post(
        "/api/v1/jobs",
        json=posting(employer_id=employer),
        headers=jobs.tokens.staff(office=OTHER_OFFICE),
    )
    assert resp.status_code == 403 and resp.json()["code"] == "other_office"
    created = await create(jobs.client, jobs.tokens.admin(), employer_id=employer)
    resp = await jobs.client.post(
        f"/api/v1/jobs/{created['job_id']}/close", headers=jobs.tokens.staff(office=OTHER_OFFICE)
    )
    assert resp.status_code == 403 and resp.json()["code"] == "other_office"


async def test_an_employer_cannot_touch_another_employers_posting(jobs) -> None:
    owner, other = await jobs.employer(), await jobs.employer()
    created = await create(jobs.client, jobs.tokens.employer(owner))
    job = f"/api/v1/jobs/{created['job_id']}"
    intruder = jobs.tokens.employer(other)
    for method, path, body in [
        ("PATCH", job, {"title": "乗っ取り"}),
        ("POST", f"{job}/close", None),
        ("POST", f"{job}/renew", None),
        ("GET", f"{job}/revisions", None),
    ]:
        resp = await jobs.client.request(method, path, json=body, headers=intruder)
        assert resp.status_code == 403, (method, path)
        assert resp.json()["code"] == "not_posting_owner"
    assert (await jobs.client.get(job)).json()["title"] == "社内システムエンジニア"
    # nor create one in another's name
    resp = await jobs.client.post("/api/v1/jobs", json=posting(employer_id=owner), headers=intruder)
    assert resp.status_code == 403
    # and seekers or strangers cannot post at all
    assert (await jobs.client.post("/api/v1/jobs", json=posting())).status_code == 401
    resp = await jobs.client.post(
        "/api/v1/jobs", json=posting(), headers=jobs.tokens.seeker("s" * 32)
    )
    assert resp.status_code == 403


async def test_a_change_is_a_new_revision_with_its_snapshot(jobs) -> None:
    employer = await jobs.employer()
    headers = jobs.tokens.employer(employer)
    created = await create(jobs.client, headers, title="経理事務")
    job = f"/api/v1/jobs/{created['job_id']}"

    resp = await jobs.client.patch(
        job, json={"title": "経理・総務事務", "wage_max": 300000}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["revision"] == 2 and resp.json()["title"] == "経理・総務事務"
    # the same values again: no new revision
    again = await jobs.client.patch(job, json={"title": "経理・総務事務"}, headers=headers)
    assert again.json()["revision"] == 2

    revisions = (await jobs.client.get(f"{job}/revisions", headers=headers)).json()
    assert [r["revision"] for r in revisions["items"]] == [2, 1]
    assert revisions["items"][0]["changed_fields"] == ["title", "wage_max"]
    assert revisions["items"][1]["posting"]["title"] == "経理事務"
    assert revisions["items"][1]["posting"]["wage_max"] == 350000

    (changed,) = await jobs.spy.wait_for("jobs.posting.changed.v1", job_id=created["job_id"])
    assert changed.data["revision"] == 2 and changed.data["posting"]["revision"] == 2
    assert changed.data["posting"]["title"] == "経理・総務事務"
    assert changed.data["changed_fields"] == ["title", "wage_max"]
    assert changed.data["version"] == 2
    # staff of the office may read the history too; anonymous readers may not
    assert (
        await jobs.client.get(f"{job}/revisions", headers=jobs.tokens.staff())
    ).status_code == 200
    assert (await jobs.client.get(f"{job}/revisions")).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"occupation_code": "99"}, "occupation_code"),
        ({"occupation_code": "B"}, "occupation_code"),  # a major group is not precise enough
        ({"prefecture": "48"}, "prefecture"),
        ({"wage_min": 300000, "wage_max": 200000}, ""),
        ({"age_max": 35}, "age_limit_reason"),  # an age limit needs its legal reason
        ({"employment_type": "freelance"}, "employment_type"),
        ({"salary": 1}, "salary"),
        ({"title": ""}, "title"),
    ],
)
async def test_bad_postings_are_refused_field_by_field(jobs, body, field) -> None:
    employer = await jobs.employer()
    resp = await jobs.client.post(
        "/api/v1/jobs", json=posting(**body), headers=jobs.tokens.employer(employer)
    )
    assert resp.status_code == 422, resp.text
    problem = resp.json()
    assert problem["code"] == "validation_error"
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"] == field for e in problem["errors"]), problem["errors"]


async def test_a_change_is_validated_as_a_whole(jobs) -> None:
    employer = await jobs.employer()
    headers = jobs.tokens.employer(employer)
    created = await create(jobs.client, headers)
    job = f"/api/v1/jobs/{created['job_id']}"
    for body in ({"wage_max": 1000}, {"title": None}, {"employer_id": "x"}):
        resp = await jobs.client.patch(job, json=body, headers=headers)
        assert resp.status_code == 422, body
    resp = await jobs.client.patch(job, json={"wage_max": 1000}, headers=headers)
    assert resp.json()["errors"][0]["message"] == "賃金の上限は下限以上にしてください。"
    assert (await jobs.client.get(job)).json()["revision"] == 1


async def test_closing_takes_a_posting_out_of_search(jobs) -> None:
    employer = await jobs.employer()
    headers = jobs.tokens.employer(employer)
    word = marker()
    created = await create(jobs.client, headers, description=f"倉庫内作業 {word}")
    job = f"/api/v1/jobs/{created['job_id']}"
    assert await searchable(jobs.client, 1, q=word) == [created["job_id"]]

    resp = await jobs.client.post(job + "/close", json={"reason": "採用決定"}, headers=headers)
    assert resp.status_code == 200 and resp.json()["status"] == "closed"
    assert (await jobs.client.post(job + "/close", headers=headers)).status_code == 200  # again
    (closed,) = await jobs.spy.wait_for("jobs.posting.closed.v1", job_id=created["job_id"])
    assert closed.data["closed_by"] == "employer" and closed.data["reason"] == "採用決定"

    await searchable(jobs.client, 0, q=word)  # the index follows within a second
    assert (await jobs.client.get(job)).json()["status"] == "closed"
    resp = await jobs.client.patch(job, json={"title": "再開"}, headers=headers)
    assert resp.status_code == 409 and resp.json()["code"] == "posting_closed"
    resp = await jobs.client.post(job + "/renew", headers=headers)
    assert resp.status_code == 409 and resp.json()["code"] == "posting_closed"


async def test_expiry_is_checked_in_code_and_renewal_reopens(jobs) -> None:
    employer = await jobs.employer()
    headers = jobs.tokens.employer(employer)
    word = marker()
    created = await create(jobs.client, headers, description=f"配送ドライバー {word}")
    job = f"/api/v1/jobs/{created['job_id']}"
    valid_until = date.fromisoformat(created["valid_until"])
    await searchable(jobs.client, 1, q=word)

    # the day after the validity (Japan time) the posting leaves search at once, before the loop
    days = (valid_until - today_jst(jobs.clock.now())).days + 1
    jobs.clock.advance(timedelta(days=days))
    assert (await jobs.client.get("/api/v1/jobs", params={"q": word})).json()["items"] == []
    assert (await jobs.client.get(job)).json()["status"] == "expired"

    assert await jobs.services.postings.expire_due() >= 1
    (expired,) = await jobs.spy.wait_for("jobs.posting.expired.v1", job_id=created["job_id"])
    assert expired.data["valid_until"] == created["valid_until"]
    assert await jobs.services.postings.expire_due() == 0  # nothing twice

    resp = await jobs.client.post(job + "/renew", headers=headers)
    assert resp.status_code == 200 and resp.json()["status"] == "open"
    renewed_until = end_of_month_after_next(today_jst(jobs.clock.now()))
    assert resp.json()["valid_until"] == renewed_until.isoformat()
    (renewed,) = await jobs.spy.wait_for("jobs.posting.renewed.v1", job_id=created["job_id"])
    assert renewed.data["reopened"] is True
    assert await searchable(jobs.client, 1, q=word) == [created["job_id"]]


async def test_own_postings_list_every_status(jobs) -> None:
    employer = await jobs.employer()
    headers = jobs.tokens.employer(employer)
    first = await create(jobs.client, headers, title="一つ目")
    second = await create(jobs.client, headers, title="二つ目")
    await jobs.client.post(f"/api/v1/jobs/{first['job_id']}/close", headers=headers)
    page = (await jobs.client.get("/api/v1/jobs/mine", params={"limit": 1}, headers=headers)).json()
    assert [i["job_id"] for i in page["items"]] == [second["job_id"]]
    rest = (
        await jobs.client.get(
            "/api/v1/jobs/mine", params={"cursor": page["next_cursor"]}, headers=headers
        )
    ).json()
    assert [(i["job_id"], i["status"]) for i in rest["items"]] == [(first["job_id"], "closed")]
    staff = (
        await jobs.client.get(
            "/api/v1/jobs/mine", params={"employer_id": employer}, headers=jobs.tokens.staff()
        )
    ).json()
    assert len(staff["items"]) == 2
    resp = await jobs.client.get(
        "/api/v1/jobs/mine",
        params={"employer_id": employer},
        headers=jobs.tokens.staff(office=OTHER_OFFICE),
    )
    assert resp.status_code == 403


async def test_unknown_postings_and_bad_ids(jobs) -> None:
    resp = await jobs.client.get("/api/v1/jobs/" + "0" * 32)
    assert resp.status_code == 404 and resp.json()["code"] == "job_not_found"
    resp = await jobs.client.get("/api/v1/jobs/not-an-id", headers={"Accept-Language": "en"})
    assert resp.status_code == 422 and resp.json()["detail"] == "The input is not valid."
