"""労働条件の相違 and whom a direct request is for, in a real browser through a gateway: the
employer records 採用 on the application page, which asks whether the working conditions match
the posting (no answer, and "differ" with nothing said, are refused at their fields, keeping what
was typed); the seeker's application page shows what differs and the posting as applied to; the
seeker's office finds the hire in its list and opens it. The employer's direct-request page shows
the seeker's public view, and nothing once the profile is private."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from starlette.datastructures import FormData

from tests.web.conftest import WebSite
from tests.web.helpers import (
    check_a11y,
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
from web.pages_employer_applicants import _parse_status

pytestmark = pytest.mark.e2e


async def reload_until(page: Any, url: str, text: str, timeout: float = 10) -> None:
    """Open ``url`` again until its main text holds ``text`` (projections catch up)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await page.goto(url)
        if text in await page.inner_text("main"):
            return
        assert asyncio.get_running_loop().time() < deadline, f"{url}: no {text!r}"
        await asyncio.sleep(0.5)


async def world(system: Any, gw: httpx.AsyncClient, title: str) -> dict[str, Any]:
    """Staff, an employer with a My Page and a posting, and a seeker with a My Page."""
    staff_email, staff = await new_staff(system, gw)
    employer = await new_employer(gw, staff)
    employer_auth = await open_my_page(system, gw, employer)
    job = await post_job(gw, employer_auth, posting(title=title))
    seeker = await new_seeker(gw, staff)
    seeker_auth = await open_my_page(system, gw, seeker)
    return {
        "staff_email": staff_email,
        "staff": staff,
        "employer": employer,
        "job": job,
        "seeker": seeker,
        "seeker_auth": seeker_auth,
    }


async def test_a_hire_whose_conditions_differ_reaches_the_seeker_and_the_office(
    site: WebSite, browser: Any, system: Any, gw: httpx.AsyncClient
) -> None:
    t = tag()
    w = await world(system, gw, f"倉庫管理スタッフ {t}")
    body = {"job_id": w["job"]["job_id"], "route": "direct", "motivation": "物流の経験があります。"}
    resp = await until_ok(
        lambda: gw.post("/api/v1/applications", json=body, headers=w["seeker_auth"])
    )
    assert resp.status_code == 201, resp.text
    app_id = resp.json()["application_id"]

    # the employer: 採用 asks whether the conditions match the posting
    context = await new_context(browser)
    page = await context.new_page()
    await login(page, site, w["employer"]["email"])
    await page.goto(site.url + f"/employer/applications/{app_id}")
    await page.check("#status-hired")
    await page.get_by_role("button", name="選考状況を更新する").click()
    assert "求人票のとおりか" in await page.inner_text("#conditions_differ-error")
    assert "求人票との労働条件の相違" in await page.get_by_role("alert").inner_text()
    await page.check("#conditions_differ-yes")
    await page.fill("#cond_place", "横浜支店での勤務")
    await page.fill("#cond_wage", "あ" * 201)  # the page's maxlength cuts it at 200
    assert len(await page.input_value("#cond_wage")) == 200
    await page.fill("#cond_wage", "")
    await page.check("#conditions_differ-yes")
    await page.fill("#cond_place", "")
    await page.get_by_role("button", name="選考状況を更新する").click()
    assert "1つ以上入力" in await page.inner_text("#cond_wage-error")
    assert await page.is_checked("#conditions_differ-yes")  # kept
    assert await page.is_checked("#status-hired")
    await shot(page, site, "employer-14-hire-conditions-error")  # with the accessibility check
    await page.fill("#cond_wage", "月給24万円(求人票は25万円)")
    await page.fill("#cond_place", "横浜支店での勤務")
    await page.get_by_role("button", name="選考状況を更新する").click()
    await page.wait_for_url(re.compile(r"\?done=status$"))
    assert await page.inner_text("#application-status") == "採用"
    answer = await page.inner_text("#conditions-answer")
    assert "求人票と異なる労働条件があります" in answer and "横浜支店での勤務" in answer
    await context.close()

    # the seeker: what differs, and the posting as it was when they applied
    context = await new_context(browser)
    page = await context.new_page()
    await login(page, site, w["seeker"]["email"])
    await page.goto(site.url + f"/mypage/applications/{app_id}")
    answer = await page.inner_text("#conditions-answer")
    assert "賃金" in answer and "月給24万円(求人票は25万円)" in answer and "就業場所" in answer
    snapshot = await page.inner_text("#posting-snapshot")
    assert "第1版" in snapshot and f"倉庫管理スタッフ {t}" in snapshot
    assert "月給 250,000円〜350,000円" in await page.inner_text("#snapshot-wage")
    assert "求人票と異なる労働条件" in await page.inner_text("#timeline")
    await shot(page, site, "seeker-20-application-conditions")  # with the accessibility check
    await context.close()

    # the seeker's office: its list of such hires (one a page), then the hire
    context = await new_context(browser)
    page = await context.new_page()
    await login(page, site, w["staff_email"], "Shokuin#2026")
    await page.get_by_role("link", name="求人票と労働条件が異なる採用").first.click()
    await page.wait_for_url(re.compile(r"/staff/hires$"))
    item = page.locator(f"#hire-{app_id}")
    while not await item.count():
        following = page.get_by_role("link", name="次のページへ")
        assert await following.count(), await page.inner_text("main")
        await following.click()
    text = await item.inner_text()
    assert w["seeker"]["seeker_number"] in text and "横浜支店での勤務" in text
    await shot(page, site, "staff-20-hires")  # with the accessibility check
    await item.get_by_role("link", name=f"倉庫管理スタッフ {t}").click()
    await page.wait_for_url(re.compile(rf"/staff/hires/{app_id}$"))
    assert "月給24万円" in await page.inner_text("#conditions-answer")
    assert f"倉庫管理スタッフ {t}" in await page.inner_text("#posting-snapshot")
    await check_a11y(page)
    await context.close()


