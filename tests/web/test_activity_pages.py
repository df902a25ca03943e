"""求職活動実績, 相談記録, 更新・取消 and "nothing hidden without a word", in a real browser through
a gateway: a seeker applies directly and the employer sets an interview (through the API); the
seeker's office records a consultation on the seeker's page (a missing note refused at its field,
keeping the kind chosen), renews the registration, and cancels it only after the confirmation
box; the seeker's profile page says the public profile is not listed and which fields are
missing; the activity record refuses a period that ends before it starts (keeping what was
typed) and lists the application, the consultation and the interview in date order, with the
employer's name, ready for A4."""

from __future__ import annotations

import asyncio
import random
import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.web.conftest import WebSite
from tests.web.helpers import (
    STAFF_PASSWORD,
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
from web.reference import JST

pytestmark = pytest.mark.e2e


async def reload_until(page: Any, url: str, selector: str, text: str, timeout: float = 10) -> None:
    """Open ``url`` again until ``selector`` holds ``text`` (events reach identity)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await page.goto(url)
        found = page.locator(selector)
        if await found.count() and text in await found.inner_text():
            return
        assert asyncio.get_running_loop().time() < deadline, await page.inner_text("main")
        await asyncio.sleep(0.5)


async def test_consultation_renewal_cancel_listing_and_the_activity_record(
    site: WebSite, browser: Any, system: Any, gw: httpx.AsyncClient
) -> None:
    t = tag()
    office = f"47{random.randint(100, 999)}"
    staff_email, staff = await new_staff(system, gw, office=office)
    employer = await new_employer(gw, staff, name=f"株式会社みらい物産 {t}")
    employer_auth = await open_my_page(system, gw, employer)
    job = await post_job(gw, employer_auth, posting(title=f"ルート配送 {t}"))
    seeker = await new_seeker(gw, staff)
    seeker_auth = await open_my_page(system, gw, seeker)
    sid = seeker["seeker_id"]
    body = {"job_id": job["job_id"], "route": "direct", "motivation": "運転が得意です。"}
    resp = await until_ok(lambda: gw.post("/api/v1/applications", json=body, headers=seeker_auth))
    assert resp.status_code == 201, resp.text
    app_id = resp.json()["application_id"]
    today = datetime.now(JST).date()
    at = datetime.combine(today + timedelta(days=2), datetime.min.time(), JST) + timedelta(hours=10)
    resp = await gw.post(
        f"/api/v1/applications/{app_id}/status",
        json={"status": "interview", "interview_at": at.isoformat(), "interview_place": "本社"},
        headers=employer_auth,
    )
    assert resp.status_code == 200, resp.text

    # the office: a consultation (refused without a note, the kind kept), then recorded
    context = await new_context(browser)
    page = await context.new_page()
    await login(page, site, staff_email, STAFF_PASSWORD)
    url = site.url + f"/staff/seekers/{sid}"
    await page.goto(url)
    await page.select_option("#kind", "interview_practice")
    await page.get_by_role("button", name="相談記録を登録する").click()
    assert "相談の内容を入力してください" in await page.inner_text("#consult_note-error")
    assert await page.input_value("#kind") == "interview_practice"
    await page.fill("#consult_note", "面接の受け答えを練習した。")
    await page.get_by_role("button", name="相談記録を登録する").click()
    await page.wait_for_url(re.compile(r"\?done=consulted$"))
    consultations = await page.inner_text("#consultations")
    assert "面接指導" in consultations and "面接の受け答えを練習した。" in consultations
    assert "表示されていません" in await page.inner_text("#seeker-listing")
    await page.get_by_role("button", name="求職登録を更新する").click()
    # registered this month: already valid to the end of the month after next, so nothing
    # changes, and the page says so rather than "renewed"
    await page.wait_for_url(re.compile(r"\?done=renew_unchanged$"))
    assert "有効期限は変わりませんでした" in await page.content()
    await shot(page, site, "staff-14-seeker-consultation-renew")
    await context.close()

    # the seeker: the profile says it is not listed, and what is missing
    context = await new_context(browser)
    page = await context.new_page()
    await login(page, site, seeker["email"])
    await page.goto(site.url + "/mypage/profile")
    listing = await page.inner_text("#listing")
    assert "表示されていません" in listing and "非公開" in listing
    missing = await page.inner_text("#listing-missing")
    assert "希望職種" in missing and "希望勤務地" in missing and "希望する雇用形態" in missing

    # the activity record: a period ending before it starts is refused, what was typed kept
    await page.goto(site.url + "/mypage")
    await page.get_by_role("link", name="求職活動実績").click()
    await page.wait_for_url(re.compile(r"/mypage/activity-record$"))
    first, last = today - timedelta(days=7), today + timedelta(days=7)
    await page.fill("#from", last.isoformat())
    await page.fill("#to", first.isoformat())
    await page.get_by_role("button", name="表示する").click()
    assert "開始日（from）以降" in await page.inner_text("#error-summary")
    assert await page.input_value("#from") == last.isoformat()
    await page.fill("#from", first.isoformat())
    await page.fill("#to", last.isoformat())
    await page.get_by_role("button", name="表示する").click()
    record_url = page.url
    await reload_until(page, record_url, "#activities", "面接")
    rows = page.locator("#activities tbody tr")
    kinds = [await rows.nth(i).get_attribute("data-kind") for i in range(await rows.count())]
    assert kinds == ["consultation", "application", "interview"]
    application = await rows.nth(1).inner_text()
    assert f"株式会社みらい物産 {t}" in application and job["job_number"] in application
    assert "直接応募" in application and "面接予定" in application
    assert "面接指導" in await rows.nth(0).inner_text()
    await shot(page, site, "seeker-21-activity-record")
    await context.close()

    # the office cancels: only with the confirmation box
    context = await new_context(browser)
    page = await context.new_page()
    await login(page, site, staff_email, STAFF_PASSWORD)
    await page.goto(url)
    await page.fill("#reason", "就職のため")
    await page.get_by_role("button", name="求職登録を取り消す").click()
    assert "確認のチェック" in await page.inner_text("#confirm-error")
    assert await page.input_value("#reason") == "就職のため"
    await page.check("#confirm")
    await page.get_by_role("button", name="求職登録を取り消す").click()
    await page.wait_for_url(re.compile(r"\?done=cancelled$"))
    assert await page.inner_text("#seeker-status") == "取消済み"
    assert not await page.locator("#cancel-form").count()
    await context.close()
