"""The search page (/jobs), results first.

- unit (no I/O): the highlight of matched words can only mark words; counts per condition named
  from the reference data and linked to a narrower search; job numbers and the order read from
  what people send.
- the page against a fake API of this file's own (web itself as in production: create_app, its
  own sessions database, served by uvicorn): the answer of GET /api/v1/jobs (facets, highlights,
  four orders), a next page (neither facets nor highlights), 410 cursor_expired and 503
  search_unavailable. In Debian's chromium: the first result on the first screen at 390 px and 1280 px, the drawer
  and the order by keyboard alone, axe-core clean, screenshots.
- the page against the whole running system: counts, marks, orders, and the conditions saved
  from it (municipality, job numbers, fields searched) kept by the API as they were searched.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from markupsafe import Markup
from starlette.datastructures import QueryParams

from tests.ports import free_port
from tests.web.conftest import DESKTOP, WebSite, screenshot, screenshot_folder
from tests.web.helpers import (
    check_a11y,
    login,
    new_context,
    new_employer,
    new_seeker,
    new_staff,
    no_horizontal_scroll,
    open_my_page,
    post_job,
    posting,
    tag,
)
from web.app import create_app
from web.pages_jobs import CURSOR_EXPIRED_JA, UNAVAILABLE_JA
from web.search_conditions import (
    api_params,
    describe,
    read_conditions,
    read_job_numbers,
    read_municipalities,
    read_sort,
    saved_conditions,
    search_url,
)
from web.search_results import facet_groups, highlight, present
from web.settings import WebSettings

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}  # the other browser tests' phone
Params = list[tuple[str, str]]

# --- unit: highlights --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fragment", "shown"),
    [
        ("<mark>介護</mark>スタッフ", "<mark>介護</mark>スタッフ"),
        (
            "日勤の<mark>介護</mark>と<mark>送迎</mark>",
            "日勤の<mark>介護</mark>と<mark>送迎</mark>",
        ),
        # the engine's own escaping is undone once, then done again: no &amp;amp;
        ("A&amp;B <mark>介護</mark>", "A&amp;B <mark>介護</mark>"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        # anything the engine did not escape is escaped here
        (
            "<script>alert(1)</script><mark>x</mark>",
            "&lt;script&gt;alert(1)&lt;/script&gt;<mark>x</mark>",
        ),
        ('<img src=x onerror="alert(1)">', "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;"),
        # a posting that writes mark tags as text gets text, not marks
        ("&lt;mark&gt;x&lt;/mark&gt;", "&lt;mark&gt;x&lt;/mark&gt;"),
        # only exact, balanced pairs
        ("<mark onclick=alert(1)>x</mark>", "&lt;mark onclick=alert(1)&gt;x&lt;/mark&gt;"),
        ("<MARK>x</MARK>", "&lt;MARK&gt;x&lt;/MARK&gt;"),
        ("<mark>x", "&lt;mark&gt;x"),
        ("x</mark>", "x&lt;/mark&gt;"),
        ("<mark><mark>x</mark></mark>", "&lt;mark&gt;<mark>x</mark>&lt;/mark&gt;"),
        ("<mark></mark>空", "空"),
    ],
)
def test_a_highlight_marks_words_and_nothing_else(fragment: str, shown: str) -> None:
    marked = highlight(fragment)
    assert isinstance(marked, Markup)
    assert str(marked) == shown


@pytest.mark.parametrize("fragment", [None, "", "  ", 3, ["<mark>x</mark>"], {"a": 1}])
def test_no_fragment_no_highlight(fragment: Any) -> None:
    assert highlight(fragment) is None


def test_a_result_without_highlight_keeps_its_plain_title() -> None:
    item = {"job_id": "j1", "title": "<b>介護</b>"}
    for raw in (item, {**item, "highlight": None}, {**item, "highlight": {"title": None}}):
        shown = present(raw)
        assert shown["title_html"] is None and shown["duties_html"] is None
        assert shown["title"] == "<b>介護</b>"  # escaped by the template, as every text
    shown = present({**item, "highlight": {"title": "<mark>介護</mark>", "duties": "送迎"}})
    assert shown["title_html"] == Markup("<mark>介護</mark>")
    assert shown["duties_html"] == Markup("送迎")


# --- unit: counts per condition -----------------------------------------------------------------

OCCUPATION_NAMES = {
    "B": "専門的・技術的職業",
    "10": "情報処理・通信技術者",
    "36": "介護サービスの職業",
}


def link(query: dict[str, Any]) -> str:
    return search_url(query, sort="wage")


def test_counts_are_named_and_each_narrows_the_search() -> None:
    facets = {
        "prefecture": [{"value": "13", "count": 1234}, {"value": "27", "count": 56}],
        "occupation": [{"value": "36", "count": 800}, {"value": "99", "count": 3}],
        "employment_type": [{"value": "part_time", "count": 700}],
    }
    query = {"q": "介護", "prefecture": ["13", "14"], "employment_type": ["full_time"]}
    groups = facet_groups(facets, query, link=link, occupation_names=OCCUPATION_NAMES)
    assert [g["name"] for g in groups] == ["prefecture", "occupation", "employment_type"]
    pref, occ, emp = groups
    assert [(e["label"], e["count"], e["selected"]) for e in pref["shown"]] == [
        ("東京都", 1234, True),
        ("大阪府", 56, False),
    ]
    # the link replaces the facet's own condition and keeps every other one, and the order
    assert dict_of(pref["shown"][1]["url"]) == {
        "q": ["介護"],
        "prefecture": ["27"],
        "employment_type": ["full_time"],
        "sort": ["wage"],
    }
    assert dict_of(pref["clear_url"]) == {
        "q": ["介護"],
        "employment_type": ["full_time"],
        "sort": ["wage"],
    }
    # an occupation code the page cannot name is left out (it could not search it either)
    assert [e["label"] for e in occ["shown"]] == ["介護サービスの職業"]
    assert occ["clear_url"] is None
    assert emp["shown"][0]["label"] == "パート・アルバイト"
    assert dict_of(emp["shown"][0]["url"])["employment_type"] == ["part_time"]


@pytest.mark.parametrize(
    "facets",
    [
        None,
        {},
        [],
        "x",
        {"prefecture": None},
        {"prefecture": [{"value": "13"}, {"value": "13", "count": "9"}, {"count": 3}]},
        {"prefecture": [{"value": "13", "count": 0}, {"value": "48", "count": 4}, "13"]},
        {"prefecture": [{"value": "13", "count": True}]},
    ],
)
def test_missing_or_malformed_counts_show_nothing(facets: Any) -> None:
    assert facet_groups(facets, {}, link=link, occupation_names=OCCUPATION_NAMES) == []


def test_long_count_lists_fold_after_the_first_few() -> None:
    buckets = [{"value": f"{i:02d}", "count": 100 - i} for i in range(1, 48)]
    buckets.append({"value": "01", "count": 5})  # a repeated value counts once
    (pref,) = facet_groups({"prefecture": buckets}, {}, link=link, occupation_names={}, shown=8)
    assert len(pref["shown"]) == 8 and len(pref["more"]) == 39
    assert pref["shown"][0] == {
        "value": "01",
        "label": "北海道",
        "count": 99,
        "selected": False,
        "url": "/jobs?prefecture=01&sort=wage",
    }


# --- unit: conditions and order -----------------------------------------------------------------


def test_conditions_are_read_from_what_the_form_sends() -> None:
    sent = QueryParams(
        "q=%EF%BC%A1%EF%BC%A2%EF%BC%A3++%E4%BB%8B%E8%AD%B7&occupation=b&occupation=ZZ"
        "&prefecture=13&prefecture=99&employment_type=part_time&employment_type=part_time"
        "&wage_min=25%E4%B8%87&fields=title&fields=duties&fields=company&remote=on"
        "&municipality=%E6%96%B0%E5%AE%BF%E5%8C%BA&job_number=13010-12345678"
    )
    conditions, errors = read_conditions(sent, {"B", "10"})
    assert not errors
    assert saved_conditions(conditions) == {
        "q": "ABC 介護",
        "prefecture": ["13"],
        "occupation": ["B"],
        "employment_type": ["part_time"],
        "wage_min": 250000,
        "wage_unit": "monthly",
        "remote": True,
        "municipality": ["新宿区"],
        "job_number": ["13010-12345678"],
        # every field ticked is the same as none
    }
    _, errors = read_conditions(QueryParams("wage_min=abc&job_number=1&municipality="), set())
    assert set(errors) == {"wage_min", "job_number"}


def test_job_numbers_are_read_as_people_type_them() -> None:
    assert read_job_numbers("") == []
    assert read_job_numbers("13010-12345678　２７０１０１２３４５６７８、13010-12345678") == [
        "13010-12345678",
        "27010-12345678",
    ]
    assert read_job_numbers("13010－12345678,14010-00000001") == [
        "13010-12345678",
        "14010-00000001",
    ]
    with pytest.raises(ValueError, match="5件まで"):
        read_job_numbers(" ".join(f"13010-{i:08d}" for i in range(6)))
    with pytest.raises(ValueError, match="5桁-8桁"):
        read_job_numbers("13010-1234")


def test_municipalities_are_read_as_people_type_them() -> None:
    assert read_municipalities("") == []
    assert read_municipalities("新宿区　渋谷区、大阪市北区,新宿区") == [
        "新宿区",
        "渋谷区",
        "大阪市北区",
    ]
    with pytest.raises(ValueError, match="5つまで"):
        read_municipalities("一区 二区 三区 四区 五区 六区")
    with pytest.raises(ValueError, match="40文字まで"):
        read_municipalities("長" * 41)


def test_the_order_is_relevance_with_keywords_and_newest_without() -> None:
    assert read_sort("", "介護") == "relevance"
    assert read_sort("", "") == "new"
    assert read_sort("relevance", "") == "new"
    assert read_sort("deadline", "") == "deadline"
    assert read_sort("wage", "介護") == "wage"
    assert read_sort("price", "介護") == "relevance"


def test_the_working_conditions_are_read_sent_and_described() -> None:
    sent = QueryParams(
        "annual_holidays_min=%EF%BC%91%EF%BC%92%EF%BC%90&two_day_weekend=every_week"
        "&overtime_max=0&car_commute=1&no_transfer=on&no_trial_period=1&no_age_limit=1"
        "&insurance_complete=1&remote=on"
    )
    conditions, errors = read_conditions(sent, set())
    assert not errors
    saved = saved_conditions(conditions)
    assert saved == {
        "annual_holidays_min": 120,
        "two_day_weekend": "every_week",
        "overtime_max": 0,  # no overtime is a condition, not "either"
        "remote": True,
        "car_commute": True,
        "no_transfer": True,
        "no_trial_period": True,
        "no_age_limit": True,
        "insurance_complete": True,
    }
    assert api_params(conditions)["overtime_max"] == 0
    assert api_params(conditions)["insurance_complete"] == "true"
    described = describe(saved, {})
    assert ("年間休日", "120日以上") in described
    assert ("週休二日制", "完全週休二日制（毎週）") in described
    assert ("時間外労働", "なし") in described
    assert ("条件", "転勤なし") in described and ("条件", "年齢不問") in described
    assert "overtime_max=0" in search_url(saved) and "no_transfer=1" in search_url(saved)
    # what the form cannot send is dropped, not refused
    odd, errors = read_conditions(
        QueryParams("annual_holidays_min=7&two_day_weekend=x&overtime_max=-1"), set()
    )
    assert not errors and saved_conditions(odd) == {}


def test_the_api_gets_every_condition_set_and_only_those() -> None:
    conditions = {
        "q": "介護 -夜勤",
        "prefecture": ["13"],
        "occupation": [],
        "employment_type": ["full_time", "part_time"],
        "wage_min": 200000,
        "wage_unit": "monthly",
        "new_within_days": "7",
        "municipality": ["新宿区", "渋谷区"],
        "job_number": ["13010-12345678"],
        "fields": ["title", "duties"],
        "remote": True,
        "accepts_direct_application": False,
        "no_experience_required": False,
    }
    assert api_params(conditions) == {
        "q": "介護 -夜勤",
        "prefecture": ["13"],
        "employment_type": ["full_time", "part_time"],
        "wage_min": 200000,
        "wage_unit": "monthly",
        "new_within_days": 7,
        "remote": "true",
        "municipality": ["新宿区", "渋谷区"],
        "job_number": ["13010-12345678"],
        "fields": ["title", "duties"],
    }
    # and so does a saved search (the engine's API keeps them); described in Japanese
    assert describe(saved_conditions(conditions), {}) == [
        ("キーワード", "介護 -夜勤"),
        ("キーワードを探す項目", "職種名・仕事内容"),
        ("勤務地", "東京都"),
        ("市区町村", "新宿区、渋谷区"),
        ("雇用形態", "正社員、パート・アルバイト"),
        ("賃金", "月給 200,000円以上"),
        ("新着", "1週間以内"),
        ("条件", "リモートワーク可"),
        ("求人番号", "13010-12345678"),
    ]


def dict_of(url: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in parse_qsl(urlsplit(url).query):
        out.setdefault(key, []).append(value)
    return out


# --- the page against a fake API ------------------------------------------------------------------

OCCUPATIONS = [
    {"code": "B", "name": "専門的・技術的職業"},
    {"code": "10", "name": "情報処理・通信技術者"},
    {"code": "E", "name": "サービスの職業"},
    {"code": "36", "name": "介護サービスの職業"},
]


def summary(i: int, **changes: Any) -> dict[str, Any]:
    """A PostingSummary as the API lists it."""
    body: dict[str, Any] = {
        "job_id": f"{i:032x}",
        "job_number": f"13010-{i:08d}",
        "status": "open",
        "title": f"介護スタッフ（日勤）{i}",
        "employer_name": "社会福祉法人はたらく会",
        "occupation_code": "36",
        "occupation_name": "介護サービスの職業",
        "prefecture": "13",
        "prefecture_name": "東京都",
        "municipality": "新宿区",
        "nearest_station": None,
        "employment_type": "full_time",
        "wage_min": 230000,
        "wage_max": 280000,
        "wage_unit": "monthly",
        "remote": "none",
        "experience_required": False,
        "accepts_online_referral": True,
        "accepts_direct_application": True,
        "published_at": "2026-05-01T00:00:00Z",
        "valid_until": "2026-07-31",
    }
    return body | changes


NEWER_FACETS = {
    "prefecture": [{"value": "13", "count": 1234}, {"value": "27", "count": 56}],
    "occupation": [{"value": "36", "count": 1100}, {"value": "10", "count": 190}],
    "employment_type": [
        {"value": "full_time", "count": 900},
        {"value": "part_time", "count": 390},
    ],
}


def first_page(params: Params) -> tuple[int, dict[str, Any]]:
    """The first page: facets, highlights."""
    items = [
        summary(
            1,
            highlight={
                "title": "<mark>介護</mark>スタッフ（日勤）1",
                "duties": "利用者さまの<mark>介護</mark>と送迎。<script>alert(1)</script>",
            },
        ),
        summary(2, title="訪問介護員 2", highlight={"title": None, "duties": None}),
    ]
    return 200, {
        "items": items,
        "next_cursor": "c2",
        "total": 1290,
        "total_estimated": False,
        "facets": NEWER_FACETS,
    }


def next_page(params: Params) -> tuple[int, dict[str, Any]]:
    """A later page: no facets (first page only), no highlight keys at all."""
    return 200, {
        "items": [summary(3), summary(4, title="訪問介護員 4")],
        "next_cursor": None,
        "total": 1290,
        "total_estimated": False,
    }


def expired(params: Params) -> tuple[int, dict[str, Any]]:
    return 410, {
        "type": "about:blank",
        "title": "Gone",
        "status": 410,
        "code": "cursor_expired",
        "detail": "Search results expired.",  # the page says it in its own words
    }


def unavailable(params: Params) -> tuple[int, dict[str, Any]]:
    return 503, {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "code": "search_unavailable",
        "detail": "求人検索は一時的に利用できません。",
    }


@dataclass
class FakeApi:
    """The public API as far as the search page needs it; GET /api/v1/jobs answers ``answer``
    and keeps what it was asked (``seen``)."""

    answer: Callable[[Params], tuple[int, dict[str, Any]]] = first_page
    seen: list[Params] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/api/v1/status")
        async def status() -> dict[str, Any]:
            return {"maintenance": False, "window": None, "message": ""}

        @app.get("/api/v1/occupations")
        async def occupations() -> list[dict[str, str]]:
            return OCCUPATIONS

        @app.post("/api/v1/auth/login")
        async def login() -> dict[str, Any]:
            return {"access_token": "a.b.c", "refresh_token": "r", "token_type": "bearer",
                    "expires_in": 3600}  # fmt: skip

        @app.get("/api/v1/me")
        async def me() -> dict[str, Any]:
            return {"account_id": "acc", "role": "seeker", "seeker_id": "s1"}

        @app.get("/api/v1/me/unread")
        async def unread() -> dict[str, int]:
            return {"messages": 0, "notices": 1, "notifications": 1}

        @app.get("/api/v1/jobs")
        async def jobs(request: Request) -> JSONResponse:
            params = list(request.query_params.multi_items())
            self.seen.append(params)
            status, body = self.answer(params)
            kind = "application/problem+json" if status >= 400 else "application/json"
            return JSONResponse(body, status_code=status, media_type=kind)

        return app

    def last(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, value in self.seen[-1]:
            out.setdefault(key, []).append(value)
        return out


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """An app on a port of its own, in this event loop (lifespan included)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class FakeSite:
    url: str
    api: FakeApi
    shots: Path | None  # screenshots, as the other browser tests keep them

    async def shot(self, page: Any, name: str) -> None:
        await screenshot(page, self.shots, f"search-{name}.png", full_page=False)


