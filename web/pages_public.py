"""Pages anyone may read: the top page, the privacy policy and the terms of use."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.deps import SessionDep, render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def top(request: Request, session: SessionDep) -> Response:
    if session.logged_in:
        return RedirectResponse("/mypage", status_code=303)
    return await render(request, "top.html", forms=False)


@router.get("/privacy", response_class=HTMLResponse)
async def privacy(request: Request) -> Response:
    return await render(request, "privacy.html", forms=False)


@router.get("/terms", response_class=HTMLResponse)
async def terms(request: Request) -> Response:
    return await render(request, "terms.html", forms=False)
