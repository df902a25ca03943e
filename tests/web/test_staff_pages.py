"""Staff and administrator pages in a real browser, through a gateway: counter registrations of a
seeker and an establishment (numbers shown, a taken e-mail explained at its field), an online
application confirmed, the referral queue with one letter issued and read by the seeker and one
request declined after a confirmation, an annotation and a recommendation the seeker sees, a
notice to listed seekers; the administrator schedules, starts and ends
maintenance (banner, maintenance page with its schedule and 503, the admin page still working).

Each staff test uses an office of its own, so that its queue and lists hold only its own data.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from deploy.local.mailbox import wait_for_mail
from tests.web.conftest import DESKTOP, WebSite
from tests.web.helpers import (
    PASSWORD,
    STAFF_PASSWORD,
    Headers,
    bearer,
    full_width,
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
from web.pages_staff_admin import requested_window as maintenance_window
from web.pages_staff_seekers import job_id_of
from web.reference import JST, datetime_ja

pytestmark = pytest.mark.e2e

SEEKER_NUMBER = re.compile(r"^\d{5}-\d{8}$")


def own_office() -> str:
    """An office code no other test uses (47000–47999 is valid and otherwise unused)."""
    return f"47{random.randint(100, 999)}"


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    """Until ``check()`` holds (projections and the 5-second status cache lag behind)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition never met"
        await asyncio.sleep(1)


