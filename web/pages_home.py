"""マイページ トップ: who is logged in, the registration's status and expiry, the unread counts
(messages, notices, notifications: the ``unread`` every page gets) and the menu of every seeker
page. Employers and staff are sent to their own menus.

Routes:
- ``GET /mypage``   the seeker's home
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.auth import api, home_of
from web.deps import LoggedIn, render, role_of

router = APIRouter()

SEEKER_STATUS = {
    "registered": "登録中",
    "provisional": "仮登録（ハローワークでの確認待ち）",
    "cancelled": "取消済み",
    "lapsed": "有効期限切れ",
}


@router.get("/mypage", response_class=HTMLResponse)
async def home(request: Request, session: LoggedIn) -> Response:
    if role_of(session) != "seeker":
        return RedirectResponse(home_of(role_of(session)), status_code=303)
    me = await api(request, "GET", "/api/v1/me")
    return await render(
        request, "home.html", me=me, seeker_status=SEEKER_STATUS.get(me.get("seeker_status") or "")
    )
