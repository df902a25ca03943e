"""Routes: applying, one application, its steps (employer/staff), withdrawing (seeker), the
referral letter, and the seeker's history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import HTMLResponse, JSONResponse

from servicekit.auth import CurrentPrincipal, SeekerPrincipal
from services.applications.deps import (
    ApplicationId,
    Cursor,
    EmployerOrStaff,
    Limit,
    Services,
    problems,
)
from services.applications.schemas import (
    ApplicationOut,
    ApplicationPage,
    ApplyBody,
    ReferralLetter,
    StatusBody,
    WithdrawBody,
)

router = APIRouter(prefix="/api/v1", tags=["applications"])


@router.post(
    "/applications",
    status_code=201,
    response_model=ApplicationOut,
    responses=problems(401, 403, 404, 409, 422),
    summary="Apply to a posting: referral (オンライン紹介) or direct (オンライン自主応募)",
    description="409 codes: already_applied, posting_closed, direct_application_not_accepted, "
    "online_referral_not_accepted, provisional_seeker, seeker_cancelled, registration_lapsed, "
    "seeker_unknown, request_not_pending, request_job_mismatch.",
)
async def apply(body: ApplyBody, principal: SeekerPrincipal, services: Services) -> dict[str, Any]:
    doc = await services.apply.submit(
        principal,
        job_id=body.job_id,
        route=body.route,
        motivation=body.motivation,
        request_id=body.request_id,
    )
    return await services.views.render(principal, doc)


@router.get(
    "/me/applications",
    response_model=ApplicationPage,
    responses=problems(400, 401, 403, 422),
    summary="The seeker's applications, newest first, each with its timeline and letter link",
)
async def my_applications(
    principal: SeekerPrincipal, services: Services, limit: Limit = 20, cursor: Cursor = None
) -> dict[str, Any]:
    return await services.views.mine(principal, cursor=cursor, limit=limit)


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationOut,
    responses=problems(401, 404, 422),
    summary="One application (its seeker, the posting's employer once it has it, office staff)",
)
async def get_application(
    application_id: ApplicationId, principal: CurrentPrincipal, services: Services
) -> dict[str, Any]:
    return await services.views.application(principal, application_id)


@router.post(
    "/applications/{application_id}/status",
    response_model=ApplicationOut,
    responses=problems(401, 403, 404, 409, 422, 429),
    summary="Move the application on: screening, interview, offered, hired, rejected",
    description="interview needs interview_at and interview_place; conditions_differ (true: + "
    "conditions_items and/or conditions_note) only with offered/hired. 409 invalid_transition. interview again moves "
    "the interview, at most 10 times per application (409 reschedule_limit_reached); at most "
    "10 status changes a minute per application (429 too_many_status_changes, Retry-After).",
)
async def change_status(
    application_id: ApplicationId,
    body: StatusBody,
    principal: EmployerOrStaff,
    services: Services,
) -> dict[str, Any]:
    doc = await services.progress.change_status(
        principal,
        application_id,
        status=body.status,
        note=body.note,
        interview_at=body.interview_at,
        interview_place=body.interview_place,
        conditions_differ=body.conditions_differ,
        conditions_note=body.conditions_note,
        conditions_items=[i.model_dump() for i in body.conditions_items or []],
    )
    return await services.views.render(principal, doc)


@router.post(
    "/applications/{application_id}/withdraw",
    response_model=ApplicationOut,
    responses=problems(401, 403, 404, 409, 422),
    summary="Withdraw (辞退) at any open step, with an optional reason",
)
async def withdraw(
    application_id: ApplicationId,
    principal: SeekerPrincipal,
    services: Services,
    body: Annotated[WithdrawBody | None, Body()] = None,
) -> dict[str, Any]:
    reason = body.reason if body else None
    doc = await services.progress.withdraw(principal, application_id, reason)
    return await services.views.render(principal, doc)


@router.get(
    "/applications/{application_id}/referral-letter",
    response_model=ReferralLetter,
    responses={
        **problems(401, 404, 422),
        200: {
            "description": "the letter; a printable Japanese page with Accept: text/html",
            "content": {"application/json": {}, "text/html": {}},
        },
    },
    summary="The referral letter (紹介状): the seeker, the employer, office staff",
)
async def referral_letter(
    application_id: ApplicationId, request: Request, principal: CurrentPrincipal, services: Services
) -> Any:
    letter = await services.views.letter(principal, application_id)
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(services.letters.render(letter))
    return JSONResponse(ReferralLetter.model_validate(letter).model_dump(mode="json"))
