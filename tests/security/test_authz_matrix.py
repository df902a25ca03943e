"""The authorization matrix (issue 13): every route of every service and of the gateway × every
role, through the real system (tests/system.py) and the gateway only, against the expectations
of tests/security/authz_matrix.json (written from API.md's role column; the format is in
tests/security/authz_matrix.py). A route without an entry fails here, with how to add one.

Each call is made with a valid-looking body and the ids of real resources (tests/security/
world.py), so that what is checked is authorization, not validation. Calls that change things
come after the reads, those that end things (closing, withdrawing, declining, cancelling) last,
and within one route the roles that must be refused go first: the allowed call that follows
finds the resource as the refused ones did (a 409 of its business rules still counts as allowed).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.routes import GATEWAY, RouteTable
from tests.security.authz_matrix import (
    HOW_TO_ADD,
    ROLES,
    collect_routes,
    concrete,
    load,
    problems_of,
    verdict,
)
from tests.security.world import OFFICE, OTHER_OFFICE, World, build, posting

pytestmark = pytest.mark.e2e

# a path parameter → the world's resource it names (tests/security/world.py)
PARAMS = {
    "seeker_id": "seeker_id",
    "job_id": "job_id",
    "application_id": "application_id",
    "request_id": "request_id",
    "conversation_id": "conversation_id",
    "notice_id": "notice_id",
    "notification_id": "notification_id",
    "recommendation_id": "recommendation_id",
    "saved_search_id": "saved_search_id",
    "export_id": "export_id",
}
# constants for parameters that name no owned resource
FIXED = {"name": "swagger-init.js"}
# routes that must act on a resource of their own, so as not to spoil the shared ones
OVERRIDES = {
    "POST /api/v1/staff/applications/{application_id}/decline": {
        "application_id": "application_id_2"
    },
    "POST /api/v1/staff/seekers/{seeker_id}/cancel": {"seeker_id": "seeker_id_spare"},
}
STAFF_ROLES = ("staff", "staff_other", "admin")
# query parameters naming whose records a role asks for (staff act for their office)
QUERIES: dict[str, Callable[[World, str], dict[str, str]]] = {
    "GET /api/v1/jobs/mine": lambda w, r: (
        {"employer_id": w.ids["employer_id"]} if r in STAFF_ROLES else {}
    ),
    "GET /api/v1/conversations": lambda w, r: (
        {"seeker_id": w.ids["seeker_id"]} if r in STAFF_ROLES else {}
    ),
}
# what seeker A and employer X own privately: no other seeker, employer or office sees these ids
# (nor seeker A's e-mail address)
PRIVATE = (
    "application_id",
    "application_id_2",
    "request_id",
    "conversation_id",
    "notice_id",
    "notification_id",
    "saved_search_id",
    "recommendation_id",
    "export_id",
)
OTHERS = ("seeker_other", "employer_other", "staff_other")
# 0 reads, 1 changes, 2 ends of something, 3 ends of a registration
PHASES = {
    "POST /api/v1/jobs/{job_id}/close": 2,
    "POST /api/v1/applications/{application_id}/withdraw": 2,
    "POST /api/v1/staff/applications/{application_id}/decline": 2,
    "POST /api/v1/me/requests/{request_id}/decline": 2,
    "DELETE /api/v1/me/saved-searches/{saved_search_id}": 2,
    "DELETE /api/v1/me/favorites/{job_id}": 2,
    "POST /api/v1/me/recommendations/{recommendation_id}/dismiss": 2,
    "POST /api/v1/staff/seekers/{seeker_id}/cancel": 3,
    "POST /api/v1/me/registration/cancel": 3,
}
# routes whose call needs a login session of its own (ending or rotating it)
FRESH_SESSION = {"POST /api/v1/auth/refresh", "POST /api/v1/auth/logout"}
WRONG_KEY = "ABCD2345"
NEW_PASSWORD = "Hataraku-2027x"


def _email(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}@example.jp"


def _opening(w: World, role: str) -> dict[str, Any]:
    return {
        "account_type": "seeker",
        "email": _email("nobody"),
        "birth_date": "1990-01-01",
        "agree_privacy_policy": True,
        "agree_terms": True,
    }


def _redeem(w: World, role: str) -> dict[str, Any]:
    return {"email": _email("nobody"), "auth_key": WRONG_KEY, "password": NEW_PASSWORD}


Body = Callable[[World, str], Any]
BODIES: dict[str, Body] = {
    "POST /api/v1/staff/seekers": lambda w, r: {
        "email": _email("seeker"),
        "name": "佐藤 太郎",
        "birth_date": "1988-04-01",
    },
    "POST /api/v1/staff/employers": lambda w, r: {
        "name": "株式会社マトリクス",
        "email": _email("saiyo"),
        "address": "東京都新宿区西新宿2-8-1",
        "industry": "情報通信業",
    },
    "POST /api/v1/staff/seekers/{seeker_id}/annotations": lambda w, r: {"body": "面談済み"},
    "POST /api/v1/staff/seekers/{seeker_id}/consultations": lambda w, r: {"note": "職業相談"},
    "POST /api/v1/mypage/opening": _opening,
    "POST /api/v1/mypage/opening/complete": _redeem,
    "POST /api/v1/accounts": lambda w, r: {
        "email": _email("nobody"),
        "agree_privacy_policy": True,
        "agree_terms": True,
    },
    "POST /api/v1/accounts/complete": _redeem,
    "POST /api/v1/auth/password-reset": lambda w, r: {"email": _email("nobody")},
    "POST /api/v1/auth/password-reset/complete": _redeem,
    "POST /api/v1/auth/login": lambda w, r: {
        "email": w.actors["spare" if r == "anonymous" else r].email,
        "password": w.actors["spare" if r == "anonymous" else r].password,
    },
    "PATCH /api/v1/me/profile": lambda w, r: {"self_pr": "粘り強く取り組みます。"},
    "PUT /api/v1/me/profile/visibility": lambda w, r: {"visibility": "public"},
    "POST /api/v1/me/seeker-application": lambda w, r: {
        "name": "山田 花子",
        "birth_date": "1992-07-15",
        "office_code": OFFICE,
    },
    "POST /api/v1/jobs": lambda w, r: posting(
        **({"employer_id": w.ids["employer_id"]} if r in ("staff", "staff_other", "admin") else {})
    ),
    "PATCH /api/v1/jobs/{job_id}": lambda w, r: {"title": "社内システムエンジニア（急募）"},
    "POST /api/v1/me/saved-searches": lambda w, r: {
        "name": "東京の開発職",
        "conditions": {"prefecture": "13"},
    },
    "POST /api/v1/staff/seekers/{seeker_id}/recommendations": lambda w, r: {
        "job_id": w.ids["job_id_2"],
        "note": "経験が活かせます",
    },
    "POST /api/v1/applications": lambda w, r: {
        "job_id": w.ids["job_id"],
        "route": "direct",
        "motivation": "御社で働きたいです。",
    },
    "POST /api/v1/applications/{application_id}/status": lambda w, r: {"status": "screening"},
    "POST /api/v1/staff/applications/{application_id}/decline": lambda w, r: {
        "reason": "求人の条件に合いません"
    },
    "POST /api/v1/requests": lambda w, r: {
        "seeker_id": w.ids["seeker_id"],
        "job_id": w.ids["job_id"],
        "message": "ぜひご応募ください",
    },
    "POST /api/v1/conversations/{conversation_id}/messages": lambda w, r: {"body": "こんにちは"},
    "POST /api/v1/staff/notices": lambda w, r: {
        "title": "お知らせ",
        "body": "窓口の受付時間が変わります。",
        "audience": {
            "kind": "office",
            "office_code": OTHER_OFFICE if r == "staff_other" else OFFICE,
        },
    },
    "PUT /api/v1/admin/maintenance": lambda w, r: {"active": False},
}


@dataclass
class Call:
    key: str
    role: str
    expected: str
    status: int
    body: str

    def __str__(self) -> str:
        return f"{self.key} as {self.role}: expected {self.expected}, got {self.status} {self.body}"


def _path(w: World, key: str) -> str:
    template = key.partition(" ")[2]
    ids = {**{p: w.ids[k] for p, k in PARAMS.items()}, **FIXED}
    ids.update({p: w.ids[k] for p, k in OVERRIDES.get(key, {}).items()})
    return template.format(**ids)


def _phase(key: str) -> int:
    return PHASES.get(key, 0 if key.startswith("GET ") else 1)


async def call(client: httpx.AsyncClient, w: World, key: str, role: str) -> httpx.Response:
    method = key.partition(" ")[0]
    headers = w.headers(role)
    body = BODIES[key](w, role) if key in BODIES else None
    if key in FRESH_SESSION:
        session = await w.fresh_session(client, role)
        body = {"refresh_token": session.refresh_token}
        headers = {} if role == "anonymous" else session.headers
    params = QUERIES[key](w, role) if key in QUERIES else None
    request = client.build_request(method, _path(w, key), headers=headers, json=body, params=params)
    if key == "GET /api/v1/me/events":  # an event stream: the status is all we wait for
        resp = await client.send(request, stream=True)
        try:
            if resp.status_code != 200:
                await resp.aread()
        finally:
            await resp.aclose()
        return resp
    return await client.send(request)


@pytest.fixture(scope="module")
async def world(system: Any) -> AsyncIterator[World]:
    async with httpx.AsyncClient(base_url=system.gateway, timeout=30) as client:
        yield await build(system, client)


def test_every_route_has_a_reviewed_entry() -> None:
    found = problems_of(load(), collect_routes())
    assert not found, "\n".join(found)


def test_every_entry_can_be_called() -> None:
    """Each public route's path parameters are known here (PARAMS/FIXED); a new kind of id needs
    a resource in tests/security/world.py."""
    missing = []
    for key, entry in load()["routes"].items():
        if entry.get("internal"):
            continue
        names = [s[1:-1] for s in key.split("/") if s.startswith("{")]
        missing += [f"{key}: {{{n}}}" for n in names if n not in PARAMS and n not in FIXED]
    assert not missing, f"no resource for {missing}: {HOW_TO_ADD}"


async def test_routes_not_public_stay_inside(system: Any) -> None:
    """A service's health, readiness, metrics and AsyncAPI pages are not reachable through the
    gateway's public port: its route table sends them elsewhere (web, which is not running here:
    503; the internal listener: 404; or the gateway's own /healthz) and nothing answers 2xx but
    the gateway's own."""
    table = RouteTable()
    leaks = []
    async with httpx.AsyncClient(base_url=system.gateway, timeout=30) as client:
        for key, entry in load()["routes"].items():
            if not entry.get("internal"):
                continue
            service, _, rest = key.partition(": ")
            method, _, path = rest.partition(" ")
            route = table.resolve(concrete(path))
            if route is not None and route.target == service:
                leaks.append(f"{key}: the gateway routes it to {service}")
                continue
            resp = await client.request(method, concrete(path))
            if route is not None and route.target == GATEWAY:
                continue  # the gateway's own (its /healthz)
            if resp.status_code < 400:
                leaks.append(f"{key}: {resp.status_code} on the public port")
    assert not leaks, "\n".join(leaks)


