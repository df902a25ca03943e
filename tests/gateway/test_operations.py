"""The merged /api/openapi.json and its Swagger UI at /api/docs, /healthz on the public port, and
the internal listener: /readyz, /status/upstreams, /metrics (404 on the public port)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from prometheus_client import generate_latest

from gateway import dispatch
from gateway.app import create_app
from gateway.listeners import server
from gateway.openapi import merge
from gateway.settings import GatewaySettings
from tests.conftest import running
from tests.gateway.conftest import running_gateway
from tests.ports import free_port

pytestmark = pytest.mark.integration


@asynccontextmanager
async def listening(
    settings: GatewaySettings,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """The gateway as python -m gateway serves it (gateway.listeners.server): clients for its
    public and its internal port."""
    uv, sockets = server(create_app(settings), settings, timeout_graceful_shutdown=2, loop="auto")
    task = asyncio.create_task(uv.serve(sockets=sockets))
    try:
        while not uv.started:
            if task.done():
                task.result()
                raise RuntimeError("the gateway did not start")
            await asyncio.sleep(0.01)
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}") as public,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.internal_port}") as internal,
        ):
            yield public, internal
    finally:
        uv.should_exit = True
        await task


@pytest.fixture
def two_ports(gateway_settings):
    def build(**overrides) -> GatewaySettings:
        return gateway_settings(http_port=free_port(), internal_port=free_port(), **overrides)

    return build


async def test_docs_is_swagger_ui_over_the_merged_document(gw):
    page = await gw.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-url="/api/openapi.json"' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp
    # every file the page loads is served by the gateway itself (no CDN)
    assert "https://" not in page.text and "//cdn" not in page.text
    for src in ("swagger-ui-bundle.js", "swagger-init.js", "swagger-ui.css", "favicon.png"):
        assert f"/api/docs/{src}" in page.text
        asset = await gw.get(f"/api/docs/{src}")
        assert asset.status_code == 200, src
        assert asset.content
    bundle = await gw.get("/api/docs/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    init = await gw.get("/api/docs/swagger-init.js")
    assert "data-url" in init.text
    assert (await gw.get("/api/docs/../settings.py")).status_code == 404
    assert (await gw.get("/api/docs/nothing.js")).status_code == 404


async def test_docs_merge_the_services_and_the_gateway(gw):
    resp = await gw.get("/api/openapi.json")
    assert resp.status_code == 200
    spec = resp.json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    assert "/api/v1/occupations" in paths  # from identity
    assert "/api/v1/jobs/{job_id}" in paths  # from jobs
    assert "/api/v1/status" in paths and "/api/v1/admin/maintenance" in paths  # the gateway's own
    # identity's document also had a path the gateway sends to jobs: left out
    assert "/api/v1/jobs/stray" not in paths
    # both services call a schema "Item": the second one is renamed and its references follow
    schemas = spec["components"]["schemas"]
    assert set(schemas["Item"]["properties"]) == {"code", "name"}
    assert set(schemas["jobs_Item"]["properties"]) == {"job_id", "title"}
    job = paths["/api/v1/jobs/{job_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert job["schema"]["$ref"] == "#/components/schemas/jobs_Item"
    occupations = paths["/api/v1/occupations"]["get"]["responses"]["200"]["content"]
    assert occupations["application/json"]["schema"]["items"]["$ref"] == "#/components/schemas/Item"
    # identical schemas are shared, not duplicated
    assert "HTTPValidationError" in schemas and "jobs_HTTPValidationError" not in schemas
    assert "MaintenanceUpdate" in schemas
    # messaging is down: named, not fatal
    assert "messaging" in spec["info"]["description"]
    assert spec["info"]["x-missing-services"] == ["messaging"]


def test_merge_renames_transitively_and_keeps_operation_ids_unique() -> None:
    own = {"openapi": "3.1.0", "paths": {}}
    a = {
        "paths": {
            "/a": {
                "get": {
                    "operationId": "read",
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Outer"}
                                }
                            }
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Outer": {"properties": {"x": {"$ref": "#/components/schemas/Inner"}}},
                "Inner": {"type": "string"},
            }
        },
    }
    b = {
        "paths": {
            "/b": {
                "get": {
                    "operationId": "read",
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Outer"}
                                }
                            }
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                # same Outer text, but its Inner differs, so Outer must be renamed too
                "Outer": {"properties": {"x": {"$ref": "#/components/schemas/Inner"}}},
                "Inner": {"type": "integer"},
            }
        },
    }
    owners = {"/a": "one", "/b": "two"}
    merged = merge(own, {"one": a, "two": b}, owners.get)
    schemas = merged["components"]["schemas"]
    assert schemas["two_Inner"] == {"type": "integer"}
    assert schemas["two_Outer"]["properties"]["x"]["$ref"] == "#/components/schemas/two_Inner"
    ref = merged["paths"]["/b"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ref["$ref"] == "#/components/schemas/two_Outer"
    assert merged["paths"]["/a"]["get"]["operationId"] == "read"
    assert merged["paths"]["/b"]["get"]["operationId"] == "two_read"


async def test_operations_paths_are_not_public_and_never_reach_web(gateway_settings, jobs):
    # web configured (the jobs stand-in plays it): unknown non-API paths go to it, these do not
    async with running_gateway(gateway_settings(web_url=jobs.url)) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok", "service": "gateway"}
        assert (await client.get("/somewhere")).json()["service"] == "jobs"  # web's
        jobs.reset()
        for path in ("/metrics", "/readyz", "/status/upstreams", "/metrics/", "/readyz/x"):
            resp = await client.get(path)
            assert resp.status_code == 404, path
            assert resp.headers["content-type"].startswith("application/problem+json"), path
        assert jobs.seen == []


async def test_internal_listener_readiness_upstreams_and_metrics(two_ports, identity, jobs):
    # messaging is down: the gateway is still ready (its database answers)
    settings = two_ports()
    async with listening(settings) as (public, internal):
        await public.get("/api/v1/jobs")
        assert (await public.get("/healthz")).status_code == 200
        for path in ("/readyz", "/metrics", "/status/upstreams"):
            assert (await public.get(path)).status_code == 404, path

        ready = await internal.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ready", "checks": {"database": {"ready": True}}}
        assert (await internal.get("/healthz")).status_code == 200

        upstreams = await internal.get("/status/upstreams")
        assert upstreams.status_code == 503
        checks = upstreams.json()["upstreams"]
        assert checks["messaging"]["ready"] is False
        assert checks["identity"]["ready"] is True and checks["jobs"]["ready"] is True
        jobs.ready = False
        try:
            assert (await internal.get("/readyz")).status_code == 200  # still ready
            checks = (await internal.get("/status/upstreams")).json()["upstreams"]
            assert checks["jobs"] == {"ready": False, "status": 503}
        finally:
            jobs.ready = True

        metrics = await internal.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        assert (
            'hataraku_http_requests_total{method="GET",route="/api/v1/jobs",service="gateway"'
            in metrics.text
        )
        assert "hataraku_gateway_upstream_errors_total" in metrics.text
        # the internal port serves nothing else: no API, no web
        assert (await internal.get("/api/v1/jobs")).status_code == 404


async def test_readyz_fails_when_its_own_database_does_not_answer(two_ports):
    settings = two_ports(mongodb_url="mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300")
    async with listening(settings) as (_, internal):
        resp = await internal.get("/readyz")
        assert resp.status_code == 503
        assert resp.json()["checks"]["database"]["ready"] is False


def test_the_internal_port_must_differ_from_the_public_one(make_settings):
    with pytest.raises(ValueError, match="INTERNAL_PORT"):
        make_settings(GatewaySettings, http_port=8000, internal_port=8000)


async def test_labels_from_input_are_bounded(gw):
    """A client picks the method (any the HTTP parser knows; h11 takes any token at all) and
    other systems the codes of errors: neither grows a series."""
    for method in ("PROPFIND", "PURGE", "MKCOL"):
        await gw.request(method, "/api/v1/jobs")
    dispatch.rejected("an-error-code-nobody-planned")
    text = generate_latest().decode()
    assert "PROPFIND" not in text and "PURGE" not in text
    assert 'hataraku_http_requests_total{method="other",route="/api/v1/jobs"' in text
    assert 'hataraku_gateway_rejected_total{reason="other"}' in text
    assert "an-error-code-nobody-planned" not in text


async def test_the_app_also_runs_in_process_with_the_shared_running_helper(gateway_settings):
    async with running(create_app(gateway_settings())) as client:
        assert (await client.get("/healthz")).status_code == 200
        status = await client.get("/api/v1/status")
        assert status.json()["maintenance"] is False
        assert status.headers["x-request-id"]
        assert (await client.get("/api/v1/jobs")).json()["service"] == "jobs"
