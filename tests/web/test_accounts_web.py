"""Accounts in the browser beyond the seeker's opening: an employer opens a 求人者マイページ with
the establishment number (typed full-width) and lands on the employer menu; a forgotten password
is reset with the mailed auth key (the old one stops working, every login ends)."""

from __future__ import annotations

import re

import httpx
import pytest

from deploy.local.mailbox import mails, wait_for_mail
from tests.conftest import RUN_ID
from tests.forked import Forked
from tests.ports import free_port
from tests.system import wait_ready
from tests.web.conftest import WebSite
from tests.web.helpers import (
    PASSWORD,
    full_width,
    login,
    new_context,
    new_employer,
    new_seeker,
    new_staff,
    open_my_page,
    shot,
    tag,
)

pytestmark = pytest.mark.e2e


async def test_an_employer_opens_a_my_page_with_the_establishment_number(
    site: WebSite, browser, system, gw
) -> None:
    _, staff = await new_staff(system, gw)
    employer = await new_employer(gw, staff)
    context = await new_context(browser)
    page = await context.new_page()
    await page.goto(site.url + "/")
    await page.get_by_role("link", name="求人者マイページ開設").click()
    assert await page.inner_text("h1") == "求人者マイページ開設"
    await page.check("#agree_privacy_policy")
    await page.check("#agree_terms")
    await page.get_by_role("button", name="次へ進む").click()

    # a malformed number is explained at its field, before anything is sent
    await page.fill("#email", employer["email"])
    await page.fill("#establishment_number", "1301")
    await page.get_by_role("button", name="次へ進む").click()
    assert "1301-000001-8" in await page.inner_text("#establishment_number-error")
    assert await page.get_attribute("#establishment_number", "aria-invalid") == "true"
    await shot(page, site, "accounts-01-employer-number-error")
    await page.fill("#establishment_number", full_width(employer["establishment_number"]))
    await page.get_by_role("button", name="次へ進む").click()
    assert "メールを送信しました" in await page.inner_text("main")
    mail = await wait_for_mail(system.mail_dir, to=employer["email"], timeout=10)
    await page.get_by_role("link", name="認証キーとパスワードを入力する").click()
    await page.fill("#auth_key", mail.auth_key)
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await page.get_by_role("button", name="完了").click()
    assert await page.inner_text("h1") == "マイページ開設完了"

    await login(page, site, employer["email"])
    assert page.url.endswith("/employer")
    # an employer is not shown a seeker's pages
    await page.goto(site.url + "/mypage/seeker-application")
    assert "このページはご利用のアカウントでは表示できません" in await page.inner_text("main")
    await context.close()


