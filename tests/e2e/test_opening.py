"""Issue 2's journey, through the gateway only: staff register a seeker; the seeker opens a
My Page with the auth key read from the mail, logs in, sees who they are, refreshes, logs out."""

from __future__ import annotations

import uuid

import httpx
import pytest

from deploy.local.mailbox import mails, wait_for_mail

pytestmark = pytest.mark.e2e

STAFF_PASSWORD = "Shokuin#2026"
SEEKER_PASSWORD = "Hataraku-2026"


async def test_a_seeker_opens_a_my_page_end_to_end(system, gw):
    staff_email = f"staff-{uuid.uuid4().hex[:8]}@hataraku.example"
    created = system.cli(
        "identity",
        "create-staff",
        "--email",
        staff_email,
        "--office-code",
        "13010",
        stdin=STAFF_PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr

    r = await gw.post("/api/v1/auth/login", json={"email": staff_email, "password": STAFF_PASSWORD})
    assert r.status_code == 200, r.text
    staff = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert r.headers.get("x-request-id")

    email = f"seeker-{uuid.uuid4().hex[:8]}@example.jp"
    r = await gw.post(
        "/api/v1/staff/seekers",
        headers=staff,
        json={"email": email, "name": "山田 花子", "birth_date": "1992-07-15"},
    )
    assert r.status_code == 201, r.text
    seeker = r.json()
    assert seeker["status"] == "registered"
    assert seeker["seeker_number"].startswith("13010-") and len(seeker["seeker_number"]) == 14

    opening = {
        "account_type": "seeker",
        "email": email,
        "agree_privacy_policy": True,
        "agree_terms": True,
    }
    wrong = await gw.post("/api/v1/mypage/opening", json={**opening, "birth_date": "1992-07-16"})
    right = await gw.post("/api/v1/mypage/opening", json={**opening, "birth_date": "1992-07-15"})
    assert wrong.status_code == right.status_code == 202
    assert wrong.json() == right.json()

    mail = await wait_for_mail(system.mail_dir, to=email)
    assert "パスワード登録申込受付通知" in mail.subject
    key = mail.auth_key
    assert key
    assert len(mails(system.mail_dir, to=email)) == 1  # the wrong birth date sent nothing

    complete = {"email": email, "auth_key": key}
    r = await gw.post("/api/v1/mypage/opening/complete", json={**complete, "password": "password"})
    assert r.status_code == 400
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "password_policy"
    assert {e["code"] for e in problem["errors"]} >= {"needs_digit", "needs_symbol"}

    r = await gw.post(
        "/api/v1/mypage/opening/complete", json={**complete, "password": SEEKER_PASSWORD}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "opened"

    r = await gw.post(
        "/api/v1/mypage/opening/complete", json={**complete, "password": SEEKER_PASSWORD}
    )
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_auth_key"

    r = await gw.post("/api/v1/auth/login", json={"email": email, "password": SEEKER_PASSWORD})
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["token_type"] == "bearer"
    me = await gw.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    assert me.json()["role"] == "seeker"
    assert me.json()["seeker_number"] == seeker["seeker_number"]
    assert me.json()["seeker_id"] == seeker["seeker_id"]

    r = await gw.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    rotated = r.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]

    # nobody else can use the staff API
    seeker_auth = {"Authorization": f"Bearer {rotated['access_token']}"}
    r = await gw.post(
        "/api/v1/staff/seekers",
        headers=seeker_auth,
        json={"email": "x@example.jp", "name": "x", "birth_date": "1990-01-01"},
    )
    assert r.status_code == 403

    r = await gw.post(
        "/api/v1/auth/logout",
        json={"refresh_token": rotated["refresh_token"]},
        headers={"Authorization": f"Bearer {rotated['access_token']}"},
    )
    assert r.status_code == 204
    r = await gw.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert r.status_code == 401
    # (that the logged-out access token stops working is tests/e2e/test_revocation.py's)


async def test_a_bad_token_is_refused_at_the_gateway_with_problem_json(gw):
    r = await gw.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "invalid_token"


async def test_every_process_is_ready_and_the_gateway_aggregates_it(system, gw):
    assert (await gw.get("/readyz")).status_code == 404  # on the internal listener only
    internal = f"http://127.0.0.1:{system.ports['gateway-internal']}"
    async with httpx.AsyncClient(base_url=internal, timeout=10) as client:
        assert (await client.get("/readyz")).status_code == 200
        # every service is ready (web is not started here)
        upstreams = (await client.get("/status/upstreams")).json()["upstreams"]
        for name in ("identity", "jobs", "applications", "messaging", "notifier"):
            assert upstreams[name]["ready"] is True, (name, upstreams)
        assert "hataraku_http_requests_total" in (await client.get("/metrics")).text
    r = await gw.get("/api/openapi.json")
    assert r.status_code == 200
    assert "/api/v1/mypage/opening" in r.json()["paths"]
    r = await gw.get("/api/docs")
    assert r.status_code == 200 and "/api/openapi.json" in r.text
