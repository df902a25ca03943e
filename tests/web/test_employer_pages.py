"""The employer's web My Page (求人者マイページ) in a real browser, through a gateway: login lands
on /employer; a posting made through the form (errors found by the page and by the API shown at
their fields), changed, listed and closed after a confirmation; a seeker's direct application
seen in the applicants list and moved to screening and to an interview set in Japan time, which
the seeker then reads through the API; a public profile found in the seeker search and sent a
direct request through the form (quota shown, a second request refused in Japanese), which the
seeker receives. Screenshots at 360×740 and 1280×800 ("employer-" prefix)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.web.conftest import DESKTOP, WebSite
from tests.web.helpers import (
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

pytestmark = pytest.mark.e2e


async def employer_with_posting(
    system: Any, gw: httpx.AsyncClient, **changes: Any
) -> dict[str, Any]:
    """Staff, an employer with an employer My Page, and one posting of it made through the API
    (which also waits until the jobs service knows of the My Page)."""
    _, staff = await new_staff(system, gw)
    employer = await new_employer(gw, staff)
    headers = await open_my_page(system, gw, employer)
    job = await post_job(gw, headers, posting(**changes))
    return {"staff": staff, "employer": employer, "headers": headers, "job": job}


async def reload_until(page: Any, url: str, text: str, timeout: float = 10) -> None:
    """Open ``url`` again until its main text holds ``text`` (projections catch up)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await page.goto(url)
        if text in await page.inner_text("main"):
            return
        assert asyncio.get_running_loop().time() < deadline, f"{url}: no {text!r}"
        await asyncio.sleep(0.5)