async def test_a_forgotten_password_is_reset_with_the_mailed_key(
    site: WebSite, browser, system, gw
) -> None:
    _, staff = await new_staff(system, gw)
    seeker = await new_seeker(gw, staff)
    await open_my_page(system, gw, seeker)
    context = await new_context(browser)
    page = await context.new_page()
    await page.goto(site.url + "/login")
    await page.get_by_role("link", name="パスワードを忘れた方").click()
    await page.fill("#email", full_width(seeker["email"]))
    before = len(mails(system.mail_dir, to=seeker["email"]))
    await page.get_by_role("button", name="認証キーを送信する").click()
    assert "メールを送信しました" in await page.inner_text("main")
    mail = await wait_for_mail(system.mail_dir, to=seeker["email"], after=before, timeout=10)
    assert "パスワード再設定" in mail.subject
    await page.get_by_role("link", name="認証キーと新しいパスワードを入力する").click()
    assert await page.input_value("#email") == seeker["email"]
    await page.fill("#auth_key", "ABCDEFGH")
    await page.fill("#password", "Atarashii-2027")
    await page.fill("#password_confirm", "Atarashii-2027")
    await page.get_by_role("button", name="完了").click()
    assert await page.get_attribute("#auth_key", "aria-invalid") == "true"
    await shot(page, site, "accounts-02-reset-wrong-key")
    await page.fill("#auth_key", mail.auth_key)
    await page.fill("#password", "Atarashii-2027")
    await page.fill("#password_confirm", "Atarashii-2027")
    await page.get_by_role("button", name="完了").click()
    assert await page.inner_text("h1") == "パスワード再設定完了"

    # the old password no longer works; the new one does
    await page.goto(site.url + "/login")
    await page.fill("#email", seeker["email"])
    await page.fill("#password", PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    assert "メールアドレスまたはパスワード" in await page.get_by_role("alert").inner_text()
    await login(page, site, seeker["email"], "Atarashii-2027")
    assert re.search(r"/mypage$", page.url)
    await context.close()


async def test_the_gateway_limits_logins_per_browser_not_per_web_process(system) -> None:
    """web passes the browser's address on (X-Forwarded-For, trusted from 127.0.0.1 by uvicorn's
    default): a gateway with a burst of 2 logins refuses the third from one address while another
    address still gets the normal answer."""
    gw_port, gw_internal, web_port = free_port(), free_port(), free_port()
    gateway = Forked(
        "gateway",
        {**system.service_env("gateway"), "HTTP_PORT": str(gw_port),
         "INTERNAL_PORT": str(gw_internal),
         "RATE_LIMIT_BURST": "2", "RATE_LIMIT_PER_MINUTE": "1", "WEB_URL": ""},
        system.logs / "gateway-limited.log",
    )  # fmt: skip
    web = Forked(
        "web",
        {**system.env, "HTTP_PORT": str(web_port), "DB_NAME": f"t{RUN_ID}_weblimited",
         "GATEWAY_URL": f"http://127.0.0.1:{gw_port}"},
        system.logs / "web-limited.log",
    )  # fmt: skip
    try:
        wait_ready(
            f"http://127.0.0.1:{gw_internal}/readyz", gateway, system.logs / "gateway-limited.log"
        )
        wait_ready(f"http://127.0.0.1:{web_port}/readyz", web, system.logs / "web-limited.log")

        async def attempt(client: httpx.AsyncClient) -> str:
            page = await client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token, page.text
            resp = await client.post(
                "/login",
                data={"email": "nobody@example.jp", "password": "Wrong-pass-1",
                      "csrf_token": token[1], "next": "/mypage"},
            )  # fmt: skip
            return resp.text

        base = f"http://127.0.0.1:{web_port}"
        one = httpx.AsyncClient(base_url=base, headers={"X-Forwarded-For": "203.0.113.5"})
        two = httpx.AsyncClient(base_url=base, headers={"X-Forwarded-For": "198.51.100.7"})
        async with one, two:
            for _ in range(2):
                assert "メールアドレスまたはパスワード" in await attempt(one)
            assert "しばらくしてから" in await attempt(one)
            assert "メールアドレスまたはパスワード" in await attempt(two)
    finally:
        for proc in (web, gateway):
            proc.terminate()
            proc.wait(timeout=20)


async def test_an_account_first_then_an_online_seeker_application(
    site: WebSite, browser, system
) -> None:
    email = f"account-{tag()}@example.jp"
    context = await new_context(browser)
    page = await context.new_page()
    await page.goto(site.url + "/")
    await page.get_by_role("link", name="アカウント登録").click()
    await page.fill("#email", full_width(email))
    await page.get_by_role("button", name="次へ進む").click()
    assert "利用規約に同意してください" in await page.get_by_role("alert").inner_text()
    await page.check("#agree_privacy_policy")
    await page.check("#agree_terms")
    await page.get_by_role("button", name="次へ進む").click()
    assert "メールを送信しました" in await page.inner_text("main")
    mail = await wait_for_mail(system.mail_dir, to=email, timeout=10)
    assert "アカウント登録" in mail.subject
    await page.get_by_role("link", name="認証キーとパスワードを入力する").click()
    await page.fill("#auth_key", mail.auth_key)
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await page.get_by_role("button", name="完了").click()
    assert await page.inner_text("h1") == "アカウント登録完了"
    await page.get_by_role("link", name="ログインして求職申込みへ進む").click()
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await page.wait_for_url(re.compile(r"/mypage/seeker-application$"))

    # each missing answer is explained at its field
    await page.get_by_role("button", name="申し込む").click()
    assert await page.get_attribute("#name", "aria-invalid") == "true"
    assert "ハローワークを選んで" in await page.inner_text("#office_code-error")
    await shot(page, site, "accounts-03-seeker-application-errors")
    await page.fill("#name", "佐藤 一郎")
    await page.fill("#birth_date", "1988-05-20")  # a date input: the browser sends ISO
    await page.select_option("#office_code", "13010")
    await page.fill("#phone", "０９０－１２３４－５６７８")
    await page.get_by_role("button", name="申し込む").click()
    await page.wait_for_url(re.compile(r"/mypage\?applied=1$"))
    assert "仮登録" in await page.inner_text("main")
    await context.close()


async def test_keyboard_only_login_with_a_visible_focus(site: WebSite, browser, system, gw) -> None:
    _, staff = await new_staff(system, gw)
    seeker = await new_seeker(gw, staff)
    await open_my_page(system, gw, seeker)
    context = await new_context(browser)
    page = await context.new_page()
    await page.goto(site.url + "/login")
    # the first Tab reaches the skip link, which moves to the main content
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "本文へ移動"
    await page.keyboard.press("Enter")
    focused = "document.activeElement.id"
    for _ in range(20):  # on to the e-mail field, by keyboard only
        await page.keyboard.press("Tab")
        if await page.evaluate(focused) == "email":
            break
    assert await page.evaluate(focused) == "email"
    # the focus is visible: an outline of at least 2 px
    outline = await page.evaluate(
        "parseFloat(getComputedStyle(document.activeElement).outlineWidth)"
    )
    assert outline >= 2
    await page.keyboard.type(seeker["email"])
    await page.keyboard.press("Tab")
    assert await page.evaluate(focused) == "password"
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"/mypage$"))
    await context.close()
