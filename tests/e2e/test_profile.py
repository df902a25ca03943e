"""Issue 3's journeys through the gateway only: a counter-registered seeker opens a My Page,
edits the profile, publishes it, gets an office annotation and cancels; and the second path —
an account created online, a seeker application, the staff's confirmation."""

from __future__ import annotations

import uuid

import pytest

from deploy.local.mailbox import wait_for_mail

pytestmark = pytest.mark.e2e

STAFF_PASSWORD = "Shokuin#2026"
SEEKER_PASSWORD = "Hataraku-2026"
AGREE = {"agree_privacy_policy": True, "agree_terms": True}


def auth(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def staff_of(system, gw, office: str) -> dict[str, str]:
    email = f"staff-{uuid.uuid4().hex[:8]}@hataraku.example"
    await system.create_staff(email, STAFF_PASSWORD, office=office)
    r = await gw.post("/api/v1/auth/login", json={"email": email, "password": STAFF_PASSWORD})
    assert r.status_code == 200, r.text
    return auth(r.json())


async def login(gw, email: str) -> dict:
    r = await gw.post("/api/v1/auth/login", json={"email": email, "password": SEEKER_PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()


async def test_register_open_edit_publish_annotate_cancel(system, gw):
    staff = await staff_of(system, gw, "13010")
    email = f"seeker-{uuid.uuid4().hex[:8]}@example.jp"
    r = await gw.post(
        "/api/v1/staff/seekers",
        headers=staff,
        json={
            "email": email,
            "name": "山田 花子",
            "birth_date": "1992-07-15",
            "desired_prefectures": ["13"],
        },
    )
    assert r.status_code == 201, r.text
    seeker_id = r.json()["seeker_id"]

    r = await gw.post(
        "/api/v1/mypage/opening",
        json={"account_type": "seeker", "email": email, "birth_date": "1992-07-15", **AGREE},
    )
    assert r.status_code == 202
    key = (await wait_for_mail(system.mail_dir, to=email)).auth_key
    r = await gw.post(
        "/api/v1/mypage/opening/complete",
        json={"email": email, "auth_key": key, "password": SEEKER_PASSWORD},
    )
    assert r.status_code == 200, r.text
    me = auth(await login(gw, email))

    r = await gw.get("/api/v1/occupations")
    assert r.status_code == 200 and {"code": "C", "name": "事務的職業"} in r.json()

    r = await gw.patch(
        "/api/v1/me/profile",
        headers=me,
        json={
            "desired_occupations": ["C"],
            "desired_places": [{"prefecture": "13", "municipality": "新宿区"}],
            "employment_types": ["正社員"],
            "desired_wage_min": "２５００００",
            "desired_wage_unit": "monthly",
            "licenses": ["ＭＯＳ Excel"],
            "work_history": [{"company": "秘密商事", "occupation": "一般事務", "from": "2015-04"}],
            "self_pr": "丁寧な事務処理が得意です。",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["desired_wage_min"] == 250000 and r.json()["licenses"] == ["MOS Excel"]
    r = await gw.patch("/api/v1/me/profile", headers=me, json={"annotations": [], "hobby": "x"})
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert {e["field"] for e in r.json()["errors"]} == {"annotations", "hobby"}

    r = await gw.put("/api/v1/me/profile/visibility", headers=me, json={"visibility": "public"})
    assert r.status_code == 200
    view = r.json()["public_view"]
    assert view["age_band"] and view["desired_wage_min"] == 250000
    assert "山田" not in str(view) and "秘密商事" not in str(view) and "1992" not in str(view)

    r = await gw.post(
        f"/api/v1/staff/seekers/{seeker_id}/annotations",
        headers=staff,
        json={"body": "応募書類の添削を行いました。"},
    )
    assert r.status_code == 201, r.text
    other_office = await staff_of(system, gw, "27010")
    r = await gw.post(
        f"/api/v1/staff/seekers/{seeker_id}/annotations", headers=other_office, json={"body": "x"}
    )
    assert r.status_code == 403
    profile = (await gw.get("/api/v1/me/profile", headers=me)).json()
    assert [a["label"] for a in profile["annotations"]] == ["ハローワーク追記"]
    assert profile["expires_on"] and profile["status"] == "registered"

    r = await gw.post("/api/v1/me/registration/cancel", headers=me)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    profile = (await gw.get("/api/v1/me/profile", headers=me)).json()
    assert profile["status"] == "cancelled" and profile["public_view"] is None
    r = await gw.patch("/api/v1/me/profile", headers=me, json={"self_pr": "x"})
    assert r.status_code == 409 and r.json()["code"] == "registration_cancelled"
    export = (await gw.get("/api/v1/me/export", headers=me)).json()
    assert export["registration"]["status"] == "cancelled"
    assert "password_hash" not in str(export)


async def test_account_then_seeker_application_then_confirmation(system, gw):
    email = f"online-{uuid.uuid4().hex[:8]}@example.jp"
    r = await gw.post("/api/v1/accounts", json={"email": email, **AGREE})
    assert r.status_code == 202
    key = (await wait_for_mail(system.mail_dir, to=email)).auth_key
    r = await gw.post(
        "/api/v1/accounts/complete",
        json={"email": email, "auth_key": key, "password": SEEKER_PASSWORD},
    )
    assert r.status_code == 201, r.text
    tokens = await login(gw, email)
    r = await gw.get("/api/v1/me/profile", headers=auth(tokens))
    assert r.status_code == 404 and r.json()["code"] == "seeker_not_registered"

    r = await gw.post(
        "/api/v1/me/seeker-application",
        headers=auth(tokens),
        json={
            "name": "佐藤 次郎",
            "birth_date": "1988-12-01",
            "office_code": "27010",
            "desired_prefectures": ["27"],
            "employment_types": ["part_time"],
        },
    )
    assert r.status_code == 201, r.text
    applied = r.json()
    assert applied["status"] == "provisional" and applied["seeker_number"].startswith("27010-")

    r = await gw.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    me = auth(r.json())
    who = (await gw.get("/api/v1/me", headers=me)).json()
    assert who["seeker_id"] == applied["seeker_id"] and who["seeker_status"] == "provisional"

    staff = await staff_of(system, gw, "27010")
    r = await gw.get(
        "/api/v1/staff/seekers", headers=staff, params={"seeker_number": applied["seeker_number"]}
    )
    assert [i["status"] for i in r.json()["items"]] == ["provisional"]
    r = await gw.post(f"/api/v1/staff/seekers/{applied['seeker_id']}/confirm", headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "registered"
    who = (await gw.get("/api/v1/me", headers=me)).json()
    assert who["seeker_status"] == "registered" and who["expires_on"]
