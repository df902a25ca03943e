"""What the seeker pages share: Japanese names of statuses and routes, the "done" notices shown
after a redirect (PRG), safe local redirects, paging parameters and the API's field errors."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from web.auth import api
from web.deps import get_web, segment
from web.gateway import ApiError

APPLICATION_STATUS = {
    "referral_requested": "紹介依頼中（ハローワークで確認中）",
    "applied": "応募済み",
    "referred": "紹介状発行済み",
    "screening": "書類選考中",
    "interview": "面接",
    "offered": "内定",
    "hired": "採用",
    "rejected": "不採用",
    "withdrawn": "辞退",
    "declined": "紹介見送り",
}
FINAL_STATUSES = frozenset({"hired", "rejected", "withdrawn", "declined"})
ROUTES = {"referral": "オンライン紹介（紹介状）", "direct": "オンライン自主応募"}
REQUEST_STATUS = {
    "pending": "回答待ち",
    "answered": "応募済み",
    "declined": "辞退済み",
    "expired": "期限切れ",
}
BY_ROLE = {"seeker": "あなた", "employer": "事業所", "staff": "ハローワーク", "admin": "ハローワーク",
           "system": "システム"}  # fmt: skip

# after a POST, the page it redirects to says what happened (?done=…)
DONE = {
    "favorite_added": "お気に入りに追加しました。",
    "favorite_removed": "お気に入りから外しました。",
    "search_saved": "検索条件を保存しました。",
    "search_deleted": "検索条件を削除しました。",
    "dismissed": "おすすめ求人を非表示にしました。",
    "request_declined": "リクエストを辞退しました。",
    "applied": "応募しました。",
    "withdrawn": "応募を辞退しました。",
    "profile_saved": "求職情報を保存しました。",
    "public": "求職情報を公開にしました。求人者が検索できます。",
    "private": "求職情報を非公開にしました。求人者には表示されません。",
}


def done_message(request: Request) -> str | None:
    return DONE.get(request.query_params.get("done", ""))


def back_path(value: str | None, default: str) -> str:
    """A local path only (no //host, no scheme, no backslash): an open redirect otherwise."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def with_done(path: str, done: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}done={done}"


def page_params(request: Request, cursor: str | None, limit: int | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit or get_web(request).settings.page_size}
    if cursor:
        params["cursor"] = cursor[:500]
    return params


def field_errors(exc: ApiError, known: set[str]) -> dict[str, list[str]]:
    """The API's per-field problems under the form's field names (``desired_occupations.0`` →
    ``desired_occupations``); the rest under "" (shown in the summary only)."""
    out: dict[str, list[str]] = {}
    for err in exc.errors:
        parts = str(err.get("field") or "").split(".")
        name = next((p for p in parts if p in known), "")
        out.setdefault(name, []).append(str(err.get("message") or ""))
    return out


async def find_request(request: Request, request_id: str) -> dict[str, Any]:
    """One of the seeker's own requests (the API lists them; there is no read of one)."""
    rid = segment(request_id, "リクエスト")
    cursor = None
    for _ in range(10):
        page = await api(
            request, "GET", "/api/v1/me/requests", params=page_params(request, cursor, 100)
        )
        for item in page.get("items") or []:
            if item.get("request_id") == rid:
                return dict(item)
        cursor = page.get("next_cursor")
        if not cursor:
            break
    raise ApiError(404, "not_found", "お探しのリクエストは見つかりませんでした。")
