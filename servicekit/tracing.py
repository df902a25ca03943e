"""OpenTelemetry traces: one trace per request, end to end.

    gateway (SERVER span) ──traceparent──▶ service (SERVER span) ──▶ outbox entry (traceparent
    stored beside the event) ──relay──▶ RabbitMQ message headers (FastStream's middleware) ──▶
    consumer (CONSUMER span, same trace) ──▶ its own outbox events ──▶ …

Configured once per process (``setup``) from the standard ``OTEL_*`` variables:

- ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) set: spans are
  exported with OTLP over HTTP/protobuf by a batch processor on a thread of its own (a queue of
  at most 2,048 spans, dropped when full), so a slow or absent collector never slows or fails a
  request. ``OTEL_EXPORTER_OTLP_HEADERS``/``_TIMEOUT``/``_COMPRESSION`` and the sampler
  (``OTEL_TRACES_SAMPLER``, ``OTEL_TRACES_SAMPLER_ARG``; default: parent-based, always on) are
  read by the SDK itself; ``OTEL_SERVICE_NAME`` overrides the service's name.
- no endpoint, or ``OTEL_TRACES_EXPORTER=none``: no exporter, no processor, no thread, and only
  the edges make spans (the gateway's and each service's SERVER span: a few microseconds each).
  Messages still carry the ``traceparent`` (``Bus.publish_raw``) and a consumer continues it
  without a span of its own (``Consumer._on_message``), so every log line of the work carries
  its ``trace_id`` and the ids stay linked across processes. FastStream's OpenTelemetry
  middleware (two spans per publish, one per message handled: ~150 µs of CPU per publish,
  measured) runs only while spans are recorded (``recording``).
- ``OTEL_SDK_DISABLED=true``: nothing at all (the API's no-op tracer; a trace id that arrives
  is passed on unchanged).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = structlog.get_logger()

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
PROPAGATOR = TraceContextTextMapPropagator()
TRACER = trace.get_tracer("hataraku")

_configured: dict[str, Any] = {}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def exporting(env: Mapping[str, str]) -> bool:
    """Whether the environment asks for spans to be exported (OTLP over HTTP)."""
    if _flag(env.get("OTEL_SDK_DISABLED")):
        return False
    if (env.get("OTEL_TRACES_EXPORTER") or "otlp").strip().lower() in {"none", ""}:
        return False
    return bool(
        env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


def setup(service: str, env: Mapping[str, str] | None = None) -> TracerProvider | None:
    """Install this process's tracer provider (once: later calls return the first one)."""
    env = os.environ if env is None else env
    if "provider" in _configured:
        provider: TracerProvider | None = _configured["provider"]
        return provider
    if _flag(env.get("OTEL_SDK_DISABLED")):
        _configured["provider"] = None
        return None
    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME") or service})
    provider = TracerProvider(resource=resource)
    _configured["provider"] = provider
    if exporting(env):
        # imported only when used: the exporter pulls in an HTTP client
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        add_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


class _Processors(SpanProcessor):
    """The provider's one span processor, forwarding to those added (and not removed)."""

    def __init__(self) -> None:
        self.each: list[SpanProcessor] = []

    def on_start(self, span: Any, parent_context: Context | None = None) -> None:
        for processor in self.each:
            processor.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        for processor in self.each:
            processor.on_end(span)

    def shutdown(self) -> None:
        for processor in self.each:
            processor.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(processor.force_flush(timeout_millis) for processor in self.each)


def _processors() -> _Processors:
    provider = _configured.get("provider")
    if provider is None:
        raise RuntimeError("tracing is not set up (or disabled)")
    fanout: _Processors | None = _configured.get("processors")
    if fanout is None:
        fanout = _configured["processors"] = _Processors()
        provider.add_span_processor(fanout)
    return fanout


def add_processor(processor: SpanProcessor) -> None:
    """Send finished spans to ``processor`` too (the OTLP exporter; a test's in-memory one)."""
    _processors().each.append(processor)


def remove_processor(processor: SpanProcessor) -> None:
    _processors().each.remove(processor)


