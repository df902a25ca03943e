"""Messages, notices, notifications and the live unread badge in a real browser, through a
gateway: a seeker applies directly to an employer's posting (which opens a conversation); the
employer's message (sent through the API) updates the seeker's header badge without a reload and
appears in the open conversation in place; the seeker replies with the form (a double submit
sends once) and the employer reads the reply through the API; a notice from the office appears
in お知らせ; the notifications list shows entries and すべて既読にする clears the badge; another
seeker cannot open the conversation; the event stream needs a login."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.web.conftest import DESKTOP, WebSite
from tests.web.helpers import (
    PASSWORD,
    Headers,
    login,
    new_context,
    new_employer,
    new_seeker,
    new_staff,
    open_my_page,
    post_job,
    posting,
    shot,
    tag,
    until_ok,
)

pytestmark = pytest.mark.e2e

WAIT_MS = 45_000


LAST_SEEN: dict[str, Any] = {}


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 10) -> Any:
    """Poll ``check`` until it returns something truthy (projections are eventually
    consistent: an event takes milliseconds, a page load more)."""
    deadline = asyncio.get_running_loop().time() + timeout
    LAST_SEEN.clear()
    while True:
        value = await check()
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, f"timed out; last seen {LAST_SEEN}"
        await asyncio.sleep(0.5)


async def messages_of(gw: httpx.AsyncClient, headers: Headers, cid: str) -> list[dict[str, Any]]:
    resp = await gw.get(f"/api/v1/conversations/{cid}/messages", headers=headers)
    assert resp.status_code == 200, resp.text
    return list(resp.json()["items"])


async def unread_of(gw: httpx.AsyncClient, headers: Headers) -> dict[str, int]:
    resp = await gw.get("/api/v1/me/unread", headers=headers)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def badge_count(page: Any) -> int:
    return int(await page.get_attribute("#unread-badge", "data-count") or 0)


@pytest.fixture
async def world(system: Any, gw: httpx.AsyncClient) -> dict[str, Any]:
    """Staff; an employer with a My Page and a posting taking direct applications; a seeker with
    a My Page who applied to it directly; the conversation that opened."""
    _, staff = await new_staff(system, gw)
    t = tag()
    employer = await new_employer(gw, staff, name=f"株式会社はたらく商事 {t}")
    employer_headers = await open_my_page(system, gw, employer)
    job = await post_job(
        gw, employer_headers, posting(title=f"Webエンジニア {t}", accepts_direct_application=True)
    )
    seeker = await new_seeker(gw, staff)
    seeker_headers = await open_my_page(system, gw, seeker)
    resp = await until_ok(
        lambda: gw.post(
            "/api/v1/applications",
            headers=seeker_headers,
            json={"job_id": job["job_id"], "route": "direct", "motivation": "貴社の開発に携わりたく応募しました。"},
        ),
    )  # fmt: skip
    assert resp.status_code == 201, resp.text

    async def conversation() -> dict[str, Any] | None:
        resp = await gw.get("/api/v1/conversations", headers=seeker_headers)
        items = resp.json().get("items") if resp.status_code == 200 else None
        return items[0] if items else None

    conv = await until(conversation)
    return {
        "t": t,
        "staff": staff,
        "employer": employer,
        "employer_headers": employer_headers,
        "seeker": seeker,
        "seeker_headers": seeker_headers,
        "job": job,
        "cid": conv["conversation_id"],
    }


async def test_messages_arrive_live_and_the_seeker_replies(
    site: WebSite, browser: Any, system: Any, gw: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    cid, t = world["cid"], world["t"]
    seeker_h, employer_h = world["seeker_headers"], world["employer_headers"]
    context = await new_context(browser)
    page = await context.new_page()
    await login(page, site, world["seeker"]["email"])
    # any page of the seeker's has the badge (this one is of this module's)
    await page.goto(site.url + "/mypage/notices")
    await page.evaluate("window.__marker = 1")
    before = await badge_count(page)

    # the employer writes through the API: the badge changes without a reload
    first = f"面接日程のご相談です。{t}"
    resp = await gw.post(
        f"/api/v1/conversations/{cid}/messages", headers=employer_h, json={"body": first}
    )
    assert resp.status_code == 201, resp.text
    counts = await until(
        lambda: _when(unread_of(gw, seeker_h), lambda c: c["messages"] >= 1 and c["notifications"])
    )
    # the badge counts each unread thing once (a message also makes a notification)
    total = max(counts["notifications"], counts["messages"] + counts["notices"])
    assert total > before
    await page.wait_for_function(
        f"Number(document.getElementById('unread-badge').dataset.count) >= {total}",
        timeout=WAIT_MS,
    )
    assert await page.evaluate("window.__marker") == 1  # no navigation happened
    assert page.url.endswith("/mypage/notices")
    assert await page.is_visible("#unread-badge")
    text = await page.text_content("#unread-badge") or ""
    assert re.fullmatch(r"未読\d+件", text.strip()), text
    assert await page.get_attribute("#unread-badge", "hidden") is None

    # the header link leads to the conversations: the employer, the posting, an unread mark
    await page.click("#unread-link")
    await page.wait_for_url(re.compile(r"/mypage/messages$"))
    item = page.locator("#conversations li").first
    assert world["employer"]["name"] in await item.inner_text()
    assert f"Webエンジニア {t}" in await item.inner_text()
    assert "未読" in await item.inner_text()
    assert await page.is_visible("#notices-link") and await page.is_visible("#notifications-link")
    await shot(page, site, "msg-01-list")

    # the conversation: the message, shown as text, with its sender; reading it marks it read
    await page.get_by_role("link", name=world["employer"]["name"]).click()
    await page.wait_for_url(re.compile(rf"/mypage/messages/{cid}$"))
    assert first in await page.inner_text("#message-list")
    assert world["employer"]["name"] in await page.inner_text("#message-list")
    await shot(page, site, "msg-02-conversation")
    await until(lambda: _when(unread_of(gw, seeker_h), lambda c: c["messages"] == 0 or None))

    # a second message arrives while the conversation is open: the list updates in place
    await page.evaluate("window.__marker = 2")
    second = f"ご都合のよい日時をお知らせください。{t}"
    resp = await gw.post(
        f"/api/v1/conversations/{cid}/messages", headers=employer_h, json={"body": second}
    )
    assert resp.status_code == 201, resp.text
    await page.locator("#message-list").get_by_text(second).wait_for(timeout=WAIT_MS)
    assert await page.evaluate("window.__marker") == 2
    assert await page.locator("#message-list li.message").count() >= 2

    # an empty reply is refused next to the field
    await page.get_by_role("button", name="送信する").click()
    assert "本文を入力してください" in await page.inner_text("#body-error")
    assert await page.get_attribute("#body", "aria-invalid") == "true"
    assert "本文" in await page.get_by_role("alert").inner_text()

    # the reply through the form
    reply = f"来週の火曜日午後はいかがでしょうか。{t}"
    await page.fill("#body", reply)
    await page.get_by_role("button", name="送信する").click()
    await page.wait_for_url(re.compile(rf"/mypage/messages/{cid}\?sent=1"))
    assert "メッセージを送信しました" in await page.inner_text("#sent-notice")
    mine = page.locator("#message-list li.mine").last
    assert reply in await mine.inner_text() and "あなた" in await mine.inner_text()
    sent = await messages_of(gw, employer_h, cid)
    assert [m["body"] for m in sent].count(reply) == 1
    assert next(m for m in sent if m["body"] == reply)["sender"]["role"] == "seeker"

    # a double submit of the same form sends once (the form's Idempotency-Key)
    again = f"念のため再送します。{t}"
    form = {
        "csrf_token": await page.locator("input[name=csrf_token]").first.input_value(),
        "idempotency_key": await page.input_value("input[name=idempotency_key]"),
        "body": again,
    }
    for _ in range(2):
        resp2 = await page.request.post(
            site.url + f"/mypage/messages/{cid}", form=form, max_redirects=0
        )
        assert resp2.status == 303, await resp2.text()
    bodies = [m["body"] for m in await messages_of(gw, employer_h, cid)]
    assert bodies.count(again) == 1

    # desktop: the same conversation
    desk = await new_context(browser, DESKTOP)
    dpage = await desk.new_page()
    await login(dpage, site, world["seeker"]["email"])
    await dpage.goto(site.url + f"/mypage/messages/{cid}")
    assert reply in await dpage.inner_text("#message-list")
    await shot(dpage, site, "msg-02-conversation", "desktop")
    await desk.close()

    # a notice from the office to this seeker: it comes as a notification (one a page here:
    # the notice first, then the messages, each linking to where it is shown)
    title = f"セミナーのご案内 {t}"
    # other tests of a full run post office-wide notices that reach this seeker too: count them
    others = (await unread_of(gw, seeker_h))["notices"]
    resp = await gw.post(
        "/api/v1/staff/notices",
        headers=world["staff"],
        json={
            "title": title,
            "body": "来月、応募書類の書き方セミナーを開催します。\nぜひご参加ください。",
            "audience": {"kind": "seekers", "seeker_ids": [world["seeker"]["seeker_id"]]},
        },
    )
    assert resp.status_code == 201, resp.text

    async def notified() -> bool:
        await page.goto(site.url + "/mypage/notifications")
        return title in await page.inner_text("main")

    await until(notified)
    newest = page.locator("#notifications li").first
    assert title in await newest.inner_text() and "未読" in await newest.inner_text()
    assert (await newest.get_by_role("link").get_attribute("href") or "").startswith(
        "/mypage/notices/"
    )
    await shot(page, site, "msg-03-notifications")
    await page.get_by_role("link", name="次のページへ").click()
    link = page.get_by_role("link", name="新しいメッセージがあります").first
    assert await link.get_attribute("href") == f"/mypage/messages/{cid}"
    await page.get_by_role("link", name="最初のページへ").click()

    # すべて既読にする clears the notifications
    await page.get_by_role("button", name="すべて既読にする").click()
    assert "すべての通知を既読にしました" in await page.inner_text("#done-notice")
    assert await page.locator("#notifications li.unread").count() == 0
    await until(lambda: _when(unread_of(gw, seeker_h), lambda c: c["notifications"] == 0 or None))

    # the notice itself, unread in お知らせ until opened; then nothing is unread: badge hidden
    await page.goto(site.url + "/mypage/notices")
    assert title in await page.inner_text("#notices")
    assert "未読" in await page.inner_text("#notices")
    await shot(page, site, "msg-04-notices")
    await page.get_by_role("link", name=title).click()
    assert await page.inner_text("h1") == title
    assert "ぜひご参加ください" in await page.inner_text("main")
    await shot(page, site, "msg-05-notice")
    await until(
        lambda: _when(
            unread_of(gw, seeker_h),
            lambda c: c == {"messages": 0, "notices": others, "notifications": 0} or None,
        )
    )
    await page.wait_for_function(
        f"document.getElementById('unread-badge').dataset.count === '{others}'", timeout=WAIT_MS
    )
    if not others:  # nothing unread: the badge is hidden
        assert await page.is_hidden("#unread-badge")

    # the employer side on the web: the same conversation, the seeker's reply in it
    emp = await new_context(browser, DESKTOP)
    epage = await emp.new_page()
    await login(epage, site, world["employer"]["email"])
    await epage.goto(site.url + "/mypage/messages")
    await epage.get_by_role("link", name=re.compile("求職者")).first.click()
    assert reply in await epage.inner_text("#message-list")
    await shot(epage, site, "msg-06-employer-conversation", "desktop")
    await emp.close()
    await context.close()


async def test_another_seeker_cannot_open_the_conversation(
    site: WebSite, browser: Any, system: Any, gw: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    cid = world["cid"]
    secret = f"この内容は他の人には見えません。{world['t']}"
    resp = await gw.post(
        f"/api/v1/conversations/{cid}/messages",
        headers=world["employer_headers"],
        json={"body": secret},
    )
    assert resp.status_code == 201, resp.text
    other = await new_seeker(gw, world["staff"], name="佐藤 次郎")
    await open_my_page(system, gw, other)
    context = await new_context(browser)
    page = await context.new_page()
    await login(page, site, other["email"])
    answer = await page.goto(site.url + f"/mypage/messages/{cid}")
    assert answer is not None and answer.status in (403, 404)
    main = await page.inner_text("main")
    assert "このメッセージは表示できません" in main
    assert secret not in main and world["employer"]["name"] not in main
    # the form cannot post into it either
    html = await (await page.request.get(site.url + "/mypage/messages")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    resp2 = await page.request.post(
        site.url + f"/mypage/messages/{cid}",
        form={"csrf_token": token[1], "idempotency_key": "k" * 32, "body": "侵入"},
        max_redirects=0,
    )
    assert resp2.status in (403, 404)
    assert "侵入" not in [m["body"] for m in await messages_of(gw, world["seeker_headers"], cid)]
    # a path that is not an id
    answer = await page.goto(site.url + "/mypage/messages/..%2F..%2Fjobs")
    assert answer is not None and answer.status == 404
    await shot(page, site, "msg-07-not-visible")
    await context.close()


async def test_the_live_endpoints_need_a_login(site: WebSite) -> None:
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as client:
        for path in ("/mypage/events", "/mypage/unread.json", "/mypage/messages"):
            resp = await client.get(path, follow_redirects=False)
            assert resp.status_code == 303, path
            assert resp.headers["location"].startswith("/login?next=")


async def live_streams(system: Any) -> float:
    """The notifier's open event streams (its metrics)."""
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.get(f"http://127.0.0.1:{system.ports['notifier']}/metrics")
    found = re.search(r"^hataraku_live_streams ([0-9.e+]+)$", resp.text, re.M)
    return float(found[1]) if found else 0.0


