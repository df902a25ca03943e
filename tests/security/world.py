"""A small populated system for the security suites, built through the gateway only (as
tests/e2e do): staff of two offices and an admin (from the command line), seekers A, B and C and
employers X and Y registered by office 1's staff, each with an opened My Page and logged in;
employer X's postings; seeker A's referral application (letter issued) and its conversation, a
second referral application, a direct request, a notice, a recommendation, a saved search and
an in-app notification of A's.

``World.ids`` names each resource; ``World.actors`` each account by its matrix role:
``seeker`` is A, ``seeker_other`` B (same office, not the owner), ``employer`` X (owns the
postings), ``employer_other`` Y, ``staff`` office 13010 (A's office), ``staff_other`` office
27010, ``admin``. ``spare`` is seeker C, used where a call would spoil A (ending a registration).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from deploy.local.mailbox import wait_for_mail
from tests.system import System

PASSWORD = "Hataraku-2026"
STAFF_PASSWORD = "Shokuin#2026"
OFFICE = "13010"
OTHER_OFFICE = "27010"
ROLES = (
    "anonymous",
    "seeker",
    "seeker_other",
    "employer",
    "employer_other",
    "staff",
    "staff_other",
    "admin",
)


@dataclass
class Actor:
    email: str
    password: str
    token: str = ""
    refresh_token: str = ""
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@dataclass
class World:
    system: System
    actors: dict[str, Actor]
    ids: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "anonymous" else self.actors[role].headers

    async def fresh_session(self, client: httpx.AsyncClient, role: str) -> Actor:
        """A new login of the role's account (anonymous: seeker C's), so that ending or rotating
        it leaves the shared tokens alone."""
        base = self.actors["spare" if role == "anonymous" else role]
        actor = Actor(base.email, base.password, ids=base.ids)
        await login(client, actor)
        return actor


async def until(
    call: Callable[[], Awaitable[httpx.Response]],
    ok: Callable[[httpx.Response], bool],
    timeout: float = 30,
) -> httpx.Response:
    """Events travel between the services: retry a call until it answers as expected."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        resp = await call()
        if ok(resp) or asyncio.get_running_loop().time() > deadline:
            return resp
        await asyncio.sleep(0.3)


async def login(client: httpx.AsyncClient, actor: Actor) -> None:
    resp = await client.post(
        "/api/v1/auth/login", json={"email": actor.email, "password": actor.password}
    )
    assert resp.status_code == 200, resp.text
    actor.token = resp.json()["access_token"]
    actor.refresh_token = resp.json()["refresh_token"]


async def open_mypage(
    system: System, client: httpx.AsyncClient, actor: Actor, **match: str
) -> None:
    opening = {"email": actor.email, "agree_privacy_policy": True, "agree_terms": True, **match}
    resp = await client.post("/api/v1/mypage/opening", json=opening)
    assert resp.status_code == 202, resp.text
    mail = await wait_for_mail(system.mail_dir, to=actor.email, timeout=30)
    resp = await client.post(
        "/api/v1/mypage/opening/complete",
        json={"email": actor.email, "auth_key": mail.auth_key, "password": actor.password},
    )
    assert resp.status_code == 200, resp.text
    await login(client, actor)


def posting(**changes: Any) -> dict[str, Any]:
    return {
        "title": "社内システムエンジニア",
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
        **changes,
    }


