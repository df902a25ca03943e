"""Routes: the office's referral queue, issuing the referral letter, declining, and the hires
whose working conditions differ from the posting.

- ``GET /api/v1/staff/applications``                     the office's applications (queue)
- ``GET /api/v1/staff/applications/conditions-differ``   hires of the office's seekers whose
  working conditions differ from the posting (労働条件の相違), newest hire first, paged
- ``POST …/{application_id}/referral`` · ``POST …/{application_id}/decline``
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from servicekit.auth import StaffPrincipal
from services.applications.deps import ApplicationId, Cursor, Limit, Services, problems
from services.applications.domain import Status
from services.applications.schemas import ApplicationOut, ApplicationPage, DeclineBody

router = APIRouter(prefix="/api/v1/staff/applications", tags=["staff"])


@router.get(
    "",
    response_model=ApplicationPage,
    responses=problems(400, 401, 403, 422),
    summary="The office's applications, oldest first: ?status=referral_requested is the queue",
)
async def office_applications(
    principal: StaffPrincipal,
    services: Services,
    status: Status | None = None,
    office_code: Annotated[
        str | None, Query(pattern=r"^\d{5}$", description="admins: one office")
    ] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return await services.views.office_queue(
        principal, status=status, office_code=office_code, cursor=cursor, limit=limit
    )


@router.get(
    "/conditions-differ",
    response_model=ApplicationPage,
    responses=problems(400, 401, 403, 422),
    summary="Hires whose working conditions differ from the posting (the office's seekers), "
    "newest hire first",
    description="Each item's conditions say what differs; its posting is the snapshot the "
    "seeker applied to. Admins may name an office (office_code) or see every office.",
)
async def conditions_differ(
    principal: StaffPrincipal,
    services: Services,
    office_code: Annotated[
        str | None, Query(pattern=r"^\d{5}$", description="admins: one office")
    ] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return await services.views.differing_hires(
        principal, office_code=office_code, cursor=cursor, limit=limit
    )


@router.post(
    "/{application_id}/referral",
    response_model=ApplicationOut,
    responses=problems(401, 403, 404, 409, 422),
    summary="Issue the referral letter (紹介状) for a referral application of the office",
    description="409 invalid_transition (not waiting for a referral), posting_closed.",
)
async def issue_referral(
    application_id: ApplicationId, principal: StaffPrincipal, services: Services
) -> dict[str, Any]:
    doc = await services.progress.issue_referral(principal, application_id)
    return await services.views.render(principal, doc)


@router.post(
    "/{application_id}/decline",
    response_model=ApplicationOut,
    responses=problems(401, 403, 404, 409, 422),
    summary="Decline to refer, with a reason the seeker sees",
)
async def decline_referral(
    application_id: ApplicationId, body: DeclineBody, principal: StaffPrincipal, services: Services
) -> dict[str, Any]:
    doc = await services.progress.decline_referral(principal, application_id, body.reason)
    return await services.views.render(principal, doc)
