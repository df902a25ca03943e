"""The fault suite's cast, made through the gateway as people would: a member of staff (from the
CLI), one employer with a My Page and its postings, seekers registered by staff with a My Page
each, and one conversation per seeker (opened by a first direct application)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from deploy.local.mailbox import wait_for_mail
from tests.system import System

STAFF_PASSWORD = "Shokuin#2026"
PASSWORD = "Hataraku-2026"


@dataclass
class World:
    staff: dict[str, str]
    employer: dict[str, str]
    seekers: list[dict[str, str]]  # each seeker's Authorization header
    seeker_ids: list[str]
    job_ids: list[str]  # the postings the actions apply to (the first one opened conversations)
    conversations: list[str]  # one per seeker, with the employer


async def _ok(call: Any, *, want: int, timeout: float = 30) -> httpx.Response:
    """Repeat a call until it answers ``want`` (events travel between services meanwhile)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        resp: httpx.Response = await call()
        if resp.status_code == want:
            return resp
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{resp.status_code}: {resp.text[:500]}")
        await asyncio.sleep(0.3)


async def login(gw: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    r = await _ok(
        lambda: gw.post("/api/v1/auth/login", json={"email": email, "password": password}),
        want=200,
    )
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def open_my_page(system: System, gw: httpx.AsyncClient, email: str, **match: str) -> None:
    body = {"email": email, "agree_privacy_policy": True, "agree_terms": True, **match}
    await _ok(lambda: gw.post("/api/v1/mypage/opening", json=body), want=202)
    mail = await wait_for_mail(system.mail_dir, to=email, timeout=30)
    done = {"email": email, "auth_key": mail.auth_key, "password": PASSWORD}
    await _ok(lambda: gw.post("/api/v1/mypage/opening/complete", json=done), want=200)


def posting(n: int) -> dict[str, Any]:
    return {
        "title": f"倉庫内作業スタッフ {n}",
        "description": "入出荷の検品と梱包。",
        "occupation_code": "10",
        "prefecture": "13",
        "municipality": "江東区",
        "employment_type": "full_time",
        "wage_min": 220000,
        "wage_max": 260000,
        "wage_unit": "monthly",
        "accepts_online_referral": True,
        "accepts_direct_application": True,
    }


async def make_world(
    system: System, gw: httpx.AsyncClient, *, seekers: int, postings: int
) -> World:
    tag = uuid.uuid4().hex[:8]
    staff_email = f"staff-{tag}@hataraku.example"
    made = await asyncio.to_thread(
        system.cli,
        *("identity", "create-staff", "--email", staff_email, "--office-code", "13010"),
        stdin=STAFF_PASSWORD + "\n",
    )
    assert made.returncode == 0, made.stderr
    staff = await login(gw, staff_email, STAFF_PASSWORD)

    employer_email = f"saiyo-{tag}@example.co.jp"
    employer_body = {
        "name": "株式会社はたらく物流",
        "email": employer_email,
        "address": "東京都江東区有明3-1",
        "industry": "運輸業",
    }
    r = await _ok(
        lambda: gw.post("/api/v1/staff/employers", headers=staff, json=employer_body), want=201
    )
    establishment = r.json()["establishment_number"]
    seeker_emails = [f"seeker{n}-{tag}@example.jp" for n in range(seekers)]

    async def register(email: str) -> str:
        body = {"email": email, "name": "山田 花子", "birth_date": "1992-07-15"}
        r = await _ok(lambda: gw.post("/api/v1/staff/seekers", headers=staff, json=body), want=201)
        return str(r.json()["seeker_id"])

    seeker_ids = list(await asyncio.gather(*(register(e) for e in seeker_emails)))
    await open_my_page(
        system, gw, employer_email, account_type="employer", establishment_number=establishment
    )
    employer = await login(gw, employer_email, PASSWORD)

    async def seeker_page(email: str) -> dict[str, str]:
        await open_my_page(system, gw, email, account_type="seeker", birth_date="1992-07-15")
        return await login(gw, email, PASSWORD)

    seeker_auth = list(await asyncio.gather(*(seeker_page(e) for e in seeker_emails)))

    job_ids: list[str] = []
    for n in range(postings + 1):  # jobs learns of the employer's My Page from identity's events
        body = posting(n)

        async def post(body: dict[str, Any] = body) -> httpx.Response:
            return await gw.post("/api/v1/jobs", headers=employer, json=body)

        r = await _ok(post, want=201)
        job_ids.append(str(r.json()["job_id"]))

    # a first direct application of each seeker opens its conversation with the employer
    async def first(auth: dict[str, str]) -> str:
        body = {"job_id": job_ids[0], "route": "direct", "motivation": "よろしくお願いします。"}
        r = await _ok(lambda: gw.post("/api/v1/applications", headers=auth, json=body), want=201)
        return str(r.json()["application_id"])

    applications = list(await asyncio.gather(*(first(a) for a in seeker_auth)))

    async def conversations() -> httpx.Response:
        return await gw.get("/api/v1/conversations", headers=employer, params={"limit": 100})

    async def all_open() -> list[str] | None:
        items = (await conversations()).json().get("items", [])
        by_app = {c["application_id"]: c["conversation_id"] for c in items}
        if all(a in by_app for a in applications):
            return [by_app[a] for a in applications]
        return None

    deadline = asyncio.get_running_loop().time() + 30
    while (found := await all_open()) is None:
        assert asyncio.get_running_loop().time() < deadline, "conversations did not open"
        await asyncio.sleep(0.3)
    return World(
        staff=staff,
        employer=employer,
        seekers=seeker_auth,
        seeker_ids=seeker_ids,
        job_ids=job_ids[1:],
        conversations=found,
    )
