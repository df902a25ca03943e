"""Routes: recommendations — staff send them; seekers list (office and automatic) and dismiss."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from servicekit.auth import SeekerPrincipal, StaffPrincipal
from servicekit.cursors import CursorParam
from services.jobs.deps import English, Services, problems
from services.jobs.schemas_me import RecommendationCreate, RecommendationList, RecommendationSent

router = APIRouter(prefix="/api/v1", tags=["recommendations"])


@router.post(
    "/staff/seekers/{seeker_id}/recommendations",
    status_code=201,
    response_model=RecommendationSent,
    responses=problems(401, 403, 404, 409, 422),
    summary="Recommend a posting to a seeker of the office (not to provisional registrations)",
)
async def send_recommendation(
    seeker_id: Annotated[str, Path(max_length=64)],
    body: RecommendationCreate,
    principal: StaffPrincipal,
    services: Services,
) -> dict[str, Any]:
    return await services.recommendations.send(principal=principal, seeker_id=seeker_id, body=body)


@router.get(
    "/me/recommendations",
    response_model=RecommendationList,
    responses=problems(400, 401, 403),
    summary="Recommendations: from the office and automatic ones, each marked by source",
)
async def list_recommendations(
    principal: SeekerPrincipal,
    services: Services,
    english: English,
    source: Annotated[Literal["all", "office", "auto"], Query()] = "all",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: CursorParam = None,
) -> dict[str, Any]:
    return await services.recommendations.received(
        principal=principal, source=source, limit=limit, cursor=cursor, english=english
    )


@router.post(
    "/me/recommendations/{recommendation_id}/dismiss",
    status_code=204,
    responses=problems(401, 403, 404),
    summary="Dismiss a recommendation: an office one by its id, an automatic one by job_id",
)
async def dismiss_recommendation(
    recommendation_id: Annotated[str, Path(max_length=64)],
    principal: SeekerPrincipal,
    services: Services,
) -> Response:
    await services.recommendations.dismiss(principal=principal, recommendation_id=recommendation_id)
    return Response(status_code=204)
