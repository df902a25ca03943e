"""The seeker's My Page beyond the opening, in a real browser through a gateway: the profile
(edit with full-width input, 公開 with the preview of what employers see), a full-width keyword
search with filters saved, run and deleted, a favourite added and removed, a direct application
seen in the history (and a second one refused as already made), a referral application whose
letter staff issue and the seeker opens as a printable 紹介状, withdrawing, a recommendation from
the office with its note, an employer's direct request declined, the data export, and cancelling
the registration (another seeker). Screenshots "seeker-…" at 360 px and 1280 px, each checked by
axe-core."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
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


def named(action: str, what: str) -> re.Pattern[str]:
    """A button's or link's name: its text and, for screen readers, what it acts on."""
    return re.compile(re.escape(action) + r"\s*（" + re.escape(what) + "）")


async def wait_for(check: Any, what: str, timeout: float = 10) -> Any:
    """Poll ``check()`` (async, truthy when done): the services' projections take seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {what}"
        await asyncio.sleep(0.5)


@pytest.fixture
async def world(system, gw) -> dict[str, Any]:
    """Staff; an employer with a My Page and three postings sharing a keyword of this test's own
    (A: full time, direct applications; B: contract, referral only; C: part time, direct); a
    seeker registered at the counter with an opened My Page."""
    _, staff = await new_staff(system, gw)
    employer = await new_employer(gw, staff)
    employer_auth = await open_my_page(system, gw, employer)
    t = tag()
    bodies = {
        "a": posting(title=f"Webエンジニア {t}"),
        "b": posting(
            title=f"経理事務 {t}",
            occupation_code="26",
            employment_type="contract",
            wage_min=220000,  # at least Tokyo's minimum wage
            wage_max=260000,
            accepts_direct_application=False,
        ),
        "c": posting(title=f"営業アシスタント {t}", employment_type="part_time",
                     wage_min=1300, wage_max=1500, wage_unit="hourly"),
    }  # fmt: skip
    jobs = {key: await post_job(gw, employer_auth, body) for key, body in bodies.items()}

    async def searchable() -> bool:
        resp = await gw.get("/api/v1/jobs", params={"q": t})
        return resp.status_code == 200 and resp.json().get("total") == 3

    await wait_for(searchable, "the postings in the search")
    seeker = await new_seeker(gw, staff)
    seeker_auth = await open_my_page(system, gw, seeker)
    return {
        "tag": t,
        "staff": staff,
        "employer_auth": employer_auth,
        "jobs": jobs,
        "titles": {key: body["title"] for key, body in bodies.items()},
        "seeker": seeker,
        "seeker_auth": seeker_auth,
    }


async def apply_with_retry(page: Any, route: str, motivation: str) -> None:
    """Submit the apply form; while the applications service has not yet heard of the seeker or
    the posting (events in flight), it answers so and the form is shown again: submit again."""
    await page.check(f"#route-{route}")
    await page.fill("#motivation", motivation)
    for _ in range(60):
        await page.get_by_role("button", name="応募する").click()
        await page.wait_for_load_state()
        if "/mypage/applications/" in page.url:
            return
        alert = await page.get_by_role("alert").inner_text()
        assert "反映されていません" in alert or "見つかりません" in alert, alert
        await asyncio.sleep(0.5)
    raise AssertionError("the application was not accepted")


