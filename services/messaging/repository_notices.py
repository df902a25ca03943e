"""PyMongo access to notices (one document each, with its audience) and their read markers (one
small document per seeker who opened one)."""

from __future__ import annotations

from datetime import datetime

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from contracts import Envelope
from servicekit import outbox
from services.messaging.repository import Doc, Store


def audience_filter(seeker_id: str, office_code: str, since: datetime) -> Doc:
    """The notices one seeker sees: to everyone, to the seeker's office, or naming the seeker,
    published since the seeker registered."""
    return {
        "$or": [
            {"audience.kind": "all"},
            {"audience.kind": "office", "audience.office_code": office_code},
            {"audience.kind": "seekers", "audience.seeker_ids": seeker_id},
        ],
        "published_at": {"$gte": since},
    }


def read_id(notice_id: str, seeker_id: str) -> str:
    return f"{notice_id}|{seeker_id}"


class NoticesRepository:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def insert(self, doc: Doc, event: Envelope) -> None:
        await self.s.notices.insert_one({**doc, **outbox.initial(event)})

    async def get(self, notice_id: str) -> Doc | None:
        return await self.s.notices.find_one({"_id": notice_id}, {"outbox": 0})

    async def page(
        self, where: Doc, *, before: tuple[datetime, str] | None, limit: int
    ) -> list[Doc]:
        query: Doc = {"$and": [where]}
        if before is not None:
            at, last = before
            query["$and"].append(
                {"$or": [{"published_at": {"$lt": at}}, {"published_at": at, "_id": {"$lt": last}}]}
            )
        cursor = (
            self.s.notices.find(query, {"outbox": 0})
            .sort([("published_at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return await cursor.to_list(None)

    async def insert_read(self, doc: Doc, event: Envelope) -> bool:
        try:
            await self.s.notice_reads.insert_one({**doc, **outbox.initial(event)})
            return True
        except DuplicateKeyError:
            return False

    async def reads(self, seeker_id: str, notice_ids: list[str]) -> dict[str, datetime]:
        if not notice_ids:
            return {}
        ids = [read_id(n, seeker_id) for n in notice_ids]
        docs = await self.s.notice_reads.find(
            {"_id": {"$in": ids}}, {"notice_id": 1, "read_at": 1}
        ).to_list(None)
        return {d["notice_id"]: d["read_at"] for d in docs}
