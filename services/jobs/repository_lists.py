"""PyMongo access to a seeker's lists: one document per seeker (``seeker_lists``, ``_id`` = the
seeker id) with its saved searches, favourites and dismissed recommendations.

The limits hold under concurrency in one single-document update: an entry is pushed only while
its array has room (``<array>.<limit-1>`` absent from the filter), so two parallel requests can
never both take the last place.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Literal

from pymongo.errors import DuplicateKeyError

from services.jobs.repository import Doc, Store

AddResult = Literal["added", "present", "full"]


class ListsRepository:
    def __init__(self, store: Store) -> None:
        self.lists = store.seeker_lists

    async def _push(self, filter_: Doc, update: Doc) -> bool:
        """The conditional push (an upsert for a seeker's first entry); False when the seeker's
        document exists and does not match (upserting it then clashes on ``_id``)."""
        try:
            result = await self.lists.update_one(filter_, update, upsert=True)
        except DuplicateKeyError:
            return False
        return result.modified_count == 1 or result.upserted_id is not None

    # --- saved searches ------------------------------------------------------------------------

    async def saved_searches(self, seeker_id: str) -> list[Doc]:
        doc = await self.lists.find_one({"_id": seeker_id}, {"saved_searches": 1}) or {}
        saved: list[Doc] = doc.get("saved_searches") or []
        return sorted(saved, key=lambda s: (s["created_at"], s["saved_search_id"]))

    async def add_saved_search(self, seeker_id: str, saved: Doc, limit: int) -> bool:
        """False when the seeker already has ``limit`` saved searches (possibly just now)."""
        return await self._push(
            {"_id": seeker_id, f"saved_searches.{limit - 1}": {"$exists": False}},
            {"$push": {"saved_searches": saved}},
        )

    async def delete_saved_search(self, seeker_id: str, saved_search_id: str) -> bool:
        result = await self.lists.update_one(
            {"_id": seeker_id, "saved_searches.saved_search_id": saved_search_id},
            {"$pull": {"saved_searches": {"saved_search_id": saved_search_id}}},
        )
        return result.modified_count == 1

    async def saved_searches_of(self, seeker_ids: list[str]) -> dict[str, list[Doc]]:
        """The saved searches of these seekers, by seeker (matches are checked against them)."""
        if not seeker_ids:
            return {}
        cursor = self.lists.find({"_id": {"$in": sorted(set(seeker_ids))}}, {"saved_searches": 1})
        return {d["_id"]: d.get("saved_searches") or [] for d in await cursor.to_list(None)}

    async def all_saved_searches(self) -> AsyncIterator[tuple[str, Doc]]:
        """Every saved search with its seeker (a rebuild of the percolator index): the _id
        index, in batches."""
        cursor = (
            self.lists.find({"saved_searches.0": {"$exists": True}}, {"saved_searches": 1})
            .sort([("_id", 1)])
            .hint([("_id", 1)])
            .batch_size(500)
        )
        async for doc in cursor:
            for saved in doc["saved_searches"]:
                yield doc["_id"], saved

    # --- favourites and dismissals (the seeker's lists document) ---------------------------------

    async def lists_of(self, seeker_id: str) -> Doc:
        """Favourites and dismissals (the saved searches are read on their own)."""
        return await self.lists.find_one({"_id": seeker_id}, {"saved_searches": 0}) or {}

    async def add_favorite(
        self, seeker_id: str, job_id: str, now: datetime, limit: int
    ) -> AddResult:
        if await self._push(
            {
                "_id": seeker_id,
                "favorite_ids": {"$ne": job_id},
                f"favorite_ids.{limit - 1}": {"$exists": False},
            },
            {"$push": {"favorite_ids": job_id}, "$set": {f"favorite_at.{job_id}": now}},
        ):
            return "added"
        # not pushed: already there, or no room
        doc = await self.lists_of(seeker_id)
        return "present" if job_id in (doc.get("favorite_ids") or []) else "full"

    async def remove_favorite(self, seeker_id: str, job_id: str) -> None:
        await self.lists.update_one(
            {"_id": seeker_id},
            {"$pull": {"favorite_ids": job_id}, "$unset": {f"favorite_at.{job_id}": ""}},
        )

    async def dismiss_job(self, seeker_id: str, job_id: str) -> None:
        await self.lists.update_one(
            {"_id": seeker_id}, {"$addToSet": {"dismissed_job_ids": job_id}}, upsert=True
        )

    async def clear(self, seeker_id: str) -> None:
        """Everything a seeker kept here: saved searches, favourites, dismissals."""
        await self.lists.delete_one({"_id": seeker_id})
