"""The web client's cost per page: an employer's home page (``GET /employer``: session lookup,
``GET /api/v1/me``, unread counts, the cached maintenance status, the template) through web,
against its baseline measured in the same run: the same two API calls made straight to the
gateway with the same token. Both sequential (latency) and with N concurrent clients
(throughput). Prints p50/p95, pages/s and the ratio web / API.

    .venv/bin/python benchmarks/web.py [--requests 200] [--concurrency 8]

Starts the services, the gateway and web as processes (own databases and broker namespace, an
SMTP sink of its own for the auth-key mail), creates staff with the CLI, an establishment and
its My Page through the API, and removes the databases at the end. FerretDB 1.24 answers only
``_id`` lookups from an index: figures on it are a stand-in; the ratio is what compares.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import tests.conftest  # noqa: E402, F401  (tests.system is imported through it)
from deploy.local.mailbox import wait_for_mail  # noqa: E402
from deploy.local.mailsink import EmlWriter  # noqa: E402
from tests.forked import Forked  # noqa: E402
from tests.system import SERVICES, System, free_port  # noqa: E402

MONGODB_URL = os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017/")
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
RUN = "bweb" + uuid.uuid4().hex[:6]
PASSWORD = "Hataraku-2026"


def start(base: Path) -> tuple[System, Controller]:
    mail_dir = base / "mail"
    smtp_port = free_port()
    smtp = Controller(EmlWriter(mail_dir), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    ports = {name: free_port() for name in [*SERVICES, "gateway", "gateway-internal", "web"]}
    env = {
        **os.environ,
        "MONGODB_URL": MONGODB_URL,
        "AMQP_URL": AMQP_URL,
        "BUS_PREFIX": f"{RUN}.",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "JWKS_URL": f"http://127.0.0.1:{ports['identity']}/.well-known/jwks.json",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_PER_MINUTE": "100000",
        "RATE_LIMIT_BURST": "100000",
        **{f"{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}" for name in SERVICES},
        "WEB_URL": f"http://127.0.0.1:{ports['web']}",
        "GATEWAY_URL": f"http://127.0.0.1:{ports['gateway']}",
    }
    logs = base / "logs"
    logs.mkdir(parents=True)
    system = System(
        gateway=f"http://127.0.0.1:{ports['gateway']}",
        ports=ports,
        mail_dir=mail_dir,
        env=env,
        logs=logs,
    )
    system.service_env = lambda name: {  # type: ignore[method-assign]
        **env,
        "HTTP_PORT": str(ports[name]),
        "DB_NAME": f"{RUN}_{name}",
        **({"INTERNAL_PORT": str(ports["gateway-internal"])} if name == "gateway" else {}),
    }
    for name in [*SERVICES, "gateway"]:
        system.start(name)
    system.processes["web"] = Forked("web", system.service_env("web"), logs / "web.log")
    for name in [*SERVICES, "gateway", "web"]:
        system.wait_ready(name)
    return system, smtp


async def employer(system: System, api: httpx.AsyncClient) -> tuple[str, str]:
    """(e-mail, access token) of an establishment with an opened My Page."""
    staff_email = f"staff-{RUN}@hataraku.example"
    done = system.cli(
        "identity", "create-staff", "--email", staff_email, "--office-code", "13010",
        stdin="Shokuin#2026",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    resp = await api.post(
        "/api/v1/auth/login", json={"email": staff_email, "password": "Shokuin#2026"}
    )
    staff = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    email = f"saiyo-{RUN}@example.co.jp"
    resp = await api.post(
        "/api/v1/staff/employers",
        headers=staff,
        json={"name": "株式会社ベンチ商事", "email": email, "address": "東京都新宿区",
              "industry": "情報通信業"},
    )  # fmt: skip
    number = resp.json()["establishment_number"]
    await api.post(
        "/api/v1/mypage/opening",
        json={"account_type": "employer", "email": email, "establishment_number": number,
              "agree_privacy_policy": True, "agree_terms": True},
    )  # fmt: skip
    mail = await wait_for_mail(system.mail_dir, to=email, timeout=60)
    resp = await api.post(
        "/api/v1/mypage/opening/complete",
        json={"email": email, "auth_key": mail.auth_key, "password": PASSWORD},
    )
    assert resp.status_code == 200, resp.text
    resp = await api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    return email, resp.json()["access_token"]


async def web_login(client: httpx.AsyncClient, email: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    resp = await client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token[1],
                        "next": "/employer"},
    )  # fmt: skip
    assert resp.status_code == 303, resp.text


async def measure(
    call: Callable[[], Awaitable[None]], requests: int, concurrency: int
) -> tuple[list[float], float]:
    """Latencies of ``requests`` sequential calls (ms), then calls/s with ``concurrency``."""
    for _ in range(10):  # warm-up
        await call()
    lat = []
    for _ in range(requests):
        t = time.perf_counter()
        await call()
        lat.append((time.perf_counter() - t) * 1000)
    left = requests

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await call()

    t = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return lat, requests / (time.perf_counter() - t)


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1]


async def run(args: argparse.Namespace) -> None:
    base = Path(tempfile.mkdtemp(prefix="bench-web-"))
    system, smtp = start(base)
    try:
        async with httpx.AsyncClient(base_url=system.gateway, timeout=60) as api:
            email, token = await employer(system, api)
            bearer = {"Authorization": f"Bearer {token}"}
            web = httpx.AsyncClient(base_url=system.gateway, timeout=60)  # pages via the gateway
            await web_login(web, email)

            async def page() -> None:
                resp = await web.get("/employer")
                assert resp.status_code == 200 and "求人者マイページ" in resp.text, resp.status_code

            async def direct() -> None:
                for path in ("/api/v1/me", "/api/v1/me/unread"):
                    resp = await api.get(path, headers=bearer)
                    assert resp.status_code == 200, resp.text

            api_lat, api_rate = await measure(direct, args.requests, args.concurrency)
            web_lat, web_rate = await measure(page, args.requests, args.concurrency)
            await web.aclose()
        print(f"employer home, {args.requests} requests; concurrency {args.concurrency}")
        for name, lat, rate in (
            ("API calls only (baseline)", api_lat, api_rate),
            ("web page via gateway", web_lat, web_rate),
        ):
            print(
                f"  {name:<28} p50 {pct(lat, 50):6.1f} ms  p95 {pct(lat, 95):6.1f} ms  "
                f"{rate:7.1f} /s"
            )
        print(
            f"  ratio web / API: p50 {pct(web_lat, 50) / pct(api_lat, 50):.2f}×, "
            f"throughput {web_rate / api_rate:.2f}"
        )
    finally:
        for name in list(system.processes):
            system.stop(name)
        smtp.stop()
        client: MongoClient[dict[str, object]] = MongoClient(MONGODB_URL)
        for db in client.list_database_names():
            if db.startswith(RUN):
                client.drop_database(db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
