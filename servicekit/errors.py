"""Domain errors carry a stable machine code and an HTTP status; one handler renders them as
``application/problem+json`` with a Japanese ``detail`` (English with ``Accept-Language: en``)."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger()

PROBLEM = "application/problem+json"


class DomainError(Exception):
    """Raise a subclass (or this with arguments) from services; never an HTTPException."""

    status: int = 400
    code: str = "bad_request"
    ja: str = "リクエストを処理できませんでした。"
    en: str = "The request could not be processed."

    def __init__(
        self,
        code: str | None = None,
        *,
        status: int | None = None,
        ja: str | None = None,
        en: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code or self.code
        self.status = status or self.status
        self.ja = ja or self.ja
        self.en = en or self.en
        self.errors = errors
        self.headers = headers or {}
        super().__init__(self.code)


class NotFound(DomainError):
    status, code = 404, "not_found"
    ja, en = "指定されたものは見つかりません。", "Not found."


class Forbidden(DomainError):
    status, code = 403, "forbidden"
    ja, en = "この操作を行う権限がありません。", "You are not allowed to do this."


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"
    ja, en = "ログインが必要です。", "Authentication required."


class Conflict(DomainError):
    status, code = 409, "conflict"
    ja, en = "現在の状態ではこの操作はできません。", "This conflicts with the current state."


def wants_english(request: Request) -> bool:
    lang = request.headers.get("accept-language", "")
    first = lang.split(",")[0].strip().lower()
    return first.startswith("en")


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://hataraku.example/problems/{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


_FIELD_JA = {
    "missing": "必須項目です。",
    "string_too_long": "長すぎます。",
    "string_too_short": "短すぎます。",
    "extra_forbidden": "この項目は受け付けていません。",
    "literal_error": "選択肢にない値です。",
    "enum": "選択肢にない値です。",
    "date_from_datetime_parsing": "日付は YYYY-MM-DD で入力してください。",
    "date_parsing": "日付は YYYY-MM-DD で入力してください。",
    "int_parsing": "数値で入力してください。",
    "value_error": "値が正しくありません。",
    "json_invalid": "JSON の形式が正しくありません。",
    "string_pattern_mismatch": "形式が正しくありません。",
    "bool_parsing": "true か false で指定してください。",
    "greater_than_equal": "値が小さすぎます。",
    "less_than_equal": "値が大きすぎます。",
    "too_long": "指定できる数を超えています。",
}


def validation_errors(exc: RequestValidationError, english: bool) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        kind = str(err.get("type", "value_error"))
        message = (
            str(err.get("msg", "")) if english else _FIELD_JA.get(kind, "値が正しくありません。")
        )
        if (
            not english
            and kind == "value_error"
            and str(err.get("msg", "")).startswith("Value error, ")
        ):
            message = str(err["msg"]).removeprefix("Value error, ")
        out.append({"field": ".".join(loc), "code": kind, "message": message})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        detail = exc.en if wants_english(request) else exc.ja
        return problem(exc.status, exc.code, detail, errors=exc.errors, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        en = wants_english(request)
        detail = "The input is not valid." if en else "入力内容に誤りがあります。"
        return problem(422, "validation_error", detail, errors=validation_errors(exc, en))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        en = wants_english(request)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        ja = {404: "指定されたページは見つかりません。", 405: "この方法では利用できません。"}
        detail = (
            str(exc.detail) if en else ja.get(exc.status_code, "リクエストを処理できませんでした。")
        )
        return problem(exc.status_code, code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(ConnectionFailure)
    async def _database_away(request: Request, exc: ConnectionFailure) -> JSONResponse:
        log.warning("http.database_unavailable", path=request.url.path, error=repr(exc)[:300])
        en = wants_english(request)
        detail = (
            "The service is temporarily unavailable. Please try again shortly."
            if en
            else "ただいまサービスを利用できません。しばらくしてから再度お試しください。"
        )
        return problem(503, "service_unavailable", detail, headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("http.unhandled_error", path=request.url.path, error=repr(exc), exc_info=exc)
        en = wants_english(request)
        detail = (
            "An internal error occurred."
            if en
            else "システムエラーが発生しました。時間をおいて再度お試しください。"
        )
        return problem(500, "internal_error", detail)
