"""The seeker's web My Page in a real browser (Debian's chromium), through a gateway: opening by
the leaflet's steps with the auth key read from the mail, login, home with the expiry date, a
full-width keyword search with paging, a posting, transparent token refresh, logout; CSRF-less
POSTs refused; no horizontal scroll at 360 px; screenshots at 360×740 and 1280×800."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from deploy.local.mailbox import wait_for_mail
from tests.conftest import MONGODB_URL, RUN_ID
from tests.web.conftest import DESKTOP, WebSite
from tests.web.helpers import (
    PASSWORD,
    STAFF_PASSWORD,
    check_a11y,
    full_width,
    new_context,
    shot,
    until_ok,
)

pytestmark = pytest.mark.e2e

BIRTH = "1992-07-15"


@pytest.fixture
async def world(system, gw) -> dict[str, Any]:
    """Staff, a seeker registered at the counter, and two postings of an employer whose titles
    share a keyword of this test's own (half-width letters)."""
    tag = "".join(c for c in uuid.uuid4().hex if c.isalpha())[:4] + uuid.uuid4().hex[:6]
    staff_email = f"staff-web-{tag}@hataraku.example"
    await system.create_staff(staff_email, STAFF_PASSWORD)
    resp = await gw.post(
        "/api/v1/auth/login", json={"email": staff_email, "password": STAFF_PASSWORD}
    )
    assert resp.status_code == 200, resp.text
    staff = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    email = f"seeker-web-{tag}@example.jp"
    resp = await gw.post(
        "/api/v1/staff/seekers",
        headers=staff,
        json={"email": email, "name": "山田 花子", "birth_date": BIRTH},
    )
    assert resp.status_code == 201, resp.text
    seeker = resp.json()
    resp = await gw.post(
        "/api/v1/staff/employers",
        headers=staff,
        json={
            "name": "株式会社はたらく商事",
            "email": f"saiyo-{tag}@example.co.jp",
            "address": "東京都新宿区西新宿2-8-1",
            "industry": "情報通信業",
        },
    )
    assert resp.status_code == 201, resp.text
    employer_id = resp.json()["employer_id"]
    titles = [f"Webエンジニア {tag}", f"Webデザイナー {tag}"]
    for title in titles:
        body = {
            "title": title,
            "description": "自社サービスの開発と運用。\nリモート勤務相談可。",
            "occupation_code": "10",
            "prefecture": "13",
            "municipality": "新宿区",
            "employment_type": "full_time",
            "wage_min": 250000,
            "wage_max": 350000,
            "wage_unit": "monthly",
            "accepts_online_referral": True,
            "accepts_direct_application": False,
            "employer_id": employer_id,
        }
        resp = await until_ok(lambda body=body: gw.post("/api/v1/jobs", json=body, headers=staff))
        assert resp.status_code == 201, resp.text
    return {"email": email, "seeker": seeker, "tag": tag, "titles": titles}


