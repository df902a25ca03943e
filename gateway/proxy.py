"""Forwarding one request to an upstream over a long-lived aiohttp session (aiohttp, not httpx:
several times less CPU per proxied request on these machines, see benchmarks/gateway.py).

Headers pass minus hop-by-hop ones, plus X-Request-ID, X-Forwarded-For/-Proto/-Host and the
gateway span's W3C ``traceparent`` (a client's own is dropped). A body is
read at once when small or chunked (the caller's ``receive`` stops a chunked body at its limit,
gateway/dispatch.py), streamed when large with a Content-Length, and not sent at all when absent.
Responses stream back chunk by chunk; Server-Sent Events have no time limit and stop when the
client goes away. Event streams go through a connection pool of their own, so that however many
are open, ordinary requests never wait for a connection behind them. Failures before the response started become problem+json: 503 (cannot
connect), 504 (too slow), 502 (broken answer)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import structlog
from opentelemetry.trace import StatusCode
from prometheus_client import Counter
from starlette.types import Receive, Scope, Send
from yarl import URL

from gateway import problems
from gateway.routes import WEB
from gateway.settings import GatewaySettings
from servicekit import tracing

log = structlog.get_logger()

UPSTREAM_ERRORS = Counter(
    "hataraku_gateway_upstream_errors_total",
    "Upstream failures seen by the gateway",
    ["upstream", "kind"],
)

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)
# request headers the gateway replaces or lets aiohttp write
_REQUEST_SPECIAL = HOP_BY_HOP | {
    b"host",
    b"content-length",
    b"expect",
    b"x-request-id",
    b"x-forwarded-for",
    b"x-forwarded-proto",
    b"x-forwarded-host",
    # the gateway's own span is the upstream's parent (servicekit/tracing.py)
    b"traceparent",
    b"tracestate",
}
# uvicorn writes its own date and server headers; the gateway writes X-Request-ID
_RESPONSE_DROP = HOP_BY_HOP | {b"date", b"server", b"x-request-id"}
# responses up to this size (with a Content-Length) are read whole before answering, so that an
# upstream failing halfway still gets a clean 502/504
_READ_WHOLE = 1024 * 1024
_DISCONNECT = "http.disconnect"


class ClientGone(Exception):
    """The client disconnected; nothing more to send."""


class Proxy:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.timeout = settings.upstream_timeout_seconds
        self.buffer_limit = settings.buffer_request_body_bytes
        self._session: aiohttp.ClientSession | None = None
        self._streams: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The pool for ordinary requests."""
        if self._session is None:
            raise RuntimeError("the proxy is not started")
        return self._session

    @property
    def stream_session(self) -> aiohttp.ClientSession:
        """The pool for event streams."""
        if self._streams is None:
            raise RuntimeError("the proxy is not started")
        return self._streams

    def _new_session(self, limit: int) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=limit,
            limit_per_host=0,
            keepalive_timeout=self.settings.upstream_keepalive_seconds,
            ttl_dns_cache=60,
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=self.settings.connect_timeout_seconds
            ),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
        )

    async def start(self) -> None:
        self._session = self._new_session(self.settings.max_connections)
        # as large as the number of streams allowed open (gateway/streams.py): a stream is
        # refused before it could wait for a connection
        self._streams = self._new_session(self.settings.stream_max_open)

    async def close(self) -> None:
        for session in (self._session, self._streams):
            if session is not None:
                await session.close()
        self._session = self._streams = None

    async def forward(
        self,
        target: str,
        base: str,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        request_id: str,
        stream: bool = False,
    ) -> None:
        """Forward one request; ``stream``: an event stream, through the streams' pool. Raises
        BodyTooLarge when ``receive`` does (a chunked body past its limit). The call is a CLIENT
        span under the gateway's request span: the upstream's own span is its child, and the
        time between them is the network and the upstream's queueing."""
        method: str = scope["method"]
        with tracing.client_span(
            f"{method} {target}", **{"http.request.method": method, "server.address": target}
        ) as span:
            status = await self._forward(
                target, base, scope, receive, send, request_id=request_id, stream=stream
            )
            if status is not None and span.is_recording():
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(StatusCode.ERROR)

    async def _forward(
        self,
        target: str,
        base: str,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        request_id: str,
        stream: bool,
    ) -> int | None:
        """The upstream's status, or None when it gave none (failed, or the client left)."""
        method: str = scope["method"]
        headers, length, chunked = _request_headers(scope, request_id)
        data: bytes | AsyncIterator[bytes] | None = None
        try:
            if length:
                if length <= self.buffer_limit:
                    data = await _read_body(receive)
                else:
                    headers.append(("Content-Length", str(length)))
                    data = _stream_body(receive)
            elif chunked:
                # at most the body limit: read it, so the upstream gets it whole or not at all
                data = await _read_body(receive)
        except ClientGone:
            return None
        session = self.stream_session if stream else self.session
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string") or b""
        url = base + raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")

        resp: aiohttp.ClientResponse | None = None
        started = complete = False
        try:
            async with asyncio.timeout(self.timeout) as deadline:
                resp = await session.request(
                    method,
                    URL(url, encoded=True),
                    headers=headers,
                    data=data,
                    allow_redirects=False,
                )
                start = {
                    "type": "http.response.start",
                    "status": resp.status,
                    "headers": _response_headers(resp.raw_headers, base),
                }
                if resp.content_type == "text/event-stream":
                    deadline.reschedule(None)
                    started = True
                    await send(start)
                    await _stream_until_disconnect(resp, receive, send)
                elif resp.content_length is not None and resp.content_length <= _READ_WHOLE:
                    body = await resp.read()
                    started = True
                    await send(start)
                    await send({"type": "http.response.body", "body": body})
                else:
                    started = True
                    await send(start)
                    async for chunk in resp.content.iter_any():
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    await send({"type": "http.response.body", "body": b""})
                complete = True
        except ClientGone:
            pass
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            await self._failed(target, "unavailable", exc, started, scope, receive, send)
        except TimeoutError as exc:
            await self._failed(target, "timeout", exc, started, scope, receive, send)
        except (aiohttp.ClientError, aiohttp.http_exceptions.HttpProcessingError) as exc:
            await self._failed(target, "bad_response", exc, started, scope, receive, send)
        except OSError as exc:
            # the client's connection broke while we were answering
            log.debug("gateway.client_gone", error=repr(exc))
        finally:
            if resp is not None:
                if complete:
                    resp.release()
                else:
                    resp.close()
        return resp.status if resp is not None else None

    async def _failed(
        self,
        target: str,
        kind: str,
        exc: BaseException,
        started: bool,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        UPSTREAM_ERRORS.labels(target, kind).inc()
        log.warning(
            "gateway.upstream.failed",
            upstream=target,
            kind=kind,
            error=repr(exc),
            path=scope["path"],
            response_started=started,
        )
        if started:
            # too late for an error answer: the server closes the incomplete response
            return
        try:
            if kind == "unavailable" and target == WEB:
                await problems.send_web_unavailable(scope, receive, send)
                return
            p = {"unavailable": problems.SERVICE_UNAVAILABLE, "timeout": problems.GATEWAY_TIMEOUT}
            await problems.send_problem(p.get(kind, problems.BAD_GATEWAY), scope, receive, send)
        except OSError:
            log.debug("gateway.client_gone")


def _request_headers(scope: Scope, request_id: str) -> tuple[list[tuple[str, str]], int, bool]:
    """(headers to send, Content-Length (0 when absent), chunked?)"""
    headers: list[tuple[str, str]] = []
    length, chunked = 0, False
    host = ""
    connection: bytes = b""
    for name, value in scope["headers"]:
        if name in _REQUEST_SPECIAL:
            if name == b"content-length":
                length = int(value) if value.isdigit() else 0
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"host":
                host = value.decode("latin-1")
            elif name == b"connection":
                connection = value
            continue
        headers.append((name.decode("latin-1"), value.decode("utf-8", "replace")))
    if connection:
        listed = {t.strip().lower().decode("latin-1") for t in connection.split(b",")}
        headers = [(n, v) for n, v in headers if n.lower() not in listed]
    # the gateway is the public edge: a client's own X-Forwarded-For is not passed on (it would
    # let anyone pick the address the services throttle by). A proxy trusted in front of the
    # gateway is uvicorn's business (FORWARDED_ALLOW_IPS): it has already set scope["client"].
    client = scope.get("client")
    headers.append(("X-Request-ID", request_id))
    headers.append(("X-Forwarded-For", client[0] if client else ""))
    headers.append(("X-Forwarded-Proto", scope.get("scheme", "http")))
    if host:
        headers.append(("X-Forwarded-Host", host))
    headers.extend(tracing.carrier().items())
    return headers, length, chunked


def _response_headers(raw: Any, base: str) -> list[tuple[bytes, bytes]]:
    """The upstream's headers less hop-by-hop ones; a redirect that names the upstream's own
    address keeps only its path (the client must never learn an internal address)."""
    origin = base.encode("latin-1")
    out = []
    for name, value in raw:
        lname = name.lower()
        if lname in _RESPONSE_DROP:
            continue
        if lname in (b"location", b"content-location") and value.startswith(origin):
            rest = value[len(origin) :]
            if rest[:1] in (b"", b"/", b"?"):
                value = rest if rest.startswith(b"/") else b"/" + rest
        out.append((lname, value))
    return out


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == _DISCONNECT:
            raise ClientGone
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _stream_body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == _DISCONNECT:
            raise ClientGone
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body"):
            return


async def _stream_until_disconnect(
    resp: aiohttp.ClientResponse, receive: Receive, send: Send
) -> None:
    """Relay an event stream until it ends or the client disconnects."""

    async def pump() -> None:
        async for chunk in resp.content.iter_any():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def client_gone() -> None:
        while (await receive())["type"] != _DISCONNECT:
            pass

    relay = asyncio.ensure_future(pump())
    watch = asyncio.ensure_future(client_gone())
    try:
        await asyncio.wait({relay, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (relay, watch):
            task.cancel()
        await asyncio.gather(relay, watch, return_exceptions=True)
    if relay.cancelled():
        raise ClientGone
    relay.result()
