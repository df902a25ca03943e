"""Issue 6's journey, through the gateway only: an employer with an employer My Page and a seeker
each open their My Page; the employer posts a job; the seeker applies directly; the conversation
opens; the employer writes 面接日程のご相談; the seeker sees 1 unread message (and gets it live),
reads it and replies; both have read everything; a notice from the office arrives beside the
messages. The mail sink holds the account mails only: no message, no notice, no announcement."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

import httpx
import pytest

from deploy.local.mailbox import mails, wait_for_mail
from tests.conftest import eventually

pytestmark = pytest.mark.e2e

PASSWORD = "Hataraku-2026"
STAFF_PASSWORD = "Shokuin#2026"


async def login(gw: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    r = await gw.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def open_my_page(system: Any, gw: httpx.AsyncClient, email: str, **match: str) -> None:
    body = {"email": email, "agree_privacy_policy": True, "agree_terms": True, **match}
    r = await gw.post("/api/v1/mypage/opening", json=body)
    assert r.status_code == 202, r.text
    mail = await wait_for_mail(system.mail_dir, to=email)
    r = await gw.post(
        "/api/v1/mypage/opening/complete",
        json={"email": email, "auth_key": mail.auth_key, "password": PASSWORD},
    )
    assert r.status_code == 200, r.text


async def first_event(gw: httpx.AsyncClient, headers: dict[str, str], kind: str) -> Any:
    """Read the seeker's live stream through the gateway until an event of this kind."""
    async with gw.stream("GET", "/api/v1/me/events", headers=headers, timeout=None) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        current: dict[str, str] = {}
        async for line in resp.aiter_lines():
            if line == "":
                if current.get("event") == kind:
                    return json.loads(current["data"])
                current = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                current[name] = value.strip()
    raise AssertionError("stream ended")