async def test_the_event_stream_is_relayed_and_closed_with_the_browser(
    site: WebSite, system: Any, gw: httpx.AsyncClient
) -> None:
    """GET /mypage/events relays the API's stream with the session's token: Last-Event-ID is
    passed on (a notice is replayed), and the API's stream ends when the browser goes."""
    _, staff = await new_staff(system, gw)
    seeker = await new_seeker(gw, staff)
    headers = await open_my_page(system, gw, seeker)
    title = f"窓口の受付時間変更のお知らせ {tag()}"
    resp = await gw.post(
        "/api/v1/staff/notices",
        headers=staff,
        json={"title": title, "body": "受付時間が変わります。",
              "audience": {"kind": "seekers", "seeker_ids": [seeker["seeker_id"]]}},
    )  # fmt: skip
    assert resp.status_code == 201, resp.text

    async def listed() -> bool:
        resp = await gw.get("/api/v1/me/notifications", headers=headers)
        return title in resp.text

    await until(listed)
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as client:
        page = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        resp = await client.post(
            "/login",
            data={"csrf_token": token[1], "email": seeker["email"], "password": PASSWORD,
                  "next": "/mypage/notices"},
        )  # fmt: skip
        assert resp.status_code == 303, resp.text
        before = await live_streams(system)
        frames = ""
        async with client.stream(
            "GET", "/mypage/events", headers={"Last-Event-ID": "0000000000000-0"}
        ) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            async with asyncio.timeout(30):
                async for chunk in stream.aiter_text():
                    frames += chunk
                    if "event: unread" in frames:
                        break
            assert await live_streams(system) >= before + 1
        assert "event: notification" in frames and title in frames
        assert re.search(r"^id: \d{13}-notice-", frames, re.M)

    # the browser went: the relay and the API's stream end too
    async def closed() -> bool:
        return await live_streams(system) <= before

    await until(closed, 20)


async def _when(call: Awaitable[Any], ok: Callable[[Any], Any]) -> Any:
    value = await call
    LAST_SEEN["value"] = value
    return value if ok(value) else None
