"""One request's trace across processes: the whole system runs with OTEL_EXPORTER_OTLP_ENDPOINT
pointing at a small OTLP/HTTP collector of the test's own (protobuf, decoded with
opentelemetry-proto). Staff register a seeker through the gateway: gateway → identity (HTTP) →
identity's outbox → RabbitMQ → the jobs and messaging consumers. Then issue 14's journey: a
seeker applies directly to a posting through the gateway → applications (its MongoDB commands)
→ its outbox → RabbitMQ → the messaging and notifier consumers (the employer's notification),
and the employer sees the applicant. Every span of such a request shares one trace id, and each
one's parent is a span of the same trace."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
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

from contracts.applications import ApplicationSubmitted
from contracts.identity import SeekerRegistered
from tests.conftest import eventually
from tests.e2e.test_applications import login, open_mypage, posting, until
from tests.system import System, whole_system

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

STAFF_PASSWORD = "Shokuin#2026"
# OTLP's span kinds
SERVER, CLIENT, CONSUMER = 2, 3, 5


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


def complete(spans: list[Span], root: Span) -> bool:
    ids = {s.span_id for s in spans}
    return all(s.parent in ids for s in spans if s is not root)


async def settled(seen: Callable[[], list[Span] | None], root: Span) -> list[Span]:
    """The trace's spans once ``seen`` finds them and every parent is exported too (when one
    never is, the spans as they are: the test's own assertion then names the orphan)."""

    def whole() -> list[Span] | None:
        spans = seen()
        return spans if spans and complete(spans, root) else None

    try:
        found: list[Span] = await eventually(whole, timeout=60, interval=0.3)
    except AssertionError:
        found = await eventually(seen, timeout=1, interval=0.3)
    return found


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
    await system.create_staff(staff_email, STAFF_PASSWORD)
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

    # spans arrive in batches, a parent after its children (it ends last): wait for the whole
    spans = await settled(lambda: consumers_seen(), root)
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
    # the gateway's call to identity is a CLIENT span between its request span and identity's
    call = by_id[identity_server.parent]
    assert call.service == "gateway" and call.kind == CLIENT and call.parent == root.span_id
    assert call.attributes.get("http.response.status_code") == 201
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


def lineage(span: Span, by_id: dict[str, Span]) -> list[Span]:
    """The span's ancestors, its parent first, the trace's root last."""
    out = []
    while span.parent:
        span = by_id[span.parent]
        out.append(span)
    return out


