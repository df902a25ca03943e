"""Integration: keyword search in Japanese, conditions, order, stable keyset pages, totals."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from services.jobs.criteria import SearchQuery
from services.jobs.service_search import SearchService
from tests.jobs.support import create, marker

pytestmark = pytest.mark.integration


async def ids(jobs, **params: Any) -> list[str]:
    resp = await jobs.client.get("/api/v1/jobs", params=params)
    assert resp.status_code == 200, resp.text
    return [i["job_id"] for i in resp.json()["items"]]


async def test_keywords_half_and_full_width_katakana_and_exclusion(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    se = await create(jobs.client, headers, title="システムエンジニア", description=f"自社開発 {m}")
    dispatch = await create(
        jobs.client,
        headers,
        title="ｴﾝｼﾞﾆｱ（派遣）",
        employment_type="dispatch",
        description=f"客先常駐 {m}",
    )
    clerk = await create(
        jobs.client, headers, title="営業事務", occupation_code="25", description=f"受発注 {m}"
    )
    latin = await create(
        jobs.client, headers, title="Ｐｙｔｈｏｎ Engineer", description=f"Web {m}"
    )
    both = {se["job_id"], dispatch["job_id"]}

    assert set(await ids(jobs, q=f"ｴﾝｼﾞﾆｱ {m}")) == both
    assert set(await ids(jobs, q=f"エンジニア {m}")) == both
    assert set(await ids(jobs, q=f"えんじにあ　{m}")) == both  # hiragana, ideographic space
    assert await ids(jobs, q=f"エンジニア -派遣 {m}") == [se["job_id"]]
    assert await ids(jobs, q=f"エンジニア －（派遣） {m}") == [se["job_id"]]  # full-width minus
    assert await ids(jobs, q=f"python {m}") == [latin["job_id"]]
    assert await ids(jobs, q=f"PYTHON ｅｎｇｉｎｅｅｒ {m}") == [latin["job_id"]]
    assert await ids(jobs, q=f"受 {m}") == [clerk["job_id"]]  # one character
    assert set(await ids(jobs, q=m)) == {*both, clerk["job_id"], latin["job_id"]}
    assert await ids(jobs, q=f"{m} -{m}") == []


async def test_bigram_candidates_are_verified_exactly(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    osaka = {"prefecture": "27", "municipality": "大阪市北区", "nearest_station": "梅田駅"}
    tokyo_to = await create(jobs.client, headers, title="東京都庁前の受付", description=m, **osaka)
    await create(jobs.client, headers, title="東京本社と京都支店", description=m, **osaka)
    result = (await jobs.client.get("/api/v1/jobs", params={"q": f"東京都 {m}"})).json()
    assert [i["job_id"] for i in result["items"]] == [tokyo_to["job_id"]]
    assert result["total"] == 1 and result["total_estimated"] is False


async def test_conditions_combine(jobs) -> None:
    employer = await jobs.employer()
    headers = jobs.tokens.employer(employer)
    m = marker()
    a = await create(
        jobs.client,
        headers,
        description=m,
        prefecture="13",
        occupation_code="10",
        wage_min=300000,
        wage_max=None,
        remote="partial",
        accepts_direct_application=True,
    )
    b = await create(
        jobs.client,
        headers,
        description=m,
        prefecture="14",
        occupation_code="08",
        wage_min=220000,
        wage_max=260000,
        experience_required=True,
    )
    c = await create(
        jobs.client,
        headers,
        description=m,
        prefecture="27",
        occupation_code="25",
        employment_type="part_time",
        wage_min=1200,
        wage_max=1500,
        wage_unit="hourly",
    )
    d = await create(
        jobs.client,
        headers,
        description=m,
        prefecture="13",
        occupation_code="36",
        employment_type="contract",
        wage_min=9000,
        wage_max=None,
        wage_unit="daily",
    )
    A, B, C, D = (x["job_id"] for x in (a, b, c, d))

    async def only(**params: Any) -> set[str]:
        return set(await ids(jobs, q=m, **params))

    assert await only(prefecture="13") == {A, D}
    assert await only(prefecture=["13", "14"]) == {A, B, D}
    assert await only(prefecture="14,27") == {B, C}
    assert await only(occupation="B") == {A, B}  # major group: its middle groups
    assert await only(occupation="10,25") == {A, C}
    assert await only(occupation="B", prefecture="13") == {A}
    assert await only(employment_type="full_time") == {A, B}
    assert await only(employment_type="part_time,contract") == {C, D}
    # wages compare in like units: 250,000 a month is met by A (300,000) and B (up to 260,000)
    assert await only(wage_min=250000) == {A, B}
    assert await only(wage_min=270000, wage_unit="monthly") == {A}
    assert await only(wage_min=1300, wage_unit="hourly") == {C}
    assert await only(wage_min=1600, wage_unit="hourly") == set()
    assert await only(wage_unit="daily") == {D}
    assert await only(remote="true") == {A}
    assert await only(accepts_direct_application="true") == {A}
    assert await only(no_experience_required="true", prefecture="14") == set()
    assert await only(no_experience_required="true") == {A, C, D}
    assert await only(remote="false") == {A, B, C, D}  # false means either


async def test_order_by_wage_and_new(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    low = await create(jobs.client, headers, description=m, wage_min=200000, wage_max=None)
    high = await create(jobs.client, headers, description=m, wage_min=250000, wage_max=400000)
    hourly = await create(
        jobs.client, headers, description=m, wage_min=2000, wage_max=None, wage_unit="hourly"
    )
    assert await ids(jobs, q=m) == [hourly["job_id"], high["job_id"], low["job_id"]]
    # 2,000 an hour ranks as about 320,000 a month
    assert await ids(jobs, q=m, sort="wage") == [high["job_id"], hourly["job_id"], low["job_id"]]


async def test_new_within_days(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    old = await create(jobs.client, headers, description=m)
    jobs.clock.advance(timedelta(days=10))
    new = await create(jobs.client, headers, description=m)
    assert await ids(jobs, q=m, new_within_days=7) == [new["job_id"]]
    assert await ids(jobs, q=m, new_within_days=14) == [new["job_id"], old["job_id"]]


@pytest.mark.parametrize("sort", ["new", "wage"])
async def test_pages_hold_each_posting_once_while_postings_arrive(jobs, sort: str) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    originals = [
        (
            await create(
                jobs.client,
                headers,
                description=m,
                wage_min=200000 + 10000 * (i % 4),
                wage_max=None,
            )
        )["job_id"]
        for i in range(9)
    ]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"q": m, "limit": 2, "sort": sort}
        if cursor:
            params["cursor"] = cursor
        page = (await jobs.client.get("/api/v1/jobs", params=params)).json()
        seen.extend(i["job_id"] for i in page["items"])
        pages += 1
        # new postings arrive between pages, some with the highest and the lowest wages
        await create(
            jobs.client,
            headers,
            description=m,
            wage_min=500000 if pages % 2 else 150000,
            wage_max=None,
        )
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "a posting came twice"
    assert set(originals) <= set(seen), "a posting was skipped"
    if sort == "new":
        assert seen == list(reversed(originals))  # newer arrivals sort before the position


async def test_totals_exact_when_small_estimated_when_large(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    await asyncio.gather(
        *(create(jobs.client, headers, title="介護職員", description=m) for _ in range(12))
    )
    first = (await jobs.client.get("/api/v1/jobs", params={"q": m, "limit": 5})).json()
    assert first["total"] == 12 and first["total_estimated"] is False
    second = (
        await jobs.client.get(
            "/api/v1/jobs", params={"q": m, "limit": 5, "cursor": first["next_cursor"]}
        )
    ).json()
    assert second["total"] is None and len(second["items"]) == 5

    def service(**settings: int) -> SearchService:
        changed = jobs.settings.model_copy(update=settings)
        return SearchService(
            postings=jobs.services.search.postings, settings=changed, clock=jobs.clock
        )

    query = SearchQuery.model_validate({"q": f"介護職員 {m}", "limit": 5})
    # more candidates than counted exactly: a full count within the time budget
    beyond = await service(count_exact_cap=10).search(query)
    assert beyond["total"] == 12 and beyond["total_estimated"] is False
    # too many to check each keyword exactly: estimated from the page's candidates, and says so
    sampled = await service(count_exact_cap=10, count_verify_cap=5).search(query)
    assert sampled["total"] == 12 and sampled["total_estimated"] is True


async def test_bad_search_input_is_a_clear_problem(jobs) -> None:
    for params, status, code in [
        ({"cursor": "garbage"}, 400, "invalid_cursor"),
        ({"limit": 101}, 422, "validation_error"),
        ({"prefecture": "01,02,03,04"}, 422, "validation_error"),
        ({"prefecture": "48"}, 422, "validation_error"),
        ({"occupation": "ZZ"}, 422, "validation_error"),
        ({"employment_type": "freelance"}, 422, "validation_error"),
        ({"wage_min": "lots"}, 422, "validation_error"),
        ({"sort": "random"}, 422, "validation_error"),
    ]:
        resp = await jobs.client.get("/api/v1/jobs", params=params)
        assert resp.status_code == status, (params, resp.text)
        assert resp.json()["code"] == code
    resp = await jobs.client.get("/api/v1/jobs", params={"prefecture": "48"})
    assert resp.json()["errors"][0]["message"] == "都道府県コードは 01〜47 で指定してください。"
    # a cursor of one order is refused by the other
    m = marker()
    headers = jobs.tokens.employer(await jobs.employer())
    for _ in range(2):
        await create(jobs.client, headers, description=m)
    cursor = (await jobs.client.get("/api/v1/jobs", params={"q": m, "limit": 1})).json()[
        "next_cursor"
    ]
    resp = await jobs.client.get("/api/v1/jobs", params={"q": m, "sort": "wage", "cursor": cursor})
    assert resp.status_code == 400
