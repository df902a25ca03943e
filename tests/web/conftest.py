"""The web client in a real browser: the whole system (tests/e2e's ``system``), plus
``python -m web`` talking to its gateway, plus a second gateway that knows web's port (the
first one was started before web had a port) — so the browser goes through a gateway exactly as
users do. Chromium is Debian's (deploy/local/chromium.sh), driven by Playwright for Python."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RUN_ID
from tests.forked import Forked
from tests.ports import free_port
from tests.system import System, wait_ready

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium-headless-shell")
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
    shots: Path | None  # HATARAKU_SCREENSHOTS: screenshots are taken only when it names a folder


def screenshot_folder() -> Path | None:
    """Where screenshots go: HATARAKU_SCREENSHOTS (e.g. docs/screenshots), or none are taken (a
    full-page PNG costs the browser CPU, and nobody looks at one in a temporary folder)."""
    folder = os.environ.get("HATARAKU_SCREENSHOTS")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


async def screenshot(page: Any, folder: Path | None, name: str, *, full_page: bool) -> None:
    if folder is not None:
        await page.screenshot(path=str(folder / name), full_page=full_page)


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
    web = Forked("web", web_env, system.logs / "web.log")
    edge = Forked("gateway", edge_env, system.logs / "gateway-edge.log")
    shots = screenshot_folder()
    try:
        wait_ready(f"http://127.0.0.1:{web_port}/readyz", web, system.logs / "web.log")
        wait_ready(
            f"http://127.0.0.1:{edge_internal}/readyz", edge, system.logs / "gateway-edge.log"
        )
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
