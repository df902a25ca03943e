"""The in-app side of the notifier's database. What an event causes is inserted with an ``_id``
derived from the event (a repeat is a no-op); "read up to here" watermarks are one document per
reader, only ever moved forward (``$max``); counts are derived from documents at read time, so
they are right whatever order the events arrive in.

| collection | one document per | written |
| --- | --- | --- |
| notifications | (event, recipient) — ``_id`` derived from both | insert; ``read`` flag set once |
| notices | notice, with its audience (fan-out on read) | insert |
| notice_reads | (notice, seeker) opened in messaging (``n|…``) or read as a notification (``b|…``) | insert |
| read_all | recipient: "everything up to ``up_to`` is read" | ``$max`` upsert |
| message_marks | (recipient, message) sent to it (``in|…``) / (recipient, conversation) read up to (``rd|…``) | insert / ``$max`` upsert; pruned |
| inapp_seekers | seeker: office and registration date (which notices are theirs) | projection |
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from servicekit.db import ensure_indexes
from servicekit.projection import apply_if_newer

Doc = dict[str, Any]

INDEXES: dict[str, list[IndexModel]] = {
    "notifications": [
        IndexModel(
            [("recipient", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="recipient_time",
        ),
        IndexModel([("recipient", ASCENDING), ("read", ASCENDING)], name="recipient_read"),
    ],
    "notices": [
        IndexModel([("audience.kind", ASCENDING), ("published_at", DESCENDING)], name="kind"),
        IndexModel(
            [("audience.office_code", ASCENDING), ("published_at", DESCENDING)], name="office"
        ),
        IndexModel(
            [("audience.seeker_ids", ASCENDING), ("published_at", DESCENDING)], name="seekers"
        ),
    ],
    "message_marks": [
        IndexModel([("recipient", ASCENDING), ("conversation_id", ASCENDING)], name="recipient"),
    ],
}


def notice_scope(seeker_id: str, office_code: str, since: datetime) -> Doc:
    return {
        "$or": [
            {"audience.kind": "all"},
            {"audience.kind": "office", "audience.office_code": office_code},
            {"audience.kind": "seekers", "audience.seeker_ids": seeker_id},
        ],
        "published_at": {"$gte": since},
    }


def _after(field: str, at: datetime, last: str, *, older: bool) -> Doc:
    op = "$lt" if older else "$gt"
    return {"$or": [{field: {op: at}}, {field: at, "_id": {op: last}}]}


class InAppRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.db = db
        self.notifications = db["notifications"]
        self.notices = db["notices"]
        self.notice_reads = db["notice_reads"]
        self.read_all = db["read_all"]
        self.marks = db["message_marks"]
        self.seekers = db["inapp_seekers"]

    async def ensure_indexes(self) -> None:
        for name, indexes in INDEXES.items():
            await ensure_indexes(self.db, name, indexes)

    async def insert_once(self, collection: str, doc: Doc) -> bool:
        try:
            await self.db[collection].insert_one(doc)
            return True
        except DuplicateKeyError:
            return False

    # --- notifications --------------------------------------------------------------------------

    async def notification(self, notification_id: str) -> Doc | None:
        return await self.notifications.find_one({"_id": notification_id})

    async def notifications_page(
        self,
        recipient: str,
        *,
        before: tuple[datetime, str] | None = None,
        after: tuple[datetime, str] | None = None,
        unread_after: datetime | None = None,
        unread_only: bool = False,
        limit: int,
    ) -> list[Doc]:
        query: Doc = {"recipient": recipient}
        parts: list[Doc] = [query]
        if before is not None:
            parts.append(_after("created_at", *before, older=True))
        if after is not None:
            parts.append(_after("created_at", *after, older=False))
        if unread_only:
            query["read"] = False
            if unread_after is not None:
                query["created_at"] = {"$gt": unread_after}
        order = ASCENDING if after is not None else DESCENDING
        cursor = (
            self.notifications.find({"$and": parts})
            .sort([("created_at", order), ("_id", order)])
            .limit(limit)
        )
        return await cursor.to_list(None)

    async def count_unread_notifications(self, recipient: str, after: datetime | None) -> int:
        query: Doc = {"recipient": recipient, "read": False}
        if after is not None:
            query["created_at"] = {"$gt": after}
        return await self.notifications.count_documents(query)

    async def mark_read(self, notification_id: str, recipient: str, at: datetime) -> bool:
        result = await self.notifications.update_one(
            {"_id": notification_id, "recipient": recipient},
            {"$set": {"read": True, "read_at": at}},
        )
        return result.matched_count == 1

    async def read_all_up_to(self, recipient: str) -> datetime | None:
        doc = await self.read_all.find_one({"_id": recipient}, {"up_to": 1})
        return doc["up_to"] if doc else None

    async def mark_all_read(self, recipient: str, up_to: datetime) -> None:
        await self.read_all.update_one({"_id": recipient}, {"$max": {"up_to": up_to}}, upsert=True)

    # --- notices (one document each) ------------------------------------------------------------

    async def notices_page(
        self,
        scope: Doc,
        *,
        before: tuple[datetime, str] | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int,
    ) -> list[Doc]:
        parts = [scope]
        if before is not None:
            parts.append(_after("published_at", *before, older=True))
        if after is not None:
            parts.append(_after("published_at", *after, older=False))
        order = ASCENDING if after is not None else DESCENDING
        cursor = (
            self.notices.find({"$and": parts})
            .sort([("published_at", order), ("_id", order)])
            .limit(limit)
        )
        return await cursor.to_list(None)

    async def notice_ids(self, scope: Doc) -> list[tuple[str, datetime]]:
        docs = await self.notices.find(scope, {"published_at": 1}).to_list(None)
        return [(d["_id"], d["published_at"]) for d in docs]

    async def notice(self, notice_id: str) -> Doc | None:
        return await self.notices.find_one({"_id": notice_id})

    async def notice_read_sets(
        self, seeker_id: str, notice_ids: list[str]
    ) -> tuple[set[str], set[str]]:
        """(opened in messaging, read as a notification)."""
        if not notice_ids:
            return set(), set()
        ids = [f"n|{n}|{seeker_id}" for n in notice_ids] + [
            f"b|{n}|{seeker_id}" for n in notice_ids
        ]
        docs = await self.notice_reads.find({"_id": {"$in": ids}}, {"_id": 1}).to_list(None)
        opened = {d["_id"].split("|")[1] for d in docs if d["_id"].startswith("n|")}
        bell = {d["_id"].split("|")[1] for d in docs if d["_id"].startswith("b|")}
        return opened, bell

    # --- message marks --------------------------------------------------------------------------

    async def marks_of(self, recipient: str) -> list[Doc]:
        return await self.marks.find({"recipient": recipient}).to_list(None)

    async def mark_conversation_read(
        self, recipient: str, conversation_id: str, up_to: datetime
    ) -> bool:
        """Move the reader's marker of the conversation forward; False when it was already
        there or further (a repeated or late event)."""
        result = await self.marks.update_one(
            {"_id": f"rd|{recipient}|{conversation_id}"},
            {
                "$max": {"up_to": up_to},
                "$setOnInsert": {
                    "kind": "read",
                    "recipient": recipient,
                    "conversation_id": conversation_id,
                },
            },
            upsert=True,
        )
        return result.upserted_id is not None or result.modified_count == 1

    async def prune_marks(self, recipient: str, conversation_id: str, up_to: datetime) -> None:
        """Messages read say nothing the read marker does not."""
        await self.marks.delete_many(
            {
                "recipient": recipient,
                "conversation_id": conversation_id,
                "kind": "in",
                "at": {"$lte": up_to},
            }
        )

    # --- seekers --------------------------------------------------------------------------------

    async def apply_seeker(self, seeker_id: str, version: int, fields: Doc, facet: str) -> None:
        await apply_if_newer(self.seekers, seeker_id, version, fields, facet=facet)

    async def seeker(self, seeker_id: str) -> Doc | None:
        return await self.seekers.find_one({"_id": seeker_id})
