"""Routes: a seeker's saved searches and favourites."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from servicekit.auth import SeekerPrincipal
from servicekit.cursors import CursorParam
from services.jobs.deps import JOB_ID, Services, problems
from services.jobs.schemas_me import (
    FavoriteList,
    FavoriteSet,
    SavedSearch,
    SavedSearchCreate,
    SavedSearchList,
)

router = APIRouter(prefix="/api/v1/me", tags=["saved searches and favourites"])
JobId = Annotated[str, Path(pattern=JOB_ID)]


@router.get("/saved-searches", response_model=SavedSearchList, responses=problems(401, 403))
async def list_saved_searches(principal: SeekerPrincipal, services: Services) -> dict[str, Any]:
    return await services.lists.saved_searches(principal=principal)


@router.post(
    "/saved-searches",
    status_code=201,
    response_model=SavedSearch,
    responses=problems(401, 403, 409, 422),
    summary="Save search conditions (at most 20: 409 saved_search_limit)",
)
async def save_search(
    body: SavedSearchCreate, principal: SeekerPrincipal, services: Services
) -> dict[str, Any]:
    return await services.lists.save_search(principal=principal, body=body)


@router.delete(
    "/saved-searches/{saved_search_id}", status_code=204, responses=problems(401, 403, 404, 409)
)
async def delete_saved_search(
    saved_search_id: Annotated[str, Path(max_length=64)],
    principal: SeekerPrincipal,
    services: Services,
) -> Response:
    await services.lists.delete_saved_search(principal=principal, saved_search_id=saved_search_id)
    return Response(status_code=204)


@router.get(
    "/favorites",
    response_model=FavoriteList,
    responses=problems(400, 401, 403),
    summary="Favourite postings, newest first; closed ones stay, marked by status",
)
async def list_favorites(
    principal: SeekerPrincipal,
    services: Services,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: CursorParam = None,
) -> dict[str, Any]:
    return await services.lists.favorites(principal=principal, limit=limit, cursor=cursor)


@router.put(
    "/favorites/{job_id}",
    response_model=FavoriteSet,
    responses=problems(401, 403, 404, 409),
    summary="Add a favourite (idempotent; at most 200: 409 favorite_limit)",
)
async def add_favorite(
    job_id: JobId, principal: SeekerPrincipal, services: Services
) -> dict[str, Any]:
    return await services.lists.add_favorite(principal=principal, job_id=job_id)


@router.delete(
    "/favorites/{job_id}",
    status_code=204,
    responses=problems(401, 403, 409),
    summary="Remove a favourite (idempotent)",
)
async def remove_favorite(
    job_id: JobId, principal: SeekerPrincipal, services: Services
) -> Response:
    await services.lists.remove_favorite(principal=principal, job_id=job_id)
    return Response(status_code=204)