async def test_a_seeker_uses_every_page_of_the_my_page(
    site: WebSite, browser: Any, gw: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    seeker, jobs, titles, t = world["seeker"], world["jobs"], world["titles"], world["tag"]
    context = await new_context(browser)
    page = await context.new_page()
    await login(page, site, seeker["email"])

    # home: who, the unread counts and a menu of every page
    assert "山田 花子 様" in await page.inner_text("main")
    counts = await page.inner_text("#unread-counts")
    assert "未読メッセージ" in counts and "未読のお知らせ" in counts and "未読の通知" in counts
    for name in ["お気に入り求人", "保存した検索条件", "おすすめ求人", "リクエスト", "応募履歴・紹介状",
                 "求職情報", "登録情報のダウンロード", "求職登録の取消"]:  # fmt: skip
        assert await page.get_by_role("link", name=name, exact=True).count() == 1, name
    await shot(page, site, "seeker-01-home")

    # profile: change it with full-width digits, accept requests, then make it public
    await page.get_by_role("link", name="求職情報", exact=True).click()
    assert await page.inner_text("#visibility-state") == "非公開"
    await page.get_by_role("link", name="求職情報を変更する").click()
    await page.select_option("#desired_occupations-1", "10")
    await page.select_option("#desired_prefectures-1", "13")
    await page.check("#pet-full_time")
    await page.select_option("#desired_wage_unit", "monthly")
    await page.fill("#desired_wage_min", "２５００００")
    await page.fill("#self_pr", "業務システムの開発を5年担当しました。")
    await page.check("#accepts_direct_requests")
    await shot(page, site, "seeker-02-profile-edit")
    await page.get_by_role("button", name="保存する").click()
    await page.wait_for_url(re.compile(r"/mypage/profile\?done=profile_saved"))
    main = await page.inner_text("main")
    assert "求職情報を保存しました" in main and "月給 250,000円以上" in main
    await page.get_by_role("button", name="公開にする").click()
    await page.wait_for_url(re.compile(r"done=public"))
    assert await page.inner_text("#visibility-state") == "公開"
    preview = await page.inner_text("#preview")
    assert "業務システムの開発を5年担当しました。" in preview and "東京都" in preview
    assert "山田" not in preview and seeker["email"] not in preview
    assert "受け付ける" in preview
    await shot(page, site, "seeker-03-profile-public")

    # search: full-width keyword, Tokyo, full time, direct applications only → posting A
    await page.goto(site.url + "/jobs")
    await page.fill("#q", full_width(t))
    await page.select_option("#prefecture", "13")
    await page.select_option("#occupation", "B")  # 専門的・技術的職業 covers 10
    await page.check("#et-full_time")
    await page.click("#more-conditions > summary")  # the other conditions fold away on phones
    await page.fill("#wage_min", "２００，０００")
    await page.check("#accepts_direct_application")
    await page.select_option("#sort", "wage")
    await page.get_by_role("button", name="検索する").click()
    assert await page.inner_text("#result-count") == "1件"
    assert await page.inner_text("ol.jobs h3") == titles["a"]
    await shot(page, site, "seeker-04-search")
    # save these conditions, run them from the list, delete them
    await page.fill("#name", "新宿のWeb正社員")
    await page.get_by_role("button", name="この条件を保存").click()
    await page.wait_for_url(re.compile(r"/mypage/saved-searches\?done=search_saved"))
    listed = await page.inner_text("#saved-searches")
    assert "新宿のWeb正社員" in listed and "月給 200,000円以上" in listed and "東京都" in listed
    await shot(page, site, "seeker-05-saved-searches")
    await page.get_by_role("link", name=named("この条件で検索", "新宿のWeb正社員")).click()
    assert await page.inner_text("#result-count") == "1件"
    assert await page.input_value("#q") == t
    assert await page.is_checked("#accepts_direct_application")
    await page.goto(site.url + "/mypage/saved-searches")
    await page.get_by_role("button", name=named("削除する", "新宿のWeb正社員")).click()
    assert "検索条件を削除しました" in await page.inner_text("main")
    assert "保存した検索条件はありません" in await page.inner_text("#empty")

    # a favourite: add it on the posting, see it listed, remove it from the list
    job_a = jobs["a"]["job_id"]
    await page.goto(f"{site.url}/jobs/{job_a}")
    assert "オンライン自主応募" in await page.inner_text("#routes")
    await page.get_by_role("button", name="お気に入りに追加").click()
    assert "お気に入りに追加しました" in await page.inner_text("main")
    assert await page.inner_text("#favorite-button") == "お気に入りから外す"
    await shot(page, site, "seeker-06-posting")
    await page.goto(site.url + "/mypage/favorites")
    assert titles["a"] in await page.inner_text("#favorites")
    await shot(page, site, "seeker-07-favorites")
    await page.get_by_role("button", name=named("お気に入りから外す", titles["a"])).click()
    assert "お気に入りから外しました" in await page.inner_text("main")
    assert "お気に入りに追加した求人はありません" in await page.inner_text("#empty")

    # apply directly to A: the motivation is required; then it is in the history
    await page.goto(f"{site.url}/jobs/{job_a}")
    await page.get_by_role("link", name="応募する").click()
    await page.check("#route-direct")
    await page.get_by_role("button", name="応募する").click()
    assert "志望動機を入力してください" in await page.inner_text("#motivation-error")
    assert await page.get_attribute("#motivation", "aria-invalid") == "true"
    await shot(page, site, "seeker-08-apply-error")
    await apply_with_retry(page, "direct", "御社のサービス開発に携わりたいと考え応募しました。")
    assert "応募しました" in await page.inner_text("main")
    assert await page.inner_text("#status") == "応募済み"
    await shot(page, site, "seeker-09-application")
    # the same posting again: refused in Japanese
    await page.goto(f"{site.url}/jobs/{job_a}/apply")
    await page.check("#route-direct")
    await page.fill("#motivation", "もう一度応募します。")
    await page.get_by_role("button", name="応募する").click()
    assert "既に応募しています" in await page.get_by_role("alert").inner_text()

    # apply by referral to B (it takes no direct applications: only the referral is offered)
    job_b = jobs["b"]["job_id"]
    await page.goto(f"{site.url}/jobs/{job_b}/apply")
    assert await page.locator("#route-direct").count() == 0
    await apply_with_retry(page, "referral", "経理の経験を活かしたいと考えています。")
    assert await page.inner_text("#status") == "紹介依頼中（ハローワークで確認中）"
    referral_app = page.url.split("/mypage/applications/")[1].split("?")[0]
    resp = await gw.post(
        f"/api/v1/staff/applications/{referral_app}/referral", headers=world["staff"]
    )
    assert resp.status_code == 200, resp.text
    number = resp.json()["referral"]["referral_number"]
    await page.reload()
    assert await page.inner_text("#status") == "紹介状発行済み"
    timeline = await page.inner_text("#timeline")
    assert "紹介依頼中" in timeline and "紹介状発行済み" in timeline and number in timeline
    await page.get_by_role("link", name="紹介状を表示・印刷する").click()
    assert await page.inner_text("#referral-number") == number
    letter = await page.inner_text("main")
    assert "紹介状" in letter and "山田 花子" in letter and titles["b"] in letter
    await shot(page, site, "seeker-10-referral-letter")
    await page.emulate_media(media="print")
    assert not await page.is_visible("header.site")
    await page.emulate_media(media="screen")

    # the history lists both (one a page: PAGE_SIZE=1), newest first
    await page.goto(site.url + "/mypage/applications")
    first = await page.inner_text("#applications h2")
    await shot(page, site, "seeker-11-applications")
    await page.get_by_role("link", name="次のページへ").click()
    second = await page.inner_text("#applications h2")
    assert [first, second] == [titles["b"], titles["a"]]
    # withdraw the direct application (辞退), after a confirmation
    await page.get_by_role("link", name=titles["a"]).click()
    await page.get_by_role("link", name="この応募を辞退する").click()
    await page.fill("#reason", "他社に内定したため")
    await page.get_by_role("button", name="辞退する").click()
    assert "応募を辞退しました" in await page.inner_text("main")
    assert await page.inner_text("#status") == "辞退"
    assert "他社に内定したため" in await page.inner_text("#timeline")

    # a recommendation from the office, with its note
    note = f"システム開発のご経験が活かせる求人です {t}"
    resp = await until_ok(
        lambda: gw.post(
            f"/api/v1/staff/seekers/{seeker['seeker_id']}/recommendations",
            json={"job_id": jobs["c"]["job_id"], "note": note},
            headers=world["staff"],
        )
    )
    assert resp.status_code == 201, resp.text
    await page.goto(site.url + "/mypage/recommendations")
    office = await page.inner_text("#office-recommendations")
    assert note in office and titles["c"] in office
    await shot(page, site, "seeker-12-recommendations")

    # an employer's direct request (the profile is public and accepts them): declined
    message = f"あなたのご経験を拝見し、ぜひご応募いただきたくご連絡しました。{t}"
    resp = await until_ok(
        lambda: gw.post(
            "/api/v1/requests",
            json={"seeker_id": seeker["seeker_id"], "job_id": jobs["c"]["job_id"],
                  "message": message},
            headers=world["employer_auth"],
        )
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    await page.goto(site.url + "/mypage/requests")
    requests = await page.inner_text("#requests")
    assert message in requests and "回答待ち" in requests
    await shot(page, site, "seeker-13-requests")
    await page.get_by_role("link", name=named("辞退する", titles["c"])).click()
    await shot(page, site, "seeker-14-request-decline")
    await page.get_by_role("button", name="辞退する").click()
    assert "リクエストを辞退しました" in await page.inner_text("main")
    assert "辞退済み" in await page.inner_text("#requests")

    # another request, for a new posting: answered by applying (the application names it)
    title_d = f"商品企画 {t}"
    job_d = await post_job(gw, world["employer_auth"], posting(title=title_d))
    resp = await until_ok(
        lambda: gw.post(
            "/api/v1/requests",
            json={"seeker_id": seeker["seeker_id"], "job_id": job_d["job_id"],
                  "message": f"企画職にご興味はありませんか。{t}"},
            headers=world["employer_auth"],
        )
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    request_id = resp.json()["request_id"]
    await page.goto(site.url + "/mypage/requests")
    await page.get_by_role("link", name=named("応募する", title_d)).click()
    assert "からのリクエストに応募します" in await page.inner_text("#request-title")
    assert await page.locator("#route-referral").count() == 0  # a request is answered directly
    await apply_with_retry(page, "direct", "リクエストをいただき、企画職に挑戦したく応募します。")
    assert "応募しました" in await page.inner_text("main")
    mine = await gw.get("/api/v1/me/applications", headers=world["seeker_auth"])
    answered = [a for a in mine.json()["items"] if a["job_id"] == job_d["job_id"]]
    assert answered and answered[0].get("request_id") == request_id, answered
    await page.goto(site.url + "/mypage/requests")
    assert "この応募の状況を見る" in await page.inner_text("#requests")

    # export: the JSON of what is held, as a download
    await page.goto(site.url + "/mypage/export")
    await shot(page, site, "seeker-15-export")
    async with page.expect_download() as caught:
        await page.get_by_role("link", name="ダウンロードする（JSON）").click()
    download = await caught.value
    assert download.suggested_filename.endswith(".json")
    data = json.loads(Path(await download.path()).read_text(encoding="utf-8"))
    assert seeker["seeker_number"] in json.dumps(data, ensure_ascii=False)

    # desktop views of the main pages
    desk = await new_context(browser, DESKTOP)
    dpage = await desk.new_page()
    await login(dpage, site, seeker["email"])
    for name, path in [
        ("seeker-01-home", "/mypage"),
        ("seeker-03-profile-public", "/mypage/profile"),
        ("seeker-04-search", f"/jobs?q={t}&prefecture=13"),
        ("seeker-06-posting", f"/jobs/{job_a}"),
        ("seeker-09-application", f"/mypage/applications/{referral_app}"),
        ("seeker-10-referral-letter", f"/mypage/applications/{referral_app}/letter"),
        ("seeker-12-recommendations", "/mypage/recommendations"),
    ]:
        await dpage.goto(site.url + path)
        await shot(dpage, site, name, "desktop")
    await desk.close()
    await context.close()


async def test_another_seekers_pages_are_not_reachable(
    site: WebSite, browser: Any, system: Any, gw: httpx.AsyncClient
) -> None:
    """Cancelling the registration, after a confirmation (a seeker of this test only); an
    unknown or foreign application id is a Japanese 404, and employers' accounts get no seeker
    pages."""
    _, staff = await new_staff(system, gw)
    seeker = await new_seeker(gw, staff, name="佐藤 一郎", birth="1985-03-02")
    await open_my_page(system, gw, seeker)
    context = await new_context(browser)
    page = await context.new_page()
    await login(page, site, seeker["email"])

    resp = await page.goto(site.url + "/mypage/applications/" + "0" * 32)
    assert resp is not None and resp.status == 404
    assert "見つかりません" in await page.inner_text("main")
    resp = await page.goto(site.url + "/mypage/applications/..%2F..%2Fme")
    assert resp is not None and resp.status == 404

    await page.goto(site.url + "/mypage/cancel")
    await page.get_by_role("button", name="求職登録を取り消す").click()
    assert "確認のチェック" in await page.inner_text("#confirm-error")
    await shot(page, site, "seeker-16-cancel-error")
    await page.fill("#reason", "就職が決まったため")
    await page.check("#confirm")
    await page.get_by_role("button", name="求職登録を取り消す").click()
    await page.wait_for_url(re.compile(r"/mypage/cancel/done$"))
    assert "求職登録を取り消しました" in await page.inner_text("h1")
    await shot(page, site, "seeker-17-cancelled")
    await page.goto(site.url + "/mypage")
    assert "取消済み" in await page.inner_text("#seeker-status")
    await context.close()

    employer = await new_employer(gw, staff)
    await open_my_page(system, gw, employer)
    context = await new_context(browser)
    page = await context.new_page()
    await page.goto(site.url + "/login")
    await page.fill("#email", employer["email"])
    await page.fill("#password", "Hataraku-2026")
    await page.get_by_role("button", name="ログイン").click()
    await page.wait_for_load_state()
    resp = await page.goto(site.url + "/mypage/favorites")
    assert resp is not None and resp.status == 403
    await context.close()
