"""A seeker's saved searches (at most 20) and favourites (at most 200)."""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog

from servicekit import cursors
from servicekit.auth import Principal
from servicekit.clock import Clock
from services.jobs import documents
from services.jobs.access import seeker_id
from services.jobs.criteria import SearchConditions
from services.jobs.domain import (
    FAVORITE_LIMIT,
    SAVED_SEARCH_LIMIT,
    FavoriteLimit,
    InvalidCursor,
    JobNotFound,
    SavedSearchLimit,
    SavedSearchNotFound,
    SeekerCancelled,
    effective_status,
)
from services.jobs.repository import Doc
from services.jobs.repository_lists import ListsRepository
from services.jobs.repository_postings import PostingsRepository
from services.jobs.repository_projections import ProjectionsRepository
from services.jobs.schemas_me import SavedSearchCreate
from services.jobs.service_indexing import IndexingService

log = structlog.get_logger()


def saved_search_view(doc: Doc) -> Doc:
    conditions = SearchConditions.model_validate(doc["conditions"])
    return {
        "saved_search_id": doc["saved_search_id"],
        "name": doc["name"],
        "conditions": doc["conditions"],
        "query": conditions.query_string(),
        "notify": doc["notify"],
        "created_at": doc["created_at"],
    }


class _FavoriteCursor(cursors.CursorModel):
    a: cursors.Instant
    i: cursors.Id


def _encode(added_at: datetime, job_id: str) -> str:
    return cursors.encode({"a": added_at, "i": job_id})


def _decode(cursor: str) -> tuple[datetime, str]:
    position = cursors.decode(_FavoriteCursor, cursor)
    if position is None:
        raise InvalidCursor()
    return position.a, position.i


class ListsService:
    def __init__(
        self,
        *,
        lists: ListsRepository,
        postings: PostingsRepository,
        projections: ProjectionsRepository,
        indexing: IndexingService,
        clock: Clock,
    ) -> None:
        self.indexing = indexing
        self.lists = lists
        self.postings = postings
        self.projections = projections
        self.clock = clock

    async def _active_seeker(self, principal: Principal) -> str:
        """The seeker's id; writes are refused once the registration is cancelled."""
        sid = seeker_id(principal)
        seeker = await self.projections.seeker(sid)
        if seeker is not None and seeker.get("status") == "cancelled":
            raise SeekerCancelled()
        return sid

    # --- saved searches ------------------------------------------------------------------------

    async def saved_searches(self, *, principal: Principal) -> Doc:
        docs = await self.lists.saved_searches(seeker_id(principal))
        return {"items": [saved_search_view(d) for d in docs], "limit": SAVED_SEARCH_LIMIT}

    async def save_search(self, *, principal: Principal, body: SavedSearchCreate) -> Doc:
        sid = await self._active_seeker(principal)
        doc = {
            "saved_search_id": uuid.uuid4().hex,
            "name": body.name,
            "conditions": body.conditions.stored(),
            "notify": body.notify,
            "created_at": self.clock.now(),
        }
        if not await self.lists.add_saved_search(sid, doc, SAVED_SEARCH_LIMIT):
            raise SavedSearchLimit()
        await self.indexing.saved_search_saved(doc, sid)
        log.info("jobs.saved_search.created", saved_search_id=doc["saved_search_id"])
        return saved_search_view(doc)

    async def delete_saved_search(self, *, principal: Principal, saved_search_id: str) -> None:
        sid = await self._active_seeker(principal)
        if not await self.lists.delete_saved_search(sid, saved_search_id):
            raise SavedSearchNotFound()
        await self.indexing.saved_search_deleted(saved_search_id)

    # --- favourites ----------------------------------------------------------------------------

    async def favorites(self, *, principal: Principal, limit: int, cursor: str | None) -> Doc:
        seeker = await self.lists.lists_of(seeker_id(principal))
        added: dict[str, datetime] = seeker.get("favorite_at") or {}
        ordered = sorted(
            ((added[j], j) for j in seeker.get("favorite_ids") or [] if j in added), reverse=True
        )
        if cursor:
            position = _decode(cursor)
            ordered = [entry for entry in ordered if entry < position]
        page = ordered[:limit]
        postings = {
            d["_id"]: d
            for d in await self.postings.get_many(
                [j for _, j in page], documents.SUMMARY_PROJECTION
            )
        }
        now = self.clock.now()
        items = [
            {
                "job_id": job_id,
                "added_at": at,
                "status": effective_status(postings[job_id], now),
                "job": documents.summary(postings[job_id], now),
            }
            for at, job_id in page
            if job_id in postings
        ]
        more = len(ordered) > limit
        return {
            "items": items,
            "next_cursor": _encode(*page[-1]) if more and page else None,
            "count": len(added),
            "limit": FAVORITE_LIMIT,
        }

    async def add_favorite(self, *, principal: Principal, job_id: str) -> Doc:
        sid = await self._active_seeker(principal)
        posting = await self.postings.get(job_id)
        if posting is None or posting["status"] == "draft":
            raise JobNotFound()
        now = self.clock.now()
        if await self.lists.add_favorite(sid, job_id, now, FAVORITE_LIMIT) == "full":
            raise FavoriteLimit()
        seeker = await self.lists.lists_of(sid)
        return {
            "job_id": job_id,
            "favorited": True,
            "added_at": (seeker.get("favorite_at") or {}).get(job_id, now),
        }

    async def remove_favorite(self, *, principal: Principal, job_id: str) -> None:
        sid = await self._active_seeker(principal)
        await self.lists.remove_favorite(sid, job_id)
