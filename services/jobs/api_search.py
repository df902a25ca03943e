"""Routes: posting search (anyone)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.jobs.criteria import SearchQuery
from services.jobs.deps import Services, problems
from services.jobs.schemas import PostingSummary

router = APIRouter(prefix="/api/v1/jobs", tags=["search"])


class Highlight(BaseModel):
    title: str | None = Field(
        description="the title with the matched words in <mark>…</mark> (HTML-escaped; null "
        "when no keyword is in it)"
    )
    duties: str | None = Field(description="a snippet of the duties, marked the same way")


class SearchItem(PostingSummary):
    highlight: Highlight


class FacetValue(BaseModel):
    value: str = Field(description="a prefecture code (01–47), occupation code or employment type")
    count: int


class Facets(BaseModel):
    """Counts for the current search without the condition of the facet itself: what choosing
    a value would give."""

    prefecture: list[FacetValue]
    occupation: list[FacetValue]
    employment_type: list[FacetValue]


class SearchResult(BaseModel):
    items: list[SearchItem]
    next_cursor: str | None = None
    total: int | None = Field(
        description="matching postings, exact up to 10,000; on the first page only (null with a "
        "cursor)"
    )
    total_estimated: bool = Field(
        description="true when there are more than 10,000 (total is then 10,000: a lower bound)"
    )
    facets: Facets | None = Field(description="counts by condition; on the first page only")


@router.get(
    "",
    response_model=SearchResult,
    responses=problems(400, 410, 422, 503),
    summary="Search open postings: keywords, conditions, counts by condition, highlights; "
    "relevance, new, wage or deadline order; pages by cursor",
    description="Keywords are Japanese-aware (full/half width, katakana/hiragana, substrings). "
    "`next_cursor` pages on (400 `invalid_cursor` for a cursor not written for this order, 410 "
    "`cursor_expired` after a few minutes without paging); 503 `search_unavailable` with "
    "Retry-After when the search engine is away.",
)
async def search_postings(
    query: Annotated[SearchQuery, Query()], services: Services
) -> dict[str, Any]:
    return await services.search.search(query)