async def test_seeker_applies_employer_sees_the_applicant_and_is_notified_in_one_trace(
    traced_system: System, collector: Collector
) -> None:
    system = traced_system
    tag = uuid.uuid4().hex[:8]
    staff_email = f"staff-{tag}@hataraku.example"
    await system.create_staff(staff_email, STAFF_PASSWORD)
    async with httpx.AsyncClient(base_url=system.gateway, timeout=30) as gw:
        staff = await login(gw, staff_email, STAFF_PASSWORD)
        seeker_email = f"seeker-{tag}@example.jp"
        r = await gw.post(
            "/api/v1/staff/seekers",
            headers=staff,
            json={"email": seeker_email, "name": "山田 花子", "birth_date": "1992-07-15"},
        )
        assert r.status_code == 201, r.text
        employer_email = f"saiyo-{tag}@example.co.jp"
        r = await gw.post(
            "/api/v1/staff/employers",
            headers=staff,
            json={
                "name": "株式会社はたらく商事",
                "email": employer_email,
                "address": "東京都新宿区西新宿2-8-1",
                "industry": "情報通信業",
            },
        )
        assert r.status_code == 201, r.text
        establishment = r.json()["establishment_number"]
        await open_mypage(
            system, gw, employer_email,
            account_type="employer", establishment_number=establishment,
        )  # fmt: skip
        employer = await login(gw, employer_email, "Hataraku-2026")
        r = await until(
            lambda: gw.post("/api/v1/jobs", json=posting(), headers=employer),
            lambda r: r.status_code == 201,
            timeout=30,
        )
        assert r.status_code == 201, r.text
        job_id = r.json()["job_id"]
        await open_mypage(system, gw, seeker_email, account_type="seeker", birth_date="1992-07-15")
        seeker = await login(gw, seeker_email, "Hataraku-2026")

        # the seeker applies (the applications service learns of the posting from jobs' events)
        body = {"job_id": job_id, "route": "direct", "motivation": "御社の開発に携わりたいです。"}
        r = await until(
            lambda: gw.post("/api/v1/applications", json=body, headers=seeker),
            lambda r: r.status_code == 201,
            timeout=30,
        )
        assert r.status_code == 201, r.text
        application_id = r.json()["application_id"]
        request_id = r.headers["x-request-id"]

        # the employer sees the applicant, and is notified
        listed = await until(
            lambda: gw.get("/api/v1/employer/applications", headers=employer),
            lambda r: application_id in r.text,
        )
        assert application_id in [i["application_id"] for i in listed.json()["items"]]
        notified = await until(
            lambda: gw.get("/api/v1/me/notifications", headers=employer),
            lambda r: any(i["type"] == "application" for i in r.json().get("items", [])),
            timeout=30,
        )
        assert any(i["type"] == "application" for i in notified.json()["items"]), notified.text

    def gateway_span() -> Span | None:
        with collector.lock:
            for s in collector.spans:
                if s.service == "gateway" and s.attributes.get("request_id") == request_id:
                    return s
        return None

    root = await eventually(gateway_span, timeout=30, interval=0.2)
    assert root.parent == "" and root.name == "POST /api/v1/applications"

    def handled(spans: list[Span], service: str) -> list[Span]:
        return [
            s
            for s in spans
            if s.service == service
            and s.kind == CONSUMER
            and s.attributes.get("hataraku.event_type") == ApplicationSubmitted.TYPE
        ]

    def consumers_seen() -> list[Span] | None:
        spans = collector.trace(root.trace_id)
        done = all(handled(spans, service) for service in ("messaging", "notifier"))
        # the notifier's MongoDB commands within its handler are exported with it
        return (
            spans
            if done and any(s.kind == CLIENT and s.service == "notifier" for s in spans)
            else None
        )

    spans = await settled(consumers_seen, root)
    assert {"gateway", "applications", "messaging", "notifier"} <= {s.service for s in spans}
    by_id = {s.span_id: s for s in spans}
    for s in spans:
        if s is not root:
            assert s.trace_id == root.trace_id
            assert s.parent in by_id, f"{s.service} {s.name}: parent {s.parent} not in the trace"

    [server] = [s for s in spans if s.service == "applications" and s.kind == SERVER]
    assert server.name == "POST /api/v1/applications"
    call = by_id[server.parent]  # the gateway's CLIENT span for its call to applications
    assert call.service == "gateway" and call.kind == CLIENT and call.parent == root.span_id

    # the application's MongoDB commands: CLIENT spans within the request, no value among them
    mongo = [
        s
        for s in spans
        if s.service == "applications"
        and s.kind == CLIENT
        and s.attributes.get("db.system.name") == "mongodb"
    ]
    assert mongo and all(server in lineage(s, by_id) for s in mongo)
    assert any(s.attributes.get("db.operation.name") == "insert" for s in mongo)
    for s in mongo:
        assert s.name == f"{s.attributes['db.operation.name']} {s.attributes['db.collection.name']}"
        assert str(s.attributes["db.namespace"]).endswith("_applications")
        assert application_id not in str(s.attributes) and seeker_email not in str(s.attributes)

    # each consumer continues the request: applications' relay publish is its parent
    for service in ("messaging", "notifier"):
        [consumer] = handled(spans, service)
        up = lineage(consumer, by_id)
        assert server in up and up[-1] == root
        assert by_id[consumer.parent].service == "applications"
    # the employer's notification is written within the notifier's handler
    [notifier] = handled(spans, "notifier")
    assert any(
        s.kind == CLIENT and notifier in lineage(s, by_id) for s in spans if s.service == "notifier"
    )