@pytest.fixture(scope="module")
async def fake(make_settings: Any) -> AsyncIterator[FakeSite]:
    api = FakeApi()
    shots = screenshot_folder()
    async with serve(api.app()) as api_url:
        settings = make_settings(
            WebSettings,
            db_name=f"t{uuid.uuid4().hex[:8]}_web_search",
            gateway_url=api_url,
            gateway_timeout_seconds=5,
            page_size=2,
        )
        async with serve(create_app(settings)) as url:
            yield FakeSite(url, api, shots)


@pytest.fixture
async def site_of(fake: FakeSite) -> AsyncIterator[Callable[..., FakeSite]]:
    """The fake site answering searches with ``answer`` (the first page by default)."""

    def use(answer: Callable[[Params], tuple[int, dict[str, Any]]] = first_page) -> FakeSite:
        fake.api.answer = answer
        fake.api.seen.clear()
        return fake

    yield use
    fake.api.answer = first_page


async def get(site: FakeSite, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as client:
        return await client.get(path)


@pytest.mark.integration
async def test_the_newer_answer_shows_counts_highlights_and_four_orders(site_of: Any) -> None:
    site = site_of(first_page)
    resp = await get(site, "/jobs?q=%E4%BB%8B%E8%AD%B7&prefecture=13&sort=deadline")
    assert resp.status_code == 200, resp.text
    assert site.api.last() == {
        "q": ["介護"],
        "prefecture": ["13"],
        "sort": ["deadline"],
        "limit": ["2"],
    }
    page = resp.text
    assert '<span class="count" id="result-count">1,290件</span>' in page
    # matched words marked; what the posting wrote stays text
    assert (
        '<a href="/jobs/00000000000000000000000000000001"><mark>介護</mark>スタッフ（日勤）1</a>'
        in page
    )
    assert "利用者さまの<mark>介護</mark>と送迎。&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert '<a href="/jobs/00000000000000000000000000000002">訪問介護員 2</a>' in page
    # counts per condition, named, each a link to a narrower search (the chosen one is not)
    assert "件数で絞り込む" in page
    assert re.search(
        r'<span class="chosen" aria-current="true">東京都 <span class="now">選択中</span> <span class="n">1,234件',
        page,
    )
    osaka = re.search(r'<a href="([^"]+)">大阪府 <span class="n">56件</span></a>', page)
    assert osaka and dict_of(osaka[1].replace("&amp;", "&")) == {
        "q": ["介護"],
        "prefecture": ["27"],
        "sort": ["deadline"],
    }
    assert re.search(
        r'<a href="[^"]*occupation=36[^"]*">介護サービスの職業 <span class="n">1,100件', page
    )
    assert re.search(
        r'<a href="[^"]*employment_type=part_time[^"]*">パート・アルバイト <span', page
    )
    # four orders with keywords; the one asked for is chosen; the next page keeps it
    assert re.findall(r'<option value="(\w*)"[^>]*>(関連度順|新着順|賃金順|締切順)<', page) == [
        ("", "関連度順"),
        ("new", "新着順"),
        ("wage", "賃金順"),
        ("deadline", "締切順"),
    ]
    assert '<option value="deadline" selected>締切順</option>' in page
    nxt = re.search(r'<a class="button secondary" href="([^"]+)" rel="next">', page)
    assert nxt and dict_of(nxt[1].replace("&amp;", "&"))["cursor"] == ["c2"]
    assert dict_of(nxt[1].replace("&amp;", "&"))["sort"] == ["deadline"]
    # an anonymous visitor is offered a login to save the conditions, back to this search
    assert "ログインしてこの条件を保存" in page

    # relevance is the default with keywords
    resp = await get(site, "/jobs?q=%E4%BB%8B%E8%AD%B7")
    assert site.api.last()["sort"] == ["relevance"]
    assert '<option value="" selected>関連度順</option>' in resp.text
    # without keywords: newest first, and no relevance to choose; the default order is sent as
    # "" by the form, so that typing keywords there orders by relevance
    resp = await get(site, "/jobs")
    assert site.api.last()["sort"] == ["new"]
    assert "関連度順" not in resp.text
    assert '<option value="" selected>新着順</option>' in resp.text
    await get(site, "/jobs?q=%E4%BB%8B%E8%AD%B7&sort=")
    assert site.api.last()["sort"] == ["relevance"]


@pytest.mark.integration
async def test_the_folded_conditions_are_sent_and_shown_again(site_of: Any) -> None:
    site = site_of(first_page)
    query = (
        "/jobs?q=%E4%BB%8B%E8%AD%B7&wage_min=%EF%BC%92%EF%BC%90%E4%B8%87&new_within_days=7"
        "&remote=1&municipality=%E6%96%B0%E5%AE%BF%E5%8C%BA&job_number=13010-12345678"
        "+1301012345679&fields=title&fields=company&sort=wage"
    )
    resp = await get(site, query)
    assert resp.status_code == 200, resp.text
    assert site.api.last() == {
        "q": ["介護"],
        "wage_min": ["200000"],
        "wage_unit": ["monthly"],
        "new_within_days": ["7"],
        "remote": ["true"],
        "municipality": ["新宿区"],
        "job_number": ["13010-12345678", "13010-12345679"],
        "fields": ["title", "company"],
        "sort": ["wage"],
        "limit": ["2"],
    }
    page = resp.text
    assert '<span class="set" id="folded-count">（6件指定中）</span>' in page
    assert 'value="13010-12345678 13010-12345679"' in page
    assert re.search(r'id="fields-title" [^>]* checked>', page)
    assert re.search(r'id="fields-company" [^>]* checked>', page)
    assert not re.search(r'id="fields-duties" [^>]* checked>', page)

    # a wrong job number: said at the field, the drawer open, nothing asked of the API
    asked = len(site.api.seen)
    resp = await get(site, "/jobs?job_number=13010-1234")
    assert resp.status_code == 400
    assert len(site.api.seen) == asked
    assert '<details class="drawer" id="more-conditions" data-open-wide open>' in resp.text
    assert 'id="job_number-error"' in resp.text and "5桁-8桁" in resp.text
    assert '<a href="#job_number">求人番号</a>' in resp.text


@pytest.mark.integration
async def test_a_next_page_renders_without_counts_or_highlights(site_of: Any) -> None:
    site = site_of(next_page)
    resp = await get(site, "/jobs?q=%E4%BB%8B%E8%AD%B7&sort=wage&cursor=c2")
    assert resp.status_code == 200, resp.text
    assert site.api.last()["cursor"] == ["c2"] and site.api.last()["sort"] == ["wage"]
    page = resp.text
    assert '<span class="count" id="result-count">1,290件</span>' in page
    assert '<a href="/jobs/00000000000000000000000000000003">介護スタッフ（日勤）3</a>' in page
    assert '<a href="/jobs/00000000000000000000000000000004">訪問介護員 4</a>' in page
    assert "<mark>" not in page and "件数で絞り込む" not in page
    assert 'rel="next"' not in page
    assert '<a class="button secondary" href="/jobs?q=%E4%BB%8B%E8%AD%B7&amp;sort=wage">' in page


@pytest.mark.integration
async def test_an_expired_cursor_says_to_search_again_from_the_first_page(site_of: Any) -> None:
    site = site_of(expired)
    resp = await get(site, "/jobs?q=%E4%BB%8B%E8%AD%B7&prefecture=13&sort=wage&cursor=c2")
    assert resp.status_code == 410
    page = resp.text
    assert 'id="cursor-expired"' in page and CURSOR_EXPIRED_JA in page
    assert "Search results expired." not in page
    first = re.search(r'<a href="([^"]+)">最初のページから検索し直す</a>', page)
    assert first and dict_of(first[1].replace("&amp;", "&")) == {
        "q": ["介護"],
        "prefecture": ["13"],
        "sort": ["wage"],
    }
    assert 'id="q" name="q" type="search" value="介護"' in page  # the form, as it was
    assert 'id="results"' not in page


@pytest.mark.integration
async def test_search_unavailable_is_said_with_the_form(site_of: Any) -> None:
    site = site_of(unavailable)
    resp = await get(site, "/jobs?q=%E4%BB%8B%E8%AD%B7&prefecture=13&sort=wage")
    assert resp.status_code == 503
    page = resp.text
    assert UNAVAILABLE_JA in page and 'id="search-unavailable"' in page
    assert "求人検索は一時的に利用できません。" in page  # the API's own words too
    assert '<form id="search-form"' in page
    assert 'id="q" name="q" type="search" value="介護"' in page
    assert '<option value="13" selected>東京都</option>' in page
    assert '<input type="hidden" name="sort" value="wage">' in page  # the order is kept
    assert 'id="results"' not in page


@asynccontextmanager
async def as_seeker(site: FakeSite) -> AsyncIterator[httpx.AsyncClient]:
    """A client logged in as a seeker (the fake API takes any password)."""
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as client:
        page = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        form = {"csrf_token": token[1], "email": "seeker@example.jp", "password": "x"}
        resp = await client.post("/login", data=form)
        assert resp.status_code == 303, resp.text
        yield client


def hidden(page: str) -> list[tuple[str, str]]:
    """The hidden inputs of the form that saves the conditions."""
    form = page[page.index('action="/mypage/saved-searches"') :]
    form = form[: form.index("</form>")]
    found = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form)
    return [(k, v) for k, v in found if k != "csrf_token"]


