"""Integration: search on the engine — Japanese keywords, conditions, orders, stable pages,
totals, facets, highlights, bad input."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from tests.jobs.support import create, marker, searchable

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
    await searchable(jobs.client, 4, q=m)
    both = {se["job_id"], dispatch["job_id"]}

    assert set(await ids(jobs, q=f"ｴﾝｼﾞﾆｱ {m}")) == both
    assert set(await ids(jobs, q=f"エンジニア {m}")) == both
    assert set(await ids(jobs, q=f"えんじにあ　{m}")) == both  # hiragana, ideographic space
    assert await ids(jobs, q=f"エンジニア -派遣 {m}") == [se["job_id"]]
    assert await ids(jobs, q=f"エンジニア －（派遣） {m}") == [se["job_id"]]  # full-width minus
    assert await ids(jobs, q=f"python {m}") == [latin["job_id"]]
    assert await ids(jobs, q=f"PYTHON ｅｎｇｉｎｅｅｒ {m}") == [latin["job_id"]]
    assert await ids(jobs, q=f"受 {m}") == [clerk["job_id"]]  # one character
    assert await ids(jobs, q=f"事務 {m}") == [clerk["job_id"]]  # two characters
    assert set(await ids(jobs, q=m)) == {*both, clerk["job_id"], latin["job_id"]}
    assert await ids(jobs, q=f"{m} -{m}") == []


async def test_substrings_half_width_and_latin_width(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    care = await create(jobs.client, headers, title="介護福祉士（日勤）", description=m)
    kana = await create(jobs.client, headers, title="カイゴスタッフ", description=m)
    abc = await create(jobs.client, headers, title="abc商事の受付", description=m)
    await searchable(jobs.client, 3, q=m)
    assert await ids(jobs, q=f"介護 {m}") == [care["job_id"]]  # 介護 finds 介護福祉士
    assert await ids(jobs, q=f"ｶｲｺﾞ {m}") == [kana["job_id"]]  # half-width finds カイゴ
    assert await ids(jobs, q=f"ＡＢＣ {m}") == [abc["job_id"]]  # full-width finds abc


async def test_phrases_are_exact_not_scattered_bigrams(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    osaka = {"prefecture": "27", "municipality": "大阪市北区", "nearest_station": "梅田駅"}
    tokyo_to = await create(jobs.client, headers, title="東京都庁前の受付", description=m, **osaka)
    await create(jobs.client, headers, title="東京本社と京都支店", description=m, **osaka)
    await searchable(jobs.client, 2, q=m)
    result = (await jobs.client.get("/api/v1/jobs", params={"q": f"東京都 {m}"})).json()
    assert [i["job_id"] for i in result["items"]] == [tokyo_to["job_id"]]
    assert result["total"] == 1 and result["total_estimated"] is False


async def test_or_between_words_and_field_choice(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer(name="看護ケア株式会社"))
    m = marker()
    care = await create(jobs.client, headers, title="介護職員", description=f"{m} 施設")
    nurse = await create(jobs.client, headers, title="看護師", description=f"{m} 病棟")
    await create(jobs.client, headers, title="ドライバー", description=f"{m} 配送")
    await searchable(jobs.client, 3, q=m)
    assert set(await ids(jobs, q=f"介護 OR 看護師 {m}")) == {care["job_id"], nurse["job_id"]}
    assert set(await ids(jobs, q=f"介護 or ドライバー {m} -配送")) == {care["job_id"]}
    # the company name has 看護: every posting, unless only titles are searched
    assert len(await ids(jobs, q=f"看護 {m}")) == 3
    assert await ids(jobs, q=f"看護 {m}", fields="title,duties") == [nurse["job_id"]]
    assert len(await ids(jobs, q=f"看護ケア {m}", fields="company")) == 0  # m is not in it
    assert len(await ids(jobs, q="看護ケア", fields="company", employment_type="full_time")) >= 3


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
        municipality="横浜市中区",
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
        municipality="大阪市北区",
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
        wage_min=10000,
        wage_max=None,
        wage_unit="daily",
    )
    A, B, C, D = (x["job_id"] for x in (a, b, c, d))
    await searchable(jobs.client, 4, q=m)

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
    assert await only(municipality="横浜市中区,大阪市北区") == {B, C}
    assert await only(municipality="新宿区") == {A, D}
    assert await only(job_number=f"{a['job_number']},{c['job_number']}") == {A, C}
    # and without keywords: job numbers alone
    assert set(await ids(jobs, job_number=b["job_number"])) == {B}


async def test_orders_new_wage_deadline_and_relevance(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    low = await create(jobs.client, headers, description=m, wage_min=220000, wage_max=None)
    high = await create(jobs.client, headers, description=m, wage_min=250000, wage_max=400000)
    hourly = await create(
        jobs.client, headers, description=m, wage_min=2000, wage_max=None, wage_unit="hourly"
    )
    await searchable(jobs.client, 3, q=m)
    assert await ids(jobs, q=m, sort="new") == [hourly["job_id"], high["job_id"], low["job_id"]]
    # 2,000 an hour ranks as about 320,000 a month
    assert await ids(jobs, q=m, sort="wage") == [high["job_id"], hourly["job_id"], low["job_id"]]
    # renewing moves the validity of one to a later month end than... all the same here: the
    # deadline order then falls back to the newest first
    assert await ids(jobs, q=m, sort="deadline") == [
        hourly["job_id"],
        high["job_id"],
        low["job_id"],
    ]

    # relevance (the default with keywords): a title match weighs more than a duties match
    k = marker()
    in_duties = await create(jobs.client, headers, title="一般事務", description=f"{k} の補助")
    in_title = await create(jobs.client, headers, title=f"{k} 担当", description="補助業務")
    await searchable(jobs.client, 2, q=k)
    assert await ids(jobs, q=k) == [in_title["job_id"], in_duties["job_id"]]
    # without keywords the default is the newest first
    assert (await ids(jobs, job_number=f"{in_duties['job_number']},{in_title['job_number']}")) == [
        in_title["job_id"],
        in_duties["job_id"],
    ]


async def test_new_within_days(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    old = await create(jobs.client, headers, description=m)
    jobs.clock.advance(timedelta(days=10))
    new = await create(jobs.client, headers, description=m)
    await searchable(jobs.client, 2, q=m)
    assert await ids(jobs, q=m, new_within_days=7) == [new["job_id"]]
    assert await ids(jobs, q=m, new_within_days=14) == [new["job_id"], old["job_id"]]


@pytest.mark.parametrize("sort", ["new", "wage", "relevance", "deadline"])
async def test_pages_hold_each_posting_once_while_postings_arrive(jobs, sort: str) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    originals = [
        (
            await create(
                jobs.client,
                headers,
                description=m,
                wage_min=210000 + 10000 * (i % 4),
                wage_max=None,
            )
        )["job_id"]
        for i in range(9)
    ]
    await searchable(jobs.client, 9, q=m)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"q": m, "limit": 2, "sort": sort}
        if cursor:
            params["cursor"] = cursor
        resp = await jobs.client.get("/api/v1/jobs", params=params)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        seen.extend(i["job_id"] for i in page["items"])
        pages += 1
        # new postings arrive between pages, some with the highest and the lowest wages
        await create(
            jobs.client,
            headers,
            description=m,
            wage_min=500000 if pages % 2 else 205000,
            wage_max=None,
        )
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "a posting came twice"
    assert set(originals) <= set(seen), "a posting was skipped"
    if sort in ("new", "deadline"):
        assert seen == list(reversed(originals))  # newer arrivals sort before the position


async def test_totals_facets_and_highlights(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    await asyncio.gather(
        *(
            create(
                jobs.client,
                headers,
                title="介護職員 <初任者>",
                description=f"{m} 特別養護老人ホームでの介護業務です。",
                prefecture="13" if i < 8 else "27",
                municipality="新宿区" if i < 8 else "大阪市北区",
                employment_type="full_time" if i % 2 else "part_time",
                **({} if i % 2 else {"wage_min": 1300, "wage_max": None, "wage_unit": "hourly"}),
            )
            for i in range(12)
        )
    )
    await searchable(jobs.client, 12, q=m)
    first = (
        await jobs.client.get(
            "/api/v1/jobs", params={"q": f"介護 {m}", "limit": 5, "prefecture": "13"}
        )
    ).json()
    assert first["total"] == 8 and first["total_estimated"] is False
    # the prefecture counts ignore the prefecture condition; the others apply it
    assert first["facets"]["prefecture"] == [
        {"value": "13", "count": 8},
        {"value": "27", "count": 4},
    ]
    assert sorted((f["value"], f["count"]) for f in first["facets"]["employment_type"]) == [
        ("full_time", 4),
        ("part_time", 4),
    ]
    assert first["facets"]["occupation"] == [{"value": "10", "count": 8}]
    item = first["items"][0]
    # the engine escapes the text; only <mark> is markup
    assert item["highlight"]["title"] == "<mark>介護</mark>職員 &lt;初任者&gt;"
    assert "<mark>介護</mark>業務" in item["highlight"]["duties"]
    second = (
        await jobs.client.get(
            "/api/v1/jobs",
            params={
                "q": f"介護 {m}",
                "limit": 5,
                "prefecture": "13",
                "cursor": first["next_cursor"],
            },
        )
    ).json()
    assert second["total"] is None and second["facets"] is None and len(second["items"]) == 3
    # without keywords: no highlight
    plain = (await jobs.client.get("/api/v1/jobs", params={"q": m, "limit": 1})).json()
    assert plain["items"][0]["highlight"] == {"title": None, "duties": None} or plain["items"][0][
        "highlight"
    ]["duties"].count("<mark>")


async def test_bad_search_input_is_a_clear_problem(jobs) -> None:
    for params, status, code in [
        ({"cursor": "garbage!"}, 400, "invalid_cursor"),
        ({"cursor": "eyJzIjoibmV3In0"}, 400, "invalid_cursor"),  # {"s":"new"}
        ({"limit": 101}, 422, "validation_error"),
        ({"prefecture": "01,02,03,04"}, 422, "validation_error"),
        ({"prefecture": "48"}, 422, "validation_error"),
        ({"occupation": "ZZ"}, 422, "validation_error"),
        ({"employment_type": "freelance"}, 422, "validation_error"),
        ({"wage_min": "lots"}, 422, "validation_error"),
        ({"sort": "random"}, 422, "validation_error"),
        ({"fields": "salary"}, 422, "validation_error"),
        ({"job_number": "12345"}, 422, "validation_error"),
        ({"job_number": ",".join(f"13010-0000000{i}" for i in range(6))}, 422, "validation_error"),
        ({"q": "あ" * 201}, 422, "validation_error"),
        ({"q": " ".join(f"w{i}" for i in range(11))}, 422, "validation_error"),
    ]:
        resp = await jobs.client.get("/api/v1/jobs", params=params)
        assert resp.status_code == status, (params, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["code"] == code
    resp = await jobs.client.get("/api/v1/jobs", params={"prefecture": "48"})
    assert resp.json()["errors"][0]["message"] == "都道府県コードは 01〜47 で指定してください。"
    resp = await jobs.client.get("/api/v1/jobs", params={"q": " ".join("あいうえおかきくけこさ")})
    assert resp.json()["errors"][0]["message"] == "キーワードは 10 語までにしてください。"
    # query syntax is only text: no error, no magic
    for q in ('title:"x" AND (', "*", "a OR", "OR", "--", "\\", "<script>"):
        resp = await jobs.client.get("/api/v1/jobs", params={"q": q})
        assert resp.status_code == 200, (q, resp.text)

    m = marker()
    headers = jobs.tokens.employer(await jobs.employer())
    for _ in range(3):
        await create(jobs.client, headers, description=m)
    await searchable(jobs.client, 3, q=m)
    first = (await jobs.client.get("/api/v1/jobs", params={"q": m, "limit": 1})).json()
    # a cursor of one order is refused by another
    resp = await jobs.client.get(
        "/api/v1/jobs", params={"q": m, "sort": "wage", "cursor": first["next_cursor"]}
    )
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_cursor"
    # the point in time of a walk ends: the cursor says so
    second = (
        await jobs.client.get(
            "/api/v1/jobs", params={"q": m, "limit": 1, "cursor": first["next_cursor"]}
        )
    ).json()
    from services.jobs.search_query import decode_cursor

    pit = decode_cursor("relevance", second["next_cursor"]).p
    assert pit
    await jobs.services.search.engine.close_pit(pit)
    resp = await jobs.client.get(
        "/api/v1/jobs", params={"q": m, "limit": 1, "cursor": second["next_cursor"]}
    )
    assert resp.status_code == 410, resp.text
    assert resp.json()["code"] == "cursor_expired"
    assert resp.json()["detail"].startswith("検索結果の有効期限が切れました")