async def test_the_request_page_shows_the_public_view_of_its_seeker(
    site: WebSite, browser: Any, system: Any, gw: httpx.AsyncClient
) -> None:
    t = tag()
    w = await world(system, gw, f"設備保全 {t}")
    hours = f"8:30〜17:30 {t}"
    resp = await gw.patch(
        "/api/v1/me/profile",
        json={
            "desired_occupations": ["10"],
            "desired_prefectures": ["13"],
            "employment_types": ["full_time"],
            "working_hours": hours,
            "accepts_direct_requests": True,
        },
        headers=w["seeker_auth"],
    )
    assert resp.status_code == 200, resp.text
    visibility = "/api/v1/me/profile/visibility"
    resp = await gw.put(visibility, json={"visibility": "public"}, headers=w["seeker_auth"])
    assert resp.status_code == 200, resp.text

    context = await new_context(browser)
    page = await context.new_page()
    await login(page, site, w["employer"]["email"])
    url = site.url + f"/employer/seekers/{w['seeker']['seeker_id']}/request"
    await reload_until(page, url, hours)
    view = await page.inner_text("#seeker-view")
    assert "情報処理・通信技術者" in view and "東京都" in view and "正社員" in view
    assert "山田" not in await page.inner_text("main")  # never the name
    assert await page.locator("#message").count() == 1
    await shot(page, site, "employer-15-request-seeker")  # with the accessibility check

    # private now: nothing of the seeker, and no form
    resp = await gw.put(visibility, json={"visibility": "private"}, headers=w["seeker_auth"])
    assert resp.status_code == 200, resp.text
    await reload_until(page, url, "公開されていないため")
    assert hours not in await page.inner_text("main")
    assert await page.locator("#message").count() == 0
    await context.close()


def _form(**fields: str) -> FormData:
    return FormData(list(fields.items()))


@pytest.mark.parametrize(
    ("fields", "body", "error_at"),
    [
        ({"status": "hired"}, None, "conditions_differ"),
        ({"status": "offered"}, {"status": "offered"}, None),
        ({"status": "offered", "cond_wage": "月給24万円"}, None, "conditions_differ"),
        (
            {"status": "hired", "conditions_differ": "no"},
            {"status": "hired", "conditions_differ": False},
            None,
        ),
        ({"status": "hired", "conditions_differ": "no", "cond_hours": "残業あり"}, None,
         "conditions_differ"),
        ({"status": "hired", "conditions_differ": "yes"}, None, "cond_wage"),
        ({"status": "hired", "conditions_differ": "yes", "cond_other": "あ" * 201}, None,
         "cond_other"),
        (
            {"status": "hired", "conditions_differ": "yes", "cond_holidays": " 土曜 出勤 ",
             "conditions_note": "詳しくは面談で"},
            {"status": "hired", "conditions_differ": True,
             "conditions_items": [{"item": "holidays", "text": "土曜 出勤"}],
             "conditions_note": "詳しくは面談で"},
            None,
        ),
    ],
)  # fmt: skip
def test_the_hire_form_asks_about_the_conditions(
    fields: dict[str, str], body: dict[str, Any] | None, error_at: str | None
) -> None:
    sent, values, errors = _parse_status(_form(**fields), ("offered", "hired", "rejected"))
    if error_at:
        assert list(errors) == [error_at], errors
        assert any("\u3040" <= c <= "\u30ff" for c in errors[error_at][0])  # Japanese
        assert values["conditions_differ"] == fields.get("conditions_differ", "")
    else:
        assert errors == {} and sent == body
