"""労働条件の相違 (staff): hires of the office's seekers where the employer answered that the working
conditions differ from the posting — newest hire first, paged — and one such hire with what
differs, the posting as the seeker applied to it (its snapshot) and the timeline.

Routes:
- ``GET /staff/hires``                     the list (administrators: an office, or every office)
- ``GET /staff/hires/{application_id}``    one application: what differs, the snapshot, timeline
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from web.auth import api
from web.deps import StaffOnly, WebDep, next_page_url, render, segment
from web.gateway import ApiError
from web.pages_staff_common import is_admin
from web.pages_staff_referrals import STATUS_NAMES
from web.reference import CONDITION_ITEMS, half_width

router = APIRouter(prefix="/staff/hires")


@router.get("", response_class=HTMLResponse)
async def hires(
    request: Request,
    session: StaffOnly,
    web: WebDep,
    office_code: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    office = half_width(office_code).strip() if is_admin(session) else ""
    params: dict[str, Any] = {"limit": web.settings.page_size}
    if office:
        params["office_code"] = office
    if cursor:
        params["cursor"] = cursor
    result: dict[str, Any] | None = None
    error: ApiError | None = None
    try:
        result = await api(
            request, "GET", "/api/v1/staff/applications/conditions-differ", params=params
        )
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        error = exc
    return await render(
        request,
        "staff_hires.html",
        status=error.status if error and error.status in (400, 403, 422) else 200,
        result=result,
        error=error,
        next_url=next_page_url("/staff/hires", result, office_code=office),
        office_code=office,
        admin=is_admin(session),
        paged=bool(cursor),
        condition_names=CONDITION_ITEMS,
    )


@router.get("/{application_id}", response_class=HTMLResponse)
async def hire(request: Request, session: StaffOnly, application_id: str) -> Response:
    app = await api(request, "GET", f"/api/v1/applications/{segment(application_id, '応募')}")
    return await render(
        request,
        "staff_hire.html",
        app=app,
        status_name=STATUS_NAMES.get(str(app.get("status")), ""),
        statuses=STATUS_NAMES,
        condition_names=CONDITION_ITEMS,
    )
