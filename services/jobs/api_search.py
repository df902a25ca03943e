"""Routes: posting search (anyone)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from services.jobs.criteria import SearchQuery
from services.jobs.deps import Services, problems
from services.jobs.schemas import PostingList

router = APIRouter(prefix="/api/v1/jobs", tags=["search"])


class SearchResult(PostingList):
    total: int | None = Field(
        description="matching postings; on the first page only (null with a cursor)"
    )
    total_estimated: bool = Field(
        description="true when total is an estimate (large result, or keywords verified on a "
        "sample) or a lower bound"
    )


@router.get(
    "",
    response_model=SearchResult,
    responses=problems(400, 422),
    summary="Search open postings: keywords (full- or half-width), conditions, new or wage order",
)
async def search_postings(
    query: Annotated[SearchQuery, Query()], services: Services
) -> dict[str, Any]:
    return await services.search.search(query)
