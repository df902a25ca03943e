"""Issue 5's journeys, through the gateway only: staff register a seeker and an employer; the
employer opens its My Page and posts a job; the seeker opens a My Page and applies through the
office; staff issue the referral letter; the employer moves the application to interview and
hire; the seeker sees every step. Then a direct request answered by a self-application."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from deploy.local.mailbox import wait_for_mail

pytestmark = pytest.mark.e2e

STAFF_PASSWORD = "Shokuin#2026"
PASSWORD = "Hataraku-2026"


async def until(
    call: Callable[[], Awaitable[httpx.Response]],
    ok: Callable[[httpx.Response], bool],
    timeout: float = 10,
) -> httpx.Response:
    """Events travel between the services: retry a call until it answers as expected."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        resp = await call()
        if ok(resp) or asyncio.get_running_loop().time() > deadline:
            return resp
        await asyncio.sleep(0.3)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(gw: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    resp = await gw.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert resp.status_code == 200, resp.text
    return bearer(resp.json()["access_token"])


async def open_mypage(system: Any, gw: httpx.AsyncClient, email: str, **match: str) -> None:
    opening = {"email": email, "agree_privacy_policy": True, "agree_terms": True, **match}
    resp = await gw.post("/api/v1/mypage/opening", json=opening)
    assert resp.status_code == 202, resp.text
    mail = await wait_for_mail(system.mail_dir, to=email, timeout=10)
    resp = await gw.post(
        "/api/v1/mypage/opening/complete",
        json={"email": email, "auth_key": mail.auth_key, "password": PASSWORD},
    )
    assert resp.status_code == 200, resp.text


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


@pytest.fixture
async def actors(system, gw) -> dict[str, Any]:
    """Staff (identity's create-staff command), a seeker and an employer registered by staff, both with a My Page,
    and one posting of the employer."""
    tag = uuid.uuid4().hex[:8]
    staff_email = f"staff-{tag}@hataraku.example"
    await system.create_staff(staff_email, STAFF_PASSWORD)
    staff = await login(gw, staff_email, STAFF_PASSWORD)

    seeker_email = f"seeker-{tag}@example.jp"
    resp = await gw.post(
        "/api/v1/staff/seekers",
        headers=staff,
        json={"email": seeker_email, "name": "山田 花子", "birth_date": "1992-07-15"},
    )
    assert resp.status_code == 201, resp.text
    seeker = resp.json()

    employer_email = f"saiyo-{tag}@example.co.jp"
    resp = await gw.post(
        "/api/v1/staff/employers",
        headers=staff,
        json={
            "name": "株式会社はたらく商事",
            "email": employer_email,
            "address": "東京都新宿区西新宿2-8-1",
            "industry": "情報通信業",
        },
    )
    assert resp.status_code == 201, resp.text
    employer = resp.json()

    await open_mypage(
        system, gw, employer_email,
        account_type="employer", establishment_number=employer["establishment_number"],
    )  # fmt: skip
    employer_auth = await login(gw, employer_email, PASSWORD)
    # the jobs service learns of the employer My Page from identity's events
    resp = await until(
        lambda: gw.post("/api/v1/jobs", json=posting(), headers=employer_auth),
        lambda r: r.status_code == 201,
    )
    assert resp.status_code == 201, resp.text
    job = resp.json()

    await open_mypage(system, gw, seeker_email, account_type="seeker", birth_date="1992-07-15")
    seeker_auth = await login(gw, seeker_email, PASSWORD)
    return {
        "staff": staff,
        "seeker": seeker,
        "seeker_auth": seeker_auth,
        "employer": employer,
        "employer_auth": employer_auth,
        "job": job,
    }


async def test_a_referral_from_application_to_hire(gw, actors) -> None:
    staff, seeker, employer = actors["staff"], actors["seeker_auth"], actors["employer_auth"]
    job_id = actors["job"]["job_id"]
    body = {"job_id": job_id, "route": "referral", "motivation": "御社の開発に携わりたいです。"}
    resp = await until(
        lambda: gw.post("/api/v1/applications", json=body, headers=seeker),
        lambda r: r.status_code == 201,
    )
    assert resp.status_code == 201, resp.text
    app_id = resp.json()["application_id"]
    assert resp.json()["status"] == "referral_requested"

    queue = await gw.get(
        "/api/v1/staff/applications", params={"status": "referral_requested"}, headers=staff
    )
    assert app_id in [i["application_id"] for i in queue.json()["items"]]
    resp = await gw.post(f"/api/v1/staff/applications/{app_id}/referral", headers=staff)
    assert resp.status_code == 200, resp.text
    number = resp.json()["referral"]["referral_number"]
    assert number.startswith("13010-R-")

    listed = await gw.get("/api/v1/employer/applications", headers=employer)
    assert listed.status_code == 200, listed.text
    item = next(i for i in listed.json()["items"] if i["application_id"] == app_id)
    assert item["applicant"]["seeker_number"] == actors["seeker"]["seeker_number"]
    assert "山田" not in listed.text  # never the name

    url = f"/api/v1/applications/{app_id}/status"
    interview = {
        "status": "interview",
        "interview_at": "2026-12-01T01:00:00Z",
        "interview_place": "本社 3階 会議室",
    }
    assert (await gw.post(url, json=interview, headers=employer)).status_code == 200
    assert (await gw.post(url, json={"status": "hired"}, headers=employer)).status_code == 200

    mine = await gw.get("/api/v1/me/applications", headers=seeker)
    assert mine.status_code == 200, mine.text
    entry = next(i for i in mine.json()["items"] if i["application_id"] == app_id)
    assert [s["status"] for s in entry["timeline"]] == [
        "referral_requested",
        "referred",
        "interview",
        "hired",
    ]
    assert entry["referral"]["referral_number"] == number
    letter = await gw.get(
        entry["referral"]["letter_url"], headers={**seeker, "Accept": "text/html"}
    )
    assert letter.status_code == 200 and "紹介状" in letter.text and number in letter.text
    other = await gw.get(entry["referral"]["letter_url"], headers=staff)
    assert other.status_code == 200


async def test_a_direct_request_answered_by_a_self_application(gw, actors) -> None:
    seeker, employer = actors["seeker_auth"], actors["employer_auth"]
    seeker_id = actors["seeker"]["seeker_id"]
    resp = await gw.patch(
        "/api/v1/me/profile",
        json={
            "desired_occupations": ["10"],
            "desired_prefectures": ["13"],
            "employment_types": ["full_time"],
            "accepts_direct_requests": True,
        },
        headers=seeker,
    )
    assert resp.status_code == 200, resp.text
    resp = await gw.put(
        "/api/v1/me/profile/visibility", json={"visibility": "public"}, headers=seeker
    )
    assert resp.status_code == 200, resp.text

    found = await until(
        lambda: gw.get(
            "/api/v1/employer/seekers", params={"occupation": "10", "limit": 100}, headers=employer
        ),
        lambda r: seeker_id in [i["seeker_id"] for i in r.json().get("items", [])],
    )
    assert seeker_id in [i["seeker_id"] for i in found.json()["items"]], found.text
    assert "山田" not in found.text

    job = await gw.post("/api/v1/jobs", json=posting(title="インフラエンジニア"), headers=employer)
    assert job.status_code == 201, job.text
    job_id = job.json()["job_id"]
    request = {"seeker_id": seeker_id, "job_id": job_id, "message": "ご経験を活かせる求人です。"}
    resp = await until(
        lambda: gw.post("/api/v1/requests", json=request, headers=employer),
        lambda r: r.status_code == 201,
    )
    assert resp.status_code == 201, resp.text
    request_id = resp.json()["request_id"]
    again = await gw.post("/api/v1/requests", json=request, headers=employer)
    assert again.status_code == 409 and again.json()["code"] == "already_requested"

    received = await gw.get("/api/v1/me/requests", headers=seeker)
    assert request_id in [r["request_id"] for r in received.json()["items"]]
    body = {
        "job_id": job_id,
        "route": "direct",
        "motivation": "リクエストありがとうございます。応募します。",
        "request_id": request_id,
    }
    resp = await gw.post("/api/v1/applications", json=body, headers=seeker)
    assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "applied" and resp.json()["request_id"] == request_id
    answered = await gw.get("/api/v1/me/requests", headers=seeker)
    got = next(r for r in answered.json()["items"] if r["request_id"] == request_id)
    assert got["status"] == "answered"
    sent = await gw.get("/api/v1/requests", params={"job_id": job_id}, headers=employer)
    assert sent.json()["quota"] == {"limit": 10, "used": 1, "remaining": 9}
    applicants = await gw.get(
        "/api/v1/employer/applications", params={"job_id": job_id}, headers=employer
    )
    assert [i["request_id"] for i in applicants.json()["items"]] == [request_id]
