"""Integration: the messaging and notifier services side by side (one broker namespace, their own
databases). Unread counts agree with the lists after a mix of sends, reads and notices; events
become notifications once each; notices are one document whatever the audience; nothing of it
ever becomes an e-mail command."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import httpx
import pytest

from contracts.identity import RegistrationExpiring
from contracts.jobs import MatchedJob, RecommendationSent, SavedSearchMatched
from services.messaging.app import create_app as create_messaging
from services.messaging.settings import MessagingSettings
from services.notifier.app import create_app as create_notifier
from services.notifier.settings import NotifierSettings
from tests.conftest import RUN_ID, eventually, running
from tests.messaging.support import Feed, Spy, SteppingClock, Tokens, uid

pytestmark = pytest.mark.integration


@dataclass
class Both:
    msg: httpx.AsyncClient
    note: httpx.AsyncClient
    notifier: Any
    messaging: Any
    tokens: Tokens
    feed: Feed
    commands: Spy

    async def unread(self, headers: dict[str, str]) -> dict[str, int]:
        r = await self.note.get("/api/v1/me/unread", headers=headers)
        assert r.status_code == 200, r.text
        result: dict[str, int] = r.json()
        return result

    async def all_pages(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**params, "limit": 3, **({"cursor": cursor} if cursor else {})}
            r = await client.get(url, params=query, headers=headers)
            assert r.status_code == 200, r.text
            items += r.json()["items"]
            cursor = r.json()["next_cursor"]
            if not cursor:
                return items

    async def what_lists_show(self, headers: dict[str, str], seeker: bool) -> dict[str, int]:
        convs = await self.all_pages(self.msg, "/api/v1/conversations", headers)
        notices = (
            await self.all_pages(self.msg, "/api/v1/me/notices", headers, unread="true")
            if seeker
            else []
        )
        notes = await self.all_pages(self.note, "/api/v1/me/notifications", headers, unread="true")
        assert all(not n["read"] for n in notes)
        return {
            "messages": sum(c["unread"] for c in convs),
            "notices": len(notices),
            "notifications": len(notes),
        }


@pytest.fixture
async def both(make_settings: Any) -> AsyncIterator[Both]:
    prefix = f"t{RUN_ID}both."
    ms = make_settings(MessagingSettings, db_name=f"t{RUN_ID}_both_messaging", bus_prefix=prefix)
    ns = make_settings(NotifierSettings, db_name=f"t{RUN_ID}_both_notifier", bus_prefix=prefix)
    tokens = Tokens(ms)
    messaging = create_messaging(ms, clock=SteppingClock(), verifier=tokens.verifier())
    notifier = create_notifier(ns, verifier=tokens.verifier())
    commands = Spy(f"{prefix}hataraku.commands", pattern="notifier.email.send.v1")
    async with contextlib.AsyncExitStack() as stack:
        msg = await stack.enter_async_context(running(messaging))
        note = await stack.enter_async_context(running(notifier))
        feed = Feed(ms)
        await feed.start()
        stack.push_async_callback(feed.stop)
        await commands.start()
        stack.push_async_callback(commands.stop)
        yield Both(msg, note, notifier, messaging, tokens, feed, commands)


async def test_unread_counts_match_the_lists_after_sends_reads_and_notices(both: Both):
    employer_id, _e0 = await both.feed.employer()
    s1, _, _ = await both.feed.seeker()
    s2, _, _ = await both.feed.seeker()
    apps = [await both.feed.submitted(s, employer_id) for s in (s1, s1, s2)]
    convs = [f"app-{a}" for a, _ in apps]
    db = both.messaging.state.runtime.db
    for c in convs:
        await eventually(partial(db["conversations"].find_one, {"_id": c}))
    seeker1, seeker2 = both.tokens.seeker(s1), both.tokens.seeker(s2)
    employer = both.tokens.employer(employer_id)

    async def send(conv: str, headers: dict[str, str], text: str) -> None:
        r = await both.msg.post(
            f"/api/v1/conversations/{conv}/messages", json={"body": text}, headers=headers
        )
        assert r.status_code == 201, r.text

    await send(convs[0], employer, "面接日程のご相談")
    await send(convs[0], employer, "ご都合をお知らせください")
    await send(convs[1], employer, "書類を拝見しました")
    assert (
        await both.msg.post(f"/api/v1/conversations/{convs[0]}/read", headers=seeker1)
    ).status_code == 200
    await send(convs[0], employer, "追伸")
    await send(convs[0], seeker1, "12月3日でお願いします")
    await send(convs[2], employer, "ご応募ありがとうございます")
    await both.feed.status(
        apps[1][0],
        s1,
        employer_id,
        "interview",
        version=2,
        interview_at=datetime(2026, 12, 3, 5, 0, tzinfo=UTC),
    )
    staff, admin = both.tokens.staff(), both.tokens.admin()
    notice_ids = []
    for headers, audience in (
        (staff, {"kind": "office", "office_code": "13010"}),
        (staff, {"kind": "seekers", "seeker_ids": [s1]}),
        (admin, {"kind": "all"}),
    ):
        r = await both.msg.post(
            "/api/v1/staff/notices",
            json={"title": "お知らせ", "body": "本文", "audience": audience},
            headers=headers,
        )
        assert r.status_code == 201, r.text
        notice_ids.append(r.json()["notice_id"])
    await eventually(lambda: db["notices"].count_documents({"_id": {"$in": notice_ids}}))
    r = await both.msg.post(f"/api/v1/me/notices/{notice_ids[0]}/read", headers=seeker1)
    assert r.status_code == 200

    # messages: conv1 1 after the read + conv2 1 and the interview's system message
    # notices: 3 − 1 opened; notifications: 4 messages + the interview + 2 unread notices
    want_s1 = {"messages": 3, "notices": 2, "notifications": 7}
    await eventually(lambda: _equals(both.unread(seeker1), want_s1))
    assert await both.what_lists_show(seeker1, seeker=True) == want_s1
    want_e = {"messages": 1, "notices": 0, "notifications": 4}  # 3 applications + 1 message
    await eventually(lambda: _equals(both.unread(employer), want_e))
    assert await both.what_lists_show(employer, seeker=False) == want_e
    want_s2 = {"messages": 1, "notices": 2, "notifications": 3}
    await eventually(lambda: _equals(both.unread(seeker2), want_s2))
    assert await both.what_lists_show(seeker2, seeker=True) == want_s2

    # reading changes the counts consistently
    await both.msg.post(f"/api/v1/conversations/{convs[1]}/read", headers=seeker1)
    notes = (await both.note.get("/api/v1/me/notifications", headers=seeker1)).json()["items"]
    notice_note = next(n for n in notes if n["type"] == "notice")
    r = await both.note.post(
        f"/api/v1/me/notifications/{notice_note['notification_id']}/read", headers=seeker1
    )
    assert r.status_code == 200 and r.json()["read"] is True
    want_s1 = {"messages": 1, "notices": 2, "notifications": 6}
    await eventually(lambda: _equals(both.unread(seeker1), want_s1))
    assert await both.what_lists_show(seeker1, seeker=True) == want_s1
    r = await both.note.post("/api/v1/me/notifications/read-all", headers=seeker1)
    assert r.status_code == 200
    assert await both.unread(seeker1) == {"messages": 1, "notices": 2, "notifications": 0}

    # a notice is one document in each service, whoever it addresses
    ndb = both.notifier.state.runtime.db
    assert await ndb["notices"].count_documents({"_id": {"$in": notice_ids}}) == 3
    seekers = [f"seeker:{s1}", f"seeker:{s2}"]
    assert (
        await ndb["notifications"].count_documents(
            {"recipient": {"$in": seekers}, "type": "notice"}
        )
        == 0
    )
    # never e-mail: nobody sent the notifier an e-mail command
    assert both.commands.received == []
    # someone else sees none of it; a stranger's read of a notification is not found
    other = both.tokens.seeker(uid())
    assert await both.unread(other) == {"messages": 0, "notices": 0, "notifications": 0}
    r = await both.note.post(
        f"/api/v1/me/notifications/{notes[0]['notification_id']}/read", headers=other
    )
    assert r.status_code == 404


async def _equals(counts: Any, want: dict[str, int]) -> bool:
    return bool(await counts == want)


async def test_events_become_notifications_once_with_japanese_texts_and_links(both: Both):
    seeker_id, _, _ = await both.feed.seeker()
    employer_id = uid()
    request_id, req = await both.feed.request_sent(seeker_id, employer_id, message="ぜひ")
    await both.feed.again(req)  # delivered twice: one notification
    rec = RecommendationSent(
        recommendation_id=uid(),
        seeker_id=seeker_id,
        office_code="13010",
        job_id=uid(),
        job_number="13010-00001234",
        title="経理事務",
        employer_name="山田商店",
        revision=1,
        note="ご希望に合います",
        sent_by=uid(),
    )
    await both.feed.publish(rec, seeker_id, producer="jobs")
    match = SavedSearchMatched(
        saved_search_id=uid(),
        seeker_id=seeker_id,
        name="新宿の事務",
        date=date(2026, 11, 24),
        jobs=(
            MatchedJob(
                job_id=uid(), job_number="13010-00001235", title="事務", employer_name="A社"
            ),
        ),
        query="q=事務&prefecture=13",
    )
    await both.feed.publish(match, seeker_id, producer="jobs")
    expiring = RegistrationExpiring(
        seeker_id=seeker_id, expires_on=date(2026, 12, 31), days_left=7, version=3
    )
    await both.feed.publish(expiring, seeker_id)
    application_id, _ = await both.feed.submitted(seeker_id, employer_id)
    await both.feed.withdrawn(application_id, seeker_id, employer_id, version=2)

    h = both.tokens.seeker(seeker_id)

    async def items() -> list[dict[str, Any]]:
        r = await both.note.get("/api/v1/me/notifications", headers=h)
        # notices of other tests (to the office, to all) are there too
        result = [n for n in r.json()["items"] if n["type"] != "notice"]
        return result if len(result) >= 5 else []

    got = await eventually(items)
    by_type = {n["type"]: n for n in got}
    assert len(got) == 5 and set(by_type) == {
        "request",
        "recommendation",
        "saved_search",
        "registration",
        "application",
    }
    assert by_type["request"]["title"] == "求人者からリクエストが届きました"
    assert by_type["request"]["link"] == {
        "web": f"/mypage/requests/{request_id}",
        "api": "/api/v1/me/requests",
    }
    assert "経理事務" in by_type["recommendation"]["body"]
    assert by_type["saved_search"]["link"]["api"] == "/api/v1/jobs?q=事務&prefecture=13"
    assert "2026年12月31日" in by_type["registration"]["body"]
    assert by_type["application"]["link"]["web"] == f"/mypage/applications/{application_id}"
    times = [datetime.fromisoformat(n["created_at"]) for n in got]  # "…:42Z" and "…:42.006000Z"
    assert times == sorted(times, reverse=True)

    # the employer got the direct application and the withdrawal (each event is handled on its
    # own: the second may be in before the first)
    async def employer_titles() -> list[str]:
        r = await both.note.get(
            "/api/v1/me/notifications", headers=both.tokens.employer(employer_id)
        )
        titles = sorted(n["title"] for n in r.json()["items"])
        return titles if len(titles) >= 2 else []

    assert await eventually(employer_titles) == [
        "応募者が辞退しました",
        "新しい応募があります",
    ]
    r = await both.note.get("/api/v1/me/notifications", params={"cursor": "!!"}, headers=h)
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"


def _b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_AT = "2026-11-24T03:00:00+00:00"
CRAFTED_CURSORS = [
    _b64({"s": "wage", "v": "1" + "0" * 30, "i": "a"}),  # the cursor of issue 13
    _b64([10**30, "a"]),
    _b64(["2026-11-24T03:00:00", "a"]),  # no UTC offset
    _b64(["0001-01-01T00:00:00+01:00", "a"]),  # before year 1 in UTC
    _b64(["2026-13-45T99:00:00Z", "a"]),
    _b64([_AT, "a" * 300]),
    _b64([_AT, {"$gt": ""}]),
    _b64([_AT, 1]),
    _b64([_AT, "a", "b"]),
    _b64(b"\xff\xfe\x00"),
    _b64(b"not json"),
    _b64(b"[" * 200 + b"]" * 200),
    "!!",
    "a",
    "x" * 600,
]


async def test_crafted_cursors_are_refused_by_the_notifications_list(both: Both):
    seeker_id, _, _ = await both.feed.seeker()
    employer_id, _ = await both.feed.employer()
    for headers in (
        both.tokens.seeker(seeker_id),
        both.tokens.employer(employer_id),
        both.tokens.staff(),
    ):
        for unread in ("false", "true"):
            for cursor in CRAFTED_CURSORS:
                r = await both.note.get(
                    "/api/v1/me/notifications",
                    params={"cursor": cursor, "unread": unread},
                    headers=headers,
                )
                assert r.status_code == 400, (cursor, r.status_code, r.text)
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["code"] == "invalid_cursor"
                assert not r.json()["detail"].isascii()  # Japanese
        r = await both.note.get(
            "/api/v1/me/notifications",
            params={"cursor": _b64(["1970-01-01T00:00:00Z", "0"])},
            headers=headers,
        )
        assert r.status_code == 200 and r.json()["items"] == []