async def test_every_role_gets_what_api_md_says(system: Any, world: World) -> None:
    entries = {k: v for k, v in load()["routes"].items() if not v.get("internal")}
    wrong: list[Call] = []
    server_errors: list[Call] = []
    leaks: list[str] = []
    private = {name: world.ids[name] for name in PRIVATE}
    private["e-mail address"] = world.actors["seeker"].email
    calls = 0
    async with httpx.AsyncClient(base_url=system.gateway, timeout=30) as client:
        for key in sorted(entries, key=lambda k: (_phase(k), list(entries).index(k))):
            expect: dict[str, str] = entries[key]["expect"]
            # refused roles first: the allowed call then finds what the refused ones found
            for role in sorted(ROLES, key=lambda r: expect[r] == "allow"):
                resp = await call(client, world, key, role)
                calls += 1
                text = (
                    "" if key == "GET /api/v1/me/events" and resp.status_code == 200 else resp.text
                )
                seen = Call(key, role, expect[role], resp.status_code, text[:200])
                if resp.status_code >= 500:
                    server_errors.append(seen)
                if not verdict(expect[role], resp.status_code):
                    wrong.append(seen)
                if role in OTHERS and resp.is_success:
                    leaks += [
                        f"{key} as {role}: {resp.status_code} shows A's/X's {name}"
                        for name, value in private.items()
                        if value in text
                    ]
    print(f"\nauthorization matrix: {len(entries)} routes × {len(ROLES)} roles, {calls} calls")
    assert not server_errors, "server errors:\n" + "\n".join(map(str, server_errors))
    assert not leaks, "leaks:\n" + "\n".join(leaks)
    assert not wrong, f"{len(wrong)} answers differ from API.md:\n" + "\n".join(map(str, wrong))
