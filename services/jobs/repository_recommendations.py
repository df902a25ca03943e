"""PyMongo access to staff recommendations and to the daily saved-search match documents."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from contracts import Envelope
from servicekit import outbox
from services.jobs.repository import Doc, Store


class RecommendationsRepository:
    def __init__(self, store: Store) -> None:
        self.recommendations = store.recommendations
        self.matches = store.matches

    async def insert(self, doc: Doc, event: Envelope) -> bool:
        """False when this seeker already got this posting (the ``_id`` is derived from both)."""
        try:
            await self.recommendations.insert_one({**doc, **outbox.initial(event)})
        except DuplicateKeyError:
            return False
        return True

    async def for_seeker(self, seeker_id: str, keyset: Doc | None, limit: int) -> list[Doc]:
        query: Doc = {"seeker_id": seeker_id, "dismissed": False}
        if keyset:
            query = {"$and": [query, keyset]}
        cursor = (
            self.recommendations.find(query, {"outbox": 0})
            .sort([("created_at", -1), ("_id", -1)])
            .limit(limit)
        )
        return await cursor.to_list(None)

    async def dismiss(self, seeker_id: str, recommendation_id: str) -> bool:
        result = await self.recommendations.update_one(
            {"_id": recommendation_id, "seeker_id": seeker_id}, {"$set": {"dismissed": True}}
        )
        return result.matched_count == 1

    # --- saved-search matches: one document per (saved search, day) ----------------------------

    async def record_match(self, match_id: str, job_id: str, fields: Doc, event: Envelope) -> bool:
        """Add the job to the day's document. Only the write that creates the document carries the
        event, so a saved search is announced at most once a day; True when that was this one.
        (Concurrent upserts of one ``_id``: the server retries the loser as an update.)"""
        result = await self.matches.update_one(
            {"_id": match_id},
            {"$addToSet": {"job_ids": job_id}, "$setOnInsert": {**fields, **outbox.initial(event)}},
            upsert=True,
        )
        return result.upserted_id is not None
