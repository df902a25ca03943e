"""Web's /metrics (plain HTTP, no browser): requests by route template, bounded labels."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.ports import free_port
from web.app import create_app
from web.settings import WebSettings

pytestmark = pytest.mark.integration


async def test_metrics_count_requests_by_route_template(make_settings) -> None:
    settings = make_settings(
        WebSettings,
        db_name=f"t{uuid.uuid4().hex[:8]}_web_metrics",
        # nothing answers: pages that need the API fail, and are counted all the same
        gateway_url=f"http://127.0.0.1:{free_port()}",
        gateway_timeout_seconds=1,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for job in ("job-1", "job-2", "job-3"):
                await client.get(f"/jobs/{job}")
            await client.get("/healthz")
            await client.get(f"/no/such/page/{uuid.uuid4().hex}")
            await client.request("PROPFIND", "/healthz")
            resp = await client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    assert "set-cookie" not in resp.headers  # no session for Prometheus
    text = resp.text
    assert 'hataraku_http_requests_total{method="GET",route="/jobs/{job_id}",service="web"' in text
    assert (
        'hataraku_http_requests_total{method="GET",route="/healthz",service="web",status="200"}'
        in text
    )
    assert 'route="unmatched",service="web",status="404"' in text
    assert (
        'hataraku_http_request_seconds_bucket{le="0.005",route="/jobs/{job_id}",service="web"}'
        in text
    )
    assert 'method="other",route="/healthz",service="web"' in text
    # neither the requested paths nor the method a client made up
    assert "job-1" not in text and "/no/such" not in text and "PROPFIND" not in text
