"""Routes: postings (求人票) — create (or save a draft), read, change, publish a draft, close,
renew, revisions, own list, delete a draft.

A draft (``"draft": true`` on create) is not published: no job events, not in search, read only
by its owner and its office's staff (404 to anyone else); PATCH changes it in place (no new
revision); ``POST /api/v1/jobs/{job_id}/publish`` publishes it (the minimum-wage check then) and
answers 409 ``posting_not_draft`` for a posting already published. Close and renew refuse a draft
(409 ``posting_is_draft``). ``DELETE /api/v1/jobs/{job_id}`` deletes a draft (204; no event, it
announced nothing); a published posting is closed, not deleted (409 ``posting_not_draft``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response

from servicekit.auth import CurrentPrincipal, Principal, bearer_token, current_principal
from servicekit.cursors import CursorParam
from servicekit.errors import DomainError
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


async def optional_principal(request: Request) -> Principal | None:
    """The caller when a valid token comes with a public read (a draft's owner); else none."""
    if bearer_token(request) is None:
        return None
    try:
        return await current_principal(request)
    except DomainError:
        return None


MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


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
    summary="Read a posting (anyone; closed and expired ones say so in status; a draft only "
    "its owner and its office's staff)",
)
async def read_posting(
    job_id: JobId, services: Services, principal: MaybePrincipal
) -> dict[str, Any]:
    return await services.postings.view(job_id=job_id, principal=principal)


@router.post(
    "/{job_id}/publish",
    response_model=PostingPublic,
    responses=problems(401, 403, 404, 409, 422),
    summary="Publish a draft (owner or staff of its office): open, in search, announced",
)
async def publish_posting(
    job_id: JobId, principal: CurrentPrincipal, services: Services
) -> dict[str, Any]:
    return await services.postings.publish(principal=principal, job_id=job_id)


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


@router.delete(
    "/{job_id}",
    status_code=204,
    responses=problems(401, 404, 409, 422),
    summary="Delete a draft (owner or staff of its office); a published posting: 409",
)
async def delete_draft(job_id: JobId, principal: CurrentPrincipal, services: Services) -> Response:
    await services.postings.delete_draft(principal=principal, job_id=job_id)
    return Response(status_code=204)


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
