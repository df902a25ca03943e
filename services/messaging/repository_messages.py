"""PyMongo access to messages, read markers and the send rate limit's slots."""

from __future__ import annotations

from datetime import datetime

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from contracts import Envelope
from servicekit import outbox
from services.messaging.repository import Doc, Store


class MessagesRepository:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def insert(self, doc: Doc, event: Envelope) -> bool:
        """True when stored now; False when a message with this ``_id`` exists already."""
        try:
            await self.s.messages.insert_one({**doc, **outbox.initial(event)})
            return True
        except DuplicateKeyError:
            return False

    async def get(self, message_id: str) -> Doc | None:
        return await self.s.messages.find_one({"_id": message_id}, {"outbox": 0})

    async def page(
        self, conversation_id: str, *, before: tuple[datetime, str] | None, limit: int
    ) -> list[Doc]:
        """Newest first; ``before`` is the (created_at, _id) of the last item already seen."""
        query: Doc = {"conversation_id": conversation_id}
        if before is not None:
            at, last = before
            query["$or"] = [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": last}}]
        cursor = (
            self.s.messages.find(query, {"outbox": 0})
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return await cursor.to_list(None)

    async def latest(self, conversation_id: str) -> Doc | None:
        docs = await self.page(conversation_id, before=None, limit=1)
        return docs[0] if docs else None

    async def count_unread(self, conversation_id: str, party: str, after: datetime | None) -> int:
        query: Doc = {"conversation_id": conversation_id, "recipients": party}
        if after is not None:
            query["created_at"] = {"$gt": after}
        return await self.s.messages.count_documents(query)

    # --- read markers: insert only, the latest wins -------------------------------------------

    async def insert_read_mark(self, doc: Doc, event: Envelope) -> bool:
        try:
            await self.s.read_marks.insert_one({**doc, **outbox.initial(event)})
            return True
        except DuplicateKeyError:
            return False

    async def read_up_to(self, conversation_id: str, party: str) -> datetime | None:
        doc = await self.s.read_marks.find_one(
            {"conversation_id": conversation_id, "party": party},
            {"up_to": 1},
            sort=[("up_to", DESCENDING)],
        )
        return doc["up_to"] if doc else None

    async def read_marks_of(self, party: str, conversation_ids: list[str]) -> dict[str, datetime]:
        if not conversation_ids:
            return {}
        docs = await self.s.read_marks.find(
            {"party": party, "conversation_id": {"$in": conversation_ids}},
            {"conversation_id": 1, "up_to": 1},
        ).to_list(None)
        marks: dict[str, datetime] = {}
        for d in docs:
            c = d["conversation_id"]
            if c not in marks or d["up_to"] > marks[c]:
                marks[c] = d["up_to"]
        return marks

    async def prune_read_marks(self, conversation_id: str, party: str, below: datetime) -> None:
        """Older markers say nothing the newest does not; drop those already published."""
        await self.s.read_marks.delete_many(
            {
                "conversation_id": conversation_id,
                "party": party,
                "up_to": {"$lt": below},
                "outbox.0": {"$exists": False},
            }
        )

    # --- rate limit: at most N slot documents per (account, minute) ----------------------------

    async def take_slot(self, account: str, minute: str, n: int, at: datetime) -> bool:
        try:
            await self.s.send_slots.insert_one(
                {"_id": f"{account}|{minute}|{n}", "account": account, "minute": minute, "at": at}
            )
            return True
        except DuplicateKeyError:
            return False

    async def drop_slots_before(self, minute: str) -> None:
        await self.s.send_slots.delete_many({"minute": {"$lt": minute}})