def _ok(resp: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert resp.status_code in statuses, (resp.request.method, resp.request.url, resp.text)
    body: dict[str, Any] = resp.json()
    return body


async def _staff(system: System, client: httpx.AsyncClient, office: str, *admin: str) -> Actor:
    actor = Actor(f"staff-{uuid.uuid4().hex[:10]}@hataraku.example", STAFF_PASSWORD)
    done = await asyncio.to_thread(
        system.cli,
        "identity",
        "create-staff",
        "--email",
        actor.email,
        "--office-code",
        office,
        *admin,
        stdin=STAFF_PASSWORD + "\n",
    )
    assert done.returncode == 0, done.stderr
    await login(client, actor)
    return actor


async def build(system: System, client: httpx.AsyncClient, *, resources: bool = True) -> World:
    """The world of the module docstring; ``resources=False``: the accounts only (one seeker,
    one employer, staff and an admin), for a suite that only needs a token per role."""
    tag = uuid.uuid4().hex[:8]
    staff = await _staff(system, client, OFFICE)
    staff_other = await _staff(system, client, OTHER_OFFICE)
    admin = await _staff(system, client, OFFICE, "--admin")

    async def seeker(name: str) -> Actor:
        actor = Actor(f"seeker-{name}-{tag}@example.jp", PASSWORD)
        body = {"email": actor.email, "name": "山田 花子", "birth_date": "1992-07-15"}
        made = _ok(
            await client.post("/api/v1/staff/seekers", headers=staff.headers, json=body), 201
        )
        actor.ids = {"seeker_id": made["seeker_id"]}
        await open_mypage(system, client, actor, account_type="seeker", birth_date="1992-07-15")
        return actor

    async def employer(name: str) -> Actor:
        actor = Actor(f"saiyo-{name}-{tag}@example.co.jp", PASSWORD)
        body = {
            "name": f"株式会社はたらく{name}",
            "email": actor.email,
            "address": "東京都新宿区西新宿2-8-1",
            "industry": "情報通信業",
        }
        made = _ok(
            await client.post("/api/v1/staff/employers", headers=staff.headers, json=body), 201
        )
        actor.ids = {"employer_id": made["employer_id"]}
        await open_mypage(
            system,
            client,
            actor,
            account_type="employer",
            establishment_number=made["establishment_number"],
        )
        return actor

    if not resources:
        a, x = await seeker("a"), await employer("x")
        only = {"seeker": a, "employer": x, "staff": staff, "staff_other": staff_other}
        mine = {"seeker_id": a.ids["seeker_id"], "employer_id": x.ids["employer_id"]}
        return World(system=system, actors={**only, "admin": admin}, ids=mine)
    a, b, c = await seeker("a"), await seeker("b"), await seeker("c")
    x, y = await employer("x"), await employer("y")
    ids: dict[str, str] = {
        "seeker_id": a.ids["seeker_id"],
        "seeker_id_spare": c.ids["seeker_id"],
        "employer_id": x.ids["employer_id"],
    }

    async def job(title: str) -> str:
        # the jobs service learns of the employer's My Page from identity's events
        resp = await until(
            lambda: client.post("/api/v1/jobs", headers=x.headers, json=posting(title=title)),
            lambda r: r.status_code == 201,
        )
        return str(_ok(resp, 201)["job_id"])

    ids["job_id"] = await job("社内システムエンジニア")
    ids["job_id_2"] = await job("インフラエンジニア")
    ids["job_id_3"] = await job("データベース管理者")

    _ok(
        await client.put(
            "/api/v1/me/profile/visibility", headers=a.headers, json={"visibility": "public"}
        ),
        200,
    )

    async def apply(job_id: str) -> str:
        body = {"job_id": job_id, "route": "referral", "motivation": "御社で働きたいです。"}
        resp = await until(
            lambda: client.post("/api/v1/applications", headers=a.headers, json=body),
            lambda r: r.status_code == 201,
        )
        return str(_ok(resp, 201)["application_id"])

    ids["application_id"] = await apply(ids["job_id"])
    ids["application_id_2"] = await apply(ids["job_id_2"])
    referral = f"/api/v1/staff/applications/{ids['application_id']}/referral"
    _ok(await client.post(referral, headers=staff.headers), 200, 201)

    request = {"seeker_id": ids["seeker_id"], "job_id": ids["job_id_3"], "message": "ぜひ応募を"}
    resp = await until(
        lambda: client.post("/api/v1/requests", headers=x.headers, json=request),
        lambda r: r.status_code == 201,
    )
    ids["request_id"] = str(_ok(resp, 201)["request_id"])

    notice = {
        "title": "セミナーのお知らせ",
        "body": "来週、面接対策セミナーを開きます。",
        "audience": {"kind": "seekers", "seeker_ids": [ids["seeker_id"]]},
    }
    resp = await until(
        lambda: client.post("/api/v1/staff/notices", headers=staff.headers, json=notice),
        lambda r: r.status_code == 201,
    )
    ids["notice_id"] = str(_ok(resp, 201)["notice_id"])

    recommendation = {"job_id": ids["job_id"], "note": "経験が活かせます"}
    path = f"/api/v1/staff/seekers/{ids['seeker_id']}/recommendations"
    resp = await until(
        lambda: client.post(path, headers=staff.headers, json=recommendation),
        lambda r: r.status_code in (200, 201),
    )
    _ok(resp, 200, 201)

    search = {"name": "新宿の開発職", "conditions": {"prefecture": "13"}}
    made = _ok(await client.post("/api/v1/me/saved-searches", headers=a.headers, json=search), 201)
    ids["saved_search_id"] = str(made.get("saved_search_id") or made.get("id"))
    made = _ok(await client.post("/api/v1/me/export", headers=a.headers), 202)
    ids["export_id"] = str(made["export_id"])

    async def first(path: str, actor: Actor, key: str) -> str:
        resp = await until(
            lambda: client.get(path, headers=actor.headers),
            lambda r: r.status_code == 200 and bool(r.json()["items"]),
        )
        items = _ok(resp, 200)["items"]
        assert items, f"{path}: nothing arrived for the matrix"
        return str(items[0][key])

    ids["recommendation_id"] = await first("/api/v1/me/recommendations", a, "recommendation_id")
    ids["conversation_id"] = await first("/api/v1/conversations", a, "conversation_id")
    ids["notification_id"] = await first("/api/v1/me/notifications", a, "notification_id")

    actors = {
        "seeker": a,
        "seeker_other": b,
        "spare": c,
        "employer": x,
        "employer_other": y,
        "staff": staff,
        "staff_other": staff_other,
        "admin": admin,
    }
    return World(system=system, actors=actors, ids=ids)
