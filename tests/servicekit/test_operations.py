"""The operational side every service shares: its AsyncAPI as a page, bounded metric labels, the
outbox backlog gauge."""

from __future__ import annotations

import importlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY, generate_latest
from pymongo import AsyncMongoClient

from contracts import Envelope
from servicekit import outbox
from servicekit.outbox import OutboxRelay
from servicekit.runtime import RequestContext, bounded, method_label
from tests.conftest import MONGODB_URL, RUN_ID

SERVICES = {
    "identity": "IdentitySettings",
    "jobs": "JobsSettings",
    "applications": "ApplicationsSettings",
    "messaging": "MessagingSettings",
    "notifier": "NotifierSettings",
}


def test_bounded_labels() -> None:
    assert bounded("a", {"a", "b"}) == "a"
    assert bounded("anything else", {"a", "b"}) == "other"
    assert method_label("GET") == "GET" and method_label("DELETE") == "DELETE"
    assert method_label("PROPFIND") == "other" and method_label("get") == "other"


async def test_request_metrics_count_an_unknown_method_as_other() -> None:
    app = FastAPI()

    @app.api_route("/things/{thing_id}", methods=["GET", "BREW"])
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    service = f"t{uuid.uuid4().hex[:6]}"
    transport = httpx.ASGITransport(app=RequestContext(app, service=service))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for i in range(3):
            assert (await client.request("BREW", f"/things/{i}")).status_code == 200
        await client.get("/nowhere/at/all")
    text = generate_latest().decode()
    assert f'method="other",route="/things/{{thing_id}}",service="{service}",status="200"' in text
    assert f'method="GET",route="unmatched",service="{service}",status="404"' in text
    assert "/nowhere" not in text and 'method="BREW"' not in text


@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_each_service_serves_its_asyncapi_as_a_page(make_settings, name: str) -> None:
    module = importlib.import_module(f"services.{name}.app")
    settings_cls = getattr(importlib.import_module(f"services.{name}.settings"), SERVICES[name])
    app = module.create_app(make_settings(settings_cls))
    transport = httpx.ASGITransport(app=app)  # no lifespan: the documents need no broker
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get("/asyncapi")
        document = (await client.get("/asyncapi.json")).json()
        viewer = await client.get("/asyncapi/viewer")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.startswith("<!DOCTYPE html>")
    # works offline and under a strict policy: no script, nothing from elsewhere
    assert "<script" not in page.text and "https://" not in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert f"hataraku {name}" in page.text and 'href="/asyncapi.json"' in page.text
    for operation in document["operations"]:
        assert f"<code>{operation}</code>" in page.text, operation
    for schema in document["components"]["schemas"]:
        assert f'id="schema-{schema}"' in page.text, schema
    # FastStream's interactive viewer, which loads its script from a CDN
    assert viewer.status_code == 200 and "unpkg.com/@asyncapi/react-component" in viewer.text


class Bus:
    """Publishes, or fails while ``down``."""

    def __init__(self) -> None:
        self.down = True
        self.published: list[Envelope] = []

    async def publish(self, envelope: Envelope) -> None:
        if self.down:
            raise ConnectionError("broker away")
        self.published.append(envelope)


def pending_gauge(service: str, collection: str) -> float | None:
    return REGISTRY.get_sample_value(
        "hataraku_outbox_pending", {"service": service, "collection": collection}
    )


@pytest.mark.integration
async def test_the_sweep_sets_the_outbox_backlog_gauge(infra) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_URL)
    try:
        db = client[f"t{RUN_ID}_outbox_gauge"]
        name = f"c{uuid.uuid4().hex[:8]}"
        bus = Bus()
        relay = OutboxRelay(db, bus, [name], service="tsvc")  # type: ignore[arg-type]
        await relay.ensure_indexes()
        old = datetime.now(UTC) - timedelta(minutes=1)
        await db[name].insert_many(
            [{"_id": i, "outbox": [{**outbox.entry(_envelope()), "at": old}]} for i in range(3)]
            + [{"_id": 9, "done": True}]  # nothing pending: not counted
        )
        await relay.sweep()  # the broker is away: nothing leaves, the backlog shows
        assert pending_gauge("tsvc", name) == 3
        bus.down = False
        await db[name].update_many({}, {"$unset": {"outbox_lease": ""}})
        await relay.sweep()
        assert len(bus.published) == 3
        assert pending_gauge("tsvc", name) == 0
    finally:
        await client.close()


def _envelope() -> Envelope:
    return Envelope(
        id=uuid.uuid4(),
        type="test.thing.happened.v1",
        occurred_at=datetime.now(UTC),
        producer="test",
        correlation_id="c1",
        subject="s1",
        data={},
    )
