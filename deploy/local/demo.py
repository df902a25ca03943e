"""Demo accounts for `make run`: an admin, a staff member of office 13010, an employer with an
employer My Page (opened through the real flow: the auth key is read from the dev mailbox), and a
registered seeker whose My Page is left for you to open. Idempotent: a second run reuses them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp

from deploy.local.mailbox import mails, wait_for_mail

ROOT = Path(__file__).resolve().parents[2]
STATE = Path(os.environ.get("HATARAKU_DATA", ROOT / ".data")) / "demo.json"

STAFF = {"email": "staff@hataraku.example", "password": "Staff#2026pw", "office": "13010"}
ADMIN = {"email": "admin@hataraku.example", "password": "Admin#2026pw", "office": "13010"}
EMPLOYER = {
    "email": "saiyo@demo-shoji.example",
    "password": "Kyujin#2026pw",
    "name": "株式会社デモ商事",
    "address": "東京都新宿区西新宿2-8-1",
    "industry": "卸売業，小売業",
}
SEEKER = {"email": "taro.yamada@example.jp", "name": "山田 太郎", "birth_date": "1990-04-01"}


def create_staff(account: dict[str, str], *, admin: bool = False) -> None:
    cmd = [
        sys.executable,
        "-m",
        "services.identity",
        "create-staff",
        "--email",
        account["email"],
        "--office-code",
        account["office"],
    ]
    if admin:
        cmd.append("--admin")
    subprocess.run(
        cmd, input=account["password"] + "\n", text=True, cwd=ROOT, capture_output=True, check=False
    )


async def login(
    session: aiohttp.ClientSession, gateway: str, email: str, password: str
) -> str | None:
    async with session.post(
        f"{gateway}/api/v1/auth/login", json={"email": email, "password": password}
    ) as r:
        if r.status != 200:
            return None
        return str((await r.json())["access_token"])


async def create_demo(*, gateway: str, mail_dir: Path) -> list[str]:
    state: dict[str, Any] = json.loads(STATE.read_text()) if STATE.exists() else {}
    create_staff(STAFF)
    create_staff(ADMIN, admin=True)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as s:
        token = await login(s, gateway, STAFF["email"], STAFF["password"])
        if token is None:
            return [
                "  (demo accounts could not be created: staff login failed; see .data/log/identity.log)"
            ]
        auth = {"Authorization": f"Bearer {token}"}

        if "employer" not in state:
            body = {k: EMPLOYER[k] for k in ("name", "email", "address", "industry")}
            async with s.post(f"{gateway}/api/v1/staff/employers", json=body, headers=auth) as r:
                if r.status == 201:
                    state["employer"] = await r.json()
        if "seeker" not in state:
            async with s.post(f"{gateway}/api/v1/staff/seekers", json=SEEKER, headers=auth) as r:
                if r.status == 201:
                    state["seeker"] = await r.json()
        STATE.write_text(json.dumps(state, ensure_ascii=False, indent=2))

        employer_ok = await login(s, gateway, EMPLOYER["email"], EMPLOYER["password"]) is not None
        if not employer_ok and "employer" in state:
            already = len(mails(mail_dir, to=EMPLOYER["email"]))
            opening = {
                "account_type": "employer",
                "email": EMPLOYER["email"],
                "establishment_number": state["employer"]["establishment_number"],
                "agree_privacy_policy": True,
                "agree_terms": True,
            }
            async with s.post(f"{gateway}/api/v1/mypage/opening", json=opening) as r:
                r.raise_for_status()
            mail = await wait_for_mail(mail_dir, to=EMPLOYER["email"], after=already)
            complete = {
                "email": EMPLOYER["email"],
                "auth_key": mail.auth_key,
                "password": EMPLOYER["password"],
            }
            async with s.post(f"{gateway}/api/v1/mypage/opening/complete", json=complete) as r:
                employer_ok = r.status == 200

    seeker = state.get("seeker", {})
    employer = state.get("employer", {})
    return [
        "",
        "Demo accounts (log in with POST /api/v1/auth/login):",
        f"  admin      {ADMIN['email']} / {ADMIN['password']}",
        f"  staff      {STAFF['email']} / {STAFF['password']}  (office {STAFF['office']})",
        f"  employer   {EMPLOYER['email']} / {EMPLOYER['password']}  ({EMPLOYER['name']}, "
        f"establishment {employer.get('establishment_number', '?')}, employer My Page "
        f"{'open' if employer_ok else 'NOT opened'})",
        f"  seeker     {SEEKER['email']}, born {SEEKER['birth_date']} (seeker number "
        f"{seeker.get('seeker_number', '?')}): registered at the counter — open its My Page with "
        "POST /api/v1/mypage/opening and the auth key from the dev mailbox (README)",
    ]
