"""The export pages (/mypage/export…) against a fake API of this file's own (web itself as in
production: create_app, its own sessions database, served by uvicorn): the list of the seeker's
exports and the button that starts one, the page that reloads itself while the parts are
collected, the printable document with every service's part, a partial export naming what is
missing, the one-at-a-time refusal, and the JSON download. The API itself (the parts gathered
over the bus) is tests/export."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from tests.ports import free_port
from web.app import create_app
from web.settings import WebSettings

pytestmark = pytest.mark.integration

EXPORT_ID = "0123456789abcdef0123456789abcdef"
DOCUMENT: dict[str, Any] = {
    "exported_at": "2026-12-05T01:00:00Z",
    "account": {"email": "yamada@example.jp", "created_at": "2026-11-01T00:00:00Z"},
    "registration": {
        "seeker_number": "13010-00001234",
        "name": "山田 太郎",
        "birth_date": "1990-05-06",
        "registered_on": "2026-11-01",
        "expires_on": "2027-01-31",
        "office_code": "13010",
    },
    "profile": {"desired_wage_min": 250000, "self_pr": "<script>alert(1)</script>経理の経験"},
    "annotations": [{"body": "書類選考の助言", "added_at": "2026-11-02T01:00:00Z"}],
    "consultations": [{"on": "2026-11-03", "kind_label": "職業相談", "note": "求人の探し方"}],
    "login_history": [{"logged_in_at": "2026-12-05T00:00:00Z"}],
    "favorites": [
        {
            "job_id": "j1",
            "added_at": "2026-12-01T00:00:00Z",
            "job": {"title": "経理事務", "job_number": "13010-12345678"},
        }
    ],
    "saved_searches": [{"name": "新宿の事務"}],
    "recommendations": [],
    "applications": [
        {
            "application_id": "a1",
            "title": "社内システムエンジニア",
            "job_number": "13010-87654321",
            "status": "referred",
            "submitted_at": "2026-12-02T00:00:00Z",
            "referral": {"referral_number": "R-000123", "issued_on": "2026-12-03"},
            "timeline": [
                {"status": "referral_requested", "at": "2026-12-02T00:00:00Z"},
                {"status": "referred", "at": "2026-12-03T00:00:00Z"},
            ],
        }
    ],
    "requests": [],
    "conversations": [
        {
            "title": "社内システムエンジニア",
            "messages": [
                {
                    "kind": "user",
                    "mine": False,
                    "body": "面接日程のご相談です。",
                    "created_at": "2026-12-04T00:00:00Z",
                }
            ],
        }
    ],
    "notices": [
        {
            "title": "面接練習のご案内",
            "body": "来週開きます。",
            "published_at": "2026-12-04T00:00:00Z",
        }
    ],
    "notifications": [{"title": "紹介状が発行されました", "created_at": "2026-12-03T00:00:00Z"}],
}


@dataclass
class FakeApi:
    """The public API as far as the export pages need it. ``polls`` GETs of an export answer
    pending before it is finished as ``outcome``."""

    polls: int = 1
    outcome: str = "ready"
    busy: bool = False
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)

    def job(self, export_id: str) -> dict[str, Any]:
        seen = self.seen.get(export_id, 0)
        self.seen[export_id] = seen + 1
        base: dict[str, Any] = {
            "export_id": export_id,
            "requested_at": "2026-12-05T01:00:00Z",
            "item_limit": 100,
            "truncated": {},
            "waiting_for": [],
            "missing_parts": [],
            "document": None,
        }
        if seen < self.polls:
            return {**base, "status": "pending", "waiting_for": ["messaging", "notifier"]}
        document = json.loads(json.dumps(DOCUMENT))
        finished = {**base, "status": self.outcome, "completed_at": "2026-12-05T01:00:03Z"}
        if self.outcome == "partial":
            finished["missing_parts"] = ["notifier"]
            document["notifications"] = []
        else:
            finished["truncated"] = {"applications": ["requests"]}
        return {**finished, "document": document}

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/api/v1/status")
        async def status() -> dict[str, Any]:
            return {"maintenance": False, "window": None, "message": ""}

        @app.post("/api/v1/auth/login")
        async def login() -> dict[str, Any]:
            return {"access_token": "a.b.c", "refresh_token": "r", "token_type": "bearer",
                    "expires_in": 3600}  # fmt: skip

        @app.get("/api/v1/me")
        async def me() -> dict[str, Any]:
            return {"account_id": "acc", "role": "seeker", "seeker_id": "s1"}

        @app.get("/api/v1/me/unread")
        async def unread() -> dict[str, int]:
            return {"messages": 0, "notices": 0, "notifications": 0}

        @app.get("/api/v1/me/exports")
        async def exports() -> dict[str, Any]:
            items = [{k: v for k, v in self.job(i).items() if k != "document"} for i in self.jobs]
            return {"items": items, "next_cursor": None}

        @app.post("/api/v1/me/export", status_code=202)
        async def start() -> JSONResponse:
            if self.busy:
                return JSONResponse(
                    {"type": "about:blank", "title": "Conflict", "status": 409,
                     "code": "export_running",
                     "detail": "作成中のデータ出力があります。完了してから再度お試しください。"},
                    status_code=409, media_type="application/problem+json",
                )  # fmt: skip
            self.jobs[EXPORT_ID] = {}
            started = self.job(EXPORT_ID) | {"status": "pending", "document": None}
            self.seen[EXPORT_ID] = 0
            return JSONResponse(started, status_code=202)

        @app.get("/api/v1/me/export/{export_id}")
        async def get(export_id: str) -> JSONResponse:
            if export_id not in self.jobs:
                return JSONResponse(
                    {"type": "about:blank", "title": "Not Found", "status": 404,
                     "code": "export_not_found", "detail": "データ出力が見つかりません。"},
                    status_code=404, media_type="application/problem+json",
                )  # fmt: skip
            return JSONResponse(self.job(export_id))

        return app


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """An app on a port of its own, in this event loop (lifespan included)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
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


