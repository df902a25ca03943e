"""Integration: sending, reading, access rules, idempotent sends, pagination, rate limits."""

from __future__ import annotations

import asyncio
import unicodedata
from datetime import timedelta

import pytest

from tests.messaging.conftest import MsgEnv
from tests.messaging.support import OTHER_OFFICE, uid

pytestmark = pytest.mark.integration


async def test_the_same_idempotency_key_twice_stores_one_message(msg: MsgEnv):
    cid, seeker_id, employer_id, _ = await msg.opened_pair()
    h = {**msg.tokens.employer(employer_id, sub="acct-e1"), "Idempotency-Key": "k-" + uid()}
    url = f"/api/v1/conversations/{cid}/messages"
    first = await msg.client.post(url, json={"body": "面接日程のご相談"}, headers=h)
    second = await msg.client.post(url, json={"body": "面接日程のご相談"}, headers=h)
    assert first.status_code == 201, first.text
    assert second.status_code == 200
    assert second.json()["message_id"] == first.json()["message_id"]
    assert await msg.db["messages"].count_documents({"conversation_id": cid}) == 1
    # parallel retries too
    h2 = {**h, "Idempotency-Key": "k-" + uid()}
    answers = await asyncio.gather(
        *(msg.client.post(url, json={"body": "同時送信"}, headers=h2) for _ in range(5))
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
    assert len({a.json()["message_id"] for a in answers}) == 1
    assert await msg.db["messages"].count_documents({"conversation_id": cid}) == 2
    # the same key with another body is refused
    r = await msg.client.post(url, json={"body": "別の内容"}, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"
    await msg.spy.wait_for("messaging.message.sent.v1", 2, conversation_id=cid)
    await asyncio.sleep(0.3)
    sent = msg.spy.of("messaging.message.sent.v1", conversation_id=cid)
    assert len(sent) == 2
    assert "body" not in sent[0].data
    assert sent[0].data["recipients"] == [{"role": "seeker", "id": seeker_id}]
    assert sent[0].data["sender_role"] == "employer" and sent[0].data["kind"] == "user"


async def test_participants_talk_and_read_markers_count_unread(msg: MsgEnv):
    cid, seeker_id, employer_id, number = await msg.opened_pair()
    seeker, employer = msg.tokens.seeker(seeker_id), msg.tokens.employer(employer_id)
    url = f"/api/v1/conversations/{cid}/messages"
    for text in ("面接日程のご相談", "12月3日はいかがでしょうか。"):
        assert (
            await msg.client.post(url, json={"body": text}, headers=employer)
        ).status_code == 201

    r = await msg.client.get("/api/v1/conversations", headers=seeker)
    (item,) = r.json()["items"]
    assert item["unread"] == 2
    assert item["last_message"]["preview"] == "12月3日はいかがでしょうか。"
    r = await msg.client.get(url, headers=seeker)
    bodies = [m["body"] for m in r.json()["items"]]
    assert bodies == ["12月3日はいかがでしょうか。", "面接日程のご相談"]  # newest first
    assert r.json()["items"][0]["sender"]["name"] == "株式会社テスト商事"

    r = await msg.client.post(f"/api/v1/conversations/{cid}/read", headers=seeker)
    assert r.status_code == 200 and r.json()["unread"] == 0
    r = await msg.client.post(url, json={"body": "承知しました。"}, headers=seeker)
    assert r.status_code == 201 and r.json()["mine"] is True
    assert r.json()["sender"] == {"role": "seeker", "id": seeker_id, "name": number}

    r = await msg.client.get(f"/api/v1/conversations/{cid}", headers=seeker)
    assert r.json()["unread"] == 0
    r = await msg.client.get(f"/api/v1/conversations/{cid}", headers=employer)
    assert r.json()["unread"] == 1
    await msg.client.post(f"/api/v1/conversations/{cid}/read", headers=employer)
    r = await msg.client.get(f"/api/v1/conversations/{cid}", headers=employer)
    assert r.json()["unread"] == 0
    await msg.spy.wait_for("messaging.conversation.read.v1", 2, conversation_id=cid)


async def test_strangers_get_404_staff_read_but_cannot_write(msg: MsgEnv):
    cid, seeker_id, _employer_id, _ = await msg.opened_pair()
    url = f"/api/v1/conversations/{cid}/messages"
    await msg.client.post(url, json={"body": "こんにちは"}, headers=msg.tokens.seeker(seeker_id))
    for stranger in (
        msg.tokens.seeker(uid()),
        msg.tokens.employer(uid()),
        msg.tokens.staff(OTHER_OFFICE),
    ):
        for r in (
            await msg.client.get(url, headers=stranger),
            await msg.client.post(url, json={"body": "x"}, headers=stranger),
            await msg.client.get(f"/api/v1/conversations/{cid}", headers=stranger),
        ):
            assert r.status_code == 404 and r.json()["code"] == "not_found"
    # an unknown conversation answers the same
    missing = await msg.client.get(
        f"/api/v1/conversations/app-{uid()}/messages", headers=msg.tokens.seeker(seeker_id)
    )
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"

    staff = msg.tokens.staff()
    r = await msg.client.get(url, headers=staff)
    assert r.status_code == 200 and r.json()["items"][0]["body"] == "こんにちは"
    r = await msg.client.post(url, json={"body": "職員です"}, headers=staff)
    assert r.status_code == 403 and r.json()["code"] == "not_a_participant"
    r = await msg.client.get(f"/api/v1/conversations?seeker_id={seeker_id}", headers=staff)
    assert [c["conversation_id"] for c in r.json()["items"]] == [cid]
    r = await msg.client.get(
        f"/api/v1/conversations?seeker_id={seeker_id}", headers=msg.tokens.staff(OTHER_OFFICE)
    )
    assert r.json()["items"] == []
    r = await msg.client.get(url)
    assert r.status_code == 401


async def test_bodies_are_plain_normalised_text_within_limits(msg: MsgEnv):
    cid, seeker_id, _, _ = await msg.opened_pair()
    h = msg.tokens.seeker(seeker_id)
    url = f"/api/v1/conversations/{cid}/messages"
    decomposed = unicodedata.normalize("NFD", "ガイダンス")
    raw = f"  <b>{decomposed}</b>\x00\x1b[31m\r\n\t表\u2028です  "
    r = await msg.client.post(url, json={"body": raw}, headers=h)
    assert r.status_code == 201
    assert r.json()["body"] == "<b>ガイダンス</b>[31m\n\t表です"  # stored as text, not HTML
    for body, code in (("\x00\x01 ", "empty_body"), ("あ" * 2001, "body_too_long")):
        r = await msg.client.post(url, json={"body": body}, headers=h)
        assert r.status_code == 422 and r.json()["code"] == code
    r = await msg.client.post(url, json={"body": "あ" * 2000}, headers=h)
    assert r.status_code == 201
    r = await msg.client.post(url, json={"body": "x", "html": True}, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    r = await msg.client.post(
        url, json={"body": "x"}, headers={**h, "Idempotency-Key": "with space"}
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_idempotency_key"
    r = await msg.client.post(url, json={"body": "x"}, headers={**h, "Accept-Language": "en"})
    assert r.status_code == 201


async def test_pages_are_stable_newest_first(msg: MsgEnv):
    cid, seeker_id, _, _ = await msg.opened_pair()
    h = msg.tokens.seeker(seeker_id)
    url = f"/api/v1/conversations/{cid}/messages"
    for i in range(7):
        await msg.client.post(url, json={"body": f"m{i}"}, headers=h)
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        r = await msg.client.get(url, params=params, headers=h)
        seen += [m["body"] for m in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
        # a message sent while paging does not shift the pages already being read
        await msg.client.post(url, json={"body": "new"}, headers=h)
    assert seen == [f"m{i}" for i in range(6, -1, -1)]
    r = await msg.client.get(url, params={"cursor": "garbage!"}, headers=h)
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"
    r = await msg.client.get(url, params={"limit": 101}, headers=h)
    assert r.status_code == 422


async def test_sending_is_rate_limited_per_account(msg: MsgEnv):
    cid, seeker_id, _, _ = await msg.opened_pair()
    h = msg.tokens.seeker(seeker_id, sub="acct-" + uid())
    url = f"/api/v1/conversations/{cid}/messages"
    msg.clock.advance(timedelta(minutes=1))  # a fresh minute
    limit = msg.settings.send_limit_per_minute
    answers = await asyncio.gather(
        *(msg.client.post(url, json={"body": f"{i}"}, headers=h) for i in range(limit + 3))
    )
    codes = sorted(a.status_code for a in answers)
    assert codes.count(201) == limit and codes.count(429) == 3
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    msg.clock.advance(timedelta(minutes=1))
    assert (await msg.client.post(url, json={"body": "later"}, headers=h)).status_code == 201
