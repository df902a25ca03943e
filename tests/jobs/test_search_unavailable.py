"""Integration: the engine goes away mid-flow (a TCP proxy in front of it is stopped): search
answers 503 search_unavailable with Retry-After, posting writes keep working, and the index
catches up from MongoDB when the engine is back — even after the events' retries gave up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import pytest

from services.jobs.app import create_app
from services.jobs.settings import JobsSettings
from tests.conftest import RUN_ID, eventually, running
from tests.jobs.conftest import SteppingClock
from tests.jobs.support import Identity, Tokens, create, marker, searchable
from tests.ports import free_port

pytestmark = pytest.mark.integration


class Proxy:
    """Forwards a local port to the engine; ``stop`` drops every connection and the port."""

    def __init__(self, target: str) -> None:
        url = urlparse(target)
        self.host, self.port_to = url.hostname or "127.0.0.1", url.port or 9200
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port_to)
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in self.writers:
            w.close()
        self.writers.clear()
        await self.server.wait_closed()


@pytest.fixture
async def proxied(make_settings: Any, opensearch: str) -> AsyncIterator[tuple[Any, Proxy]]:
    proxy = Proxy(opensearch)
    await proxy.start()
    settings = make_settings(
        JobsSettings,
        db_name=f"t{RUN_ID}_jobsdown",
        bus_prefix=f"t{RUN_ID}down.",
        opensearch_url=proxy.url,
        search_catchup_seconds=0.3,
        retry_max_attempts=2,
        search_timeout_seconds=2,
    )
    tokens = Tokens(settings)
    app = create_app(settings, clock=SteppingClock(datetime.now(UTC)), verifier=tokens.verifier())
    async with running(app) as client:
        identity = Identity(settings)
        await identity.start()
        try:
            employer = await identity.employer()
            await eventually(lambda: app.state.runtime.db["employers"].find_one({"_id": employer}))
            client.headers.update(tokens.employer(employer))
            yield client, proxy
        finally:
            await identity.stop()
            if proxy.server is not None and proxy.server.is_serving():
                await proxy.stop()


async def test_engine_away_then_back(proxied: tuple[Any, Proxy]) -> None:
    client, proxy = proxied
    m = marker()
    first = await create(client, {}, title="品出しスタッフ", description=m)
    await searchable(client, 1, q=m)

    await proxy.stop()
    resp = await client.get("/api/v1/jobs", params={"q": m})
    assert resp.status_code == 503
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.headers["retry-after"] == "10"
    assert resp.json()["code"] == "search_unavailable"
    assert resp.json()["detail"].startswith("ただいま求人検索を利用できません")
    # writes go on: a new posting, a change, a close
    second = await create(client, {}, title="レジスタッフ", description=m)
    resp = await client.patch(f"/api/v1/jobs/{first['job_id']}", json={"title": "検品スタッフ"})
    assert resp.status_code == 200
    third = await create(client, {}, title="清掃スタッフ", description=m)
    assert (await client.post(f"/api/v1/jobs/{third['job_id']}/close")).status_code == 200
    # long enough for the events' retries to give up (2 attempts, 50 and 100 ms)
    await asyncio.sleep(1.5)

    await proxy.start()
    found = await searchable(client, 2, timeout=15, q=m)
    assert set(found) == {first["job_id"], second["job_id"]}
    assert await searchable(client, 1, q=f"検品 {m}") == [first["job_id"]]
