"""PyMongo access to a seeker's saved searches and favourites.

Limits hold under concurrency without transactions: a saved search takes one of the seeker's
numbered slots as its ``_id`` (``<seeker_id>.<slot>``, so two requests can never take the same
one), and a favourite is pushed only while the array has room (``favorite_ids.<limit-1>`` absent)
in the same single-document update (atomic on MongoDB; FerretDB 1.24 does not make concurrent
updates of one document atomic, so there two parallel requests of one seeker may overshoot).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pymongo.errors import DuplicateKeyError

from services.jobs.repository import Doc, Store

AddResult = Literal["added", "present", "full"]


class ListsRepository:
    def __init__(self, store: Store) -> None:
        self.saved = store.saved_searches
        self.lists = store.seeker_lists

    # --- saved searches ------------------------------------------------------------------------

    async def saved_searches(self, seeker_id: str) -> list[Doc]:
        cursor = self.saved.find({"seeker_id": seeker_id}).sort([("created_at", 1), ("_id", 1)])
        return await cursor.to_list(None)

    async def insert_saved_search(
        self, seeker_id: str, doc: Doc, free_slots: Iterable[int]
    ) -> bool:
        """Take the first free slot; False when every slot is taken (possibly just now)."""
        for slot in free_slots:
            try:
                await self.saved.insert_one({**doc, "_id": f"{seeker_id}.{slot:02d}", "slot": slot})
                return True
            except DuplicateKeyError:
                continue
        return False

    async def delete_saved_search(self, seeker_id: str, saved_search_id: str) -> bool:
        result = await self.saved.delete_one(
            {"seeker_id": seeker_id, "saved_search_id": saved_search_id}
        )
        return result.deleted_count == 1

    async def saved_search_candidates(self, prefectures: list[str]) -> list[Doc]:
        """Saved searches that could match a posting in these prefectures (the rest is checked
        in Python): those naming one of them, and those without a prefecture condition."""
        cursor = self.saved.find({"route_prefectures": {"$in": [*prefectures, "*"]}})
        return await cursor.to_list(None)

    # --- favourites and dismissals (the seeker's lists document) ---------------------------------

    async def lists_of(self, seeker_id: str) -> Doc:
        return await self.lists.find_one({"_id": seeker_id}) or {}

    async def add_favorite(
        self, seeker_id: str, job_id: str, now: datetime, limit: int
    ) -> AddResult:
        try:
            result = await self.lists.update_one(
                {
                    "_id": seeker_id,
                    "favorite_ids": {"$ne": job_id},
                    f"favorite_ids.{limit - 1}": {"$exists": False},
                },
                {"$push": {"favorite_ids": job_id}, "$set": {f"favorite_at.{job_id}": now}},
                upsert=True,
            )
            if result.modified_count == 1 or result.upserted_id is not None:
                return "added"
        except DuplicateKeyError:
            pass  # the document exists and did not match: find out why
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
        await self.saved.delete_many({"seeker_id": seeker_id})
        await self.lists.delete_one({"_id": seeker_id})
