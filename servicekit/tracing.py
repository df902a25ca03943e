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

While spans are recorded, each MongoDB command a request or handler sends is a CLIENT span, child
of that request's or handler's span (``MongoCommandSpans``, a PyMongo command listener: the async
client calls it in the task that sends the command). Its attributes are the database, the
collection and the command's name only, never a value of the query or of the reply (personal
data). Commands sent outside any span (start-up, background sweeps) make none.

A collector that is down or never answers costs the requests nothing (the export runs on the
processor's thread) and bounds the end of the process: ``shutdown`` waits at most its timeout,
and at exit the provider is shut down within the exporter's timeout (``OTEL_EXPORTER_OTLP_TIMEOUT``,
default 10 s): what could not be sent by then is dropped.
"""

from __future__ import annotations

import atexit
import os
import threading
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
from pymongo import monitoring

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


def export_timeout(env: Mapping[str, str]) -> float:
    """The OTLP exporter's timeout for one export, in seconds (the SDK's variables; 10 s)."""
    raw = env.get("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") or env.get("OTEL_EXPORTER_OTLP_TIMEOUT")
    try:
        seconds = float(raw) if raw else 10.0
    except ValueError:
        seconds = 10.0
    return seconds if seconds > 0 else 10.0


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
    # the SDK's own exit hook would wait up to 30 s per processor on a collector that does not
    # answer: ours waits at most the exporter's timeout (_at_exit)
    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    _configured["provider"] = provider
    _configured["exit_seconds"] = export_timeout(env)
    atexit.register(_at_exit)
    if exporting(env):
        # imported only when used: the exporter pulls in an HTTP client
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        add_processor(BatchSpanProcessor(OTLPSpanExporter(timeout=export_timeout(env))))
    trace.set_tracer_provider(provider)
    return provider


def _within(seconds: float, work: Any, name: str) -> bool:
    """Run ``work`` on a daemon thread, waiting for it at most ``seconds``: True when it ended
    (an export stuck on a silent collector goes on alone; the process's exit does not wait)."""
    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    thread.join(max(0.0, seconds))
    return not thread.is_alive()


def _at_exit() -> None:
    provider: TracerProvider | None = _configured.get("provider")
    if provider is not None:
        _within(_configured.get("exit_seconds", 10.0), provider.shutdown, "tracing-exit")


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
    _listen_to_mongodb()


def remove_processor(processor: SpanProcessor) -> None:
    _processors().each.remove(processor)


def recording() -> bool:
    """Whether spans go anywhere. Only then are the finer spans made (FastStream's publish and
    process spans, FastAPI's operation spans, MongoDB's command spans): without an exporter only
    the ids travel. (Brokers built before a change keep what they were built with.)"""
    fanout: _Processors | None = _configured.get("processors")
    return bool(fanout and fanout.each)


def shutdown(timeout_seconds: float = 5.0) -> bool:
    """Send what is queued, waiting at most ``timeout_seconds`` (the SDK's flush ignores its
    timeout: each batch may take the exporter's, retries included). Returns whether the flush
    ended in time; one still running goes on, on a daemon thread, until the process exits."""
    provider = _configured.get("provider")
    if provider is None:
        return True
    millis = int(timeout_seconds * 1000)
    return _within(timeout_seconds, lambda: provider.force_flush(millis), "tracing-flush")


class MongoCommandSpans(monitoring.CommandListener):
    """A CLIENT span per MongoDB command sent while a span is current and spans are recorded,
    child of that span (PyMongo calls listeners in the task that sends the command, the async
    client as the threaded one). Named ``<command> <collection>``; attributes: the database, the
    collection and the command's name only (never a value: the commands carry personal data).
    A failure records the server's error code, not its message (a duplicate key's message quotes
    the key)."""

    # spans started and not yet ended, by command; a command cancelled mid-flight (its task
    # cancelled) is told neither success nor failure: the oldest are dropped past this many
    LIMIT = 10_000

    def __init__(self) -> None:
        self._open: dict[tuple[int, Any, int | None], Span] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(event: Any) -> tuple[int, Any, int | None]:
        return (event.request_id, event.connection_id, getattr(event, "server_connection_id", None))

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not recording():
            return
        parent = trace.get_current_span()
        if not parent.get_span_context().is_valid:
            return
        name = event.command_name
        collection = _collection(name, event.command)
        attributes: dict[str, str | int] = {
            "db.system.name": "mongodb",
            "db.system": "mongodb",
            "db.namespace": event.database_name,
            "db.operation.name": name,
        }
        if collection:
            attributes["db.collection.name"] = collection
        host, port = event.connection_id
        attributes["server.address"] = str(host)
        if port is not None:
            attributes["server.port"] = int(port)
        span = TRACER.start_span(
            f"{name} {collection}" if collection else name,
            kind=SpanKind.CLIENT,
            attributes=attributes,
        )
        with self._lock:
            self._open[self._key(event)] = span
            stale = [self._open.pop(next(iter(self._open)))] if len(self._open) > self.LIMIT else []
        for old in stale:
            old.end()

    def _pop(self, event: Any) -> Span | None:
        with self._lock:
            return self._open.pop(self._key(event), None)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        span = self._pop(event)
        if span is None:
            return
        if event.reply.get("writeErrors") or event.reply.get("writeConcernError"):
            span.set_attribute("error.type", "write_error")
            span.set_status(StatusCode.ERROR)
        span.end()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        span = self._pop(event)
        if span is None:
            return
        code = event.failure.get("code")
        if isinstance(code, int):
            span.set_attribute("db.response.status_code", str(code))
        span.set_attribute("error.type", str(event.failure.get("codeName") or "failed"))
        span.set_status(StatusCode.ERROR)
        span.end()


def _collection(command_name: str, command: Mapping[str, Any]) -> str | None:
    """The collection a command names (``find: "jobs"``; ``getMore`` names it apart), or None
    (``ping``, ``hello``: a number there)."""
    value = command.get("collection") if command_name == "getMore" else command.get(command_name)
    return value if isinstance(value, str) and 0 < len(value) <= 120 else None


def _listen_to_mongodb() -> None:
    """Register the command listener once, when spans first go somewhere: PyMongo applies
    listeners to the clients made after, and without an exporter there is none (each command
    otherwise builds its events for nothing)."""
    if "mongo_listener" not in _configured:
        listener = _configured["mongo_listener"] = MongoCommandSpans()
        monitoring.register(listener)


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


@contextmanager
def client_span(name: str, **attributes: Any) -> Iterator[Span]:
    """A CLIENT span for one outgoing call, current while it runs (its ``traceparent`` is what
    ``carrier()`` gives the callee); an exception escaping it marks it failed."""
    with TRACER.start_as_current_span(name, kind=SpanKind.CLIENT) as span:
        if span.is_recording():
            for key, value in attributes.items():
                if value is not None:
                    span.set_attribute(key, value)
        yield span


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
