"""The seeker profile over HTTP: reading and changing it, per-field errors, 公開/非公開 and what
employers see, the office's annotations, who may read what, the staff list, the export and the
occupation table."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.identity.support import admin_headers, bearer, new_email, published, spy

pytestmark = pytest.mark.integration

PROFILE = {
    "desired_occupations": ["C", "25"],
    "desired_places": [{"prefecture": "13", "municipality": "新宿区"}],
    "employment_types": ["full_time", "契約社員"],
    "desired_wage_min": "２５００００",
    "desired_wage_unit": "monthly",
    "working_hours": "9:00〜18:00",
    "working_days": "週５日",
    "work_history": [
        {
            "company": "秘密商事株式会社",
            "occupation": "経理事務",
            "from": "2018-04",
            "to": "2023-03",
        }
    ],
    "education": "大学卒",
    "licenses": ["日商簿記２級", "ＴＯＥＩＣ ８００点"],
    "self_pr": "正確で丁寧な事務処理が得意です。",
}
PERSONAL = ("山田", "1990-05-06", "秘密商事", "@example.jp")


async def test_a_seeker_reads_and_changes_their_profile(env):
    headers, seeker = await env.seeker_headers()
    r = await env.client.get("/api/v1/me/profile", headers=headers)
    assert r.status_code == 200, r.text
    profile = r.json()
    assert profile["seeker_id"] == seeker["seeker_id"]
    assert profile["status"] == "registered" and profile["visibility"] == "private"
    assert profile["expires_on"] == seeker["expires_on"]
    assert profile["public_view"] is None and profile["annotations"] == []
    version = profile["version"]

    r = await env.client.patch("/api/v1/me/profile", headers=headers, json=PROFILE)
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["desired_wage_min"] == 250000
    assert changed["employment_types"] == ["full_time", "contract"]
    assert changed["licenses"] == ["日商簿記2級", "TOEIC 800点"]
    assert changed["desired_prefectures"] == ["13"]
    assert changed["work_history"][0]["from"] == "2018-04"
    assert changed["version"] == version + 1
    assert (await env.client.get("/api/v1/me/profile", headers=headers)).json() == changed

    event = await env.tap.event(
        "identity.seeker.profile_updated.v1", seeker_id=seeker["seeker_id"], version=version + 1
    )
    assert event.data["visibility"] == "private"
    assert event.data["profile"]["desired_wage_min"] == 250000
    assert event.data["profile"]["age_band"] == "35-39"
    assert event.data["profile"]["experience"] == "経理事務 2018-04〜2023-03"
    for secret in PERSONAL:
        assert secret not in json.dumps(event.data, ensure_ascii=False)

    # only the fields sent change; the same values again change nothing
    r = await env.client.patch("/api/v1/me/profile", headers=headers, json={"self_pr": None})
    assert r.json()["self_pr"] is None and r.json()["licenses"] == changed["licenses"]
    again = await env.client.patch("/api/v1/me/profile", headers=headers, json={"self_pr": ""})
    assert again.json()["version"] == r.json()["version"]


async def test_bad_profile_input_gets_422_with_a_message_per_field(env):
    headers, _ = await env.seeker_headers()
    body = {
        "desired_prefectures": ["13", "14", "27", "01"],
        "desired_occupations": ["Z9"],
        "favourite_colour": "blue",
        "annotations": [],
    }
    r = await env.client.patch("/api/v1/me/profile", headers=headers, json=body)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert (
        problem["code"] == "validation_error" and problem["detail"] == "入力内容に誤りがあります。"
    )
    messages = {e["field"]: e["message"] for e in problem["errors"]}
    assert messages["desired_prefectures"] == "希望勤務地は3件まで指定できます。"
    assert "職業分類" in messages["desired_occupations.0"]
    assert messages["favourite_colour"] == "この項目は受け付けていません。"
    assert "ハローワーク追記" in messages["annotations"]

    r = await env.client.patch(
        "/api/v1/me/profile", headers={**headers, "Accept-Language": "en"}, json=body
    )
    english = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert english["desired_prefectures"] == "At most 3 entries."

    r = await env.client.patch(
        "/api/v1/me/profile", headers=headers, json={"desired_wage_min": "1200"}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "desired_wage_unit"
    r = await env.client.patch(
        "/api/v1/me/profile",
        headers=headers,
        json={"desired_wage_min": "250000", "desired_wage_unit": "hourly"},
    )
    assert r.status_code == 422 and "時給" in r.json()["errors"][0]["message"]
    r = await env.client.patch(
        "/api/v1/me/profile",
        headers=headers,
        content=b"{not json",
    )
    assert r.status_code == 422


async def test_publishing_shows_exactly_the_public_view_and_events_go_out_once(env):
    headers, seeker = await env.seeker_headers(birth_date="2000-01-15")
    sid = seeker["seeker_id"]
    queue = await spy("identity.seeker.visibility_changed.v1")
    await env.client.patch("/api/v1/me/profile", headers=headers, json=PROFILE)

    r = await env.client.put(
        "/api/v1/me/profile/visibility", headers=headers, json={"visibility": "public"}
    )
    assert r.status_code == 200, r.text
    profile = r.json()
    view = profile["public_view"]
    assert view == profile["public_preview"]
    assert view["seeker_id"] == sid and view["age_band"] == "25-29"
    assert view["desired_occupations"] == ["C", "25"] and view["accepts_direct_requests"] is True
    assert set(view) >= {"desired_places", "employment_types", "licenses", "experience"}
    for secret in PERSONAL:
        assert secret not in json.dumps(view, ensure_ascii=False)
    # the same value again: no change, no event
    again = await env.client.put(
        "/api/v1/me/profile/visibility", headers=headers, json={"visibility": "public"}
    )
    assert again.json()["version"] == profile["version"]

    r = await env.client.put(
        "/api/v1/me/profile/visibility", headers=headers, json={"visibility": "private"}
    )
    assert r.json()["public_view"] is None and r.json()["visibility"] == "private"

    counts = await published(env, queue, sid)
    assert sorted(counts.values()) == [1, 1]  # two changes, each published exactly once
    events = sorted(
        env.events_for(sid, "identity.seeker.visibility_changed.v1"),
        key=lambda e: e.data["version"],
    )
    assert [e.data["visibility"] for e in events] == ["public", "private"]
    assert [e.data["accepts_direct_requests"] for e in events] == [True, False]
    assert events[1].data["version"] > events[0].data["version"]

    r = await env.client.put(
        "/api/v1/me/profile/visibility", headers=headers, json={"visibility": "everyone"}
    )
    assert r.status_code == 422


async def test_staff_annotate_their_offices_seekers_and_the_seeker_cannot_change_it(env):
    headers, seeker = await env.seeker_headers()
    sid = seeker["seeker_id"]
    tokyo, osaka = await env.staff_headers("13010"), await env.staff_headers("27010")
    path = f"/api/v1/staff/seekers/{sid}/annotations"
    r = await env.client.post(path, headers=tokyo, json={"body": "面接練習を実施しました。"})
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["source"] == "office" and added["label"] == "ハローワーク追記"
    assert added["office_code"] == "13010"

    profile = (await env.client.get("/api/v1/me/profile", headers=headers)).json()
    (shown,) = profile["annotations"]
    assert shown["body"] == "面接練習を実施しました。" and shown["label"] == "ハローワーク追記"
    assert shown["added_at"]
    r = await env.client.patch("/api/v1/me/profile", headers=headers, json={"annotations": []})
    assert r.status_code == 422
    assert (
        len((await env.client.get("/api/v1/me/profile", headers=headers)).json()["annotations"])
        == 1
    )

    # another office may neither annotate nor read; an administrator may
    r = await env.client.post(path, headers=osaka, json={"body": "x"})
    assert r.status_code == 403 and r.json()["code"] == "other_office"
    r = await env.client.get(f"/api/v1/staff/seekers/{sid}", headers=osaka)
    assert r.status_code == 403
    admin = await admin_headers(env)
    assert (
        await env.client.post(path, headers=admin, json={"body": "本部確認"})
    ).status_code == 201
    r = await env.client.get(f"/api/v1/staff/seekers/{sid}", headers=tokyo)
    assert r.status_code == 200
    assert r.json()["email"] == seeker["email"] and len(r.json()["annotations"]) == 2

    # the staff paths refuse a seeker's token; an unknown seeker is 404
    assert (await env.client.post(path, headers=headers, json={"body": "x"})).status_code == 403
    r = await env.client.get(f"/api/v1/staff/seekers/{sid}", headers=headers)
    assert r.status_code == 403
    r = await env.client.get(f"/api/v1/staff/seekers/{uuid.uuid4().hex}", headers=tokyo)
    assert r.status_code == 404 and r.json()["code"] == "seeker_not_found"
    r = await env.client.post(path, headers=tokyo, json={"body": "  "})
    assert r.status_code == 422


async def test_me_only_ever_shows_ones_own_profile(env):
    a_headers, a = await env.seeker_headers()
    b_headers, b = await env.seeker_headers()
    await env.client.patch("/api/v1/me/profile", headers=a_headers, json={"self_pr": "Aです"})
    a_view = (await env.client.get("/api/v1/me/profile", headers=a_headers)).json()
    b_view = (await env.client.get("/api/v1/me/profile", headers=b_headers)).json()
    assert a_view["seeker_id"] == a["seeker_id"] and b_view["seeker_id"] == b["seeker_id"]
    assert b_view["self_pr"] is None
    # a seeker id in the body does not select another profile: it is refused
    r = await env.client.patch(
        "/api/v1/me/profile", headers=b_headers, json={"seeker_id": a["seeker_id"], "self_pr": "x"}
    )
    assert r.status_code == 422
    assert (await env.client.get("/api/v1/me/profile", headers=a_headers)).json()[
        "self_pr"
    ] == "Aです"
    assert (await env.client.get("/api/v1/me/profile")).status_code == 401
    staff = await env.staff_headers("13010")
    assert (await env.client.get("/api/v1/me/profile", headers=staff)).status_code == 403
    _, tokens = await env.account_holder()
    r = await env.client.get("/api/v1/me/profile", headers=bearer(tokens))
    assert r.status_code == 404 and r.json()["code"] == "seeker_not_registered"


async def test_staff_registration_may_bring_profile_basics(env):
    staff = await env.staff_headers("13010")
    body = {
        "email": new_email(),
        "name": "高橋 次郎",
        "birth_date": "1985-03-03",
        "desired_prefectures": ["１３"],
        "desired_wage_min": "１２００",
        "desired_wage_unit": "時給",
    }
    r = await env.client.post("/api/v1/staff/seekers", headers=staff, json=body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["expires_on"]
    event = await env.tap.event(
        "identity.seeker.profile_updated.v1", seeker_id=created["seeker_id"]
    )
    assert event.data["version"] == 1
    assert event.data["profile"]["desired_wage_min"] == 1200
    assert event.data["profile"]["desired_places"] == [{"prefecture": "13", "municipality": None}]
    registered = await env.tap.event(
        "identity.seeker.registered.v1", seeker_id=created["seeker_id"]
    )
    assert registered.data["expires_on"] == created["expires_on"]
    assert registered.data["account_id"] == created["account_id"]

    bad = {**body, "email": new_email(), "desired_occupations": ["nope"]}
    r = await env.client.post("/api/v1/staff/seekers", headers=staff, json=bad)
    assert r.status_code == 422


async def test_staff_list_their_offices_seekers_with_search_and_pages(env):
    office = "13990"
    staff = await env.staff_headers(office)
    made = []
    for name in ("佐藤 一郎", "鈴木 二郎", "佐藤 三郎"):
        r = await env.client.post(
            "/api/v1/staff/seekers",
            headers=staff,
            json={"email": new_email(), "name": name, "birth_date": "1990-01-01"},
        )
        made.append(r.json())
    r = await env.client.get("/api/v1/staff/seekers", headers=staff, params={"limit": 2})
    assert r.status_code == 200, r.text
    page = r.json()
    assert [i["seeker_number"] for i in page["items"]] == [m["seeker_number"] for m in made[:2]]
    assert page["next_cursor"] == made[1]["seeker_number"]
    r = await env.client.get(
        "/api/v1/staff/seekers", headers=staff, params={"limit": 2, "cursor": page["next_cursor"]}
    )
    assert [i["seeker_number"] for i in r.json()["items"]] == [made[2]["seeker_number"]]
    assert r.json()["next_cursor"] is None

    r = await env.client.get("/api/v1/staff/seekers", headers=staff, params={"name": "佐藤"})
    assert [i["name"] for i in r.json()["items"]] == ["佐藤 一郎", "佐藤 三郎"]
    r = await env.client.get(
        "/api/v1/staff/seekers", headers=staff, params={"seeker_number": made[1]["seeker_number"]}
    )
    assert [i["seeker_id"] for i in r.json()["items"]] == [made[1]["seeker_id"]]

    other = await env.staff_headers("27010")
    r = await env.client.get("/api/v1/staff/seekers", headers=other, params={"name": "佐藤"})
    assert all(i["office_code"] == "27010" for i in r.json()["items"])
    r = await env.client.get("/api/v1/staff/seekers", headers=other, params={"office_code": office})
    assert r.status_code == 403
    admin = await admin_headers(env)
    r = await env.client.get("/api/v1/staff/seekers", headers=admin, params={"office_code": office})
    assert len(r.json()["items"]) == 3
    r = await env.client.get("/api/v1/staff/seekers", headers=staff, params={"limit": 101})
    assert r.status_code == 422


async def test_the_export_holds_everything_but_secrets(env):
    headers, seeker = await env.seeker_headers()
    await env.client.patch("/api/v1/me/profile", headers=headers, json=PROFILE)
    staff = await env.staff_headers("13010")
    sid = seeker["seeker_id"]
    await env.client.post(
        f"/api/v1/staff/seekers/{sid}/annotations", headers=staff, json={"body": "書類選考の助言"}
    )
    await env.client.post(
        f"/api/v1/staff/seekers/{sid}/consultations", headers=staff, json={"note": "職業相談"}
    )
    r = await env.client.get("/api/v1/me/export", headers=headers)
    assert r.status_code == 200, r.text
    data = r.json()
    text = json.dumps(data, ensure_ascii=False)
    assert "password_hash" not in text and "argon2" not in text and "outbox" not in text
    assert data["account"]["email"] == seeker["email"]
    assert data["registration"]["seeker_number"] == seeker["seeker_number"]
    assert data["profile"]["desired_wage_min"] == 250000
    assert data["profile"]["work_history"][0]["company"] == "秘密商事株式会社"
    assert data["annotations"][0]["body"] == "書類選考の助言"
    assert data["consultations"][0]["note"] == "職業相談"
    assert data["agreements"]["privacy_policy"]["version"]
    assert len(data["login_history"]) >= 1
    assert (await env.client.get("/api/v1/me/export")).status_code == 401


async def test_the_occupation_table_needs_no_login(env):
    r = await env.client.get("/api/v1/occupations")
    assert r.status_code == 200
    table = {o["code"]: o["name"] for o in r.json()}
    assert table["A"] == "管理的職業" and len(table) == 11 + 73
    assert all(set(o) == {"code", "name"} for o in r.json())


async def test_a_crafted_seeker_list_cursor_is_400_invalid_cursor(env):
    staff = await env.staff_headers("13990")
    for bad in ("abc", "1" * 40, "13010-0000$", "x" * 600, "１３０１０-"[:3] + "ZZ"):
        r = await env.client.get("/api/v1/staff/seekers", headers=staff, params={"cursor": bad})
        assert r.status_code == 400, (bad, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "invalid_cursor"
    ok = await env.client.get(
        "/api/v1/staff/seekers", headers=staff, params={"cursor": "１３９９０-"}
    )
    assert ok.status_code == 200, ok.text  # full-width digits are forgiven, as typed
