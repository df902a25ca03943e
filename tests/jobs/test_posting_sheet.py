"""Integration: the rest of the 求人票 (trial period, fixed overtime pay, allowances, pay days,
retirement, shifts, establishment, selection…): stored, read, carried by the events, validated
field by field; the minimum wage (最低賃金) per prefecture; the search filters on the new
fields, in a search and in a saved search's stored query."""

from __future__ import annotations

from typing import Any

import pytest

from services.jobs import search_index
from services.jobs.domain import hourly_equivalent, monthly_hours
from services.jobs.reference import minimum_wage
from services.jobs.service_indexing import saved_search_document
from tests.jobs.support import create, marker, posting, searchable

pytestmark = pytest.mark.integration

SHEET: dict[str, Any] = {
    "trial_period": {"months": 3, "conditions_differ": True, "conditions_note": "時給 1,300 円"},
    "fixed_overtime_pay": {"amount": 30000, "hours": 20, "note": "超過分は別途支給"},
    "commuting_allowance": {"kind": "capped", "amount": 30000},
    "pay_closing_day": "end",
    "pay_day": {"month": "next", "day": 25},
    "raises": {"available": True, "note": "前年度実績 月 5,000 円"},
    "paid_leave_days": 10,
    "retirement": {"age": 60, "reemployment": True, "reemployment_until": 65},
    "car_commute": {"allowed": True, "parking": "free"},
    "transfer_possible": False,
    "smoking_measures": {"measure": "indoors"},
    "working_shifts": [
        {"start": "09:00", "end": "18:00", "break_minutes": 60},
        {"start": "22:00", "end": "07:00", "break_minutes": 60},
    ],
    "establishment": {
        "employees_site": 30,
        "employees_total": 120,
        "founded_year": 1998,
        "capital": 10_000_000,
        "business": "業務システムの受託開発",
        "features": "残業が少なく、資格取得を支援します。",
    },
    "selection_methods": {
        "documents": True,
        "interview": True,
        "written_test": False,
        "result_within_days": 7,
        "documents_to_send": ["履歴書", "職務経歴書"],
    },
    "special_notes": "未経験の方も歓迎します。",
}


async def refused(jobs, body: dict[str, Any]) -> list[dict[str, Any]]:
    headers = jobs.tokens.employer(await jobs.employer())
    resp = await jobs.client.post("/api/v1/jobs", json=body, headers=headers)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["code"] == "validation_error"
    errors: list[dict[str, Any]] = problem["errors"]
    return errors


