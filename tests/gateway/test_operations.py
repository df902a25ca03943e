"""The merged /api/docs, /healthz, /readyz and /metrics."""

from __future__ import annotations

import pytest

from gateway.app import create_app
from gateway.openapi import merge
from tests.conftest import running
from tests.gateway.conftest import running_gateway

pytestmark = pytest.mark.integration


async def test_docs_merge_the_services_and_the_gateway(gw):
    resp = await gw.get("/api/docs")
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


async def test_healthz_and_metrics(gw):
    assert (await gw.get("/healthz")).json() == {"status": "ok", "service": "gateway"}
    await gw.get("/api/v1/jobs")
    metrics = await gw.get("/metrics")
    assert metrics.status_code == 200
    assert (
        'hataraku_http_requests_total{method="GET",route="/api/v1/jobs",service="gateway"'
        in metrics.text
    )
    assert "hataraku_gateway_upstream_errors_total" in metrics.text


async def test_readyz_needs_every_upstream(gateway_settings, identity, jobs):
    async with running_gateway(gateway_settings()) as client:
        resp = await client.get("/readyz")
        assert resp.status_code == 503  # messaging is down
        checks = resp.json()["checks"]
        assert checks["messaging"]["ready"] is False
        assert checks["identity"]["ready"] is True and checks["jobs"]["ready"] is True
        assert checks["database"]["ready"] is True
    settings = gateway_settings(messaging_url=jobs.url)
    async with running_gateway(settings) as client:
        resp = await client.get("/readyz")
        assert resp.status_code == 200
        assert resp.json()["status"] == "ready"
        jobs.ready = False
        try:
            resp = await client.get("/readyz")
            assert resp.status_code == 503
            assert resp.json()["checks"]["jobs"] == {"ready": False, "status": 503}
        finally:
            jobs.ready = True


async def test_the_app_also_runs_in_process_with_the_shared_running_helper(gateway_settings):
    async with running(create_app(gateway_settings())) as client:
        assert (await client.get("/healthz")).status_code == 200
        status = await client.get("/api/v1/status")
        assert status.json()["maintenance"] is False
        assert status.headers["x-request-id"]
        assert (await client.get("/api/v1/jobs")).json()["service"] == "jobs"
