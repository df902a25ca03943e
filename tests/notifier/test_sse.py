"""Integration: live updates (Server-Sent Events) from TWO notifier replicas sharing one database
and broker namespace, each served by a real uvicorn server. A client receives its own events
within a second, whichever replica it is connected to and whichever stored the notification;
never another user's; heartbeats; Last-Event-ID resume."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from contracts import Envelope
from contracts.messaging import Audience, MessageSent, NoticePublished, Party
from services.notifier import inapp_texts
from services.notifier.app import create_app
from services.notifier.settings import NotifierSettings
from tests.conftest import RUN_ID
from tests.messaging.live_support import SseClient, served
from tests.messaging.support import Feed, Tokens, uid

pytestmark = pytest.mark.integration


@dataclass
class Replicas:
    urls: list[str]
    tokens: Tokens
    feed: Feed
    apps: list[Any]

    def events_url(self, replica: int) -> str:
        return f"{self.urls[replica]}/api/v1/me/events"

    async def message_to(self, seeker_id: str, *, employer: str = "株式会社テスト商事") -> Envelope:
        cid = f"app-{uid()}"
        event = MessageSent(
            message_id=uid(),
            conversation_id=cid,
            kind="user",
            sender_role="employer",
            sender_id=uid(),
            recipients=(Party(role="seeker", id=seeker_id),),
            sent_at=datetime.now(UTC),
            sender_name=employer,
            title="社内システムエンジニア",
        )
        return await self.feed.publish(event, cid, producer="messaging")


@pytest.fixture
async def replicas(make_settings: Any) -> AsyncIterator[Replicas]:
    settings = make_settings(
        NotifierSettings,
        db_name=f"t{RUN_ID}_sse_notifier",
        bus_prefix=f"t{RUN_ID}sse.",
        sse_heartbeat_seconds=1,
    )
    tokens = Tokens(settings)
    apps = [create_app(settings, verifier=tokens.verifier()) for _ in range(2)]
    async with served(apps[0]) as first, served(apps[1]) as second:
        # served() returns once uvicorn listens; the service boots in the background (consumers,
        # live channel): wait for it, or events consumed meanwhile miss the other replica
        for app in apps:
            await asyncio.wait_for(app.state.runtime.started(), timeout=60)
        feed = Feed(settings)
        await feed.start()
        try:
            yield Replicas([first, second], tokens, feed, apps)
        finally:
            await feed.stop()


async def test_each_client_gets_its_own_events_from_either_replica(replicas: Replicas):
    alice, bob = uid(), uid()
    a_headers = replicas.tokens.seeker(alice)
    b_headers = replicas.tokens.seeker(bob)
    async with (
        SseClient(replicas.events_url(1), a_headers) as a,
        SseClient(replicas.events_url(0), b_headers) as b,
    ):
        assert a.status == b.status == 200
        first = await a.next("unread")
        assert first.data == {"messages": 0, "notices": 0, "notifications": 0}
        await b.next("unread")
        for round_ in range(4):  # the consumers compete: both replicas store some of them
            started = time.monotonic()
            await replicas.message_to(alice, employer=f"株式会社{round_}")
            got = await a.next("message", timeout=3)
            assert time.monotonic() - started < 1.0, "live event took more than a second"
            assert got.data["type"] == "message"
            assert got.data["title"] == "新しいメッセージがあります"
            assert f"株式会社{round_}" in got.data["body"]
            assert got.id and got.id.endswith(got.data["notification_id"])
            counts = await a.next("unread", timeout=3)
            assert counts.data["messages"] >= 1
        await b.none("message", "notification", within=1.0)

        # deterministic: replica 0 stores a notification for alice (connected to replica 1),
        # replica 1 one for bob (connected to replica 0) — only RabbitMQ can carry them across
        for store_on, who, client, other in ((0, alice, a, b), (1, bob, b, a)):
            service = replicas.apps[store_on].state.inapp.service
            spec = inapp_texts.Spec(
                f"seeker:{who}", "recommendation", "おすすめ", f"for {who}", "/x", "/api/x"
            )
            await service.notify([spec], event_id=uid(), occurred_at=datetime.now(UTC))
            got = await client.next("notification", timeout=1.0)
            assert got.data["body"] == f"for {who}"
            await other.none("notification", within=0.3)
    stored = (
        await replicas.apps[0]
        .state.runtime.db["notifications"]
        .count_documents({"recipient": f"seeker:{alice}"})
    )
    assert stored == 5  # four messages and the recommendation


async def test_heartbeats_and_authentication(replicas: Replicas):
    async with SseClient(replicas.events_url(0), replicas.tokens.seeker(uid())) as c:
        await asyncio.sleep(2.3)
        assert "connected" in c.comments
        assert c.comments.count("keepalive") >= 2
    async with httpx.AsyncClient() as client:
        r = await client.get(replicas.events_url(0))
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"
        r = await client.get(replicas.events_url(0), headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401


async def test_last_event_id_replays_what_was_missed(replicas: Replicas):
    seeker = uid()
    h = replicas.tokens.seeker(seeker)
    async with SseClient(replicas.events_url(0), h) as c:
        await replicas.message_to(seeker, employer="一社目")
        first = await c.next("message")
    # offline meanwhile
    await replicas.message_to(seeker, employer="二社目")
    await replicas.message_to(seeker, employer="三社目")
    db = replicas.apps[0].state.runtime.db
    for _ in range(100):
        if await db["notifications"].count_documents({"recipient": f"seeker:{seeker}"}) == 3:
            break
        await asyncio.sleep(0.05)
    assert first.id is not None
    async with SseClient(replicas.events_url(1), {**h, "Last-Event-ID": first.id}) as c:
        second = await c.next("message")
        third = await c.next("message")
        # two replicas stored them concurrently: in the order they were stored
        senders = {second.data["body"][:3], third.data["body"][:3]}
        assert senders == {"二社目", "三社目"}
        assert second.id is not None and third.id is not None and first.id < second.id < third.id
        await c.none("message", within=0.5)  # the first is not sent again
        # and live events keep coming after the replay
        await replicas.message_to(seeker, employer="四社目")
        fourth = await c.next("message")
        assert "四社目" in fourth.data["body"]


async def test_a_notice_reaches_the_connected_seekers_of_its_audience_only(replicas: Replicas):
    mine, _, _ = await replicas.feed.seeker(office="13010")
    other, _, _ = await replicas.feed.seeker(office="27010")
    db = replicas.apps[0].state.runtime.db
    for sid in (mine, other):
        for _ in range(100):
            if await db["inapp_seekers"].find_one({"_id": sid, "registered_on": {"$exists": True}}):
                break
            await asyncio.sleep(0.05)
    notice_id = uid()
    async with (
        SseClient(replicas.events_url(0), replicas.tokens.seeker(mine)) as a,
        SseClient(replicas.events_url(1), replicas.tokens.seeker(other, "27010")) as b,
    ):
        await a.next("unread")
        await b.next("unread")
        event = NoticePublished(
            notice_id=notice_id,
            title="年末年始の窓口について",
            audience=Audience(kind="office", office_code="13010"),
            office_code="13010",
            published_at=datetime.now(UTC),
        )
        await replicas.feed.publish(event, notice_id, producer="messaging")
        got = await a.next("notification", timeout=2)
        assert got.data["type"] == "notice" and got.data["body"] == "年末年始の窓口について"
        assert got.data["notification_id"] == f"notice-{notice_id}"
        await b.none("notification", within=0.5)
    # one document for the notice, none per seeker
    assert await db["notices"].count_documents({"_id": notice_id}) == 1
    seekers = [f"seeker:{mine}", f"seeker:{other}"]
    assert await db["notifications"].count_documents({"recipient": {"$in": seekers}}) == 0


async def test_a_malformed_last_event_id_is_a_400_before_the_stream_opens(replicas: Replicas):
    """Issue 13: a Last-Event-ID this stream cannot have written (wrong form, over-long, a time
    out of range) is refused with 400 problem+json; before, some broke the stream mid-way."""
    seeker = uid()
    h = replicas.tokens.seeker(seeker)
    bad: list[bytes] = [
        b"nonsense",
        b"99999999999999999999-x",  # beyond any datetime
        b"999999999999999-x",  # 15 digits: past year 9999
        b"-x",
        b"123-",
        b"123-a b",
        b"123-" + b"a" * 200,
        b"x" * 300,
        "１２３-x".encode(),  # full-width digits are not milliseconds
        "²-x".encode(),  # nor is a superscript (str.isdigit says yes)
        b"123-\xff",
    ]
    auth = {k.encode(): v.encode() for k, v in h.items()}
    async with httpx.AsyncClient(timeout=5) as client:
        for value in bad:
            r = await client.get(replicas.events_url(0), headers={**auth, b"Last-Event-ID": value})
            assert r.status_code == 400, (value, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "invalid_last_event_id"
            assert "Last-Event-ID" in r.json()["detail"] and not r.json()["detail"].isascii()
    # a well-formed one, however old, streams (the replay starts at its floor)
    async with SseClient(replicas.events_url(0), {**h, "Last-Event-ID": "0000000000000-0"}) as c:
        assert c.status == 200
        await c.next("unread")
        await replicas.message_to(seeker, employer="五社目")
        assert "五社目" in (await c.next("message")).data["body"]
