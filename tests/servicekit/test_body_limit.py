"""The request body limit of every service (servicekit.runtime.BodyLimit in build_app), for a
service reached without the gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel

from servicekit.runtime import LINGER_BYTES, Runtime
from servicekit.settings import ServiceSettings

LIMIT = 1000


class Note(BaseModel):
    text: str


@pytest.fixture
async def service() -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    """A service app from build_app (not started: no database or broker needed) with a model
    body route and a raw body route; the list records which handlers got their body."""
    ran: list[str] = []
    router = APIRouter()

    @router.post("/notes")
    async def note(body: Note) -> dict[str, int]:
        ran.append("notes")
        return {"length": len(body.text)}

    @router.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        body = await request.body()
        ran.append("raw")
        return {"length": len(body)}

    runtime = Runtime(ServiceSettings(service_name="limited", max_request_body_bytes=LIMIT))
    app = runtime.build_app(title="limited", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://limited") as client:
        yield client, ran
    await runtime.client.close()


def chunks(produced: list[int], size: int, count: int) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        for _ in range(count):
            produced.append(size)
            yield b"x" * size

    return gen()


async def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs(service):
    client, ran = service
    resp = await client.post("/raw", content=b"x" * (LIMIT + 1))
    assert resp.status_code == 413
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["code"] == "payload_too_large"
    assert (
        resp.json()["detail"]
        == "送信されたデータが大きすぎます。内容を減らして再度お試しください。"
    )
    assert resp.headers["x-request-id"]  # inside RequestContext
    assert ran == []
    en = await client.post("/notes", content=b"x" * (LIMIT + 1), headers={"Accept-Language": "en"})
    assert en.json()["detail"] == "The request body is too large."
    ok = await client.post("/raw", content=b"x" * LIMIT)
    assert ok.json() == {"length": LIMIT}


@pytest.mark.parametrize("path", ["/raw", "/notes"])
async def test_a_chunked_body_is_stopped_at_the_limit(service, path):
    """Reading stops at the limit: of a 100,000-chunk body (30 MB), the service asks for about the
    limit, and after its 413 for at most the bounded lingering read that keeps the answer from
    being lost to a connection reset (FastAPI turns the error of a model body into a 400; the
    middleware answers 413 all the same)."""
    client, ran = service
    produced: list[int] = []
    resp = await client.post(
        path,
        content=chunks(produced, 300, 100_000),
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 413
    assert resp.json()["code"] == "payload_too_large"
    assert sum(produced) <= LIMIT + LINGER_BYTES + 300 * 2
    assert ran == []
    produced.clear()
    ok = await client.post(
        "/notes", content=chunks(produced, 10, 1), headers={"Content-Type": "application/json"}
    )
    assert ok.status_code == 422  # within the limit the body reaches the app ("xxxxxxxxxx")


async def test_a_chunked_body_within_the_limit_reaches_the_app(service):
    client, _ = service

    async def body() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        yield b"a" * 500
        yield b'"}'

    resp = await client.post("/notes", content=body(), headers={"Content-Type": "application/json"})
    assert resp.json() == {"length": 500}
