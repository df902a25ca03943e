"""The gateway's request path, as plain ASGI in front of FastAPI (gateway/app.py). Measured with
benchmarks/gateway.py on 2 cores: ~260 µs of gateway CPU per proxied request with every check,
against ~470 µs for a bare FastAPI catch-all route on aiohttp and ~2,000 µs on httpx.

request id → route → body limit → maintenance → (own route: FastAPI) → rate limit → token check
→ open streams → proxy.

The body limit (413) is checked on Content-Length before anything is read; a chunked body is
counted as it is read and reading stops at the limit. Rate-limited routes keyed by account
(login) have their small body read here, for the account, and replayed to the proxy.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
import uuid

import structlog
from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import problems
from gateway.core import Gateway
from gateway.proxy import ClientGone
from gateway.ratelimit import take_all
from gateway.routes import GATEWAY, INTERNAL, RATE_LIMITED_METHODS, WEB, Route, is_api
from gateway.streams import FULL
from gateway.tokens import KeysUnavailable
from servicekit import context, tracing
from servicekit.errors import Unauthorized
from servicekit.runtime import (
    HTTP_LATENCY,
    HTTP_REQUESTS,
    BodyLimit,
    BodyTooLarge,
    bounded,
    declared_length,
    limit_body,
    linger,
    method_label,
)

log = structlog.get_logger()

REJECTED = Counter(
    "hataraku_gateway_rejected_total",
    "Requests the gateway answered itself with an error",
    ["reason"],
)
# the values of REJECTED's reason (anything else counts as "other": labels stay bounded)
REASONS = frozenset(
    {
        "body_too_large",
        "not_found",
        "rate_limited",
        "keys_unavailable",
        "too_many_streams",
        "maintenance",
        # servicekit.errors.Unauthorized's codes (gateway/tokens.py)
        "unauthorized",
        "invalid_token",
        "token_expired",
        "token_revoked",
    }
)


def rejected(reason: str) -> None:
    REJECTED.labels(bounded(reason, REASONS)).inc()


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
# an account name (e-mail) longer than this is no account: the request counts per address
_ACCOUNT_MAX = 320


class Dispatch:
    """The request path of every HTTP request; ``app`` answers the gateway's own routes."""

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        # the gateway's own routes read bodies through FastAPI: the middleware keeps the limit
        self.app = BodyLimit(app, gateway.settings.max_request_body_bytes)
        self.gw = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = authorization = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value.decode("latin-1")
            elif name == b"authorization":
                authorization = value
        if request_id is None or not _REQUEST_ID.fullmatch(request_id):
            request_id = str(uuid.uuid4())
        rid = request_id.encode()
        status = 0  # until a response starts

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", rid)]
            await send(message)

        ctx = context.correlation_id.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        # the public edge starts the trace (a client's own traceparent is not taken: nobody
        # outside picks our trace ids or sampling); the proxy passes it on to the upstream
        span, span_token = tracing.start_server_span(scope["method"], None)
        started = time.perf_counter()
        route = self.gw.table.resolve(scope["path"])
        try:
            await self._dispatch(scope, receive, send_with_id, route, request_id, authorization)
        except BodyTooLarge:
            rejected("body_too_large")
            if not status:
                await problems.send_problem(
                    problems.PAYLOAD_TOO_LARGE,
                    scope,
                    receive,
                    send_with_id,
                    # the rest of the body is not read: uvicorn closes the connection
                    headers={"Connection": "close"},
                )
                await linger(receive)
        except ClientGone:
            pass
        except Exception as exc:
            log.error("http.unhandled_error", path=scope["path"], error=repr(exc), exc_info=exc)
            if not status:  # nothing sent yet
                await problems.send_problem(problems.INTERNAL_ERROR, scope, receive, send_with_id)
        finally:
            label = route.pattern if route else "unmatched"
            method = method_label(scope["method"])
            HTTP_REQUESTS.labels("gateway", method, label, str(status or 500)).inc()
            HTTP_LATENCY.labels("gateway", label).observe(time.perf_counter() - started)
            tracing.end_server_span(
                span,
                span_token,
                method=method,
                route=label,
                status=status or 500,
                request_id=request_id,
                upstream=route.target if route else None,
            )
            structlog.contextvars.unbind_contextvars("request_id")
            context.correlation_id.reset(ctx)

    async def _dispatch(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        route: Route | None,
        request_id: str,
        authorization: bytes | None,
    ) -> None:
        gw = self.gw
        limit = (route.max_body if route else None) or gw.settings.max_request_body_bytes
        length = declared_length(scope)
        if length is not None and length > limit:
            raise BodyTooLarge
        # (with a Content-Length the HTTP server delivers no more than it; the own routes have
        # BodyLimit in self.app)
        if length is None and (route is None or route.target != GATEWAY):
            receive = limit_body(receive, limit)
        client = scope.get("client")
        address: str = client[0] if client else ""
        api = is_api(scope["path"])
        open_now = route is not None and route.open_in_maintenance
        if api and not open_now and gw.maintenance.in_effect():
            await self._maintenance(scope, receive, send)
            return
        if (route is None and (api or WEB not in gw.upstreams)) or (
            route is not None and route.target == INTERNAL
        ):
            rejected("not_found")
            await problems.send_problem(problems.NOT_FOUND, scope, receive, send)
            return
        if route is not None and route.target == GATEWAY:
            await self.app(scope, receive, send)
            return
        if route is not None and route.rate_limit and scope["method"] in RATE_LIMITED_METHODS:
            group = route.rate_limit
            buckets = [(gw.limiter, group, address)]
            if route.rate_limit_account:
                body = await _read_whole(receive)
                receive = _replay(body, receive)
                account = _account(body, route.rate_limit_account)
                if account is not None:
                    # per (address, account), under the per-address ceiling
                    buckets = [
                        (gw.limiter, group, f"{address}\x00{account}"),
                        (gw.address_limiter, group, address),
                    ]
            wait = take_all(buckets)
            if wait:
                rejected("rate_limited")
                await problems.send_problem(
                    problems.RATE_LIMITED, scope, receive, send, headers={"Retry-After": str(wait)}
                )
                return
        account_id: str | None = None
        if authorization is not None and (route is None or route.check_token):
            scheme, _, token = authorization.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                try:
                    account_id = (await gw.tokens.verify(token.strip())).account_id
                except Unauthorized as exc:
                    rejected(exc.code)
                    await problems.send_problem(
                        problems.Problem(401, exc.code, exc.ja, exc.en),
                        scope,
                        receive,
                        send,
                        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                    )
                    return
                except KeysUnavailable:
                    rejected("keys_unavailable")
                    await problems.send_problem(problems.SERVICE_UNAVAILABLE, scope, receive, send)
                    return
        target = route.target if route is not None else WEB
        if route is not None and route.stream:
            await self._stream(scope, receive, send, target, request_id, account_id, address)
            return
        await gw.proxy.forward(
            target, gw.upstreams[target], scope, receive, send, request_id=request_id
        )

    async def _stream(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        target: str,
        request_id: str,
        account_id: str | None,
        address: str,
    ) -> None:
        """An event stream, if the account (the verified token's sub) and the address have fewer
        open than their caps; through the streams' own connection pool."""
        gw = self.gw
        refused = gw.streams.acquire(account_id, address)
        if refused is not None:
            rejected("too_many_streams")
            p = problems.SERVICE_UNAVAILABLE if refused == FULL else problems.TOO_MANY_STREAMS
            await problems.send_problem(p, scope, receive, send)
            return
        try:
            await gw.proxy.forward(
                target,
                gw.upstreams[target],
                scope,
                receive,
                send,
                request_id=request_id,
                stream=True,
            )
        finally:
            gw.streams.release(account_id, address)

    async def _maintenance(self, scope: Scope, receive: Receive, send: Send) -> None:
        rejected("maintenance")
        state, now = self.gw.maintenance.state, self.gw.clock.now()
        retry = state.retry_after(now, self.gw.settings.maintenance_retry_after_seconds)
        await problems.send_problem(
            problems.MAINTENANCE,
            scope,
            receive,
            send,
            headers={"Retry-After": str(retry)},
            extra={"message": state.message, "window": state.window(now)},
        )


async def _read_whole(receive: Receive) -> bytes:
    """The whole body (``receive`` stops it at its limit)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` that first gives back a body already read."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _account(body: bytes, member: str) -> str | None:
    """``member`` of a JSON object body, normalised as identity normalises e-mail addresses;
    None when the body is not such JSON (the request then counts per address alone)."""
    if body.lstrip()[:1] != b"{":
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    value = data.get(member) if isinstance(data, dict) else None
    if not isinstance(value, str):
        return None
    account = unicodedata.normalize("NFKC", value).strip().lower()
    return account if 0 < len(account) <= _ACCOUNT_MAX else None
