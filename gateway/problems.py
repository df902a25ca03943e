"""The gateway's own problem+json answers (Japanese detail, English with ``Accept-Language: en``),
sent straight from the ASGI layer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import Receive, Scope, Send

from servicekit.errors import PROBLEM, problem
from servicekit.runtime import BODY_TOO_LARGE_EN, BODY_TOO_LARGE_JA


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    code: str
    ja: str
    en: str


NOT_FOUND = Problem(404, "not_found", "指定されたページは見つかりません。", "Not found.")
SERVICE_UNAVAILABLE = Problem(
    503,
    "service_unavailable",
    "ただいまサービスを利用できません。しばらくしてから再度お試しください。",
    "The service is unavailable. Please try again later.",
)
BAD_GATEWAY = Problem(
    502,
    "bad_gateway",
    "サービスから正しい応答がありませんでした。しばらくしてから再度お試しください。",
    "The service sent an invalid response. Please try again later.",
)
GATEWAY_TIMEOUT = Problem(
    504,
    "gateway_timeout",
    "サービスの応答が時間内にありませんでした。しばらくしてから再度お試しください。",
    "The service did not answer in time. Please try again later.",
)
RATE_LIMITED = Problem(
    429,
    "rate_limited",
    "短時間に多くのリクエストがありました。しばらくしてから再度お試しください。",
    "Too many requests. Please try again later.",
)
TOO_MANY_STREAMS = Problem(
    429,
    "too_many_streams",
    "同時に開いている更新通知の接続が多すぎます。ほかの画面やタブを閉じてから再度お試しください。",
    "Too many open event streams. Close other windows or tabs and try again.",
)
PAYLOAD_TOO_LARGE = Problem(413, "payload_too_large", BODY_TOO_LARGE_JA, BODY_TOO_LARGE_EN)
MAINTENANCE = Problem(
    503,
    "maintenance",
    "ただいまシステムメンテナンス中です。終了までしばらくお待ちください。",
    "The system is under maintenance. Please try again later.",
)
INTERNAL_ERROR = Problem(
    500,
    "internal_error",
    "システムエラーが発生しました。時間をおいて再度お試しください。",
    "An internal error occurred.",
)

WEB_UNAVAILABLE_PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>ハタラク</title></head>
<body><h1>ただいま画面を表示できません</h1>
<p>しばらくしてから再度お試しください。</p></body></html>
"""


def english(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"accept-language":
            return value.split(b",")[0].strip().lower().startswith(b"en")
    return False


def accepts_html(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"accept":
            return b"text/html" in value
    return False


def response(
    p: Problem,
    scope: Scope,
    *,
    detail: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """``detail`` overrides the problem's (ja, en) text; ``extra`` adds members to the body."""
    ja, en = detail or (p.ja, p.en)
    resp = problem(p.status, p.code, en if english(scope) else ja, headers=headers)
    if extra:
        body = json.loads(bytes(resp.body))
        body.update(extra)
        resp = JSONResponse(body, status_code=p.status, media_type=PROBLEM, headers=headers)
    return resp


async def send_problem(
    p: Problem,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    detail: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    await response(p, scope, detail=detail, headers=headers, extra=extra)(scope, receive, send)


async def send_web_unavailable(scope: Scope, receive: Receive, send: Send) -> None:
    """The web client is not there: browsers get a short Japanese page, others problem+json."""
    if accepts_html(scope):
        await HTMLResponse(WEB_UNAVAILABLE_PAGE, status_code=503)(scope, receive, send)
    else:
        await send_problem(SERVICE_UNAVAILABLE, scope, receive, send)
