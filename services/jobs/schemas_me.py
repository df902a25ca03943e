"""HTTP models of a seeker's lists: saved searches, favourites and recommendations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.jobs.criteria import SearchConditions
from services.jobs.schemas import PostingSummary


class SavedSearchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=50, description="検索条件の名前")
    conditions: SearchConditions
    notify: bool = Field(default=True, description="announce new matching postings in My Page")


class SavedSearch(BaseModel):
    saved_search_id: str
    name: str
    conditions: dict[str, Any]
    query: str = Field(description="the conditions as a query string for GET /api/v1/jobs")
    notify: bool
    created_at: datetime


class SavedSearchList(BaseModel):
    items: list[SavedSearch]
    next_cursor: str | None = None
    limit: int = Field(description="how many saved searches a seeker may keep")


class Favorite(BaseModel):
    job_id: str
    added_at: datetime
    status: Literal["open", "closed", "expired"]
    job: PostingSummary


class FavoriteList(BaseModel):
    items: list[Favorite]
    next_cursor: str | None = None
    count: int
    limit: int


class FavoriteSet(BaseModel):
    job_id: str
    favorited: bool
    added_at: datetime | None = None


class RecommendationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job_id: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=1000, description="a word from the office")


class RecommendationSent(BaseModel):
    recommendation_id: str
    seeker_id: str
    job_id: str
    status: Literal["sent"]
    created_at: datetime


class Reason(BaseModel):
    code: Literal[
        "occupation", "occupation_group", "place", "municipality", "wage", "employment_type", "new"
    ]
    text: str = Field(description="in Japanese (English with Accept-Language: en)")


class Recommendation(BaseModel):
    recommendation_id: str | None = Field(
        description="office recommendations only; dismiss an automatic one by its job_id"
    )
    source: Literal["office", "auto"]
    job_id: str
    note: str | None = None
    sent_at: datetime | None = None
    score: float | None = None
    reasons: list[Reason] = Field(default_factory=list)
    job: PostingSummary


class RecommendationList(BaseModel):
    items: list[Recommendation]
    next_cursor: str | None = None
    provisional: bool = Field(
        default=False, description="provisional (online-only) registrations get no recommendations"
    )
    profile_available: bool = Field(
        default=True, description="false when no profile has arrived yet to match on"
    )
