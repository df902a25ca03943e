"""Integration: system messages for state changes, closing 90 days after the end (the closing
loop with an injected clock), closing at once when the seeker cancels."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.messaging.app import create_app
from tests.conftest import eventually, running
from tests.messaging.conftest import MsgEnv, isolated_settings
from tests.messaging.support import Feed, Spy, SteppingClock, Tokens

pytestmark = pytest.mark.integration


async def test_interview_and_result_become_system_messages_in_japanese(msg: MsgEnv):
    cid, seeker_id, employer_id, _ = await msg.opened_pair()
    app_id = cid.removeprefix("app-")
    e1 = await msg.feed.status(
        app_id,
        seeker_id,
        employer_id,
        "interview",
        version=2,
        interview_at=datetime(2026, 12, 3, 5, 0, tzinfo=UTC),  # 14:00 in Japan
        interview_place="東京都新宿区西新宿2-8-1 5階",
    )
    e2 = await msg.feed.status(
        app_id, seeker_id, employer_id, "offered", version=3, from_status="interview"
    )
    await msg.handled(e1, e2)
    h = msg.tokens.seeker(seeker_id)
    r = await msg.client.get(f"/api/v1/conversations/{cid}/messages", headers=h)
    offered, interview = r.json()["items"]
    assert interview["kind"] == "system" and interview["system_code"] == "status_interview"
    assert "2026年12月3日（木）14:00（日本時間）" in interview["body"]
    assert "東京都新宿区西新宿2-8-1 5階" in interview["body"]
    assert offered["body"].startswith("選考の結果、内定となりました。")
    # the employer acted: the seeker has two unread, the employer none
    assert (await msg.client.get(f"/api/v1/conversations/{cid}", headers=h)).json()["unread"] == 2
    r = await msg.client.get(
        f"/api/v1/conversations/{cid}", headers=msg.tokens.employer(employer_id)
    )
    assert r.json()["unread"] == 0
    # a redelivered event posts nothing new
    await msg.feed.again(e1)
    await msg.handled(e1)
    assert await msg.db["messages"].count_documents({"conversation_id": cid}) == 2


@pytest.fixture
async def closing(make_settings: Any) -> AsyncIterator[MsgEnv]:
    """A messaging service of its own whose closing loop runs every 0.2 s on a movable clock."""
    settings = isolated_settings(make_settings, "msgclose", close_interval_seconds=0.2)
    tokens, clock = Tokens(settings), SteppingClock()
    app = create_app(settings, clock=clock, verifier=tokens.verifier())
    async with running(app) as client:
        feed = Feed(settings)
        await feed.start()
        spy = Spy(f"{settings.bus_prefix}hataraku.events")
        await spy.start()
        try:
            yield MsgEnv(app, client, tokens, feed, spy, clock, settings)
        finally:
            await spy.stop()
            await feed.stop()


async def test_conversation_closes_90_days_after_the_application_ended(closing: MsgEnv):
    env = closing
    cid, seeker_id, employer_id, _ = await env.opened_pair()
    await env.handled(
        await env.feed.withdrawn(cid.removeprefix("app-"), seeker_id, employer_id, version=2)
    )
    h = env.tokens.employer(employer_id)
    url = f"/api/v1/conversations/{cid}/messages"
    r = await env.client.get(url, headers=h)
    assert r.json()["items"][0]["body"] == "応募者が応募を辞退しました。"
    assert (await env.client.post(url, json={"body": "承知しました"}, headers=h)).status_code == 201

    env.clock.advance(timedelta(days=89))
    await asyncio.sleep(0.6)
    assert (await env.client.post(url, json={"body": "まだ送れる"}, headers=h)).status_code == 201

    env.clock.advance(timedelta(days=1, hours=1))
    await env.spy.wait_for("messaging.conversation.closed.v1", conversation_id=cid)
    r = await env.client.post(url, json={"body": "もう送れない"}, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "conversation_closed"
    r = await env.client.get(f"/api/v1/conversations/{cid}", headers=h)
    assert r.json()["status"] == "closed" and r.json()["can_write"] is False
    assert len((await env.client.get(url, headers=h)).json()["items"]) == 3  # still readable


async def test_cancelled_seeker_cannot_send_and_conversations_close_at_once(msg: MsgEnv):
    cid, seeker_id, employer_id, _ = await msg.opened_pair()
    await msg.handled(await msg.feed.cancel(seeker_id))
    url = f"/api/v1/conversations/{cid}/messages"
    r = await msg.client.post(url, json={"body": "x"}, headers=msg.tokens.seeker(seeker_id))
    assert r.status_code == 409 and r.json()["code"] == "seeker_cancelled"
    r = await msg.client.post(url, json={"body": "x"}, headers=msg.tokens.employer(employer_id))
    assert r.status_code == 409 and r.json()["code"] == "conversation_closed"
    closed = await msg.spy.wait_for("messaging.conversation.closed.v1", conversation_id=cid)
    assert closed[0].data["reason"] == "seeker_cancelled"
    # an application submitted afterwards (late event) opens nothing
    application_id, env = await msg.feed.submitted(seeker_id, employer_id)
    await msg.handled(env)
    await eventually(lambda: True)
    assert await msg.db["conversations"].find_one({"_id": f"app-{application_id}"}) is None
