"""メンテナンス設定 (administrators): the current state, start now or schedule a window (dates
and times typed in Japan time, sent in UTC) with a message for users, and end it.

The page must keep working while maintenance is in effect, when every other ``/api/`` call is
refused: it only calls ``GET /api/v1/status`` and ``PUT /api/v1/admin/maintenance`` (both open
during maintenance at the gateway), plus ``/api/v1/auth/refresh`` (open too) when the access
token needs refreshing — never ``/api/v1/me`` or any other call.

Routes:
- ``GET|POST /admin/maintenance``    現在の状態, 開始・予約
- ``POST /admin/maintenance/end``    終了
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.auth import api
from web.deps import AdminOnly, FormDep, Web, WebDep, field, render
from web.gateway import ApiError
from web.pages_staff_common import Errors, done_message
from web.reference import JST, half_width, parse_date

router = APIRouter(prefix="/admin")

MESSAGE_MAX = 2000
TIME = re.compile(r"^(\d{1,2})\s*[:時]\s*(\d{2})\s*分?$")
FIELDS = ("mode", "start_date", "start_time", "end_date", "end_time", "message")
LABELS = {
    "mode": "開始のしかた",
    "start_date": "開始日",
    "start_time": "開始時刻",
    "end_date": "終了日",
    "end_time": "終了時刻",
    "message": "利用者へのお知らせ",
}
DONE = {
    "started": "メンテナンスを開始しました。",
    "scheduled": "メンテナンスを予約しました。開始日時までは各画面にお知らせが表示されます。",
    "ended": "メンテナンスを終了しました。",
}


async def _fresh_status(web: Web) -> tuple[dict[str, Any] | None, str | None]:
    """The gateway's status now (not the few seconds old copy every page shows)."""
    web.status.forget()
    try:
        value = await web.gateway.call("GET", "/api/v1/status")
    except ApiError as exc:
        return None, exc.detail
    return (value if isinstance(value, dict) else None), None


@router.get("/maintenance", response_class=HTMLResponse)
async def maintenance(
    request: Request,
    session: AdminOnly,
    web: WebDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return await _page(
        request, web, values={"mode": "now"}, errors={}, done=done_message(DONE, done)
    )


async def _page(
    request: Request,
    web: Web,
    *,
    values: dict[str, str],
    errors: Errors,
    error: str | None = None,
    done: str | None = None,
    status: int = 200,
) -> Response:
    current, unavailable = await _fresh_status(web)
    return await render(
        request,
        "admin_maintenance.html",
        status=status,
        current=current,
        unavailable=unavailable,
        values=values,
        errors=errors,
        error=error,
        done=done,
        labels=LABELS,
        message_max=MESSAGE_MAX,
    )


def _clock(value: str) -> time | None:
    match = TIME.match(half_width(value))
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return time(int(match[1]), int(match[2]))


def _instant(
    values: dict[str, str], which: str, errors: Errors, *, required: bool
) -> datetime | None:
    """``{which}_date`` + ``{which}_time`` in Japan time, as an aware UTC instant."""
    raw_day, raw_time = values[f"{which}_date"], values[f"{which}_time"]
    if not raw_day and not raw_time:
        if required:
            errors[f"{which}_date"] = [f"{LABELS[which + '_date']}を入力してください。"]
        return None
    day: date | None = parse_date(raw_day)
    clock = _clock(raw_time)
    if day is None:
        errors[f"{which}_date"] = ["日付を「2026-11-24」の形で入力してください。"]
    if clock is None:
        errors[f"{which}_time"] = ["時刻を「22:00」の形（24時間制）で入力してください。"]
    if day is None or clock is None:
        return None
    return datetime.combine(day, clock, tzinfo=JST).astimezone(UTC)


def requested_window(values: dict[str, str]) -> tuple[dict[str, Any], Errors]:
    errors: Errors = {}
    mode = values["mode"]
    if mode not in ("now", "schedule"):
        errors["mode"] = ["「今すぐ開始」か「日時を指定して予約」を選んでください。"]
    # starting now, the start fields are not read (they may hold an earlier schedule)
    starts_at = _instant(values, "start", errors, required=True) if mode == "schedule" else None
    ends_at = _instant(values, "end", errors, required=False)
    now = datetime.now(UTC)
    if starts_at is not None and starts_at <= now:
        errors["start_date"] = [
            "開始日時が過ぎています。今すぐ始めるときは「今すぐ開始」を選んでください。"
        ]
    if ends_at is not None and ends_at <= now:
        errors["end_date"] = ["終了日時が過ぎています。"]
    elif ends_at is not None and starts_at is not None and ends_at <= starts_at:
        errors["end_date"] = ["終了日時は開始日時より後にしてください。"]
    if len(values["message"]) > MESSAGE_MAX:
        errors["message"] = [f"{MESSAGE_MAX}文字以内で入力してください。"]
    # "now" is sent as this moment, so that the window shown to users has a start
    begin = starts_at or now
    body: dict[str, Any] = {
        "active": True,
        "starts_at": begin.isoformat(),
        "ends_at": ends_at.isoformat() if ends_at else None,
        "message": values["message"] or None,
    }
    return body, errors


@router.post("/maintenance", response_class=HTMLResponse)
async def start(request: Request, session: AdminOnly, form: FormDep, web: WebDep) -> Response:
    values = {name: field(form, name) for name in FIELDS}
    values["message"] = str(form.get("message") or "").strip()
    body, errors = requested_window(values)
    if errors:
        return await _page(request, web, values=values, errors=errors, status=400)
    try:
        await api(request, "PUT", "/api/v1/admin/maintenance", json=body)
    except ApiError as exc:
        if exc.status >= 500:
            raise
        errors, detail = _api_errors(exc)
        return await _page(
            request, web, values=values, errors=errors, error=detail, status=exc.status
        )
    web.status.forget()
    done = "scheduled" if values["mode"] == "schedule" else "started"
    return RedirectResponse(f"/admin/maintenance?done={done}", status_code=303)


def _api_errors(exc: ApiError) -> tuple[Errors, str]:
    """The API's errors on the form: its ``starts_at``/``ends_at`` are the date fields here."""
    names = {"starts_at": "start_date", "ends_at": "end_date", "message": "message"}
    errors: Errors = {}
    loose: list[str] = []
    for err in exc.errors:
        name = names.get(str(err.get("field") or "").rsplit(".", 1)[-1])
        message = str(err.get("message") or exc.detail)
        if name:
            errors.setdefault(name, []).append(message)
        else:
            loose.append(message)
    return errors, " ".join([exc.detail, *loose])


@router.post("/maintenance/end", response_class=HTMLResponse)
async def end(request: Request, session: AdminOnly, form: FormDep, web: WebDep) -> Response:
    await api(request, "PUT", "/api/v1/admin/maintenance", json={"active": False})
    web.status.forget()
    return RedirectResponse("/admin/maintenance?done=ended", status_code=303)
