"""The one way the web client talks to the system: the gateway's public HTTP API."""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from servicekit import context

log = structlog.get_logger()

# the browser's address (the web process's client, as the edge gateway forwarded it), passed on
# to the API gateway as X-Forwarded-For so that its per-IP limits count people, not this process;
# the gateway's uvicorn trusts the header from FORWARDED_ALLOW_IPS (default 127.0.0.1)
client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)

UNREACHABLE_JA = "ただいまサービスに接続できません。しばらくしてからもう一度お試しください。"


@dataclass
class ApiError(Exception):
    """A problem+json answer (or an unreachable gateway, status 502)."""

    status: int
    code: str
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)

    def field_errors(self) -> dict[str, list[str]]:
        """Field name → messages, from the problem's ``errors``."""
        out: dict[str, list[str]] = {}
        for err in self.errors:
            name = str(err.get("field") or "").rsplit(".", 1)[-1]
            out.setdefault(name, []).append(str(err.get("message") or ""))
        return out


KEEPALIVE_SECONDS = 3.5


class Gateway:
    def __init__(self, base_url: str, timeout: float) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            headers={"Accept-Language": "ja", "User-Agent": "hataraku-web"},
            # idle connections dropped before the gateway's uvicorn closes them (5 s): a request
            # sent on one it is closing fails with "Server disconnected" (as the gateway's own
            # upstream_keepalive_seconds)
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS),
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def ready(self) -> bool:
        try:
            return (await self.client.get("/healthz", timeout=2)).status_code == 200
        except httpx.HTTPError:
            return False

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """The JSON answer (None for 204); raises ApiError for any 4xx/5xx."""
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        rid = context.correlation_id.get()
        if rid:
            headers["X-Request-ID"] = rid
        ip = client_ip.get()
        if ip:
            headers["X-Forwarded-For"] = ip
        try:
            resp = await self.client.request(
                method, path, headers=headers, json=json, params=params
            )
        except httpx.HTTPError as exc:
            log.warning("web.gateway.unreachable", path=path, error=type(exc).__name__)
            raise ApiError(502, "gateway_unreachable", UNREACHABLE_JA) from exc
        if resp.status_code == 204:
            return None
        if resp.status_code >= 400:
            raise problem(resp)
        return resp.json()


def problem(resp: httpx.Response) -> ApiError:
    try:
        body = resp.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    detail = str(body.get("detail") or "") or _fallback(resp.status_code)
    errors = body.get("errors") if isinstance(body.get("errors"), list) else []
    return ApiError(resp.status_code, str(body.get("code") or "error"), detail, errors or [])


def _fallback(status: int) -> str:
    if status == 404:
        return "お探しのページは見つかりませんでした。"
    if status in (401, 403):
        return "この操作を行う権限がありません。"
    if status == 429:
        return "操作が多すぎます。しばらくしてからもう一度お試しください。"
    if status >= 500:
        return UNREACHABLE_JA
    return "入力内容をご確認ください。"


class SystemStatus:
    """``GET /api/v1/status`` (maintenance now or scheduled, with its window and message), asked
    at most every few seconds: every page shows it."""

    def __init__(self, gateway: Gateway, ttl: float = 5.0) -> None:
        self.gateway = gateway
        self.ttl = ttl
        self._value: dict[str, Any] | None = None
        self._at = 0.0

    async def current(self) -> dict[str, Any] | None:
        now = time.monotonic()
        if self._value is not None and now - self._at < self.ttl:
            return self._value
        try:
            value = await self.gateway.call("GET", "/api/v1/status")
        except ApiError:
            return self._value
        self._value = value if isinstance(value, dict) else None
        self._at = now
        return self._value

    def forget(self) -> None:
        self._at = 0.0
