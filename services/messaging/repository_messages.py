"""PyMongo access to messages, read markers and the send rate limit's windows."""

from __future__ import annotations

from datetime import datetime

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from contracts import Envelope
from servicekit import outbox
from services.messaging.repository import Collection, Doc, Store


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

    # --- read markers: one per (conversation, side), only ever moved forward -------------------

    async def advance_read_mark(
        self, conversation_id: str, party: str, up_to: datetime, *, at: datetime, event: Envelope
    ) -> str | None:
        """Move the side's marker forward to ``up_to``, queueing its read event with it. The
        marker's ``_id``, or None when it was as far already."""
        mark_id = f"{conversation_id}|{party}"
        update = {
            "$set": {"conversation_id": conversation_id, "party": party, "up_to": up_to, "at": at},
            **outbox.push(event),
        }
        moved = await _conditional_upsert(
            self.s.read_marks, {"_id": mark_id, "up_to": {"$lt": up_to}}, update
        )
        return mark_id if moved else None

    async def read_up_to(self, conversation_id: str, party: str) -> datetime | None:
        doc = await self.s.read_marks.find_one({"_id": f"{conversation_id}|{party}"}, {"up_to": 1})
        return doc["up_to"] if doc else None

    async def read_marks_of(self, party: str, conversation_ids: list[str]) -> dict[str, datetime]:
        if not conversation_ids:
            return {}
        ids = [f"{c}|{party}" for c in conversation_ids]
        docs = await self.s.read_marks.find(
            {"_id": {"$in": ids}}, {"conversation_id": 1, "up_to": 1}
        ).to_list(None)
        return {d["conversation_id"]: d["up_to"] for d in docs}

    # --- rate limit: a counter per (account, minute) ---------------------------------------------

    async def count_send(self, account: str, minute: datetime, limit: int) -> bool:
        """Count one send in the account's window of this minute, unless ``limit`` are counted
        already. The window expires by its TTL index a little after its minute."""
        window = {"_id": f"{account}|{minute:%Y%m%d%H%M}", "n": {"$lt": limit}}
        update = {"$inc": {"n": 1}, "$setOnInsert": {"at": minute}}
        return await _conditional_upsert(self.s.send_windows, window, update)


async def _conditional_upsert(collection: Collection, query: Doc, update: Doc) -> bool:
    """``update_one(query, update, upsert=True)``: True when a document was changed or created.
    When the ``_id`` exists but the rest of ``query`` does not match, the upsert's insert is a
    duplicate: the condition is false. A duplicate can also be a parallel first insert, so the
    update is tried once more without the upsert, now that the document exists."""
    try:
        result = await collection.update_one(query, update, upsert=True)
    except DuplicateKeyError:
        result = await collection.update_one(query, update)
    return result.upserted_id is not None or result.modified_count == 1
