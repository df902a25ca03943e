"""Integration: notices from the office — who may send to whom, who sees what, read state, and
fan-out on read (one document per notice whatever the audience)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.messaging.conftest import MsgEnv
from tests.messaging.support import OFFICE, OTHER_OFFICE, uid

pytestmark = pytest.mark.integration


async def notice(msg: MsgEnv, headers: dict[str, str], audience: dict, title: str = "お知らせ"):
    return await msg.client.post(
        "/api/v1/staff/notices",
        json={
            "title": title,
            "body": "窓口の受付時間が変わります。\n詳しくは窓口へ。",
            "audience": audience,
        },
        headers=headers,
    )


async def titles(msg: MsgEnv, seeker_id: str, office: str = OFFICE, **params) -> list[str]:
    r = await msg.client.get(
        "/api/v1/me/notices", params=params, headers=msg.tokens.seeker(seeker_id, office)
    )
    assert r.status_code == 200, r.text
    return [n["title"] for n in r.json()["items"]]


async def test_audiences_and_who_may_address_them(msg: MsgEnv):
    mine, _, e1 = await msg.feed.seeker()
    other, _, e2 = await msg.feed.seeker(office=OTHER_OFFICE)
    await msg.handled(e1, e2)
    staff, admin = msg.tokens.staff(), msg.tokens.admin()
    tag = uid()[:6]

    r = await notice(msg, staff, {"kind": "all"})
    assert r.status_code == 403 and r.json()["code"] == "audience_not_allowed"
    r = await notice(msg, staff, {"kind": "office", "office_code": OTHER_OFFICE})
    assert r.status_code == 403 and r.json()["code"] == "audience_not_allowed"
    r = await notice(msg, staff, {"kind": "seekers", "seeker_ids": [mine, other, uid()]})
    assert r.status_code == 422 and r.json()["code"] == "unknown_seekers"
    assert [e["field"] for e in r.json()["errors"]] == [
        "audience.seeker_ids.1",
        "audience.seeker_ids.2",
    ]
    r = await notice(msg, staff, {"kind": "seekers", "seeker_ids": [uid()] * 1001})
    assert r.status_code == 422
    r = await notice(msg, staff, {"kind": "office"})
    assert r.status_code == 422
    r = await notice(msg, msg.tokens.seeker(mine), {"kind": "office", "office_code": OFFICE})
    assert r.status_code == 403

    since = msg.clock.now()
    assert (
        await notice(msg, staff, {"kind": "office", "office_code": OFFICE}, f"office-{tag}")
    ).status_code == 201
    assert (
        await notice(msg, staff, {"kind": "seekers", "seeker_ids": [mine]}, f"named-{tag}")
    ).status_code == 201
    assert (await notice(msg, admin, {"kind": "all"}, f"all-{tag}")).status_code == 201
    r = await notice(msg, admin, {"kind": "office", "office_code": OTHER_OFFICE}, f"osaka-{tag}")
    assert r.status_code == 201
    assert r.json()["audience"] == {
        "kind": "office",
        "office_code": OTHER_OFFICE,
        "seeker_count": None,
    }

    assert [t for t in await titles(msg, mine) if tag in t] == [
        f"all-{tag}",
        f"named-{tag}",
        f"office-{tag}",
    ]
    assert [t for t in await titles(msg, other, OTHER_OFFICE) if tag in t] == [
        f"osaka-{tag}",
        f"all-{tag}",
    ]
    # fan-out on read: one document per notice, none per seeker
    publishers = {"$in": [OFFICE, "00000"]}  # the staff member's office, the admin's
    query = {"office_code": publishers, "published_at": {"$gte": since}}
    assert await msg.db["notices"].count_documents(query) == 4
    assert await msg.db["notice_reads"].count_documents({"seeker_id": mine}) == 0
    await msg.spy.wait_for("messaging.notice.published.v1", 4)
    published = [e for e in msg.spy.of("messaging.notice.published.v1") if tag in e.data["title"]]
    assert all("body" not in e.data for e in published)


async def test_read_state_and_registration_date(msg: MsgEnv):
    seeker, _, e1 = await msg.feed.seeker()
    late, _, e2 = await msg.feed.seeker(registered_on=date(2099, 1, 1))
    await msg.handled(e1, e2)
    tag = uid()[:6]
    r = await notice(
        msg, msg.tokens.staff(), {"kind": "seekers", "seeker_ids": [seeker, late]}, f"n-{tag}"
    )
    notice_id = r.json()["notice_id"]
    h = msg.tokens.seeker(seeker)
    r = await msg.client.get("/api/v1/me/notices", headers=h)
    item = next(n for n in r.json()["items"] if n["notice_id"] == notice_id)
    assert item["read"] is False and item["body"].startswith("窓口の受付時間")
    assert "audience" not in item or item["audience"] is None
    assert notice_id in [
        n["notice_id"]
        for n in (await msg.client.get("/api/v1/me/notices?unread=true", headers=h)).json()["items"]
    ]

    r = await msg.client.post(f"/api/v1/me/notices/{notice_id}/read", headers=h)
    assert r.status_code == 200 and r.json()["read"] is True
    again = await msg.client.post(f"/api/v1/me/notices/{notice_id}/read", headers=h)
    assert again.json()["read_at"] == r.json()["read_at"]
    r = await msg.client.get("/api/v1/me/notices?unread=true", headers=h)
    assert notice_id not in [n["notice_id"] for n in r.json()["items"]]
    await msg.spy.wait_for("messaging.notice.read.v1", notice_id=notice_id)

    # registered after it was published: not shown, cannot be read
    assert f"n-{tag}" not in await titles(msg, late)
    r = await msg.client.post(
        f"/api/v1/me/notices/{notice_id}/read", headers=msg.tokens.seeker(late)
    )
    assert r.status_code == 404
    r = await msg.client.post(
        f"/api/v1/me/notices/{notice_id}/read", headers=msg.tokens.seeker(uid())
    )
    assert r.status_code == 404


async def test_seeker_notice_pages(msg: MsgEnv):
    seeker, _, e1 = await msg.feed.seeker()
    await msg.handled(e1)
    tag = uid()[:6]
    for i in range(5):
        await notice(
            msg, msg.tokens.staff(), {"kind": "seekers", "seeker_ids": [seeker]}, f"{tag}-{i}"
        )
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = await msg.client.get(
            "/api/v1/me/notices", params=params, headers=msg.tokens.seeker(seeker)
        )
        seen += [n["title"] for n in r.json()["items"] if n["title"].startswith(tag)]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert seen == [f"{tag}-{i}" for i in range(4, -1, -1)]