async def test_seeker_and_employer_exchange_messages_never_by_mail(system, gw):
    tag = uuid.uuid4().hex[:8]
    staff_email = f"staff-{tag}@hataraku.example"
    await system.create_staff(staff_email, STAFF_PASSWORD)
    staff = await login(gw, staff_email, STAFF_PASSWORD)

    employer_email = f"saiyo-{tag}@example.co.jp"
    r = await gw.post(
        "/api/v1/staff/employers",
        headers=staff,
        json={
            "name": "株式会社はたらく商事",
            "email": employer_email,
            "address": "東京都新宿区西新宿2-8-1",
            "industry": "情報通信業",
        },
    )
    assert r.status_code == 201, r.text
    establishment = r.json()["establishment_number"]
    seeker_email = f"seeker-{tag}@example.jp"
    r = await gw.post(
        "/api/v1/staff/seekers",
        headers=staff,
        json={"email": seeker_email, "name": "山田 花子", "birth_date": "1992-07-15"},
    )
    assert r.status_code == 201, r.text
    seeker_number = r.json()["seeker_number"]

    await open_my_page(
        system, gw, employer_email, account_type="employer", establishment_number=establishment
    )
    await open_my_page(system, gw, seeker_email, account_type="seeker", birth_date="1992-07-15")
    employer = await login(gw, employer_email, PASSWORD)
    seeker = await login(gw, seeker_email, PASSWORD)

    r = await gw.post(
        "/api/v1/jobs",
        headers=employer,
        json={
            "title": f"社内システムエンジニア {tag}",
            "description": "自社の業務システムの開発と保守。",
            "occupation_code": "10",
            "prefecture": "13",
            "municipality": "新宿区",
            "employment_type": "full_time",
            "wage_min": 250000,
            "wage_max": 350000,
            "wage_unit": "monthly",
            "accepts_online_referral": True,
            "accepts_direct_application": True,
        },
    )
    assert r.status_code == 201, r.text
    job_id = r.json()["job_id"]

    async def apply() -> httpx.Response | None:
        # applications learns of the posting from jobs' event: retry until it has
        resp = await gw.post(
            "/api/v1/applications",
            headers=seeker,
            json={"job_id": job_id, "route": "direct", "motivation": "御社で働きたいです。"},
        )
        return resp if resp.status_code == 201 else None

    application = (await eventually(apply, interval=0.3)).json()

    async def conversation() -> dict[str, Any] | None:
        resp = await gw.get("/api/v1/conversations", headers=employer)
        items = [
            c for c in resp.json()["items"] if c["application_id"] == application["application_id"]
        ]
        return items[0] if items else None

    conv = await eventually(conversation, interval=0.2)
    assert conv["counterpart"]["seeker_number"] == seeker_number
    cid = conv["conversation_id"]
    url = f"/api/v1/conversations/{cid}/messages"

    # the seeker is connected live while the employer writes
    live = asyncio.create_task(first_event(gw, seeker, "message"))
    await asyncio.sleep(1.0)
    r = await gw.post(
        url,
        headers={**employer, "Idempotency-Key": f"e2e-{tag}"},
        json={"body": "面接日程のご相談"},
    )
    assert r.status_code == 201, r.text
    got = await asyncio.wait_for(live, 10)
    assert got["type"] == "message" and "株式会社はたらく商事" in got["body"]
    assert got["link"]["api"] == url

    async def seeker_unread_is(n: int) -> bool:
        resp = await gw.get("/api/v1/me/unread", headers=seeker)
        return bool(resp.json()["messages"] == n)

    await eventually(lambda: seeker_unread_is(1))
    r = await gw.get("/api/v1/conversations", headers=seeker)
    (mine,) = [c for c in r.json()["items"] if c["conversation_id"] == cid]
    assert mine["unread"] == 1 and mine["counterpart"]["name"] == "株式会社はたらく商事"
    r = await gw.get(url, headers=seeker)
    assert [m["body"] for m in r.json()["items"]] == ["面接日程のご相談"]

    assert (await gw.post(f"/api/v1/conversations/{cid}/read", headers=seeker)).status_code == 200
    r = await gw.post(url, headers=seeker, json={"body": "12月3日の午後はいかがでしょうか。"})
    assert r.status_code == 201, r.text
    assert (await gw.post(f"/api/v1/conversations/{cid}/read", headers=employer)).status_code == 200
    await eventually(lambda: seeker_unread_is(0))

    async def employer_read_all() -> bool:
        resp = await gw.get("/api/v1/me/unread", headers=employer)
        return bool(resp.json()["messages"] == 0)

    await eventually(employer_read_all)
    r = await gw.get(url, headers=employer)
    assert [m["body"] for m in r.json()["items"]] == [
        "12月3日の午後はいかがでしょうか。",
        "面接日程のご相談",
    ]

    # a notice from the office arrives beside the messages
    r = await gw.post(
        "/api/v1/staff/notices",
        headers=staff,
        json={
            "title": f"年末年始の窓口について {tag}",
            "body": "12月29日から1月3日まで窓口はお休みです。",
            "audience": {"kind": "office", "office_code": "13010"},
        },
    )
    assert r.status_code == 201, r.text

    async def notice_counted() -> bool:
        resp = await gw.get("/api/v1/me/unread", headers=seeker)
        return bool(resp.json()["notices"] >= 1)

    await eventually(notice_counted)
    r = await gw.get("/api/v1/me/notices", headers=seeker)
    assert any(n["title"].endswith(tag) and n["read"] is False for n in r.json()["items"])

    # never by e-mail: the mail sink holds only the two auth-key mails of this journey
    await asyncio.sleep(1.0)
    ours = [m for m in mails(system.mail_dir) if tag in m.to]
    assert len(ours) == 2
    assert all("パスワード登録申込受付通知" in m.subject for m in ours)
    everything = "".join(m.subject + m.body for m in mails(system.mail_dir))
    for secret in ("面接日程のご相談", "12月3日の午後", "年末年始の窓口", "新しいメッセージ"):
        assert secret not in everything
    with contextlib.suppress(Exception):
        live.cancel()
