"""Integration: conversations open from applications' and identity's events, exactly once,
whatever the order and however often the events arrive."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import eventually
from tests.messaging.conftest import MsgEnv
from tests.messaging.support import uid

pytestmark = pytest.mark.integration


async def test_opens_once_when_the_application_arrives_twice_and_before_the_employer(
    msg: MsgEnv,
):
    employer_id = uid()
    seeker_id, number, e0 = await msg.feed.seeker()
    application_id, env = await msg.feed.submitted(seeker_id, employer_id)
    await msg.feed.again(env)  # the same event delivered twice
    await msg.handled(e0, env)
    cid = f"app-{application_id}"
    assert await msg.db["conversations"].find_one({"_id": cid}) is None  # employer unknown yet
    r = await msg.client.get("/api/v1/conversations", headers=msg.tokens.seeker(seeker_id))
    assert r.status_code == 200 and r.json()["items"] == []

    _, e1 = await msg.feed.employer(employer_id, has_mypage=True)
    # and a second copy of the application after the employer
    again = await msg.feed.submitted(seeker_id, employer_id, application_id=application_id)
    await msg.handled(e1, again[1])
    await msg.conversation(cid)
    await msg.spy.wait_for("messaging.conversation.opened.v1", conversation_id=cid)
    await asyncio.sleep(0.5)
    assert len(msg.spy.of("messaging.conversation.opened.v1", conversation_id=cid)) == 1
    assert await msg.db["conversations"].count_documents({"_id": cid}) == 1

    r = await msg.client.get("/api/v1/conversations", headers=msg.tokens.seeker(seeker_id))
    (item,) = r.json()["items"]
    assert item["conversation_id"] == cid and item["status"] == "open"
    assert item["counterpart"] == {
        "role": "employer",
        "id": employer_id,
        "name": "株式会社テスト商事",
        "seeker_number": None,
    }
    assert item["can_write"] is True and item["unread"] == 0
    r = await msg.client.get("/api/v1/conversations", headers=msg.tokens.employer(employer_id))
    (item,) = r.json()["items"]
    assert item["counterpart"]["seeker_number"] == number


async def test_no_conversation_without_employer_my_page_until_it_opens(msg: MsgEnv):
    employer_id, e1 = await msg.feed.employer(has_mypage=False)
    seeker_id, _, e2 = await msg.feed.seeker()
    live, e3 = await msg.feed.submitted(seeker_id, employer_id)
    over, e4 = await msg.feed.submitted(seeker_id, employer_id)
    e5 = await msg.feed.status(over, seeker_id, employer_id, "rejected", version=2)
    await msg.handled(e1, e2, e3, e4, e5)
    assert await msg.db["conversations"].find_one({"seeker_id": seeker_id}) is None

    await msg.handled(await msg.feed.employer_opens_mypage(employer_id))
    await msg.conversation(f"app-{live}")
    await asyncio.sleep(0.3)
    # only the live application got a conversation; the rejected one stays without
    assert await msg.db["conversations"].find_one({"_id": f"app-{over}"}) is None


async def test_referral_conversation_opens_with_the_letter(msg: MsgEnv):
    employer_id, e1 = await msg.feed.employer()
    seeker_id, _, e2 = await msg.feed.seeker()
    application_id, e3 = await msg.feed.submitted(seeker_id, employer_id, route="referral")
    await msg.handled(e1, e2, e3)
    cid = f"app-{application_id}"
    assert await msg.db["conversations"].find_one({"_id": cid}) is None
    await msg.handled(await msg.feed.referral_issued(application_id, seeker_id, employer_id))
    await msg.conversation(cid)
    r = await msg.client.get(
        f"/api/v1/conversations/{cid}/messages", headers=msg.tokens.seeker(seeker_id)
    )
    (system,) = r.json()["items"]
    assert system["kind"] == "system" and system["sender"]["role"] == "system"
    assert "紹介状を発行しました" in system["body"] and "13010-R-2026-000123" in system["body"]


async def test_request_conversation_starts_with_the_request_message(msg: MsgEnv):
    employer_id, e1 = await msg.feed.employer()
    seeker_id, _, e2 = await msg.feed.seeker()
    await msg.handled(e1, e2)
    text = "ご経験を拝見し、\r\nぜひ応募をご検討ください。\x07"
    request_id, env = await msg.feed.request_sent(seeker_id, employer_id, message=text)
    await msg.feed.again(env)
    await msg.handled(env)
    cid = f"req-{request_id}"
    await msg.conversation(cid)
    h = msg.tokens.seeker(seeker_id)
    r = await msg.client.get(f"/api/v1/conversations/{cid}/messages", headers=h)
    (first,) = r.json()["items"]
    assert first["sender"] == {"role": "employer", "id": employer_id, "name": "株式会社テスト商事"}
    assert first["body"] == "ご経験を拝見し、\nぜひ応募をご検討ください。"
    assert first["mine"] is False
    r = await msg.client.get(f"/api/v1/conversations/{cid}", headers=h)
    assert r.json()["kind"] == "request" and r.json()["unread"] == 1
    await eventually(lambda: msg.spy.of("messaging.message.sent.v1", conversation_id=cid))