@pytest.mark.integration
async def test_every_condition_searched_is_offered_for_saving(site_of: Any) -> None:
    path = (
        "/jobs?q=%E4%BB%8B%E8%AD%B7&municipality=%E6%96%B0%E5%AE%BF%E5%8C%BA&remote=1"
        "&job_number=13010-12345678&fields=title"
    )
    site = site_of(first_page)
    async with as_seeker(site) as client:
        page = (await client.get(path)).text
    assert hidden(page) == [
        ("q", "介護"),
        ("remote", "1"),
        ("municipality", "新宿区"),
        ("job_number", "13010-12345678"),
        ("fields", "title"),
    ]
    assert "<dt>市区町村</dt><dd>新宿区</dd>" in page
    assert "<dt>求人番号</dt><dd>13010-12345678</dd>" in page
    assert "<dt>キーワードを探す項目</dt><dd>職種名</dd>" in page


# --- in the browser --------------------------------------------------------------------------------


async def first_result_on_first_screen(page: Any) -> None:
    """The first result's title is within the window as the page loads (no scrolling)."""
    box = await page.evaluate(
        """() => {
            const title = document.querySelector('ol.jobs > li.job h3');
            const r = title.getBoundingClientRect();
            return {top: r.top, bottom: r.bottom, height: window.innerHeight,
                    scrolled: window.scrollY};
        }"""
    )
    assert box["scrolled"] == 0, box
    assert box["top"] > 0 and box["bottom"] <= box["height"], f"{page.url}: {box}"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("name", "viewport"), [("390", PHONE), ("360", SMALL_PHONE), ("1280", DESKTOP)]
)
async def test_results_come_first(
    site_of: Any, browser: Any, name: str, viewport: dict[str, int]
) -> None:
    site = site_of(first_page)
    context = await new_context(browser, viewport)
    page = await context.new_page()
    for path in ("/jobs", "/jobs?q=%E4%BB%8B%E8%AD%B7&prefecture=13&employment_type=full_time"):
        await page.goto(site.url + path)
        await first_result_on_first_screen(page)
        more = page.locator("#more-conditions")
        if viewport["width"] >= 1024:
            # a side panel beside the results, open
            assert await more.get_attribute("open") is not None
            side = await page.locator(".search-side").bounding_box()
            results = await page.locator("#results").bounding_box()
            assert side and results and side["x"] + side["width"] <= results["x"]
            assert await page.is_visible("#wage_min") and await page.is_visible("#facets a")
        else:
            # folded drawers above the results
            assert await more.get_attribute("open") is None
            assert not await page.is_visible("#wage_min")
            await no_horizontal_scroll(page)
        await check_a11y(page)
    await site.shot(page, name)
    await screenshot(page, site.shots, f"search-{name}-full.png", full_page=True)
    await context.close()