def recording() -> bool:
    """Whether spans go anywhere. Only then are the finer spans made (FastStream's publish and
    process spans, FastAPI's operation spans): without an exporter only the ids travel.
    (Brokers built before a change keep what they were built with.)"""
    fanout: _Processors | None = _configured.get("processors")
    return bool(fanout and fanout.each)


def shutdown(timeout_seconds: float = 5.0) -> None:
    """Send what is queued (at most ``timeout_seconds``), at the end of the process."""
    provider = _configured.get("provider")
    if provider is not None:
        provider.force_flush(timeout_millis=int(timeout_seconds * 1000))


class _AsgiHeaders(Getter[list[tuple[bytes, bytes]]]):
    """Reads W3C trace context from ASGI's raw header list."""

    def get(self, carrier: list[tuple[bytes, bytes]], key: str) -> list[str] | None:
        name = key.encode("latin-1")
        values = [v.decode("latin-1") for k, v in carrier if k == name]
        return values or None

    def keys(self, carrier: list[tuple[bytes, bytes]]) -> list[str]:
        return [k.decode("latin-1") for k, _ in carrier]


_ASGI_GETTER = _AsgiHeaders()


def from_asgi_headers(headers: list[tuple[bytes, bytes]]) -> Context:
    """The remote parent a request names in its ``traceparent`` header (an empty context when
    it names none or a malformed one)."""
    return PROPAGATOR.extract(headers, getter=_ASGI_GETTER)


def from_carrier(carrier: Mapping[str, Any] | None) -> Context | None:
    """The context a stored or received ``traceparent`` names, or None."""
    if not carrier or not carrier.get(TRACEPARENT):
        return None
    values = {k: str(v) for k, v in carrier.items() if k in (TRACEPARENT, TRACESTATE) and v}
    ctx = PROPAGATOR.extract(values)
    return ctx if trace.get_current_span(ctx).get_span_context().is_valid else None


def carrier() -> dict[str, str]:
    """The current span's W3C headers (``traceparent``, and ``tracestate`` when there is one);
    empty when no span is current."""
    out: dict[str, str] = {}
    if trace.get_current_span().get_span_context().is_valid:
        PROPAGATOR.inject(out)
    return out


@contextmanager
def continued(stored: Mapping[str, Any] | None) -> Iterator[None]:
    """Make the span a stored ``traceparent`` names the current parent (nothing when none)."""
    ctx = from_carrier(stored)
    if ctx is None:
        yield
        return
    token = otel_context.attach(ctx)
    try:
        yield
    finally:
        otel_context.detach(token)


def start_server_span(
    method: str, headers: list[tuple[bytes, bytes]] | None
) -> tuple[Span, object]:
    """A SERVER span for one HTTP request, made current; ``headers`` are the request's (their
    ``traceparent`` is the parent), None to start a new trace (the public edge). Returns the span
    and the token for ``end_server_span``."""
    parent = from_asgi_headers(headers) if headers else Context()
    span = TRACER.start_span(method, context=parent, kind=SpanKind.SERVER)
    token = otel_context.attach(trace.set_span_in_context(span, parent))
    return span, token


def end_server_span(
    span: Span, token: object, *, method: str, route: str, status: int, **attributes: Any
) -> None:
    """Name the span after the route's template (bounded), record the answer, end it."""
    try:
        if span.is_recording():
            span.update_name(f"{method} {route}")
            span.set_attribute("http.request.method", method)
            span.set_attribute("http.route", route)
            span.set_attribute("http.response.status_code", status)
            for key, value in attributes.items():
                if value is not None:
                    span.set_attribute(key, value)
            if status >= 500:
                span.set_status(StatusCode.ERROR)
        span.end()
    finally:
        otel_context.detach(token)  # type: ignore[arg-type]


def add_trace_ids(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the current span's ``trace_id`` and ``span_id`` on every line."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event.setdefault("trace_id", format(ctx.trace_id, "032x"))
        event.setdefault("span_id", format(ctx.span_id, "016x"))
    return event