async def test_the_form_follows_the_sheet_keeps_what_was_typed_and_saves_a_draft(
    site: WebSite, browser: Any, system: Any, gw: httpx.AsyncClient
) -> None:
    """The 求人票's groups in the form: a wage below Tokyo's minimum wage and fixed overtime
    pay without its hours are refused at their fields with everything typed kept; a draft is
    saved (not public), continued and published; the posting page shows the groups."""
    t = tag()
    world = await employer_with_posting(system, gw, title=f"準備用の求人 {t}")
    context = await new_context(browser)
    page = await context.new_page()
    await login(page, site, world["employer"]["email"])
    await page.goto(site.url + "/employer/jobs/new")
    title = f"倉庫内作業スタッフ {t}"
    await page.fill("#title", title)
    await page.fill("#description", "入出荷の検品と梱包。")
    await page.select_option("#occupation_code", "10")
    await page.select_option("#employment_type", "part_time")
    await page.select_option("#prefecture", "13")
    await page.fill("#municipality", "江東区")
    await page.select_option("#wage_unit", "hourly")
    await page.fill("#wage_min", "1100")
    await page.fill("#fixed_overtime_pay_amount", "10000")
    await page.fill("#working_shifts_0_start", "9:00")
    await page.fill("#working_shifts_0_end", "17:00")
    await page.fill("#working_shifts_0_break_minutes", "60")
    await page.fill("#annual_holidays", "120")
    await page.fill("#trial_period_months", "3")
    await page.select_option("#transfer_possible", "no")
    await page.fill("#selection_methods_documents_to_send", "履歴書")
    await page.fill("#age_max", "35")  # an age limit without its legal reason
    await page.check("#days_off_sun")
    await page.fill("#licenses_required", "フォークリフト運転技能者")
    await page.select_option("#other_places_0_prefecture", "11")
    await page.fill("#other_places_0_municipality", "川口市")
    await page.get_by_role("button", name="登録する").click()
    assert "例外事由" in await page.inner_text("#age_limit_reason-error")
    assert await page.input_value("#other_places_0_municipality") == "川口市"  # kept
    await page.select_option("#age_limit_reason", "3a")
    await page.fill("#age_min", "60")
    await page.fill("#age_max", "")
    await page.get_by_role("button", name="登録する").click()
    assert "時間数" in await page.inner_text("#fixed_overtime_pay_hours-error")
    assert await page.input_value("#fixed_overtime_pay_amount") == "10000"  # kept
    assert await page.is_checked("#days_off_sun")
    await page.fill("#fixed_overtime_pay_hours", "10")
    await page.check("#overtime")  # fixed overtime pay needs overtime
    await page.get_by_role("button", name="登録する").click()
    assert "最低賃金" in await page.inner_text("#wage_min-error")
    assert await page.input_value("#working_shifts_0_end") == "17:00"  # kept
    assert await page.input_value("#trial_period_months") == "3"
    await shot(page, site, "employer-05-job-form-sheet-error")

    # saved as a draft (a draft may be unfinished), continued, then published
    await page.get_by_role("button", name="下書き保存").click()
    await page.wait_for_url(re.compile(r"/employer/jobs/[0-9a-f]{32}\?done=drafted$"))
    job_id = re.findall(r"/employer/jobs/([0-9a-f]{32})", page.url)[0]
    assert await page.inner_text("#job-status") == "下書き"
    assert (await gw.get(f"/api/v1/jobs/{job_id}")).status_code == 404  # not public
    await page.get_by_role("link", name="続きを入力して公開する").click()
    assert await page.input_value("#fixed_overtime_pay_hours") == "10"
    await page.fill("#wage_min", "1300")
    await page.get_by_role("button", name="公開する").click()
    await page.wait_for_url(re.compile(r"\?done=published$"))
    assert await page.inner_text("#job-status") == "募集中"
    public = await gw.get(f"/api/v1/jobs/{job_id}")
    assert public.status_code == 200 and public.json()["fixed_overtime_pay"]["hours"] == 10
    got = public.json()
    assert got["age_min"] == 60 and got["age_limit_reason"] == "3a" and got["days_off"] == ["sun"]
    assert got["other_places"][0]["municipality"] == "川口市"
    assert got["licenses_required"] == ["フォークリフト運転技能者"]

    # the posting page: the groups of a 求人票
    await page.goto(site.url + f"/jobs/{job_id}")
    assert "月額 10,000円（時間外労働 10時間分）" in await page.inner_text("#sheet-fixed-overtime")
    assert "09:00〜17:00" in await page.inner_text("#sheet-shifts")
    assert await page.inner_text("#sheet-transfer") == "なし"
    assert "あり（3か月）" in await page.inner_text("#sheet-trial")
    await shot(page, site, "employer-06-posting-sheet")

    # a draft deleted after a confirmation
    await page.goto(site.url + "/employer/jobs/new")
    await page.fill("#title", f"削除する下書き {t}")
    await page.fill("#description", "書きかけ。")
    await page.select_option("#occupation_code", "10")
    await page.select_option("#prefecture", "13")
    await page.fill("#municipality", "江東区")
    await page.fill("#wage_min", "250000")
    await page.get_by_role("button", name="下書き保存").click()
    await page.wait_for_url(re.compile(r"\?done=drafted$"))
    draft_id = re.findall(r"/employer/jobs/([0-9a-f]{32})", page.url)[0]
    await page.get_by_role("button", name="下書きを削除").click()
    await page.get_by_role("button", name="削除する").click()
    await page.wait_for_url(re.compile(r"/employer/jobs\?done=deleted$"))
    assert "削除しました" in await page.inner_text("main")
    resp = await page.goto(site.url + f"/employer/jobs/{draft_id}")
    assert resp is not None and resp.status == 404
    await context.close()