@pytest.mark.integration
async def test_a_seeker_sees_results_first_and_can_save_the_conditions(
    site_of: Any, browser: Any
) -> None:
    site = site_of(first_page)
    context = await new_context(browser, SMALL_PHONE)
    page = await context.new_page()
    await page.goto(site.url + "/login?next=/jobs%3Fq%3D%E4%BB%8B%E8%AD%B7")
    await page.fill("#email", "seeker@example.jp")
    await page.fill("#password", "Hataraku-2026")
    await page.get_by_role("button", name="ログイン").click()
    await page.wait_for_url(re.compile(r"/jobs\?q="))
    await first_result_on_first_screen(page)  # under a seeker's longer menu too
    assert await page.is_visible("#unread-badge")
    save = page.locator("#save-search")
    assert "キーワード" in await save.inner_text() and "介護" in await save.inner_text()
    assert await page.get_by_role("button", name="この条件を保存").count() == 1
    await check_a11y(page)
    await site.shot(page, "360-seeker")
    await context.close()


@pytest.mark.integration
async def test_the_page_works_by_keyboard_alone(site_of: Any, browser: Any) -> None:
    site = site_of(first_page)
    context = await new_context(browser, PHONE)
    page = await context.new_page()
    await page.goto(site.url + "/jobs")
    # 本文へ移動, then 検索結果へ移動: past the form, the order comes next
    for expected in ("本文へ移動", "検索結果へ移動"):
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == expected
        await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "sort"
    # keywords, then the drawer opened by the keyboard, a condition in it, Enter submits
    await page.focus("#q")
    await page.keyboard.type("介護")
    await page.focus("#more-conditions > summary")
    await page.keyboard.press("Enter")
    assert await page.is_visible("#wage_min")
    await site.shot(page, "390-drawer")
    await page.focus("#wage_min")
    await page.keyboard.type("２０００００")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"wage_min="))
    assert site.api.last()["wage_min"] == ["200000"]
    assert site.api.last()["q"] == ["介護"]
    await first_result_on_first_screen(page)
    # the order, chosen and applied by the keyboard
    await page.focus("#sort")
    assert await page.input_value("#sort") == ""  # relevance, with keywords now
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    assert await page.input_value("#sort") == "wage"
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "並べ替える"
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"sort=wage"))
    assert site.api.last()["sort"] == ["wage"] and site.api.last()["wage_min"] == ["200000"]
    # a count narrows the search
    await page.focus("#more-conditions > summary")
    await page.keyboard.press("Enter")
    await page.get_by_role("link", name="大阪府 56件").focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"prefecture=27"))
    assert site.api.last()["prefecture"] == ["27"] and site.api.last()["sort"] == ["wage"]
    assert await page.input_value("#prefecture") == "27"
    await check_a11y(page)
    await context.close()