async def submit_until_done(page: Any, button: Any, timeout: float = 10) -> None:
    """Send a form until the success message shows: the service answering may not have heard
    of a seeker just registered yet (its copy comes by an event), and says so on the form."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with page.expect_navigation():
            await button.click()
        if await page.locator("#done-message").count():
            return
        assert asyncio.get_running_loop().time() < deadline, await page.inner_text("main")
        await asyncio.sleep(1.5)


async def test_staff_register_refer_annotate_recommend_and_notify(
    site: WebSite, browser: Any, system: Any, gw: httpx.AsyncClient
) -> None:
    office = own_office()
    staff_email, staff = await new_staff(system, gw, office=office)
    context = await new_context(browser)
    page = await context.new_page()

    # the pages need a staff login: the login page first, then the staff menu
    await page.goto(site.url + "/staff/referrals")
    assert "/login" in page.url
    await login(page, site, staff_email, STAFF_PASSWORD)
    assert page.url.endswith("/staff")
    assert await page.inner_text("#office-code") == office
    await shot(page, site, "staff-01-home")
    # maintenance is for administrators only
    resp = await page.goto(site.url + "/admin/maintenance")
    assert resp is not None and resp.status == 403
    assert "このページは表示できません" in await page.inner_text("h1")

    # a seeker at the counter: full-width e-mail and wage are fine
    mark = tag()
    email = f"counter-{mark}@example.jp"
    await page.goto(site.url + "/staff")
    await page.get_by_role("link", name="求職者を登録する").click()
    await page.fill("#email", full_width(email))
    await page.fill("#name", "窓口 太郎")
    await page.fill("#name_kana", "マドグチ タロウ")
    await page.fill("#birth_date", "1988-03-09")
    await page.select_option("#desired_prefectures", "13")
    await page.check("#et-full_time")
    await page.fill("#desired_wage_min", "２５００００")
    await shot(page, site, "staff-02-seeker-new")
    await page.get_by_role("button", name="登録する").click()
    await page.wait_for_url(re.compile(r"/staff/seekers/[0-9a-f]+/registered$"))
    number = await page.inner_text("#seeker-number")
    assert SEEKER_NUMBER.match(number) and number.startswith(office)
    main = await page.inner_text("main")
    assert "マイページの開設方法" in main and email in main
    await shot(page, site, "staff-03-seeker-registered")
    await page.get_by_role("link", name="この求職者の詳細へ").click()
    assert await page.inner_text("#seeker-number") == number
    assert "東京都" in await page.inner_text("main")

    # the same e-mail again: the Japanese reason at the field and in the summary
    await page.goto(site.url + "/staff/seekers/new")
    await page.fill("#email", email)
    await page.fill("#name", "窓口 次郎")
    await page.fill("#birth_date", "1990-01-01")
    await page.get_by_role("button", name="登録する").click()
    assert "既に登録されています" in await page.inner_text("#email-error")
    assert await page.get_attribute("#email", "aria-invalid") == "true"
    assert "メールアドレス" in await page.get_by_role("alert").inner_text()
    assert await page.input_value("#name") == "窓口 次郎"
    await shot(page, site, "staff-04-seeker-email-taken")

    # an establishment; required fields first, then a taken e-mail
    await page.goto(site.url + "/staff/employers/new")
    await page.get_by_role("button", name="登録する").click()
    assert "事業所名を入力してください" in await page.inner_text("#name-error")
    employer_email = f"jinji-{mark}@example.co.jp"
    await page.fill("#name", "株式会社まどぐち")
    await page.fill("#email", employer_email)
    await page.fill("#address", "東京都千代田区飯田橋3-4-5")
    await page.fill("#industry", "卸売業")
    await page.get_by_role("button", name="登録する").click()
    await page.wait_for_url(re.compile(r"/staff/employers/registered$"))
    assert re.match(r"^\d{4}-\d{6}-\d$", await page.inner_text("#establishment-number"))
    await shot(page, site, "staff-05-employer-registered")
    await page.goto(site.url + "/staff/employers/new")
    for name, value in [
        ("name", "株式会社まどぐち"),
        ("email", employer_email),
        ("address", "東京都千代田区"),
        ("industry", "卸売業"),
    ]:
        await page.fill(f"#{name}", value)
    await page.get_by_role("button", name="登録する").click()
    assert "既に登録されています" in await page.inner_text("#email-error")
    await shot(page, site, "staff-06-employer-email-taken")

    # an online application (仮登録) to this office: confirmed from the seeker's page
    online_email = f"online-{mark}@example.jp"
    agreed = {"agree_privacy_policy": True, "agree_terms": True}
    resp = await gw.post("/api/v1/accounts", json={"email": online_email, **agreed})
    assert resp.status_code == 202, resp.text
    mail = await wait_for_mail(system.mail_dir, to=online_email, timeout=10)
    resp = await gw.post(
        "/api/v1/accounts/complete",
        json={"email": online_email, "auth_key": mail.auth_key, "password": PASSWORD},
    )
    assert resp.status_code == 201, resp.text
    resp = await gw.post(
        "/api/v1/me/seeker-application",
        headers=await bearer(gw, online_email, PASSWORD),
        json={"name": "申込 一郎", "birth_date": "1985-10-10", "office_code": office},
    )
    assert resp.status_code == 201, resp.text
    await page.goto(site.url + "/staff/seekers")
    await page.select_option("#status", "provisional")
    await page.get_by_role("button", name="検索する").click()
    await page.get_by_role("link", name=re.compile("申込 一郎")).click()
    assert "仮登録" in await page.inner_text("#seeker-status")
    await page.get_by_role("button", name="仮登録を確認して本登録にする").click()
    assert "本登録にしました" in await page.inner_text("#done-message")
    assert await page.inner_text("#seeker-status") == "登録中"

    # a seeker applies by referral to a posting of the office's establishment
    seeker = await new_seeker(gw, staff, name="紹介 花子")
    seeker_headers = await open_my_page(system, gw, seeker)
    employer = await new_employer(gw, staff)
    job = await post_job(
        gw,
        staff,
        posting(
            employer["employer_id"], title=f"経理事務 {mark}", accepts_direct_application=False
        ),
    )
    resp = await until_ok(
        lambda: gw.post(
            "/api/v1/applications",
            headers=seeker_headers,
            json={
                "job_id": job["job_id"],
                "route": "referral",
                "motivation": "経理の経験を活かしたい。",
            },
        ),
    )
    assert resp.status_code == 201, resp.text
    application_id = resp.json()["application_id"]

    # the queue shows it; staff issue the letter
    await page.goto(site.url + "/staff")
    await page.get_by_role("link", name="紹介状の発行待ち").click()
    item = page.locator(f"#app-{application_id}")
    assert seeker["seeker_number"] in await item.inner_text()
    assert job["job_number"] in await item.inner_text()
    await shot(page, site, "staff-07-referral-queue")
    await item.get_by_role("button", name=re.compile("紹介状を発行する")).click()
    await page.wait_for_url(re.compile(rf"/staff/referrals/{application_id}\?done=issued$"))
    referral_number = await page.inner_text("#referral-number")
    assert referral_number
    assert "紹介済み" in await page.inner_text("#application-status")
    await shot(page, site, "staff-08-referral-issued")
    await page.click("#letter-link")
    assert await page.inner_text("#referral-number") == referral_number
    assert f"経理事務 {mark}" in await page.inner_text("main")
    await shot(page, site, "staff-09-letter")
    await page.goto(site.url + "/staff/referrals")
    assert "発行を待っている依頼はありません" in await page.inner_text("main")
    # the seeker reads the letter: JSON and the printable page
    letter_url = f"/api/v1/applications/{application_id}/referral-letter"
    resp = await gw.get(letter_url, headers=seeker_headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["referral_number"] == referral_number
    resp = await gw.get(letter_url, headers={**seeker_headers, "Accept": "text/html"})
    assert resp.status_code == 200 and referral_number in resp.text

    # another request is declined, after a confirmation with the reason the seeker reads
    other_job = await post_job(
        gw,
        staff,
        posting(employer["employer_id"], title=f"営業 {mark}", accepts_direct_application=False),
    )
    resp = await until_ok(
        lambda: gw.post(
            "/api/v1/applications",
            headers=seeker_headers,
            json={
                "job_id": other_job["job_id"],
                "route": "referral",
                "motivation": "営業に挑戦したい。",
            },
        ),
    )
    assert resp.status_code == 201, resp.text
    declined_id = resp.json()["application_id"]
    await page.goto(site.url + "/staff/referrals")
    await (
        page.locator(f"#app-{declined_id}")
        .get_by_role("link", name=re.compile("紹介を見送る"))
        .click()
    )
    assert other_job["job_number"] in await page.inner_text("main")
    await page.get_by_role("button", name="見送りを確定する").click()
    assert "理由を入力してください" in await page.inner_text("#reason-error")
    await shot(page, site, "staff-13-decline-confirm")
    reason = "必要な普通自動車免許をお持ちでないため。"
    await page.fill("#reason", reason)
    await page.get_by_role("button", name="見送りを確定する").click()
    assert "紹介を見送りました" in await page.inner_text("#done-message")
    resp = await gw.get(f"/api/v1/applications/{declined_id}", headers=seeker_headers)
    assert resp.json()["status"] == "declined" and resp.json()["decline_reason"] == reason

    # the seeker's page: found by number, annotated, a posting recommended
    await page.goto(site.url + "/staff/seekers")
    await page.fill("#seeker_number", full_width(seeker["seeker_number"]))
    await page.get_by_role("button", name="検索する").click()
    await page.get_by_role("link", name=re.compile("紹介 花子")).click()
    assert await page.inner_text("#seeker-number") == seeker["seeker_number"]
    annotation = f"経理実務3年。簿記2級取得予定。{mark}"
    await page.fill("#body", annotation)
    await page.get_by_role("button", name="追記する").click()
    assert "追記を登録しました" in await page.inner_text("#done-message")
    assert annotation in await page.inner_text("#annotations")
    resp = await gw.get("/api/v1/me/profile", headers=seeker_headers)
    assert annotation in [a["body"] for a in resp.json()["annotations"]]

    await page.fill("#job_id", "123")
    await page.get_by_role("button", name="おすすめ求人を送る").click()
    assert "英数字32文字" in await page.inner_text("#job_id-error")
    # the posting's address as copied from the browser is accepted too
    await page.fill("#job_id", f"{site.url}/jobs/{job['job_id']}")
    await page.fill("#note", f"経験が活かせる求人です。{mark}")
    await submit_until_done(page, page.get_by_role("button", name="おすすめ求人を送る"))
    assert "おすすめ求人を送りました" in await page.inner_text("#done-message")
    await shot(page, site, "staff-10-seeker")

    async def recommended() -> bool:
        resp = await gw.get(
            "/api/v1/me/recommendations", params={"source": "office"}, headers=seeker_headers
        )
        return resp.status_code == 200 and any(
            r["job_id"] == job["job_id"] and mark in (r.get("note") or "")
            for r in resp.json()["items"]
        )

    await eventually(recommended)

    # a notice to a listed seeker (its number typed full-width)
    await page.goto(site.url + "/staff/notices/new")
    await page.get_by_role("button", name="お知らせを掲載する").click()
    assert "件名を入力してください" in await page.inner_text("#title-error")
    title = f"求人説明会のご案内 {mark}"
    await page.fill("#title", title)
    await page.fill("#body", "12月5日（金）14時から、当所2階で求人説明会を開きます。")
    await page.check("#audience-seekers")
    await page.fill("#seekers", "99999-00000000\n" + full_width(seeker["seeker_number"]))
    await page.get_by_role("button", name="お知らせを掲載する").click()
    assert "99999-00000000" in await page.inner_text("#seekers-error")
    await shot(page, site, "staff-11-notice-error")
    await page.fill("#seekers", full_width(seeker["seeker_number"]))
    await submit_until_done(page, page.get_by_role("button", name="お知らせを掲載する"))
    assert title in await page.inner_text("#notice-list")
    await shot(page, site, "staff-12-notices")

    async def noticed() -> bool:
        resp = await gw.get("/api/v1/me/notices", headers=seeker_headers)
        return resp.status_code == 200 and title in [n["title"] for n in resp.json()["items"]]

    await eventually(noticed)

    # desktop
    desk = await new_context(browser, DESKTOP)
    dpage = await desk.new_page()
    await login(dpage, site, staff_email, STAFF_PASSWORD)
    for name, path in [
        ("staff-01-home", "/staff"),
        ("staff-02-seeker-new", "/staff/seekers/new"),
        ("staff-10-seeker", f"/staff/seekers/{seeker['seeker_id']}?q={mark}"),
        ("staff-09-letter", f"/staff/referrals/{application_id}/letter"),
    ]:
        await dpage.goto(site.url + path)
        await shot(dpage, site, name, "desktop")
    # the search for a posting to recommend, on the seeker's page, finds it
    await dpage.goto(site.url + f"/staff/seekers/{seeker['seeker_id']}?q={mark}")
    assert job["job_number"] in await dpage.inner_text("#posting-results")
    await desk.close()
    await context.close()


async def _end(gw: httpx.AsyncClient, admin: Headers, site: WebSite) -> None:
    """End maintenance whatever happened, and wait until the web pages no longer announce it
    (the web process keeps the status for a few seconds): the next tests share this system."""
    resp = await gw.put("/api/v1/admin/maintenance", headers=admin, json={"active": False})
    assert resp.status_code == 200, resp.text
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as client:

        async def quiet() -> bool:
            resp = await client.get("/")
            return resp.status_code == 200 and "maintenance-banner" not in resp.text

        await eventually(quiet)


async def test_admin_schedules_starts_and_ends_maintenance(
    site: WebSite, browser: Any, system: Any, gw: httpx.AsyncClient
) -> None:
    admin_email, admin = await new_staff(system, gw, admin=True)
    staff_email, _ = await new_staff(system, gw)
    context = await new_context(browser)
    page = await context.new_page()
    visitor = await new_context(browser)  # someone not logged in
    other = await visitor.new_page()
    mark = tag()
    try:
        await login(page, site, admin_email, STAFF_PASSWORD)
        await page.get_by_role("link", name="メンテナンス設定").first.click()
        assert "通常運用中" in await page.inner_text("#maintenance-now")
        await shot(page, site, "admin-01-maintenance")

        # a window in the past or the wrong way round is explained at its fields
        now_jst = datetime.now(UTC).astimezone(JST)
        start = (now_jst + timedelta(days=2)).replace(hour=22, minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=8)
        await page.check("#mode-schedule")
        await page.fill("#start_date", start.strftime("%Y-%m-%d"))
        await page.fill("#start_time", "22:00")
        await page.fill("#end_date", start.strftime("%Y-%m-%d"))
        await page.fill("#end_time", "21:00")
        await page.get_by_role("button", name="設定する").click()
        assert "開始日時より後" in await page.inner_text("#end_date-error")
        await shot(page, site, "admin-02-maintenance-error")

        # scheduled: every page shows the banner with the window (Japan time)
        await page.fill("#end_date", end.strftime("%Y-%m-%d"))
        await page.fill("#end_time", "06:00")
        await page.fill("#message", f"システム更新のため停止します。{mark}")
        await page.get_by_role("button", name="設定する").click()
        assert "予約しました" in await page.inner_text("#done-message")
        assert "予約済み" in await page.inner_text("#maintenance-now")
        window = f"{datetime_ja(start)} ～ {datetime_ja(end)}"
        assert await page.inner_text("#maintenance-current-window") == window

        async def banner() -> bool:
            await other.goto(site.url + "/")
            if not await other.locator("#maintenance-banner").count():
                return False
            return await other.inner_text("#maintenance-window") == window

        await eventually(banner)
        assert mark in await other.inner_text("#maintenance-banner")
        await shot(other, site, "admin-03-banner")

        # started now (until tomorrow morning): pages show the maintenance page, 503
        until = (now_jst + timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
        await page.check("#mode-now")
        await page.fill("#start_date", "")
        await page.fill("#start_time", "")
        await page.fill("#end_date", until.strftime("%Y-%m-%d"))
        await page.fill("#end_time", "06:00")
        await page.get_by_role("button", name="設定する").click()
        # the admin page itself keeps working during maintenance
        assert "開始しました" in await page.inner_text("#done-message")
        assert "メンテナンス中" in await page.inner_text("#maintenance-now")
        await shot(page, site, "admin-04-maintenance-active")

        async def closed() -> bool:
            resp = await other.goto(site.url + "/jobs")
            return resp is not None and resp.status == 503

        await eventually(closed)
        schedule = await other.inner_text("#maintenance-schedule")
        assert re.match(r"^\d{4}年", schedule) and datetime_ja(until) in schedule
        assert "メンテナンス中" in await other.inner_text("h1")
        await shot(other, site, "admin-05-maintenance-page")
        desk = await new_context(browser, DESKTOP)
        dpage = await desk.new_page()
        await dpage.goto(site.url + "/jobs")
        await shot(dpage, site, "admin-05-maintenance-page", "desktop")
        await desk.close()

        # an administrator can still log in to end it; anyone else meets the maintenance page
        late = await new_context(browser)
        lpage = await late.new_page()
        await login(lpage, site, admin_email, STAFF_PASSWORD)
        await lpage.goto(site.url + "/admin/maintenance")
        assert "メンテナンス中" in await lpage.inner_text("#maintenance-now")
        await late.close()
        late = await new_context(browser)
        lpage = await late.new_page()
        await lpage.goto(site.url + "/login")
        await lpage.fill("#email", staff_email)
        await lpage.fill("#password", STAFF_PASSWORD)
        await lpage.get_by_role("button", name="ログイン").click()
        assert "メンテナンス中" in await lpage.inner_text("h1")
        await late.close()

        # ended from the same page: the search works again
        await page.reload()
        await page.click("#end-maintenance")
        assert "終了しました" in await page.inner_text("#done-message")
        assert "通常運用中" in await page.inner_text("#maintenance-now")

        async def open_again() -> bool:
            resp = await other.goto(site.url + "/jobs")
            return resp is not None and resp.status == 200

        await eventually(open_again)
        assert await other.locator("#maintenance-banner").count() == 0
    finally:
        await _end(gw, admin, site)
        await visitor.close()
        await context.close()


def test_a_job_id_is_taken_as_typed_or_from_a_posting_address() -> None:
    job = "0123456789abcdef0123456789abcdef"
    assert job_id_of(job) == job
    assert job_id_of(full_width(job.upper())) == job
    assert job_id_of(f"http://127.0.0.1:8000/jobs/{job}?from=search") == job
    assert job_id_of("13010-00000001") is None
    assert job_id_of(f"/jobs/{job}0") is None


def test_a_maintenance_window_typed_in_japan_time_is_sent_in_utc() -> None:
    start = datetime.now(UTC).astimezone(JST) + timedelta(days=3)
    values = {
        "mode": "schedule",
        "start_date": start.strftime("%Y-%m-%d"),
        "start_time": "２２：００",
        "end_date": start.strftime("%Y/%m/%d"),
        "end_time": "23:30",
        "message": "",
    }
    body, errors = maintenance_window(values)
    assert not errors
    begin = datetime.fromisoformat(body["starts_at"])
    assert begin.utcoffset() == timedelta(0)
    assert begin.astimezone(JST).strftime("%Y-%m-%d %H:%M") == start.strftime("%Y-%m-%d 22:00")
    assert datetime.fromisoformat(body["ends_at"]) - begin == timedelta(minutes=90)
    assert body["message"] is None
    _, errors = maintenance_window({**values, "start_date": "2020-01-01", "end_time": "25:00"})
    assert set(errors) == {"start_date", "end_time"}
    # starting now: the start fields are not read; the start is this moment
    body, errors = maintenance_window({**values, "mode": "now", "start_date": "x"})
    assert not errors
    assert abs(datetime.fromisoformat(body["starts_at"]) - datetime.now(UTC)) < timedelta(minutes=1)