async def test_an_employer_creates_changes_lists_and_closes_a_posting(
    site: WebSite, browser: Any, system: Any, gw: httpx.AsyncClient
) -> None:
    t = tag()
    world = await employer_with_posting(system, gw, title=f"準備用の求人 {t}")
    employer = world["employer"]
    context = await new_context(browser)
    page = await context.new_page()

    # login lands on the employer's home: establishment, unread counts, menu
    await login(page, site, employer["email"])
    assert page.url.endswith("/employer")
    assert await page.inner_text("#establishment-number") == employer["establishment_number"]
    assert employer["name"] in await page.inner_text("main")
    assert await page.get_by_role("link", name="メッセージ・お知らせ").first.is_visible()
    await shot(page, site, "employer-01-home")

    # the form: a missing title is found by the page …
    await page.get_by_role("link", name="求人を登録する").first.click()
    await page.wait_for_url(re.compile(r"/employer/jobs/new$"))
    await page.fill("#description", "受発注システムの開発。\nリモート勤務相談可。")
    await page.select_option("#occupation_code", "10")
    await page.select_option("#employment_type", "full_time")
    await page.select_option("#prefecture", "13")
    await page.fill("#municipality", "新宿区")
    await page.select_option("#wage_unit", "monthly")
    await page.fill("#wage_min", full_width("300000"))  # full-width digits are fine
    await page.fill("#wage_max", "200000")
    await page.check("#accepts_direct_application")
    await page.get_by_role("button", name="登録する").click()
    assert "を入力してください" in await page.inner_text("#title-error")
    assert await page.get_attribute("#title", "aria-invalid") == "true"
    assert "title-error" in (await page.get_attribute("#title", "aria-describedby") or "")
    assert "職種（求人のタイトル）" in await page.get_by_role("alert").inner_text()
    assert await page.input_value("#municipality") == "新宿区"  # kept

    # … wage_max < wage_min by the API, shown at the upper wage
    title = f"受発注システム開発 {t}"
    await page.fill("#title", title)
    await page.get_by_role("button", name="登録する").click()
    assert "賃金の上限は下限以上" in await page.inner_text("#wage_max-error")
    assert await page.get_attribute("#wage_max", "aria-invalid") == "true"
    assert await page.get_attribute("#title", "aria-invalid") is None
    await shot(page, site, "employer-03-job-form-error")
    await page.fill("#wage_max", "380000")
    await page.get_by_role("button", name="登録する").click()
    await page.wait_for_url(re.compile(r"/employer/jobs/[0-9a-f]{32}\?done=created$"))
    job_id = re.findall(r"/employer/jobs/([0-9a-f]{32})", page.url)[0]
    assert "求人を登録しました" in await page.inner_text("#done-notice")
    assert await page.inner_text("h1") == title
    assert await page.inner_text("#job-wage") == "月給 300,000円〜380,000円"
    await shot(page, site, "employer-04-job")

    # change it: a new revision
    await page.get_by_role("link", name="求人の内容を変更する").click()
    assert await page.input_value("#title") == title
    assert await page.is_checked("#accepts_direct_application")
    changed = f"受発注システム開発（リーダー候補） {t}"
    await page.fill("#title", changed)
    await page.fill("#wage_max", "420000")
    await page.fill("#working_shifts_0_start", "9:00")
    await page.fill("#working_shifts_0_end", "１８：００")
    await page.fill("#working_shifts_0_break_minutes", "60")
    await page.get_by_role("button", name="変更する").click()
    await page.wait_for_url(re.compile(r"\?done=changed$"))
    assert await page.inner_text("h1") == changed
    assert "第2版" in await page.inner_text("main")
    assert await page.inner_text("#job-wage") == "月給 300,000円〜420,000円"
    resp = await gw.get(f"/api/v1/jobs/{job_id}")
    assert resp.json()["title"] == changed and resp.json()["revision"] == 2

    # the list: newest first, one a page (PAGE_SIZE=1), then the next page
    await page.goto(site.url + "/employer/jobs")
    first = await page.inner_text("#job-list")
    assert changed in first and "募集中" in first
    await shot(page, site, "employer-05-jobs")
    await page.get_by_role("link", name="次のページへ").click()
    assert f"準備用の求人 {t}" in await page.inner_text("#job-list")

    # close it after a confirmation page
    await page.goto(site.url + f"/employer/jobs/{job_id}")
    await page.get_by_role("link", name="募集を終了する").click()
    await page.wait_for_url(re.compile(r"/close$"))
    assert "募集を終了します" in await page.inner_text("main")
    await shot(page, site, "employer-06-close-confirm")
    await page.fill("#reason", "採用予定人数に達したため")
    await page.get_by_role("button", name="募集を終了する").click()
    await page.wait_for_url(re.compile(r"\?done=closed$"))
    assert await page.inner_text("#job-status") == "募集終了"
    assert not await page.get_by_role("link", name="求人の内容を変更する").count()
    resp = await gw.get(f"/api/v1/jobs/{job_id}")
    assert resp.json()["status"] == "closed"

    # another id, or no id at all: not found
    resp_page = await page.goto(site.url + f"/employer/jobs/{'0' * 32}")
    assert resp_page is not None and resp_page.status == 404
    resp_page = await page.goto(site.url + "/employer/jobs/..%2Fmine")
    assert resp_page is not None and resp_page.status == 404

    # the posting form on a desktop
    desk = await new_context(browser, DESKTOP)
    dpage = await desk.new_page()
    await login(dpage, site, employer["email"])
    await dpage.goto(site.url + "/employer/jobs/new")
    await shot(dpage, site, "employer-02-job-form", "desktop")
    await desk.close()
    await page.goto(site.url + "/employer/jobs/new")
    await shot(page, site, "employer-02-job-form")
    await context.close()