@pytest.mark.integration
async def test_the_unavailable_page_in_the_browser(site_of: Any, browser: Any) -> None:
    site = site_of(unavailable)
    context = await new_context(browser, PHONE)
    page = await context.new_page()
    resp = await page.goto(site.url + "/jobs?q=%E4%BB%8B%E8%AD%B7")
    assert resp.status == 503
    assert UNAVAILABLE_JA in await page.inner_text("#search-unavailable")
    assert await page.input_value("#q") == "介護"
    await no_horizontal_scroll(page)
    await check_a11y(page)
    await site.shot(page, "390-unavailable")
    await context.close()


@pytest.mark.integration
async def test_a_mistake_is_shown_in_the_open_drawer(site_of: Any, browser: Any) -> None:
    site = site_of(first_page)
    context = await new_context(browser, PHONE)
    page = await context.new_page()
    resp = await page.goto(site.url + "/jobs?wage_min=%E3%81%AB%E3%81%98%E3%82%85%E3%81%86")
    assert resp.status == 400
    assert "賃金の下限" in await page.inner_text("#error-summary")
    assert await page.is_visible("#wage_min")
    assert await page.get_attribute("#wage_min", "aria-invalid") == "true"
    assert not site.api.seen  # nothing searched
    await no_horizontal_scroll(page)
    await check_a11y(page)
    await site.shot(page, "390-mistake")
    await context.close()