async def test_every_group_is_stored_read_and_carried_by_the_event(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    created = await create(jobs.client, headers, **SHEET, overtime=True)
    read = (await jobs.client.get(f"/api/v1/jobs/{created['job_id']}")).json()
    for name, value in SHEET.items():
        got = read[name]
        if isinstance(value, dict):
            assert {k: got[k] for k in value} == value, name
        else:
            assert got == value, name
    (event,) = await jobs.spy.wait_for("jobs.posting.published.v1", job_id=created["job_id"])
    snap = event.data["posting"]
    assert snap["fixed_overtime_pay"]["hours"] == 20 and snap["pay_closing_day"] == "end"
    assert len(snap["working_shifts"]) == 2 and snap["establishment"]["employees_total"] == 120

    # a change clears a group with null, and the free-text hours of an old posting stay readable
    resp = await jobs.client.patch(
        f"/api/v1/jobs/{created['job_id']}",
        json={"trial_period": None, "working_hours": "9:00〜18:00"},
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["trial_period"] is None and resp.json()["working_hours"] == "9:00〜18:00"


async def test_an_old_posting_without_the_groups_reads(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    created = await create(jobs.client, headers)
    # as written before the groups existed: none of their keys in the stored body
    fields = [*SHEET]
    await jobs.db["postings"].update_one(
        {"_id": created["job_id"]}, {"$unset": {f"body.{f}": "" for f in fields}}
    )
    resp = await jobs.client.get(f"/api/v1/jobs/{created['job_id']}")
    assert resp.status_code == 200, resp.text
    assert resp.json()["working_shifts"] == [] and resp.json()["trial_period"] is None


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"fixed_overtime_pay": {"amount": 30000}, "overtime": True},
            "fixed_overtime_pay",
            "時間数",
        ),
        # fixed overtime pay while there is no overtime: contradictory
        (
            {"fixed_overtime_pay": {"amount": 30000, "hours": 20}},
            "fixed_overtime_pay",
            "時間外労働",
        ),
        ({"age_max": 35}, "age_limit_reason", "例外事由"),
        ({"age_limit_reason": "1"}, "age_limit_reason", "年齢制限がない"),
        ({"age_min": 40, "age_max": 30, "age_limit_reason": "1"}, "age_max", "下限以上"),
        ({"commuting_allowance": {"kind": "capped"}}, "commuting_allowance", "月額"),
        (
            {"trial_period": {"months": 3, "conditions_differ": True}},
            "trial_period",
            "試用期間中",
        ),
        ({"pay_closing_day": 32}, "pay_closing_day", "月末"),
        ({"pay_day": {"month": "next", "day": 0}}, "pay_day.day", "月末"),
        (
            {"retirement": {"age": 65, "reemployment": True, "reemployment_until": 62}},
            "retirement",
            "定年以上",
        ),
        (
            {"establishment": {"employees_site": 50, "employees_total": 10}},
            "establishment",
            "企業全体",
        ),
        ({"working_shifts": [{"start": "09:00", "end": "09:00"}]}, "working_shifts.0", "同じ"),
        (
            {"working_shifts": [{"start": "09:00", "end": "10:00", "break_minutes": 60}]},
            "working_shifts.0",
            "休憩",
        ),
    ],
)
async def test_each_rule_answers_at_its_field(
    jobs, change: dict[str, Any], field: str, message: str
) -> None:
    errors = await refused(jobs, posting(**change))
    assert [e["field"] for e in errors] == [field], errors
    assert message in errors[0]["message"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (
            {"working_shifts": [{"start": "09:00", "end": "17:00"}] * 4},
            "working_shifts",
            "too_long",
        ),
        (
            {"selection_methods": {"documents_to_send": ["履歴書"] * 11}},
            "selection_methods.documents_to_send",
            "too_long",
        ),
        ({"special_notes": "あ" * 1001}, "special_notes", "string_too_long"),
        ({"paid_leave_days": 41}, "paid_leave_days", "less_than_equal"),
        ({"working_shifts": [{"start": "25:00", "end": "17:00"}]}, "working_shifts.0.start", None),
        ({"car_commute": {"allowed": True, "valet": True}}, "car_commute.valet", "extra_forbidden"),
        ({"retirement": {"age": 55}}, "retirement.age", "greater_than_equal"),
    ],
)
async def test_lengths_sizes_and_ranges_are_limited(
    jobs, change: dict[str, Any], field: str, code: str | None
) -> None:
    errors = await refused(jobs, posting(**change))
    assert field in [e["field"] for e in errors], errors
    if code:
        assert code in [e["code"] for e in errors], errors
    assert all(e["message"] for e in errors)


def test_wages_are_compared_per_hour() -> None:
    eight = [{"start": "09:00", "end": "18:00", "break_minutes": 60}]
    # 8 hours a day, 120 days off: 245 × 8 / 12 ≈ 163.3 hours a month
    assert round(monthly_hours(eight, 120), 1) == 163.3
    assert round(hourly_equivalent("monthly", 245000, eight, 120)) == 1500
    # no schedule stated: the legal 40-hour week at most (≈ 173.8 hours)
    assert round(monthly_hours([], None), 1) == 173.8
    assert hourly_equivalent("daily", 9000, eight, None) == 1125
    # a night shift past midnight, the longest shift counts
    night = [*eight, {"start": "22:00", "end": "08:00", "break_minutes": 60}]
    assert hourly_equivalent("daily", 9000, night, None) == 1000
    assert minimum_wage("13") == 1226 and minimum_wage("47") == 1023


@pytest.mark.parametrize(
    "change",
    [
        {"wage_min": 1200, "wage_max": None, "wage_unit": "hourly"},
        {"wage_min": 9000, "wage_max": None, "wage_unit": "daily"},  # 8 hours: 1,125 an hour
        {"wage_min": 200000, "wage_max": None, "annual_holidays": 120},  # ≈ 1,225 an hour
        # the main place in Okinawa (1,023), another in Tokyo: Tokyo's floor
        {
            "prefecture": "47",
            "municipality": "那覇市",
            "other_places": [{"prefecture": "13", "municipality": "港区"}],
            "wage_min": 1100,
            "wage_max": None,
            "wage_unit": "hourly",
        },
    ],
)
async def test_a_wage_below_the_minimum_wage_is_refused(jobs, change: dict[str, Any]) -> None:
    errors = await refused(jobs, posting(**change))
    assert errors == [
        {"field": "wage_min", "code": "below_minimum_wage", "message": errors[0]["message"]}
    ]
    assert "東京都の最低賃金（時間額 1,226 円）" in errors[0]["message"]


