"""求職活動実績 (the seeker's job-search activity record): a period chosen on a form, then the
activities of that period in date order as a printable A4 page laid out like the activity
section of the 失業認定申告書 (活動日, 求職活動の方法, 事業所名, 求人番号, 職種, 応募方法, 結果),
from ``GET /api/v1/me/activity-record``.

Routes:
- ``GET /mypage/activity-record``                  the period form (the last four weeks
                                                   proposed)
- ``GET /mypage/activity-record?from=…&to=…``      the record for the period; a refused period
                                                   (missing, to before from, over a year) keeps
                                                   what was typed and says why
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from web.auth import api
from web.deps import SeekerOnly, render
from web.gateway import ApiError
from web.reference import JST, half_width

router = APIRouter()

# a certification period (認定対象期間) is four weeks
PROPOSED_DAYS = 28
LABELS = {"from": "開始日", "to": "終了日"}
Day = Annotated[str, Query(max_length=20)]


@router.get("/mypage/activity-record", response_class=HTMLResponse)
async def activity_record(
    request: Request,
    session: SeekerOnly,
    from_: Annotated[str, Query(alias="from", max_length=20)] = "",
    to: Day = "",
) -> Response:
    first, last = half_width(from_).strip(), half_width(to).strip()
    asked = "from" in request.query_params or "to" in request.query_params
    record: dict[str, Any] | None = None
    errors: dict[str, list[str]] = {}
    error: str | None = None
    status = 200
    if asked:
        try:
            record = await api(
                request,
                "GET",
                "/api/v1/me/activity-record",
                params={k: v for k, v in (("from", first), ("to", last)) if v},
            )
        except ApiError as exc:
            if exc.status >= 500 or exc.code == "maintenance" or exc.status in (401, 403):
                raise
            status, error = exc.status, exc.detail
            for item in exc.errors:
                name = str(item.get("field") or "")
                errors.setdefault(name if name in LABELS else "", []).append(
                    str(item.get("message") or exc.detail)
                )
    else:
        today = datetime.now(JST).date()
        first = (today - timedelta(days=PROPOSED_DAYS - 1)).isoformat()
        last = today.isoformat()
    return await render(
        request,
        "seeker_activity_record.html",
        forms=False,
        status=status,
        values={"from": first, "to": last},
        record=record,
        errors=errors,
        error=error,
        labels=LABELS,
    )
