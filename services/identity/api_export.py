"""The seeker's whole export, assembled over the bus (service_export.py).

- ``POST /api/v1/me/export``               start one: 202 ``{export_id, status: "pending", …}``
  with ``Location``; 409 ``export_running`` while one of the seeker's exports is still running
  (its ``Location`` named), 409 ``no_seeker_registration`` for an account without one
- ``GET /api/v1/me/exports``               my exports still kept (7 days), newest first, at most
  20, without their documents (``{items, next_cursor: null}``)
- ``GET /api/v1/me/export/{export_id}``    the job: ``pending`` (``waiting_for`` names the parts
  not in yet), then ``ready`` or ``partial`` (``missing_parts``) with ``document``: identity's
  data (as ``GET /api/v1/me/export``) and every service's lists — favourites, saved searches,
  recommendations (jobs); applications with their timelines and referral letters, direct
  requests (applications); conversations with their messages, notices (messaging);
  notifications (notifier) — each list newest first and capped (``export.limits``)

``GET /api/v1/me/export`` (api_me.py) keeps its meaning: identity's own part, at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import BaseModel

from servicekit.auth import SeekerPrincipal
from services.identity.deps import problems
from services.identity.service_export import Exports

router = APIRouter(prefix="/api/v1/me", tags=["seeker profile"])

ExportId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def get_exports(request: Request) -> Exports:
    exports: Exports = request.app.state.exports
    return exports


ExportsDep = Annotated[Exports, Depends(get_exports)]


class ExportSummary(BaseModel):
    export_id: str
    status: Literal["pending", "ready", "partial"]
    requested_at: datetime
    completed_at: datetime | None = None
    waiting_for: list[str] = []
    missing_parts: list[str] = []
    item_limit: int


class ExportList(BaseModel):
    items: list[ExportSummary]
    next_cursor: None = None


class ExportJob(BaseModel):
    export_id: str
    status: Literal["pending", "ready", "partial"]
    requested_at: datetime
    completed_at: datetime | None = None
    waiting_for: list[str] = []
    missing_parts: list[str] = []
    truncated: dict[str, list[str]] = {}
    item_limit: int
    document: dict[str, Any] | None = None


@router.post(
    "/export",
    response_model=ExportJob,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problems(401, 403, 404, 409),
    summary="Start the export of everything every service holds about me (one at a time)",
)
async def start_export(
    seeker: SeekerPrincipal, exports: ExportsDep, response: Response
) -> ExportJob:
    job = await exports.start(account_id=seeker.account_id)
    response.headers["Location"] = f"/api/v1/me/export/{job['export_id']}"
    return ExportJob.model_validate(job)


@router.get(
    "/export/{export_id}",
    response_model=ExportJob,
    responses=problems(401, 403, 404, 422),
    summary="My export: pending, then ready (or partial, naming the missing parts) with the document",
)
async def get_export(
    export_id: ExportId, seeker: SeekerPrincipal, exports: ExportsDep
) -> ExportJob:
    return ExportJob.model_validate(
        await exports.get(account_id=seeker.account_id, export_id=export_id)
    )


@router.get(
    "/exports",
    response_model=ExportList,
    responses=problems(401, 403),
    summary="My exports still kept, newest first (without their documents)",
)
async def list_exports(seeker: SeekerPrincipal, exports: ExportsDep) -> ExportList:
    items = await exports.recent(account_id=seeker.account_id)
    return ExportList(items=[ExportSummary.model_validate(i) for i in items])
