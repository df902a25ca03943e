"""The web client in a real browser: the whole system (tests/e2e's ``system``), plus
``python -m web`` talking to its gateway, plus a second gateway that knows web's port (the
first one was started before web had a port) — so the browser goes through a gateway exactly as
users do. Chromium is Debian's (deploy/local/chromium.sh), driven by Playwright for Python."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import RUN_ID
from tests.system import ROOT, System, free_port

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MOBILE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@dataclass
class WebSite:
    url: str  # through the second gateway, as users reach it
    direct: str  # the web process itself
    gateway: str  # the API (the first gateway)
    shots: Path


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready: {log.read_text()[-3000:]}")


def _start(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", module], cwd=ROOT, env=env, stdout=out, stderr=out
    )


@pytest.fixture(scope="session")
def site(system: System) -> Iterator[WebSite]:
    web_port, edge_port, edge_internal = free_port(), free_port(), free_port()
    web_env = {
        **system.env,
        "HTTP_PORT": str(web_port),
        "DB_NAME": f"t{RUN_ID}_web",
        "GATEWAY_URL": system.gateway,
        "PAGE_SIZE": "1",  # paging with two postings
    }
    edge_env = {
        **system.service_env("gateway"),
        "HTTP_PORT": str(edge_port),
        "INTERNAL_PORT": str(edge_internal),  # readiness and metrics
        "WEB_URL": f"http://127.0.0.1:{web_port}",
    }
    web = _start("web", web_env, system.logs / "web.log")
    edge = _start("gateway", edge_env, system.logs / "gateway-edge.log")
    shots = Path(os.environ.get("HATARAKU_SCREENSHOTS") or tempfile.mkdtemp(prefix="shots-"))
    shots.mkdir(parents=True, exist_ok=True)
    try:
        _wait(f"http://127.0.0.1:{web_port}/readyz", web, system.logs / "web.log")
        _wait(f"http://127.0.0.1:{edge_internal}/readyz", edge, system.logs / "gateway-edge.log")
        yield WebSite(
            url=f"http://127.0.0.1:{edge_port}",
            direct=f"http://127.0.0.1:{web_port}",
            gateway=system.gateway,
            shots=shots,
        )
    finally:
        for proc in (edge, web):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"{CHROMIUM} is missing: run `bash deploy/local/chromium.sh` first")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()