async def test_a_seeker_opens_a_my_page_logs_in_searches_and_logs_out(
    site: WebSite, browser, system, world
) -> None:
    context = await new_context(browser)
    page = await context.new_page()
    await page.goto(site.url + "/")
    assert await page.get_attribute("html", "lang") == "ja"
    await shot(page, site, "01-top")

    # leaflet 2–3: the opening starts with both agreements, each required
    await page.get_by_role("link", name="ハローワークをご利用中の方のマイページ開設").click()
    await page.get_by_role("button", name="次へ進む").click()
    alert = page.get_by_role("alert")
    assert "プライバシーポリシーに同意してください" in await alert.inner_text()
    assert "利用規約に同意してください" in await alert.inner_text()
    assert await page.get_attribute("#agree_terms", "aria-describedby") == "agree_terms-error"
    await shot(page, site, "02-agreements-error")
    assert await page.get_by_role("link", name=re.compile("利用規約を読む")).is_visible()
    await page.check("#agree_privacy_policy")
    await page.check("#agree_terms")
    await page.get_by_role("button", name="次へ進む").click()

    # leaflet 4–5: e-mail (typed full-width: the form makes it half-width) and birth date
    await page.fill("#email", full_width(world["email"]))
    await page.fill("#birth_date", BIRTH)
    await shot(page, site, "03-email")
    await page.get_by_role("button", name="次へ進む").click()
    assert "メールを送信しました" in await page.inner_text("main")
    await shot(page, site, "04-mail-sent")
    mail = await wait_for_mail(system.mail_dir, to=world["email"], timeout=10)
    assert mail.auth_key

    # leaflet 6: the rules are shown before typing; each broken one is explained after
    await page.get_by_role("link", name="認証キーとパスワードを入力する").click()
    assert await page.input_value("#email") == world["email"]
    rules = await page.inner_text("#password-rules")
    assert "8文字以上32文字以内" in rules
    await page.fill("#auth_key", mail.auth_key)
    await page.fill("#password", "password")
    await page.fill("#password_confirm", "password")
    await page.get_by_role("button", name="完了").click()
    errors = await page.inner_text("#password-error")
    assert "数字を1文字以上" in errors and "記号を1文字以上" in errors
    assert "password-error" in (await page.get_attribute("#password", "aria-describedby") or "")
    assert await page.get_attribute("#password", "aria-invalid") == "true"
    assert await page.input_value("#password") == ""  # never echoed back
    await shot(page, site, "05-password-rules-error")
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await page.get_by_role("button", name="完了").click()
    assert await page.inner_text("h1") == "マイページ開設完了"
    await shot(page, site, "06-opened")

    # login: a wrong password gives the API's Japanese message, then the right one
    await page.get_by_role("link", name="ログイン画面へ進む").click()
    await page.fill("#email", world["email"])
    await page.fill("#password", "Wrong-pass-1")
    await page.get_by_role("button", name="ログイン").click()
    assert "メールアドレスまたはパスワード" in await page.get_by_role("alert").inner_text()
    await shot(page, site, "07-login-error")
    await page.fill("#password", PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await page.wait_for_url(re.compile(r"/mypage$"))

    # home: name, seeker number, expiry date
    main = await page.inner_text("main")
    assert "山田 花子 様" in main
    assert await page.inner_text("#seeker-number") == world["seeker"]["seeker_number"]
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日まで", await page.inner_text("#expires-on"))
    await shot(page, site, "08-home")

    # the browser holds an opaque httpOnly, SameSite=Lax id, not a token
    cookies = {c["name"]: c for c in await context.cookies()}
    session_cookie = cookies["hataraku_session"]
    assert session_cookie["httpOnly"] and session_cookie["sameSite"] == "Lax"
    assert not session_cookie["value"].startswith("eyJ")
    assert all("eyJ" not in c["value"] for c in cookies.values())

    # the access token expires: the next page refreshes it on the server, unseen
    db: Any = MongoClient(MONGODB_URL)[f"t{RUN_ID}_web"]
    key = hashlib.sha256(session_cookie["value"].encode()).hexdigest()  # stored by hash
    mine = db.sessions.find_one({"_id": key})
    assert mine and mine.get("tokens")
    db.sessions.update_one(
        {"_id": key}, {"$set": {"tokens.expires_at": datetime.now(UTC) - timedelta(minutes=1)}}
    )
    await page.reload()
    assert await page.inner_text("#seeker-number") == world["seeker"]["seeker_number"]
    after = db.sessions.find_one({"_id": key})
    assert after["tokens"]["refresh"] != mine["tokens"]["refresh"]
    assert after["tokens"]["expires_at"].replace(tzinfo=UTC) > datetime.now(UTC)

    # search with a full-width keyword, Tokyo, full-time; one result a page (PAGE_SIZE=1)
    await page.get_by_role("link", name="求人検索").first.click()
    await page.fill("#q", full_width(world["tag"]))
    await page.select_option("#prefecture", "13")
    await page.check("#et-full_time")
    await page.get_by_role("button", name="検索する").click()
    assert "2件" in await page.inner_text("#result-count")
    first = await page.inner_text("ol.jobs h3")
    await shot(page, site, "09-search")
    await page.get_by_role("link", name="次のページへ").click()
    second = await page.inner_text("ol.jobs h3")
    assert {first, second} == set(world["titles"])
    await page.get_by_role("link", name=second).click()
    assert await page.inner_text("h1") == second
    assert "東京都新宿区" in await page.inner_text("main")
    assert "月給 250,000円〜350,000円" in await page.inner_text("main")
    await shot(page, site, "10-posting")

    # logout ends the session: the home page asks for a login again
    await page.get_by_role("button", name="ログアウト").click()
    assert "ログアウトしました" in await page.inner_text("main")
    await page.goto(site.url + "/mypage")
    assert "/login" in page.url
    assert db.sessions.find_one({"_id": key}) is None  # the session is gone, tokens and all

    # desktop screenshots of the public pages
    desk = await new_context(browser, DESKTOP)
    dpage = await desk.new_page()
    for name, path in [
        ("01-top", "/"),
        ("02-agreements", "/mypage/opening"),
        ("07-login", "/login"),
        ("09-search", f"/jobs?q={world['tag']}&prefecture=13"),
    ]:
        await dpage.goto(site.url + path)
        await shot(dpage, site, name, "desktop")
    await desk.close()
    await context.close()


async def test_a_post_without_the_csrf_token_is_refused(site: WebSite) -> None:
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as client:
        # no session at all
        resp = await client.post("/login", data={"email": "a@example.jp", "password": "x"})
        assert resp.status_code == 403
        assert "操作を受け付けられませんでした" in resp.text
        # a session, but no token / a wrong token
        page = await client.get("/login")
        assert page.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        for data in ({}, {"csrf_token": "forged"}):
            resp = await client.post(
                "/mypage/opening",
                data={"agree_privacy_policy": "yes", "agree_terms": "yes", **data},
            )
            assert resp.status_code == 403, resp.text
        resp = await client.post(
            "/mypage/opening",
            data={"agree_privacy_policy": "yes", "agree_terms": "yes", "csrf_token": token[1]},
        )
        assert resp.status_code == 303
        assert resp.headers["location"] == "/mypage/opening/email"


async def test_unknown_pages_and_postings_answer_in_japanese(site: WebSite) -> None:
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as client:
        resp = await client.get("/jobs/" + "0" * 32)
        assert resp.status_code == 404
        assert 'lang="ja"' in resp.text and "見つかりません" in resp.text
        resp = await client.get("/no/such/page")
        assert resp.status_code == 404
        assert "お探しのページは見つかりませんでした" in resp.text
        resp = await client.get("/mypage", follow_redirects=False)
        assert resp.status_code == 303
        assert resp.headers["location"].startswith("/login?next=/mypage")


async def test_the_accessibility_checker_finds_what_it_should(browser) -> None:
    context = await new_context(browser)
    page = await context.new_page()
    await page.set_content(
        '<html><head><title>x</title></head><body><main><input id="q">'
        '<p style="color:#aaa;background:#fff">薄い文字</p></main></body></html>'
    )
    with pytest.raises(AssertionError) as caught:
        await check_a11y(page)
    for rule in ("html-has-lang", "label", "color-contrast"):
        assert rule in str(caught.value)
    await context.close()
