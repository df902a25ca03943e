"""One process's wiring: database, broker, outbox relay, token verifier, tracing
(servicekit/tracing.py), and the FastAPI app with the operational endpoints (``/healthz``,
``/readyz``, ``/metrics``, ``/asyncapi.json``, and ``/asyncapi``: the same document as a page
that needs no network)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Coroutine,
    Iterable,
    Mapping,
    MutableMapping,
    Sequence,
)
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import structlog
from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import HTMLResponse, JSONResponse
from faststream.specification import AsyncAPI, Specification
from faststream.specification.asyncapi import get_asyncapi_html
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from contracts import Message
from servicekit import asyncapi as asyncapi_html
from servicekit import context, tracing
from servicekit import db as dbmod
from servicekit.auth import TokenVerifier, http_jwks_fetcher
from servicekit.bus import Bus, Consumer, Handler, watch_consumers
from servicekit.clock import Clock, SystemClock
from servicekit.errors import install_error_handlers, problem
from servicekit.outbox import OutboxRelay
from servicekit.revocations import Revocations
from servicekit.settings import ServiceSettings

log = structlog.get_logger()

HTTP_REQUESTS = Counter(
    "hataraku_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "hataraku_http_request_seconds",
    "HTTP request latency",
    ["service", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

# HTTP methods counted by name; any other (a client may send any token) counts as "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER = "other"

Hook = Callable[[], Awaitable[None]]


def bounded(value: str, allowed: Collection[str]) -> str:
    """A label value from outside (a client, another system): itself when it is one of
    ``allowed``, else "other", so that no input can grow a metric's series without bound."""
    return value if value in allowed else OTHER


def method_label(method: str) -> str:
    return bounded(method, METHODS)