async def test_an_employer_moves_a_direct_application_to_an_interview(
    site: WebSite, browser: Any, system: Any, gw: httpx.AsyncClient
) -> None:
    t = tag()
    world = await employer_with_posting(system, gw, title=f"経理事務 {t}")
    job_id = world["job"]["job_id"]
    seeker = await new_seeker(gw, world["staff"])
    seeker_auth = await open_my_page(system, gw, seeker)
    body = {"job_id": job_id, "route": "direct", "motivation": "経理の経験を活かしたいです。"}
    resp = await until_ok(lambda: gw.post("/api/v1/applications", json=body, headers=seeker_auth))
    assert resp.status_code == 201, resp.text
    app_id = resp.json()["application_id"]

    context = await new_context(browser)
    page = await context.new_page()
    await login(page, site, world["employer"]["email"])
    await reload_until(page, site.url + f"/employer/jobs/{job_id}/applicants", "直接応募")
    listed = await page.inner_text("#applicant-list")
    assert seeker["seeker_number"] in listed and "応募受付" in listed
    assert "山田" not in await page.inner_text("main")  # never the name
    await shot(page, site, "employer-07-applicants")

    # the applicants list on a desktop, filtered by status
    desk = await new_context(browser, DESKTOP)
    dpage = await desk.new_page()
    await login(dpage, site, world["employer"]["email"])
    await dpage.goto(site.url + "/employer/applicants?status=applied")
    assert seeker["seeker_number"] in await dpage.inner_text("#applicant-list")
    await shot(dpage, site, "employer-07-applicants", "desktop")
    await dpage.goto(site.url + "/employer/applicants?status=hired")
    assert "この選考状況の応募者はいません" in await dpage.inner_text("main")
    await desk.close()

    # the application: only the moves the state machine allows
    await page.get_by_role("link", name=re.compile(seeker["seeker_number"])).click()
    await page.wait_for_url(re.compile(rf"/employer/applications/{app_id}$"))
    assert await page.inner_text("#seeker-number") == seeker["seeker_number"]
    assert "経理の経験を活かしたいです" in await page.inner_text("main")
    assert await page.locator("input[name=status]").count() == 5
    await shot(page, site, "employer-08-application")
    await page.check("#status-screening")
    await page.get_by_role("button", name="選考状況を更新する").click()
    await page.wait_for_url(re.compile(r"\?done=status$"))
    assert await page.inner_text("#application-status") == "書類選考中"
    assert not await page.locator("#status-screening").count()

    # an interview needs its date, time and place (Japan time)
    await page.check("#status-interview")
    await page.get_by_role("button", name="選考状況を更新する").click()
    assert "面接日" in await page.inner_text("#interview_date-error")
    assert "面接場所" in await page.inner_text("#interview_place-error")
    assert await page.get_attribute("#interview_date", "aria-invalid") == "true"
    await shot(page, site, "employer-09-interview-error")
    day = date.today() + timedelta(days=30)
    await page.check("#status-interview")
    await page.fill("#interview_date", day.isoformat())
    await page.fill("#interview_time", "14:00")
    await page.fill("#interview_place", "本社 3階 会議室")
    await page.fill("#note", "当日は筆記用具をお持ちください。")
    await page.get_by_role("button", name="選考状況を更新する").click()
    await page.wait_for_url(re.compile(r"\?done=status$"))
    assert await page.inner_text("#application-status") == "面接"
    shown = await page.inner_text("#interview")
    assert f"{day.year}年{day.month}月{day.day}日 14:00" in shown and "本社 3階 会議室" in shown
    assert "当日は筆記用具をお持ちください" in await page.inner_text("#timeline")

    # the seeker sees the interview: 14:00 in Japan is 05:00 UTC
    mine = await gw.get("/api/v1/me/applications", headers=seeker_auth)
    assert mine.status_code == 200, mine.text
    entry = next(i for i in mine.json()["items"] if i["application_id"] == app_id)
    assert entry["status"] == "interview"
    at = datetime.fromisoformat(entry["interview"]["at"].replace("Z", "+00:00"))
    assert at == datetime(day.year, day.month, day.day, 5, 0, tzinfo=UTC)
    assert entry["interview"]["place"] == "本社 3階 会議室"

    # a referral (ハローワーク紹介) to another posting: once staff issued the letter, the
    # employer sees it and its printable 紹介状
    second = await post_job(gw, world["headers"], posting(title=f"経理補助 {t}"))
    body = {"job_id": second["job_id"], "route": "referral", "motivation": "紹介を希望します。"}
    resp = await until_ok(lambda: gw.post("/api/v1/applications", json=body, headers=seeker_auth))
    assert resp.status_code == 201, resp.text
    referral_id = resp.json()["application_id"]
    resp = await gw.post(
        f"/api/v1/staff/applications/{referral_id}/referral", headers=world["staff"]
    )
    assert resp.status_code == 200, resp.text
    number = resp.json()["referral"]["referral_number"]
    await page.goto(site.url + f"/employer/jobs/{second['job_id']}/applicants")
    assert "ハローワーク紹介" in await page.inner_text("#applicant-list")
    await page.goto(site.url + f"/employer/applications/{referral_id}")
    await page.get_by_role("link", name="紹介状を表示・印刷する").click()
    assert await page.inner_text("#referral-number") == number
    assert f"経理補助 {t}" in await page.inner_text("main")
    await shot(page, site, "employer-14-letter")

    # a seeker is refused on the employer pages
    other = await new_context(browser)
    spage = await other.new_page()
    await login(spage, site, seeker["email"])
    resp_page = await spage.goto(site.url + "/employer")
    assert resp_page is not None and resp_page.status == 403
    assert "このページは表示できません" in await spage.inner_text("main")
    await other.close()
    await context.close()


