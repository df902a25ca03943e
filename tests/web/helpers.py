"""What the browser tests share: accounts made through the public API (staff from the CLI), a
browser context and login, screenshots with the 360 px check, and the accessibility check
(axe-core's WCAG 2.0/2.1 A and AA rules, installed by `make browser`)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import httpx

from deploy.local.mailbox import mails, wait_for_mail
from tests.system import ROOT, System
from tests.web.conftest import MOBILE, WebSite, screenshot

AXE = ROOT / "tests" / "web" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
STAFF_PASSWORD = "Shokuin#2026"
PASSWORD = "Hataraku-2026"

Headers = dict[str, str]


def tag() -> str:
    """A keyword of this test's own: letters first (a search term), then hex."""
    return "".join(c for c in uuid.uuid4().hex if c.isalpha())[:4] + uuid.uuid4().hex[:6]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


async def until_ok(call: Any, timeout: float = 10) -> httpx.Response:
    """Retry a call while it answers ≥ 300 (a projection not there yet), up to ``timeout``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        resp = await call()
        if resp.status_code < 300 or asyncio.get_running_loop().time() > deadline:
            return resp
        await asyncio.sleep(0.3)


async def bearer(gw: httpx.AsyncClient, email: str, password: str) -> Headers:
    resp = await gw.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


async def new_staff(
    system: System, gw: httpx.AsyncClient, *, admin: bool = False, office: str = "13010"
) -> tuple[str, Headers]:
    """A staff (or admin) account made by identity's create-staff command: (e-mail, bearer
    headers). Password STAFF_PASSWORD."""
    email = f"staff-{tag()}@hataraku.example"
    await system.create_staff(email, STAFF_PASSWORD, office=office, admin=admin)
    return email, await bearer(gw, email, STAFF_PASSWORD)


async def new_seeker(
    gw: httpx.AsyncClient, staff: Headers, *, name: str = "山田 花子", birth: str = "1992-07-15"
) -> dict[str, Any]:
    """A seeker registered at the counter (not yet opened): the API's answer plus email and
    birth_date."""
    email = f"seeker-{tag()}@example.jp"
    resp = await gw.post(
        "/api/v1/staff/seekers",
        headers=staff,
        json={"email": email, "name": name, "birth_date": birth},
    )
    assert resp.status_code == 201, resp.text
    return {**resp.json(), "email": email, "birth_date": birth}


async def new_employer(
    gw: httpx.AsyncClient, staff: Headers, *, name: str = "株式会社はたらく商事"
) -> dict[str, Any]:
    """An establishment registered by staff: the API's answer plus email and name."""
    email = f"saiyo-{tag()}@example.co.jp"
    resp = await gw.post(
        "/api/v1/staff/employers",
        headers=staff,
        json={"name": name, "email": email, "address": "東京都新宿区西新宿2-8-1",
              "industry": "情報通信業"},
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    return {**resp.json(), "email": email, "name": name}


async def open_my_page(
    system: System, gw: httpx.AsyncClient, account: dict[str, Any], password: str = PASSWORD
) -> Headers:
    """Open the My Page of a seeker or employer from ``new_seeker``/``new_employer`` through
    the API (auth key read from the mail); returns bearer headers."""
    body: dict[str, Any] = {"email": account["email"], "agree_privacy_policy": True,
                            "agree_terms": True}  # fmt: skip
    if "establishment_number" in account:
        body |= {
            "account_type": "employer",
            "establishment_number": account["establishment_number"],
        }
    else:
        body |= {"account_type": "seeker", "birth_date": account["birth_date"]}
    before = len(mails(system.mail_dir, to=account["email"]))
    resp = await gw.post("/api/v1/mypage/opening", json=body)
    assert resp.status_code == 202, resp.text
    mail = await wait_for_mail(system.mail_dir, to=account["email"], after=before, timeout=10)
    assert mail.auth_key
    resp = await gw.post(
        "/api/v1/mypage/opening/complete",
        json={"email": account["email"], "auth_key": mail.auth_key, "password": password},
    )
    assert resp.status_code == 200, resp.text
    return await bearer(gw, account["email"], password)


def posting(employer_id: str | None = None, **changes: Any) -> dict[str, Any]:
    """A posting body (Tokyo, full time, monthly wage); ``employer_id`` when staff post it."""
    body: dict[str, Any] = {
        "title": "Webエンジニア",
        "description": "自社サービスの開発と運用。\nリモート勤務相談可。",
        "occupation_code": "10",
        "prefecture": "13",
        "municipality": "新宿区",
        "employment_type": "full_time",
        "wage_min": 250000,
        "wage_max": 350000,
        "wage_unit": "monthly",
        "accepts_online_referral": True,
        "accepts_direct_application": True,
    }
    if employer_id:
        body["employer_id"] = employer_id
    return body | changes


async def post_job(gw: httpx.AsyncClient, headers: Headers, body: dict[str, Any]) -> dict[str, Any]:
    resp = await until_ok(lambda: gw.post("/api/v1/jobs", json=body, headers=headers))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def new_context(browser: Any, viewport: dict[str, int] = MOBILE) -> Any:
    """A Japanese browser context. CSP is bypassed only so that the accessibility checker can be
    injected; the pages themselves never need it."""
    return await browser.new_context(viewport=viewport, locale="ja-JP", bypass_csp=True)


async def login(page: Any, site: WebSite, email: str, password: str = PASSWORD) -> None:
    """Log in through the login page; waits for the role's home."""
    await page.goto(site.url + "/login")
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.get_by_role("button", name="ログイン").click()
    await page.wait_for_url(re.compile(r"/(mypage|employer|staff)$"))


async def no_horizontal_scroll(page: Any) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    inner = await page.evaluate("window.innerWidth")
    assert width <= inner, f"{page.url}: {width}px wide in a {inner}px window"


async def check_a11y(page: Any) -> None:
    """axe-core on the page as it is now: no WCAG 2.0/2.1 A or AA violation (contrast, labels,
    lang, names of links and buttons, landmarks, …)."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    assert not result, f"{page.url}: accessibility violations\n" + json.dumps(
        result, ensure_ascii=False, indent=1
    )


async def shot(page: Any, site: WebSite, name: str, kind: str = "mobile") -> None:
    """A full-page screenshot (when HATARAKU_SCREENSHOTS is set); on mobile, also no horizontal scroll at 360 px; and the
    accessibility check on every page photographed."""
    await screenshot(page, site.shots, f"{name}-{kind}.png", full_page=True)
    if kind == "mobile":
        await no_horizontal_scroll(page)
    await check_a11y(page)