class RequestContext:
    """ASGI middleware: request id and correlation id in, ``X-Request-ID`` out, metrics."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:100] or str(uuid.uuid4())
        correlation = headers.get(b"x-correlation-id", b"").decode("latin-1")[:100] or request_id
        token = context.correlation_id.set(correlation)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: AsgiMessage) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # the route's template (bounded by the app's routes), never the requested path
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            method = method_label(scope["method"])
            HTTP_REQUESTS.labels(self.service, method, path, str(status)).inc()
            HTTP_LATENCY.labels(self.service, path).observe(time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars("request_id", "account_id")
            context.correlation_id.reset(token)


BODY_TOO_LARGE_JA = "送信されたデータが大きすぎます。内容を減らして再度お試しください。"
BODY_TOO_LARGE_EN = "The request body is too large."


class BodyTooLarge(Exception):
    """A request body went past its limit (raised by the receive ``limit_body`` returns)."""


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length, or None when it has none (chunked or no body). The HTTP
    server has already refused a malformed one, and delivers no more than it declares."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def limit_body(receive: Receive, limit: int) -> Receive:
    """``receive`` counting the body: past ``limit`` bytes it raises BodyTooLarge instead of
    returning the chunk, and reads nothing more."""
    received = 0

    async def limited() -> AsgiMessage:
        nonlocal received
        if received > limit:
            raise BodyTooLarge
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge
        return message

    return limited


LINGER_SECONDS = 1.0
LINGER_BYTES = 16 * 1024 * 1024


async def linger(receive: Receive) -> None:
    """After a 413 the client may still be sending. Read and drop a bounded amount (a "lingering
    close") before the connection closes: closing a socket with unread data makes the kernel send
    a reset, which can destroy the answer before the client has read it."""
    read = 0
    try:
        async with asyncio.timeout(LINGER_SECONDS):
            while read < LINGER_BYTES:
                message = await receive()
                if message["type"] != "http.request":
                    return
                read += len(message.get("body", b""))
                if not message.get("more_body"):
                    return
    except TimeoutError:
        pass


def body_too_large(scope: Scope) -> JSONResponse:
    """413 problem+json; the connection is closed after it, so the rest of the body is never
    read (uvicorn closes on ``Connection: close``)."""
    english = False
    for name, value in scope["headers"]:
        if name == b"accept-language":
            english = value.split(b",")[0].strip().lower().startswith(b"en")
    return problem(
        413,
        "payload_too_large",
        BODY_TOO_LARGE_EN if english else BODY_TOO_LARGE_JA,
        headers={"Connection": "close"},
    )


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes answers 413 problem+json. A
    Content-Length over the limit is refused before the app runs; a chunked body is counted as it
    arrives and reading stops at the limit (whatever the app made of that is replaced by the
    413). Protects a service reached directly, without the gateway."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None:
            if length > self.limit:
                await body_too_large(scope)(scope, receive, send)
                await linger(receive)
            else:
                await self.app(scope, receive, send)
            return
        limited = limit_body(receive, self.limit)
        exceeded = started = False

        async def guarded_receive() -> AsgiMessage:
            nonlocal exceeded
            try:
                return await limited()
            except BodyTooLarge:
                exceeded = True
                raise

        async def guarded_send(message: AsgiMessage) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to BodyTooLarge (FastAPI makes it a 400) is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await body_too_large(scope)(scope, receive, send)
            await linger(receive)


async def _until_answers(
    what: str, where: str, attempt: Callable[[], Awaitable[Any]], stop: asyncio.Event
) -> None:
    """Retry ``attempt`` every 2 s until it succeeds, saying which URL does not answer and why
    (every 10 s); the process stays up and not ready meanwhile."""
    said = -10.0
    loop = asyncio.get_running_loop()
    while True:
        try:
            await attempt()
            return
        except Exception as exc:
            if loop.time() - said >= 10:
                said = loop.time()
                log.warning(f"{what}.unavailable", url=where, error=repr(exc)[:300])
        try:
            await asyncio.wait_for(stop.wait(), timeout=2)
            raise asyncio.CancelledError
        except TimeoutError:
            pass


def _redact(url: str) -> str:
    """A URL without its password, for the logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


# probes and scrapes: no trace for them
UNTRACED = frozenset({"/healthz", "/readyz", "/metrics"})


def _not_traced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED


class Runtime:
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        clock: Clock | None = None,
        verifier: TokenVerifier | None = None,
    ) -> None:
        self.settings = settings
        # the process's tracer provider (OTEL_* variables; once per process)
        tracing.setup(settings.service_name)
        self.clock: Clock = clock or SystemClock()
        self.client, self.db = dbmod.connect(settings.mongodb_url, settings.database)
        self.bus = Bus(settings)
        self.relay: OutboxRelay | None = None
        self.verifier = verifier or TokenVerifier(
            http_jwks_fetcher(settings.jwks_url),
            issuer=settings.token_issuer,
            audience=settings.token_audience,
        )
        self._started: list[Hook] = []
        self._stopping: list[Hook] = []
        self._stop = asyncio.Event()
        self._background: list[asyncio.Task[None]] = []
        self._boot: asyncio.Task[None] | None = None
        self.booted = False
        # every process refuses the access tokens of ended sessions (servicekit.revocations):
        # its own queue of identity's session facts, kept in its own database
        self.revocations = Revocations(self.db)
        self.verifier.revocations = self.revocations
        self.consume(
            f"{settings.service_name}.sessions",
            self.revocations.handlers,
            description="Ended login sessions: their access tokens are refused from now on.",
        )

    # --- wiring, called from a service's create_app -------------------------------------------

    def outbox(self, collections: Sequence[str]) -> OutboxRelay:
        self.relay = OutboxRelay(
            self.db,
            self.bus,
            list(collections),
            poll_seconds=self.settings.outbox_poll_seconds,
            service=self.settings.service_name,
        )
        return self.relay

    def consume(
        self, queue: str, handlers: Mapping[type[Message], Handler], *, description: str = ""
    ) -> Consumer:
        return self.bus.consumer(queue, handlers, db=self.db, description=description)

    def publishes(self, *messages: type[Message]) -> None:
        """Document what this service publishes (AsyncAPI); publishing goes through the outbox."""
        for model in messages:
            self.bus.broker.publisher(
                routing_key=model.TYPE,
                exchange=self.bus.topology.exchange_for(model),
                persist=True,
                title=model.TYPE,
                description=(model.__doc__ or "").strip() + " (the `data` of the envelope)",
                schema=model,
            )

    def on_startup(self, hook: Hook) -> None:
        self._started.append(hook)

    def on_shutdown(self, hook: Hook) -> None:
        self._stopping.append(hook)

    def background(self, factory: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> None:
        """Run a loop for the life of the process; it gets the stop event."""

        async def start() -> None:
            self._background.append(asyncio.create_task(factory(self._stop)))

        self._started.append(start)

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start booting in the background: the HTTP app answers at once (``/readyz`` 503 until
        the database and the broker answer and everything is declared and started)."""
        # after the service's own hooks (its keys, its indexes): loading the revocations must not
        # delay them
        self.on_startup(self.revocations.start)
        self.background(self.revocations.run)
        self._boot = asyncio.create_task(self._boot_steps())

    async def started(self) -> None:
        """Wait until the process is ready (raises what a failed boot raised)."""
        if self._boot is not None:
            await asyncio.shield(self._boot)

    async def _boot_steps(self) -> None:
        await _until_answers("db", _redact(self.settings.mongodb_url), self._db_answers, self._stop)
        await _until_answers(
            "bus", _redact(self.settings.amqp_url), self.bus.broker.connect, self._stop
        )
        try:
            await self.bus.declare()
            if self.relay is not None:
                await self.relay.ensure_indexes()
            # indexes, keys, channels: everything the handlers rely on, before they consume
            for hook in self._started:
                await hook()
            await self.bus.broker.start()
            if self.relay is not None:
                self.relay.start()
            self._background.append(asyncio.create_task(watch_consumers(self.bus, self._stop)))
        except Exception as exc:
            log.error("service.boot_failed", error=repr(exc))
            raise
        self.booted = True
        log.info("service.started", port=self.settings.http_port)

    async def _db_answers(self) -> None:
        await self.db.command("ping")

    async def stop(self) -> None:
        self._stop.set()
        if self._boot is not None and not self._boot.done():
            self._boot.cancel()
            await asyncio.gather(self._boot, return_exceptions=True)
        for hook in self._stopping:
            await hook()
        if self._background:
            await asyncio.wait(self._background, timeout=10)
        if self.relay is not None:  # before the broker: it publishes through it
            await self.relay.stop()
        # FastStream drains in-flight handlers (graceful_timeout) before closing
        await self.bus.broker.stop()
        await self.client.close()
        tracing.shutdown(timeout_seconds=2)
        log.info("service.stopped")

    async def readiness(self) -> dict[str, bool]:
        checks = {"started": self.booted, "database": await dbmod.ping(self.db)}
        try:
            checks["broker"] = bool(await self.bus.broker.ping(timeout=2))
        except Exception:
            checks["broker"] = False
        checks["consumers"] = checks["broker"] and await self.bus.consumers_attached()
        return checks

    def specification(self) -> Specification:
        spec = AsyncAPI(
            self.bus.broker, title=f"hataraku {self.settings.service_name}", version="1.0.0"
        )
        return spec.to_specification()

    def asyncapi(self) -> dict[str, Any]:
        result: dict[str, Any] = self.specification().to_jsonable()
        return result

    # --- the HTTP app -------------------------------------------------------------------------

    def build_app(
        self, *, title: str, routers: Iterable[APIRouter], description: str = ""
    ) -> FastAPI:
        runtime = self

        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await runtime.start()
            try:
                yield
            finally:
                await runtime.stop()

        app = FastAPI(
            title=title,
            description=description,
            version="1.0.0",
            lifespan=lifespan,
            docs_url=None,
            redoc_url=None,
            openapi_url="/openapi.json",
            # FastAPI's own OpenTelemetry: a SERVER span per request, child of the caller's
            # traceparent (the gateway's span), current while the route runs. Its finer spans
            # (dependencies, endpoint, serialisation) only while spans are exported: each
            # costs CPU on every request.
            telemetry={
                "operation_spans": tracing.recording(),
                "exclude": _not_traced,
            },
        )
        app.state.runtime = self
        app.state.verifier = self.verifier
        install_error_handlers(app)
        for router in routers:
            app.include_router(router)

        @app.get("/healthz", include_in_schema=False)
        async def healthz() -> JSONResponse:
            # alive unless the boot itself failed (then a restart is what helps)
            failed = runtime._boot is not None and runtime._boot.done() and not runtime.booted
            return JSONResponse(
                {"status": "failed" if failed else "ok", "service": runtime.settings.service_name},
                status_code=503 if failed else 200,
            )

        @app.get("/readyz", include_in_schema=False)
        async def readyz() -> JSONResponse:
            checks = await runtime.readiness()
            ok = all(checks.values())
            return JSONResponse(
                {"status": "ready" if ok else "not_ready", "checks": checks},
                status_code=200 if ok else 503,
            )

        @app.get("/metrics", include_in_schema=False)
        async def metrics() -> Response:
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

        @app.get("/asyncapi.json", include_in_schema=False)
        async def asyncapi() -> dict[str, Any]:
            return runtime.asyncapi()

        @app.get("/asyncapi", include_in_schema=False)
        async def asyncapi_page() -> HTMLResponse:
            # rendered here, no script: works without network access and under a strict CSP
            return HTMLResponse(
                asyncapi_html.html_page(runtime.asyncapi(), json_url="/asyncapi.json"),
                headers=asyncapi_html.PAGE_HEADERS,
            )

        @app.get("/asyncapi/viewer", include_in_schema=False)
        async def asyncapi_viewer() -> HTMLResponse:
            # FastStream's interactive viewer: its script and styles come from unpkg.com
            return HTMLResponse(get_asyncapi_html(runtime.specification(), try_it_out_path=None))

        # inside RequestContext, so that a 413 carries the request id and is counted
        app.add_middleware(BodyLimit, limit=self.settings.max_request_body_bytes)
        app.add_middleware(RequestContext, service=self.settings.service_name)
        return app
