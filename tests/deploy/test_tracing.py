"""One request's trace across processes: the whole system runs with OTEL_EXPORTER_OTLP_ENDPOINT
pointing at a small OTLP/HTTP collector of the test's own (protobuf, decoded with
opentelemetry-proto). Staff register a seeker through the gateway: gateway → identity (HTTP) →
identity's outbox → RabbitMQ → the jobs and messaging consumers. Every span of that request
shares one trace id, and each one's parent is a span of the same trace."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from contracts.identity import SeekerRegistered
from tests.conftest import eventually
from tests.system import System, whole_system

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

STAFF_PASSWORD = "Shokuin#2026"


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent: str
    kind: int
    attributes: dict[str, Any]


class Collector:
    """POST /v1/traces (OTLP/HTTP, protobuf): keeps every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.end_headers()
                    return
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                collector.add(request)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def add(self, request: ExportTraceServiceRequest) -> None:
        found = []
        for resource_spans in request.resource_spans:
            attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            service = attrs.get("service.name", "")
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    found.append(
                        Span(
                            service=service,
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent=span.parent_span_id.hex(),
                            kind=span.kind,
                            attributes={
                                a.key: a.value.string_value or a.value.int_value
                                for a in span.attributes
                            },
                        )
                    )
        with self.lock:
            self.spans.extend(found)

    def trace(self, trace_id: str) -> list[Span]:
        with self.lock:
            return [s for s in self.spans if s.trace_id == trace_id]

    def __enter__(self) -> Collector:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    with Collector() as c:
        yield c


@pytest.fixture(scope="module")
def traced_system(
    infra: None, collector: Collector, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.port}",
        # send every 0.2 s rather than every 5 s
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }
    base = tmp_path_factory.mktemp("traced")
    # six processes starting at once on two shared cores: give them time
    with whole_system(base, namespace="trace", extra_env=env, ready_timeout=180) as s:
        yield s


def json_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


async def test_one_request_is_one_trace_across_the_gateway_a_service_and_its_consumers(
    traced_system: System, collector: Collector
) -> None:
    system = traced_system
    staff_email = f"staff-{uuid.uuid4().hex[:8]}@hataraku.example"
    created = system.cli(
        "identity",
        "create-staff",
        "--email",
        staff_email,
        "--office-code",
        "13010",
        stdin=STAFF_PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    async with httpx.AsyncClient(base_url=system.gateway, timeout=30) as gw:
        r = await gw.post(
            "/api/v1/auth/login", json={"email": staff_email, "password": STAFF_PASSWORD}
        )
        assert r.status_code == 200, r.text
        staff = {"Authorization": f"Bearer {r.json()['access_token']}"}
        # a client's own traceparent does not choose the trace: the gateway starts it
        foreign = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"
        r = await gw.post(
            "/api/v1/staff/seekers",
            headers={**staff, "traceparent": foreign},
            json={"email": f"s-{uuid.uuid4().hex[:8]}@example.jp", "name": "山田 花子"}
            | {"birth_date": "1992-07-15"},
        )
        assert r.status_code == 201, r.text
        request_id = r.headers["x-request-id"]

    def gateway_span() -> Span | None:
        with collector.lock:
            for s in collector.spans:
                if s.service == "gateway" and s.attributes.get("request_id") == request_id:
                    return s
        return None

    root = await eventually(gateway_span, timeout=30, interval=0.2)
    assert root.parent == ""  # the gateway is the root: the client's traceparent was not taken
    assert root.trace_id != "ab" * 16
    assert root.name == "POST /api/v1/staff/seekers"

    def consumers_seen() -> list[Span] | None:
        spans = collector.trace(root.trace_id)
        handled = [
            s
            for s in spans
            if s.attributes.get("hataraku.event_type") == SeekerRegistered.TYPE
            and s.service in {"jobs", "messaging"}
        ]
        return spans if {s.service for s in handled} == {"jobs", "messaging"} else None

    spans = await eventually(consumers_seen, timeout=60, interval=0.3)
    services = {s.service for s in spans}
    assert {"gateway", "identity", "jobs", "messaging"} <= services

    by_id = {s.span_id: s for s in spans}
    # every span but the root names a parent of the same trace, exported too
    for s in spans:
        if s is not root:
            assert s.parent in by_id, f"{s.service} {s.name}: parent {s.parent} not in the trace"

    def lineage(span: Span) -> list[Span]:
        out = []
        while span.parent:
            span = by_id[span.parent]
            out.append(span)
        return out

    [identity_server] = [s for s in spans if s.service == "identity" and s.kind == 2]  # SERVER
    assert identity_server.parent == root.span_id
    assert identity_server.name == "POST /api/v1/staff/seekers"
    for service in ("jobs", "messaging"):
        [handled] = [
            s
            for s in spans
            if s.service == service
            and s.attributes.get("hataraku.event_type") == SeekerRegistered.TYPE
        ]
        assert handled.kind == 5  # CONSUMER
        up = lineage(handled)
        assert identity_server in up and up[-1] == root
        # the hop through RabbitMQ: the publish side of identity's relay is its parent
        assert by_id[handled.parent].service == "identity"

    # the log lines of that work carry its trace id (identity's relay, the consumers' lines)
    def logged() -> bool:
        lines = json_lines(system.logs / "identity.log")
        return any(
            line.get("trace_id") == root.trace_id and line.get("event") == "outbox.published"
            for line in lines
        )

    await eventually(logged, timeout=10, interval=0.2)