async def test_an_employer_finds_a_public_profile_and_sends_a_direct_request(
    site: WebSite, browser: Any, system: Any, gw: httpx.AsyncClient
) -> None:
    t = tag()
    world = await employer_with_posting(system, gw, title=f"インフラエンジニア {t}")
    job_id = world["job"]["job_id"]
    seeker = await new_seeker(gw, world["staff"])
    seeker_auth = await open_my_page(system, gw, seeker)
    hours = f"9:00〜18:00 {t}"
    resp = await gw.patch(
        "/api/v1/me/profile",
        json={
            "desired_occupations": ["10"],
            "desired_prefectures": ["13"],
            "employment_types": ["full_time"],
            "working_hours": hours,
            "accepts_direct_requests": True,
        },
        headers=seeker_auth,
    )
    assert resp.status_code == 200, resp.text
    resp = await gw.put(
        "/api/v1/me/profile/visibility", json={"visibility": "public"}, headers=seeker_auth
    )
    assert resp.status_code == 200, resp.text

    context = await new_context(browser)
    page = await context.new_page()
    await login(page, site, world["employer"]["email"])
    await page.get_by_role("link", name="求職者を探す").first.click()
    await page.select_option("#occupation", "10")
    await page.select_option("#prefecture", "13")
    await page.select_option("#employment_type", "full_time")
    await page.get_by_role("button", name="検索する").click()
    search_url = page.url
    assert "occupation=10" in search_url

    # one card a page (PAGE_SIZE=1): walk the pages until this test's seeker shows up
    item = None
    deadline = asyncio.get_running_loop().time() + 10  # the profile's projection
    while item is None:
        await page.goto(search_url)
        while True:
            cards = page.locator("li.seeker", has_text=hours)
            if await cards.count():
                item = cards.first
                break
            following = page.get_by_role("link", name="次のページへ")
            if not await following.count():
                break
            await following.click()
        if item is None:
            assert asyncio.get_running_loop().time() < deadline, await page.inner_text("main")
            await asyncio.sleep(0.5)
    text = await item.inner_text()
    assert "情報処理・通信技術者" in text
    assert "東京都" in text and "正社員" in text
    assert "山田" not in await page.inner_text("main")
    await shot(page, site, "employer-10-seekers")

    # the request form: own open postings with their quota
    await item.get_by_role("link", name=re.compile("リクエストを送る")).click()
    await page.wait_for_url(re.compile(r"/employer/seekers/[0-9a-f]{32}/request$"))
    request_url = page.url
    await reload_until(page, request_url, "10件 / 10件")
    assert "10人まで" in await page.inner_text("main")
    await shot(page, site, "employer-11-request")
    await page.select_option("#job_id", job_id)
    await page.get_by_role("button", name="リクエストを送る").click()
    assert "メッセージを入力してください" in await page.inner_text("#message-error")
    assert await page.get_attribute("#message", "aria-invalid") == "true"
    await page.select_option("#job_id", job_id)
    await page.fill("#message", "インフラ構築のご経験を活かせる求人です。ぜひご検討ください。")
    await page.get_by_role("button", name="リクエストを送る").click()
    await page.wait_for_url(re.compile(r"/employer/requests\?job_id=[0-9a-f]{32}&done=sent$"))
    assert "リクエストを送信しました" in await page.inner_text("#done-notice")
    assert "残り 9件" in await page.inner_text("#quota")
    assert "回答待ち" in await page.inner_text("#request-list")
    await shot(page, site, "employer-12-requests")

    # the same seeker again for the same posting: refused, in Japanese, at the posting
    await page.goto(request_url)
    assert "9件 / 10件" in await page.inner_text("#quota")
    await page.select_option("#job_id", job_id)
    await page.fill("#message", "再度のご案内です。")
    await page.get_by_role("button", name="リクエストを送る").click()
    assert "既にリクエストを送っています" in await page.inner_text("#job_id-error")
    assert "既にリクエストを送っています" in await page.get_by_role("alert").inner_text()
    await shot(page, site, "employer-13-request-refused")

    # the seeker receives it
    resp = await until_ok(lambda: gw.get("/api/v1/me/requests", headers=seeker_auth))
    assert resp.status_code == 200, resp.text
    received = [r for r in resp.json()["items"] if r["job_id"] == job_id]
    assert len(received) == 1
    assert received[0]["message"].startswith("インフラ構築のご経験")
    assert received[0]["status"] == "pending"
    await context.close()