@asynccontextmanager
async def site(make_settings: Any, api: FakeApi) -> AsyncIterator[httpx.AsyncClient]:
    """Web over the fake API, and a client logged in as a seeker (any password does)."""
    async with serve(api.app()) as api_url:
        settings = make_settings(
            WebSettings,
            db_name=f"t{uuid.uuid4().hex[:8]}_web_export",
            gateway_url=api_url,
            gateway_timeout_seconds=5,
        )
        async with (
            serve(create_app(settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            page = await client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token, page.text
            form = {"csrf_token": token[1], "email": "yamada@example.jp", "password": "x"}
            assert (await client.post("/login", data=form)).status_code == 303
            yield client


def csrf(page: str) -> str:
    form = page[page.index('action="/mypage/export"') :]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    return token[1]


async def test_the_seeker_starts_waits_for_and_prints_the_whole_export(make_settings: Any) -> None:
    api = FakeApi(polls=1)
    async with site(make_settings, api) as client:
        page = await client.get("/mypage/export")
        assert page.status_code == 200
        assert "すべての情報を出力する" in page.text and 'id="exports"' not in page.text
        assert "ダウンロードする（JSON）" in page.text  # identity's part at once, as before

        r = await client.post("/mypage/export", data={"csrf_token": csrf(page.text)})
        assert r.status_code == 303 and r.headers["location"] == f"/mypage/export/{EXPORT_ID}"
        # still collecting: a page that reloads itself and says what it waits for
        page = await client.get(r.headers["location"])
        assert page.status_code == 200
        assert '<meta http-equiv="refresh"' in page.text and 'id="export-pending"' in page.text
        assert "メッセージ・お知らせ" in page.text and "通知" in page.text
        # finished: the printable document with every part
        page = await client.get(f"/mypage/export/{EXPORT_ID}")
        text = page.text
        assert '<meta http-equiv="refresh"' not in text and 'id="export-document"' in text
        for shown in (
            "13010-00001234",
            "山田 太郎",
            "書類選考の助言",
            "求人の探し方",
            "社内システムエンジニア",
            "紹介番号 R-000123",
            "紹介状発行済み",
            "経理事務",
            "新宿の事務",
            "面接日程のご相談です。",
            "面接練習のご案内",
            "紹介状が発行されました",
            "印刷する",
        ):
            assert shown in text, shown
        assert "<script>alert(1)</script>" not in text  # every value is text
        assert 'id="export-truncated"' in text and 'id="export-missing"' not in text

        listed = await client.get("/mypage/export")
        assert f'href="/mypage/export/{EXPORT_ID}"' in listed.text and "作成済み" in listed.text

        r = await client.get(f"/mypage/export/{EXPORT_ID}/download")
        assert r.status_code == 200
        assert r.headers["content-disposition"].startswith("attachment;")
        assert r.json()["applications"][0]["referral"]["referral_number"] == "R-000123"


async def test_a_partial_export_names_what_is_missing_and_one_runs_at_a_time(
    make_settings: Any,
) -> None:
    api = FakeApi(polls=0, outcome="partial")
    async with site(make_settings, api) as client:
        page = await client.get("/mypage/export")
        r = await client.post("/mypage/export", data={"csrf_token": csrf(page.text)})
        page = await client.get(r.headers["location"])
        assert 'id="export-missing"' in page.text and "一部のみ作成" in page.text
        missing = page.text[page.text.index('id="export-missing"') :]
        assert "通知" in missing[: missing.index("</div>")]

        api.busy = True
        page = await client.get("/mypage/export")
        r = await client.post("/mypage/export", data={"csrf_token": csrf(page.text)})
        assert r.status_code == 409 and "作成中のデータ出力があります" in r.text

        assert (await client.get("/mypage/export/unknown")).status_code == 404
        assert (await client.get("/mypage/export/bad%20id")).status_code == 404
        r = await client.post("/mypage/export", data={})  # no CSRF token
        assert r.status_code in (400, 403)