async def test_wages_at_the_minimum_wage_pass_and_a_change_below_it_is_refused(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    hourly = await create(jobs.client, headers, wage_min=1226, wage_max=None, wage_unit="hourly")
    seven = [{"start": "09:00", "end": "17:00", "break_minutes": 60}]
    # 7 hours a day, 125 days off: 140 hours a month, 200,000 is ≈ 1,429 an hour
    await create(jobs.client, headers, wage_min=200000, annual_holidays=125, working_shifts=seven)
    await create(jobs.client, headers, prefecture="47", municipality="那覇市", wage_min=1023,
                 wage_max=None, wage_unit="hourly")  # fmt: skip
    resp = await jobs.client.patch(
        f"/api/v1/jobs/{hourly['job_id']}", json={"wage_min": 1100}, headers=headers
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["code"] == "below_minimum_wage"


async def test_search_filters_on_the_new_fields(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    full = await create(jobs.client, headers, description=m, **SHEET, overtime=True,
                        overtime_hours_monthly=10)  # fmt: skip
    plain = await create(
        jobs.client,
        headers,
        description=m,
        annual_holidays=100,
        two_day_weekend="biweekly",
        overtime=True,
        overtime_hours_monthly=30,
        insurance=["employment", "workers_comp"],
        transfer_possible=True,
        trial_period={"months": 6},
        age_max=59,
        age_limit_reason="1",
        car_commute={"allowed": False},
        wage_min=260000,
    )
    vague = await create(
        jobs.client,
        headers,
        description=m,
        annual_holidays=None,
        two_day_weekend="none",
        overtime=True,
        overtime_hours_monthly=None,
        wage_min=260000,
    )
    await searchable(jobs.client, 3, q=m)
    a, b, c = full["job_id"], plain["job_id"], vague["job_id"]

    async def only(**params: Any) -> set[str]:
        resp = await jobs.client.get("/api/v1/jobs", params={"q": m, "limit": 100, **params})
        assert resp.status_code == 200, resp.text
        return {i["job_id"] for i in resp.json()["items"]}

    assert await only(annual_holidays_min=110) == {a}
    assert await only(annual_holidays_min=100) == {a, b}
    assert await only(two_day_weekend="every_week") == {a}
    assert await only(two_day_weekend="any") == {a, b}
    assert await only(overtime_max=20) == {a}
    assert await only(overtime_max=30) == {a, b}  # overtime without hours: unknown, left out
    assert await only(car_commute="true") == {a}
    assert await only(no_transfer="true") == {a}  # stated 転勤なし only
    assert await only(no_trial_period="true") == {c}
    assert await only(no_age_limit="true") == {a, c}
    assert await only(insurance_complete="true") == {a, c}
    assert await only(car_commute="false") == {a, b, c}  # false means either

    for bad in ({"annual_holidays_min": 0}, {"overtime_max": 101}, {"two_day_weekend": "x"}):
        resp = await jobs.client.get("/api/v1/jobs", params=bad)
        assert resp.status_code == 422, bad
        assert resp.headers["content-type"].startswith("application/problem+json")


async def test_saved_searches_keep_and_percolate_the_new_conditions(jobs) -> None:
    seeker = await jobs.seeker()
    conditions = {
        "annual_holidays_min": 120,
        "two_day_weekend": "every_week",
        "overtime_max": 20,
        "car_commute": True,
        "no_transfer": True,
        "no_trial_period": True,
        "no_age_limit": True,
        "insurance_complete": True,
    }
    resp = await jobs.client.post(
        "/api/v1/me/saved-searches",
        json={"name": "働きやすさ重視", "conditions": conditions},
        headers=jobs.tokens.seeker(seeker),
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["conditions"] == conditions
    assert "overtime_max=20" in resp.json()["query"]

    # the stored query: a posting that meets them all matches, one that misses any does not
    m = marker()
    engine = jobs.services.search.engine
    body = {**SHEET, "trial_period": None, "overtime": True, "overtime_hours_monthly": 10}
    created = await create(
        jobs.client, jobs.tokens.employer(await jobs.employer()), description=m, **body
    )
    stored = await jobs.db["postings"].find_one({"_id": created["job_id"]})
    document = search_index.document(stored)
    saved_id = f"sheet{m}"
    await engine.put_saved_search(
        saved_id,
        saved_search_document({"saved_search_id": saved_id, "conditions": conditions}, "s-x"),
    )

    async def matches(**changes: Any) -> bool:
        found = await engine.matching_saved_searches({**document, **changes})
        return any(s["saved_search_id"] == saved_id for s in found)

    try:
        assert await matches()
        misses: dict[str, dict[str, Any]] = {
            "annual holidays": {"annual_holidays": 110},
            "weekends": {"two_day_weekend": "biweekly"},
            "overtime": {"overtime_hours": 25},
            "car": {"car_commute": False},
            "transfer": {"transfer_possible": True},
            "trial": {"trial_period": True},
            "age": {"age_limited": True},
            "insurance": {"insurance_complete": False},
        }
        for what, changes in misses.items():
            assert not await matches(**changes), what
    finally:
        await engine.delete_saved_search(saved_id)


async def test_a_draft_is_private_until_published(jobs) -> None:
    owner = jobs.tokens.employer(await jobs.employer())
    other = jobs.tokens.employer(await jobs.employer())
    m = marker()
    body = posting(description=m, wage_min=1100, wage_max=None, wage_unit="hourly", draft=True)
    resp = await jobs.client.post("/api/v1/jobs", json=body, headers=owner)
    assert resp.status_code == 201, resp.text
    draft = resp.json()
    job_id = draft["job_id"]
    assert draft["status"] == "draft"  # below the minimum wage: a draft may be unfinished

    # only the owner (and its office's staff) reads it; to anyone else it does not exist
    assert (await jobs.client.get(f"/api/v1/jobs/{job_id}")).status_code == 404
    assert (await jobs.client.get(f"/api/v1/jobs/{job_id}", headers=other)).status_code == 404
    staff = jobs.tokens.staff()
    read = await jobs.client.get(f"/api/v1/jobs/{job_id}", headers=staff)
    assert read.status_code == 200 and read.json()["status"] == "draft"
    mine = await jobs.client.get("/api/v1/jobs/mine", headers=owner)
    assert {i["job_id"]: i["status"] for i in mine.json()["items"]}[job_id] == "draft"
    seeker = jobs.tokens.seeker(await jobs.seeker())
    resp = await jobs.client.put(f"/api/v1/me/favorites/{job_id}", headers=seeker)
    assert resp.status_code == 404, resp.text

    # changed in place, no revision; not closed or renewed before it is published
    resp = await jobs.client.patch(
        f"/api/v1/jobs/{job_id}", json={"title": "下書きの求人"}, headers=owner
    )
    assert resp.status_code == 200 and resp.json()["revision"] == 1, resp.text
    for action in ("close", "renew"):
        resp = await jobs.client.post(f"/api/v1/jobs/{job_id}/{action}", headers=owner)
        assert resp.status_code == 409 and resp.json()["code"] == "posting_is_draft", action

    # published only at the minimum wage, by its owner
    resp = await jobs.client.post(f"/api/v1/jobs/{job_id}/publish", headers=owner)
    assert resp.status_code == 422 and resp.json()["errors"][0]["code"] == "below_minimum_wage"
    resp = await jobs.client.post(f"/api/v1/jobs/{job_id}/publish", headers=other)
    assert resp.status_code == 403, resp.text
    await jobs.client.patch(f"/api/v1/jobs/{job_id}", json={"wage_min": 1300}, headers=owner)
    resp = await jobs.client.post(f"/api/v1/jobs/{job_id}/publish", headers=owner)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "open" and resp.json()["title"] == "下書きの求人"
    (event,) = await jobs.spy.wait_for("jobs.posting.published.v1", job_id=job_id)
    assert event.data["posting"]["wage_min"] == 1300 and event.data["version"] >= 2
    assert jobs.spy.of("jobs.posting.changed.v1", job_id=job_id) == []
    assert await searchable(jobs.client, 1, q=m) == [job_id]
    assert (await jobs.client.get(f"/api/v1/jobs/{job_id}")).status_code == 200
    resp = await jobs.client.post(f"/api/v1/jobs/{job_id}/publish", headers=owner)
    assert resp.status_code == 409 and resp.json()["code"] == "posting_not_draft"


async def test_a_change_to_no_overtime_with_fixed_overtime_pay_is_refused(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    fixed = {"amount": 30000, "hours": 20}
    created = await create(jobs.client, headers, overtime=True, fixed_overtime_pay=fixed)
    url = f"/api/v1/jobs/{created['job_id']}"
    resp = await jobs.client.patch(url, json={"overtime": False}, headers=headers)
    assert resp.status_code == 422, resp.text
    assert [e["field"] for e in resp.json()["errors"]] == ["fixed_overtime_pay"]
    # one stored before the rule still reads and closes; a change must make it consistent
    await jobs.db["postings"].update_one(
        {"_id": created["job_id"]}, {"$set": {"body.overtime": False}}
    )
    assert (await jobs.client.get(url)).status_code == 200
    resp = await jobs.client.patch(url, json={"title": "改題"}, headers=headers)
    assert resp.status_code == 422, resp.text
    assert [e["field"] for e in resp.json()["errors"]] == ["fixed_overtime_pay"]
    resp = await jobs.client.patch(url, json={"fixed_overtime_pay": None}, headers=headers)
    assert resp.status_code == 200 and resp.json()["fixed_overtime_pay"] is None, resp.text


async def test_the_employer_form_fields_are_stored_and_read(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    fields = {
        "age_max": 35,
        "age_limit_reason": "3a",
        "days_off": ["sat", "sun"],
        "public_holidays_off": True,
        "education_required": "university",
        "experience_required": True,
        "experience_note": "業務システム開発 3年以上",
        "licenses_required": ["普通自動車第一種運転免許", "基本情報技術者"],
        "other_places": [{"prefecture": "14", "municipality": "横浜市", "nearest_station": None}],
    }
    created = await create(jobs.client, headers, **fields)
    read = (await jobs.client.get(f"/api/v1/jobs/{created['job_id']}")).json()
    assert {k: read[k] for k in fields} == fields
    errors = await refused(jobs, posting(licenses_required=["免許"] * 11))
    assert [e["field"] for e in errors] == ["licenses_required"], errors


async def test_a_draft_is_deleted_by_its_owner_and_a_published_posting_is_not(jobs) -> None:
    employer = await jobs.employer()
    owner = jobs.tokens.employer(employer)
    other = jobs.tokens.employer(await jobs.employer())
    seeker = jobs.tokens.seeker(await jobs.seeker())
    draft = await create(jobs.client, owner, draft=True)
    url = f"/api/v1/jobs/{draft['job_id']}"

    # to anyone but its owner and its office's staff the draft does not exist
    assert (await jobs.client.delete(url)).status_code == 401
    for headers in (other, seeker, jobs.tokens.staff(office="99999")):
        resp = await jobs.client.delete(url, headers=headers)
        assert resp.status_code == 404 and resp.json()["code"] == "job_not_found", resp.text
    resp = await jobs.client.delete(url, headers=owner)
    assert resp.status_code == 204, resp.text
    assert (await jobs.client.get(url, headers=owner)).status_code == 404
    assert (await jobs.client.delete(url, headers=owner)).status_code == 404
    mine = (await jobs.client.get("/api/v1/jobs/mine", headers=owner)).json()
    assert draft["job_id"] not in [i["job_id"] for i in mine["items"]]

    # staff of the office delete a draft too; a published posting is closed, never deleted
    second = await create(jobs.client, owner, draft=True)
    resp = await jobs.client.delete(f"/api/v1/jobs/{second['job_id']}", headers=jobs.tokens.staff())
    assert resp.status_code == 204, resp.text
    published = await create(jobs.client, owner)
    resp = await jobs.client.delete(f"/api/v1/jobs/{published['job_id']}", headers=owner)
    assert resp.status_code == 409 and resp.json()["code"] == "posting_not_draft", resp.text
    assert (await jobs.client.get(f"/api/v1/jobs/{published['job_id']}")).status_code == 200
    # a draft announced nothing, so its deletion announces nothing either
    for job_id in (draft["job_id"], second["job_id"]):
        assert [e for e in jobs.spy.received if e.subject == job_id] == []
