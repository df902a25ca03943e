"""PyMongo access to postings: create, change with a version check, lifecycle, search reads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from contracts import Envelope
from servicekit import outbox
from services.jobs.domain import HISTORY_LIMIT
from services.jobs.repository import Doc, Store

# the posting without its bulky parts, for reads that do not need them
NO_BULK = {"history": 0, "outbox": 0}
# whole-collection reads (index rebuilds) walk the _id index in batches
BY_ID = [("_id", 1)]
READ_BATCH = 1000


class PostingsRepository:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.postings = store.postings

    async def next_job_number(self, office_code: str, count: int = 1) -> int:
        return await self.store.allocate(f"job_number:{office_code}", count)

    async def insert(self, doc: Doc, *events: Envelope) -> None:
        await self.postings.insert_one({**doc, **outbox.initial(*events)})

    async def insert_many(self, docs: Sequence[Doc]) -> None:
        await self.postings.insert_many(list(docs), ordered=False)

    async def get(self, job_id: str, *, bulk: bool = False) -> Doc | None:
        return await self.postings.find_one({"_id": job_id}, None if bulk else NO_BULK)

    async def get_many(self, job_ids: Sequence[str], projection: Doc | None = None) -> list[Doc]:
        if not job_ids:
            return []
        cursor = self.postings.find({"_id": {"$in": list(job_ids)}}, projection or NO_BULK)
        return await cursor.to_list(None)

    async def update(
        self,
        job_id: str,
        *,
        expect: Doc,
        set_: Doc,
        events: Sequence[Envelope] = (),
        history: Doc | None = None,
    ) -> bool:
        """One single-document write: the change, the version bump, the history entry (the
        oldest dropped beyond HISTORY_LIMIT) and the events, applied only while the document
        still matches ``expect`` (optimistic check)."""
        update: Doc = {"$set": set_, "$inc": {"version": 1}}
        pushes: Doc = {}
        if events:
            pushes.update(outbox.push(*events)["$push"])
        if history is not None:  # the newest HISTORY_LIMIT entries stay
            pushes["history"] = {"$each": [history], "$slice": -HISTORY_LIMIT}
        if pushes:
            update["$push"] = pushes
        result = await self.postings.update_one({"_id": job_id, **expect}, update)
        return result.modified_count == 1

    async def delete_draft(self, job_id: str, version: int) -> bool:
        """A draft removed, only while it is still the draft read (a draft has no outbox)."""
        result = await self.postings.delete_one(
            {"_id": job_id, "status": "draft", "version": version}
        )
        return result.deleted_count == 1

    async def due_for_expiry(self, now: datetime, limit: int) -> list[Doc]:
        cursor = self.postings.find(
            {"status": "open", "expires_at": {"$lte": now}},
            {"version": 1, "job_number": 1, "employer_id": 1, "valid_until": 1, "expires_at": 1},
        ).limit(limit)
        return await cursor.to_list(None)

    async def by_employer(self, employer_id: str, keyset: Doc | None, limit: int) -> list[Doc]:
        query: Doc = {"employer_id": employer_id}
        if keyset:
            query = {"$and": [query, keyset]}
        cursor = (
            self.postings.find(query, NO_BULK)
            .sort([("published_at", -1), ("_id", -1)])
            .limit(limit)
        )
        return await cursor.to_list(None)

    async def all_open(self) -> AsyncIterator[Doc]:
        """Every open posting (a rebuild of the search index): the _id index, in batches."""
        cursor = (
            self.postings.find({"status": "open"}, NO_BULK)
            .sort(BY_ID)
            .hint(BY_ID)
            .batch_size(READ_BATCH)
        )
        async for doc in cursor:
            yield doc

    async def count_open(self) -> int:
        return await self.postings.count_documents({"status": "open"})

    async def updated_since(self, since: datetime) -> AsyncIterator[Doc]:
        """Postings written since ``since`` (what the search index may have missed)."""
        cursor = (
            self.postings.find({"updated_at": {"$gte": since}}, NO_BULK)
            .sort([("updated_at", 1)])
            .batch_size(READ_BATCH)
        )
        async for doc in cursor:
            yield doc

    async def find(
        self, query: Doc, *, sort: list[tuple[str, int]], limit: int, projection: Doc
    ) -> list[Doc]:
        cursor = self.postings.find(query, projection).sort(sort).limit(limit)
        return await cursor.to_list(None)
