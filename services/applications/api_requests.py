"""Routes: direct requests (リクエスト) — the employer sends and lists them (with the posting's
quota), the seeker sees and declines them (answering one is applying with its request_id)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from servicekit.auth import EmployerPrincipal, SeekerPrincipal
from services.applications import access, views
from services.applications.deps import Cursor, JobFilter, Limit, RequestId, Services, problems
from services.applications.schemas import RequestBody, RequestOut, RequestPage

router = APIRouter(prefix="/api/v1", tags=["direct requests"])


@router.post(
    "/requests",
    status_code=201,
    response_model=RequestOut,
    responses=problems(401, 403, 404, 409, 422),
    summary="Send a direct request: one of the employer's open postings and a message",
    description="409 codes: profile_not_public, requests_not_accepted, already_requested, "
    "request_quota_exceeded, posting_closed, direct_application_not_accepted. 403: "
    "employer_mypage_required, not_posting_owner.",
)
async def send_request(
    body: RequestBody, principal: EmployerPrincipal, services: Services
) -> dict[str, Any]:
    doc = await services.requests.send(
        employer_id=access.employer_id(principal),
        seeker_id=body.seeker_id,
        job_id=body.job_id,
        message=body.message,
        via="http",
    )
    return views.request(doc, "employer")


async def _sent(
    principal: EmployerPrincipal,
    services: Services,
    job_id: JobFilter = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return await services.views.sent_requests(principal, job_id=job_id, cursor=cursor, limit=limit)


router.get(
    "/employer/requests",
    response_model=RequestPage,
    responses=problems(400, 401, 403, 404, 422),
    summary="Direct requests the employer sent; with job_id also the posting's quota",
)(_sent)
router.get(
    "/requests",
    response_model=RequestPage,
    responses=problems(400, 401, 403, 404, 422),
    summary="Same as GET /api/v1/employer/requests",
)(_sent)


@router.get(
    "/me/requests",
    response_model=RequestPage,
    responses=problems(400, 401, 403, 422),
    summary="Direct requests the seeker received, newest first",
)
async def my_requests(
    principal: SeekerPrincipal, services: Services, limit: Limit = 20, cursor: Cursor = None
) -> dict[str, Any]:
    return await services.views.my_requests(principal, cursor=cursor, limit=limit)


@router.post(
    "/me/requests/{request_id}/decline",
    response_model=RequestOut,
    responses=problems(401, 403, 404, 409, 422),
    summary="Decline a direct request",
)
async def decline_request(
    request_id: RequestId, principal: SeekerPrincipal, services: Services
) -> dict[str, Any]:
    doc = await services.requests.decline(principal, request_id)
    return views.request(doc, "seeker")
