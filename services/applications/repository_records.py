"""PyMongo access to applications, direct requests and rejections: inserts (each with the outbox of
its first event) and the lists. Lists are ordered by ``seq`` (time, then id: see
``domain.sort_key``), which is also the cursor."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from services.applications.domain import OPEN
from services.applications.repository import Doc, Store

HIDDEN = {"outbox": 0}


class RecordsRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- applications --------------------------------------------------------------------------

    async def insert_application(self, doc: Doc) -> None:
        await self.store.applications.insert_one(doc)

    async def applications(
        self,
        query: dict[str, Any],
        *,
        cursor: str | None,
        limit: int,
        newest_first: bool = True,
    ) -> list[Doc]:
        """One page (``limit + 1`` documents tell whether there is a next page)."""
        if cursor:
            query = {**query, "seq": {"$lt" if newest_first else "$gt": cursor}}
        found = self.store.applications.find(query, HIDDEN).sort("seq", -1 if newest_first else 1)
        return await found.limit(limit + 1).to_list(None)

    async def open_applications(self, **match: str) -> list[Doc]:
        query = {**match, "status": {"$in": sorted(OPEN)}}
        return await self.store.applications.find(query, {"_id": 1}).to_list(None)

    # --- direct requests -----------------------------------------------------------------------

    async def insert_request(self, doc: Doc) -> None:
        await self.store.requests.insert_one(doc)

    async def requests(self, query: dict[str, Any], *, cursor: str | None, limit: int) -> list[Doc]:
        if cursor:
            query = {**query, "seq": {"$lt": cursor}}
        found = self.store.requests.find(query, HIDDEN).sort("seq", -1)
        return await found.limit(limit + 1).to_list(None)

    async def pending_requests(self, **match: str) -> list[Doc]:
        query = {**match, "status": "pending"}
        return await self.store.requests.find(query, {"_id": 1}).to_list(None)

    # --- rejections (answers to employer systems) ----------------------------------------------

    async def insert_rejection(self, doc: Doc) -> bool:
        """False when this message was already answered (same ``_id``)."""
        try:
            await self.store.rejections.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True
