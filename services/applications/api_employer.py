"""Routes: the employer's applicants and its search of public seeker profiles.

- ``GET /api/v1/employer/applications``          applicants to own postings
- ``GET /api/v1/employer/seekers``               search public profiles
- ``GET /api/v1/employer/seekers/{seeker_id}``   one public profile (as the search shows it;
  404 seeker_profile_not_found for a private or unknown one): whom a direct request is for
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from servicekit.auth import EmployerPrincipal
from services.applications.deps import Cursor, JobFilter, Limit, Services, problems
from services.applications.domain import Status
from services.applications.schemas import ID, ApplicationPage, SeekerCard, SeekerPage

router = APIRouter(prefix="/api/v1/employer", tags=["employers"])

EmploymentType = Literal["full_time", "contract", "dispatch", "part_time", "other"]


@router.get(
    "/applications",
    response_model=ApplicationPage,
    responses=problems(400, 401, 403, 422),
    summary="Applicants to the employer's own postings, newest first",
    description="Each with the seeker number, age band and (public profiles) desired conditions, "
    "motivation and timeline — never a name or contact details. Referral applications appear "
    "once the office issued the letter.",
)
async def applicants(
    principal: EmployerPrincipal,
    services: Services,
    job_id: JobFilter = None,
    status: Status | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return await services.views.employer_applicants(
        principal, job_id=job_id, status=status, cursor=cursor, limit=limit
    )


@router.get(
    "/seekers",
    response_model=SeekerPage,
    responses=problems(400, 401, 403, 422),
    summary="Search public seeker profiles (employers with an employer My Page)",
    description="Only public profiles of live registrations: opaque seeker_id, age band and "
    "desired conditions. wage: what the employer offers (in wage_unit) — seekers whose desired "
    "minimum it meets, and those who named none.",
)
async def search_seekers(
    principal: EmployerPrincipal,
    services: Services,
    occupation: Annotated[str | None, Query(max_length=10)] = None,
    prefecture: Annotated[str | None, Query(pattern=r"^(0[1-9]|[1-3][0-9]|4[0-7])$")] = None,
    employment_type: EmploymentType | None = None,
    wage: Annotated[int | None, Query(ge=0, le=100_000_000)] = None,
    wage_unit: Literal["monthly", "daily", "hourly"] = "monthly",
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return await services.views.search_seekers(
        principal,
        occupation=occupation,
        prefecture=prefecture,
        employment_type=employment_type,
        wage=wage,
        wage_unit=wage_unit,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/seekers/{seeker_id}",
    response_model=SeekerCard,
    responses=problems(401, 403, 404, 422),
    summary="One public seeker profile (employers with an employer My Page)",
    description="What the search shows of the seeker: age band and desired conditions — never a "
    "name or contact details. 404 seeker_profile_not_found when the profile is private, the "
    "registration lapsed or was cancelled, or there is no such seeker.",
)
async def public_seeker(
    seeker_id: Annotated[str, Path(pattern=ID, description="the seeker's opaque id")],
    principal: EmployerPrincipal,
    services: Services,
) -> dict[str, Any]:
    return await services.views.public_seeker(principal, seeker_id)
