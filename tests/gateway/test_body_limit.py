"""The request body limit at the gateway: 413 problem+json before a byte of an over-long declared
body is read, and a chunked body stopped at the limit, never read whole."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from gateway.app import create_app
from gateway.routes import JOBS, ROUTES, RouteTable, tree
from tests.gateway.conftest import running_gateway

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
HUGE = 1536 * MiB  # what the review sent: 1.5 GB


async def raw_request(
    base: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str],
    chunked_up_to: int = 0,
    chunk: int = 64 * 1024,
) -> tuple[int, dict[str, str], dict[str, Any], int]:
    """Send a request by hand: the head, then (with ``chunked_up_to``) chunks until that many
    bytes or until the answer arrives, whichever is first. (status, headers, JSON body, body
    bytes written)."""
    url = urlsplit(base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    head = f"{method} {path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    if chunked_up_to:
        head += "Transfer-Encoding: chunked\r\n"
    writer.write((head + "\r\n").encode())
    written = 0

    async def pump() -> None:
        nonlocal written
        block = b"%x\r\n" % chunk + b"{" * chunk + b"\r\n"
        while written < chunked_up_to:
            writer.write(block)
            await writer.drain()
            written += chunk
            await asyncio.sleep(0)  # a client reads its answer while it sends
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    pumping = asyncio.create_task(pump())
    try:
        async with asyncio.timeout(10):
            status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
            answer = {
                k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines if x)
            }
            body = await reader.readexactly(int(answer["content-length"]))
    finally:
        pumping.cancel()
        await asyncio.gather(pumping, return_exceptions=True)
        writer.close()
    return int(status_line.split()[1]), answer, json.loads(body), written


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/jobs"),  # proxied
        ("POST", "/api/v1/auth/login"),  # rate limited per account: read for the e-mail
        ("PUT", "/api/v1/admin/maintenance"),  # the gateway's own route
    ],
)
async def test_a_chunked_body_over_the_limit_is_refused_without_being_read_whole(
    gateway_settings, identity, jobs, method, path
):
    async with running_gateway(gateway_settings()) as client:
        started = time.monotonic()
        status, headers, body, written = await raw_request(
            str(client.base_url),
            method,
            path,
            headers={"Content-Type": "application/json"},
            chunked_up_to=HUGE,
        )
        assert status == 413
        assert headers["content-type"] == "application/problem+json"
        assert headers["connection"] == "close"
        assert body["code"] == "payload_too_large"
        assert (
            body["detail"] == "送信されたデータが大きすぎます。内容を減らして再度お試しください。"
        )
        # stopped at the limit: what was written is the limit plus what the sockets buffer
        assert written < 64 * MiB
        assert time.monotonic() - started < 5
        assert identity.seen == [] and jobs.seen == []
        # the gateway goes on serving
        assert (await client.get("/api/v1/jobs")).status_code == 200


async def test_a_declared_length_over_the_limit_is_refused_before_any_body(
    gateway_settings, identity, jobs
):
    async with running_gateway(gateway_settings()) as client:
        # nothing of the body is sent: the answer comes from the Content-Length alone
        status, _, body, _ = await raw_request(
            str(client.base_url),
            "POST",
            "/api/v1/auth/login",
            headers={"Content-Type": "application/json", "Content-Length": str(HUGE)},
        )
        assert status == 413 and body["code"] == "payload_too_large"
        # one byte over the limit, from an ordinary client
        over = await client.post(
            "/api/v1/jobs",
            content=b"x" * (MiB + 1),
            headers={"Accept-Language": "en", "Content-Type": "application/octet-stream"},
        )
        assert over.status_code == 413
        assert over.json()["detail"] == "The request body is too large."
        assert identity.seen == [] and jobs.seen == []
        at_limit = await client.post("/api/v1/jobs", content=b"x" * MiB)
        assert at_limit.json()["body_length"] == MiB


async def test_the_limit_is_a_setting_and_a_route_may_allow_more(gateway_settings, jobs):
    settings = gateway_settings(max_request_body_bytes=1000)
    app = create_app(settings)
    big = tree("/api/v1/jobs/imports", JOBS, max_body=4000)
    app.state.gateway.table = RouteTable((*ROUTES, big))
    async with running_gateway(settings, app=app) as client:
        assert (await client.post("/api/v1/jobs", content=b"x" * 1000)).status_code == 200
        assert (await client.post("/api/v1/jobs", content=b"x" * 1001)).status_code == 413

        async def chunks(n: int):
            for _ in range(n):
                yield b"x" * 500

        assert (await client.post("/api/v1/jobs", content=chunks(3))).status_code == 413
        taken = await client.post("/api/v1/jobs/imports", content=chunks(8))
        assert taken.json()["body_length"] == 4000
        assert (await client.post("/api/v1/jobs/imports", content=b"x" * 4001)).status_code == 413
