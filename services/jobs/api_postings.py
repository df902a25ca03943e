"""Routes: postings (求人票) — create, read, change, close, renew, revisions, own list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from servicekit.auth import CurrentPrincipal
from servicekit.cursors import CursorParam
from services.jobs.deps import JOB_ID, EmployerOrStaff, Services, problems
from services.jobs.schemas import (
    CloseBody,
    PostingChange,
    PostingCreate,
    PostingCreated,
    PostingList,
    PostingPublic,
    Revisions,
)

router = APIRouter(prefix="/api/v1/jobs", tags=["postings"])
JobId = Annotated[str, Path(pattern=JOB_ID, description="the posting's id")]


@router.post(
    "",
    status_code=201,
    response_model=PostingCreated,
    responses=problems(401, 403, 404, 409, 422),
    summary="Create a posting (employer with an employer My Page, or staff for their office)",
)
async def create_posting(
    body: PostingCreate, principal: EmployerOrStaff, services: Services
) -> dict[str, Any]:
    doc = await services.postings.create(principal=principal, body=body)
    return {
        "job_id": doc["_id"],
        "job_number": doc["job_number"],
        "status": doc["status"],
        "revision": doc["revision"],
        "valid_until": doc["valid_until"],
    }


@router.get(
    "/mine",
    response_model=PostingList,
    responses=problems(400, 401, 403, 404),
    summary="An employer's postings in every status (staff: add employer_id)",
)
async def own_postings(
    principal: EmployerOrStaff,
    services: Services,
    employer_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: CursorParam = None,
) -> dict[str, Any]:
    return await services.postings.list_own(
        principal=principal, employer_id=employer_id, limit=limit, cursor=cursor
    )


@router.get(
    "/{job_id}",
    response_model=PostingPublic,
    responses=problems(404, 422),
    summary="Read a posting (anyone; closed and expired ones say so in status)",
)
async def read_posting(job_id: JobId, services: Services) -> dict[str, Any]:
    return await services.postings.view(job_id=job_id)


@router.patch(
    "/{job_id}",
    response_model=PostingPublic,
    responses=problems(401, 403, 404, 409, 422),
    summary="Change a posting: a new revision (owner or staff of its office)",
)
async def change_posting(
    job_id: JobId, body: PostingChange, principal: CurrentPrincipal, services: Services
) -> dict[str, Any]:
    return await services.postings.change(principal=principal, job_id=job_id, change=body)


@router.post(
    "/{job_id}/close",
    response_model=PostingPublic,
    responses=problems(401, 403, 404, 422),
    summary="Close a posting (募集終了); closing twice is fine",
)
async def close_posting(
    job_id: JobId,
    principal: CurrentPrincipal,
    services: Services,
    body: Annotated[CloseBody | None, Body()] = None,
) -> dict[str, Any]:
    reason = body.reason if body else None
    return await services.postings.close(principal=principal, job_id=job_id, reason=reason)


@router.post(
    "/{job_id}/renew",
    response_model=PostingPublic,
    responses=problems(401, 403, 404, 409),
    summary="Extend the validity to the end of the month after next (reopens an expired one)",
)
async def renew_posting(
    job_id: JobId, principal: CurrentPrincipal, services: Services
) -> dict[str, Any]:
    return await services.postings.renew(principal=principal, job_id=job_id)


@router.get(
    "/{job_id}/revisions",
    response_model=Revisions,
    responses=problems(401, 403, 404),
    summary="Every revision of a posting, newest first, each a full snapshot (owner or staff)",
)
async def posting_revisions(
    job_id: JobId, principal: CurrentPrincipal, services: Services
) -> dict[str, Any]:
    return await services.postings.revisions(principal=principal, job_id=job_id)