# --- against the running system -----------------------------------------------------------------


@pytest.mark.e2e
async def test_the_search_page_on_the_running_search_api(
    site: WebSite, browser: Any, system: Any, gw: httpx.AsyncClient
) -> None:
    """Results on the first screen, the matched words marked, counts that narrow, every order
    answered; and the conditions saved from the page (municipality, job number, fields searched)
    kept by the API as they were searched, and searched again from the saved searches."""
    _, staff = await new_staff(system, gw)
    employer = await new_employer(gw, staff)
    auth = await open_my_page(system, gw, employer)
    t = tag()
    posted = [
        await post_job(gw, auth, body)
        for body in (
            posting(title=f"介護スタッフ {t}", occupation_code="36"),
            posting(title=f"Webエンジニア {t}", prefecture="27", municipality="大阪市北区"),
        )
    ]
    osaka = posted[1]["job_number"]

    async def both_found() -> dict[str, Any]:
        for _ in range(50):
            resp = await gw.get("/api/v1/jobs", params={"q": t})
            if resp.status_code == 200 and resp.json().get("total") == 2:
                return dict(resp.json())
            await asyncio.sleep(0.2)
        raise AssertionError(f"the postings of {t} are not found: {resp.text}")

    answer = await both_found()
    context = await new_context(browser, PHONE)
    page = await context.new_page()
    await page.goto(f"{site.url}/jobs?q={t}")
    assert await page.inner_text("#result-count") == "2件"
    await first_result_on_first_screen(page)
    await no_horizontal_scroll(page)
    await check_a11y(page)
    await screenshot(page, site.shots, "search-running-390.png", full_page=False)
    await page.click("#more-conditions > summary")
    await page.get_by_role("link", name=re.compile(r"^大阪府 1件")).click()
    await page.wait_for_url(re.compile(r"prefecture=27"))
    assert await page.inner_text("#result-count") == "1件"
    assert await page.inner_text("ol.jobs h3") == f"Webエンジニア {t}"
    if any(item.get("highlight") for item in answer["items"]):
        assert await page.locator("ol.jobs mark").count() >= 1
    for order in ("new", "wage", "deadline"):
        resp = await page.goto(f"{site.url}/jobs?q={t}&sort={order}")
        assert resp.status == 200
        assert await page.locator("ol.jobs > li").count() == 1  # PAGE_SIZE=1
        assert await page.input_value("#sort") == order
    await context.close()
    desk = await new_context(browser, DESKTOP)
    dpage = await desk.new_page()
    await dpage.goto(f"{site.url}/jobs?q={t}")
    await first_result_on_first_screen(dpage)
    await check_a11y(dpage)
    await screenshot(dpage, site.shots, "search-running-1280.png", full_page=False)
    await desk.close()

    # 「この条件を保存」 with the conditions only the search engine knows, by a seeker
    seeker = await new_seeker(gw, staff)
    seeker_auth = await open_my_page(system, gw, seeker)
    context = await new_context(browser, PHONE)
    page = await context.new_page()
    await login(page, site, seeker["email"])
    searched = (
        f"/jobs?q={t}&municipality=%E5%A4%A7%E9%98%AA%E5%B8%82%E5%8C%97%E5%8C%BA"
        f"&job_number={osaka}&fields=title"
    )
    await page.goto(site.url + searched)
    assert await page.inner_text("#result-count") == "1件"
    assert await page.inner_text("ol.jobs h3") == f"Webエンジニア {t}"
    await page.fill("#name", f"大阪の求人 {t}")
    await page.get_by_role("button", name="この条件を保存").click()
    await page.wait_for_url(re.compile(r"/mypage/saved-searches\?done=search_saved"))
    listed = await page.inner_text("#saved-searches")
    assert "大阪市北区" in listed and osaka in listed and "職種名" in listed
    resp = await gw.get("/api/v1/me/saved-searches", headers=seeker_auth)
    assert resp.status_code == 200, resp.text
    (saved,) = [i for i in resp.json()["items"] if i["name"] == f"大阪の求人 {t}"]
    conditions = {k: v for k, v in saved["conditions"].items() if v not in (None, [], False)}
    assert conditions == {
        "q": t,
        "municipality": ["大阪市北区"],
        "job_number": [osaka],
        "fields": ["title"],
    }, saved
    # searched again from the list: the same conditions, the same posting
    await page.get_by_role("link", name=re.compile("この条件で検索")).first.click()
    await page.wait_for_url(re.compile(r"/jobs\?"))
    assert dict_of(page.url) == {
        "q": [t],
        "municipality": ["大阪市北区"],
        "job_number": [osaka],
        "fields": ["title"],
    }
    assert await page.inner_text("#result-count") == "1件"
    assert await page.inner_text("ol.jobs h3") == f"Webエンジニア {t}"
    await context.close()
