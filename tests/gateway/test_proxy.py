"""Forwarding through the gateway to real upstream servers."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest

from tests.conftest import eventually
from tests.gateway.conftest import running_gateway
from tests.gateway.harness import garbage_server

pytestmark = pytest.mark.integration


async def test_requests_go_to_the_owning_service(gw, identity, jobs):
    me = await gw.get("/api/v1/me")
    search = await gw.get("/api/v1/jobs")
    applications = await gw.get("/api/v1/me/applications")
    assert me.status_code == search.status_code == applications.status_code == 200
    assert me.json()["service"] == "identity"
    assert search.json()["service"] == "jobs"
    recommendation = await gw.post("/api/v1/staff/seekers/s1/recommendations", json={"job_id": "j"})
    assert recommendation.json()["service"] == "jobs"
    assert recommendation.json()["path"] == "/api/v1/staff/seekers/s1/recommendations"
    annotation = await gw.post("/api/v1/staff/seekers/s1/annotations", json={})
    assert annotation.json()["service"] == "identity"


async def test_unknown_api_path_is_a_problem_404_without_an_upstream_call(gw, identity, jobs):
    resp = await gw.get("/api/v1/nothing-here", headers={"Accept-Language": "en"})
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["code"] == "not_found"
    assert resp.json()["detail"] == "Not found."
    ja = await gw.get("/api/v2/jobs")
    assert ja.json()["detail"] == "指定されたページは見つかりません。"
    assert identity.seen == [] and jobs.seen == []


async def test_web_paths_answer_404_while_no_web_client_is_configured(gw):
    resp = await gw.get("/")
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"


async def test_web_paths_go_to_the_web_client_and_a_missing_one_gets_a_japanese_page(
    gateway_settings, identity, dead_url
):
    async with running_gateway(gateway_settings(web_url=identity.url)) as client:
        page = await client.get("/mypage/login?next=%2Fjobs")
        assert page.json()["path"] == "/mypage/login"
        assert page.json()["query"] == "next=%2Fjobs"
    async with running_gateway(gateway_settings(web_url=dead_url)) as client:
        down = await client.get("/", headers={"Accept": "text/html,*/*"})
        assert down.status_code == 503
        assert "ただいま画面を表示できません" in down.text


async def test_method_query_headers_and_body_are_forwarded(gw, jobs):
    body = {"title": "倉庫内作業", "wage_min": 1200}
    resp = await gw.patch(
        "/api/v1/jobs/j1/close?q=%E5%80%89%E5%BA%AB&limit=5&limit=6",
        json=body,
        headers={
            "X-Custom": "値".encode(),
            "Connection": "keep-alive, X-Hop",
            "X-Hop": "drop me",
            "X-Forwarded-For": "6.6.6.6",  # a client cannot choose the address services see
        },
    )
    assert resp.status_code == 200
    seen = resp.json()
    assert seen["method"] == "PATCH"
    assert seen["path"] == "/api/v1/jobs/j1/close"
    assert seen["query"] == "q=%E5%80%89%E5%BA%AB&limit=5&limit=6"
    assert seen["headers"]["content-type"] == "application/json"
    # header bytes pass unchanged (Starlette reads header values as latin-1)
    assert seen["headers"]["x-custom"].encode("latin-1").decode() == "値"
    assert "x-hop" not in seen["headers"]
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert seen["headers"]["x-forwarded-proto"] == "http"
    assert seen["headers"]["host"] != seen["headers"]["x-forwarded-host"]
    assert httpx.Response(200, content=seen["body"]).json() == body
    # the upstream's cookie reaches the client; the gateway keeps none for the next request
    assert resp.cookies.get("upstream") == "1"
    async with httpx.AsyncClient(base_url=str(gw.base_url)) as other:
        again = await other.get("/api/v1/jobs")
    assert "cookie" not in again.json()["headers"]


async def test_a_large_body_is_streamed_and_arrives_whole(gw, jobs):
    payload = bytes(range(256)) * 4096  # 1 MiB, above the buffered size
    resp = await gw.post(
        "/api/v1/jobs", content=payload, headers={"Content-Type": "application/octet-stream"}
    )
    assert resp.json()["body_length"] == len(payload)
    assert resp.json()["headers"]["content-length"] == str(len(payload))

    async def chunks():
        for _ in range(4):
            yield b"x" * 100_000

    chunked = await gw.post("/api/v1/jobs", content=chunks())
    assert chunked.json()["body_length"] == 400_000


async def test_a_bodiless_request_sends_no_body(gw, jobs):
    resp = await gw.get("/api/v1/jobs")
    headers = resp.json()["headers"]
    assert "transfer-encoding" not in headers
    assert headers.get("content-length", "0") == "0"


async def test_request_id_is_added_and_propagated(gw, jobs):
    fresh = await gw.get("/api/v1/jobs")
    rid = fresh.headers["x-request-id"]
    assert uuid.UUID(rid)
    assert fresh.json()["headers"]["x-request-id"] == rid
    assert fresh.headers.get_list("x-request-id") == [rid]

    mine = await gw.get("/api/v1/jobs", headers={"X-Request-ID": "client-req-42"})
    assert mine.headers["x-request-id"] == "client-req-42"
    assert mine.json()["headers"]["x-request-id"] == "client-req-42"

    problem = await gw.get("/api/v1/nowhere", headers={"X-Request-ID": "client-req-43"})
    assert problem.headers["x-request-id"] == "client-req-43"

    # a value that could not be a request id is replaced
    odd = await gw.get("/api/v1/jobs", headers={"X-Request-ID": "a b;c"})
    assert uuid.UUID(odd.headers["x-request-id"])


async def test_server_sent_events_arrive_incrementally_without_a_timeout(
    gateway_settings, identity
):
    settings = gateway_settings(upstream_timeout_seconds=0.5)
    async with running_gateway(settings) as client:
        async with client.stream("GET", "/api/v1/me/events") as resp:
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/event-stream")
            lines = resp.aiter_lines()
            first = await asyncio.wait_for(anext(lines), 5)
            # the upstream holds the second event back: the first arrived on its own
            assert first == "data: first"
            assert not identity.sse_release.is_set()
            await asyncio.sleep(1.0)  # longer than the upstream timeout
            identity.sse_release.set()
            assert await asyncio.wait_for(anext(lines), 5) == ""
            assert await asyncio.wait_for(anext(lines), 5) == "data: second"
        # the client went away: the gateway closes the upstream stream too (while it runs on)
        await eventually(identity.sse_closed.is_set, timeout=5)


async def test_upstream_down_is_503(gw):
    resp = await gw.get("/api/v1/conversations")  # messaging: nothing listens
    assert resp.status_code == 503
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["code"] == "service_unavailable"
    assert "サービスを利用できません" in resp.json()["detail"]
    en = await gw.get("/api/v1/conversations", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert en.json()["detail"] == "The service is unavailable. Please try again later."


async def test_slow_upstream_is_504(gateway_settings, jobs):
    jobs.slow_seconds = 3.0
    async with running_gateway(gateway_settings(upstream_timeout_seconds=0.3)) as client:
        started = time.monotonic()
        resp = await client.get("/api/v1/jobs/slow")
        assert resp.status_code == 504
        assert resp.json()["code"] == "gateway_timeout"
        assert time.monotonic() - started < 2.0
        # the pool is still fine afterwards
        assert (await client.get("/api/v1/jobs")).status_code == 200


async def test_broken_upstream_is_502(gateway_settings):
    async with (
        garbage_server() as url,
        running_gateway(gateway_settings(applications_url=url)) as client,
    ):
        resp = await client.post("/api/v1/applications", json={"job_id": "j"})
        assert resp.status_code == 502
        assert resp.json()["code"] == "bad_gateway"


async def test_a_redirect_never_names_the_upstream_and_a_trailing_slash_escapes_no_route(
    gateway_settings, identity
):
    """A redirect from a service keeps only its path; ``/api/v1/auth/login/`` is not the
    login route's parent (no upstream call, so no way round the login rate limit)."""
    settings = gateway_settings(rate_limit_per_minute=1, rate_limit_burst=1)
    async with running_gateway(settings) as client:
        moved = await client.get("/api/v1/auth/moved")
        assert moved.status_code == 307
        assert moved.headers["location"] == "/api/v1/occupations"
        assert "127.0.0.1" not in moved.headers["location"]

        identity.reset()
        for path in ("/api/v1/auth/login/", "/api/v1/auth//login", "/api/v1/jobs/"):
            resp = await client.post(path, json={})
            assert resp.status_code == 404, path
            assert resp.json()["code"] == "not_found"
        assert identity.seen == []
        first = await client.post("/api/v1/auth/login", json={})
        assert first.status_code == 200
        assert (await client.post("/api/v1/auth/login", json={})).status_code == 429
