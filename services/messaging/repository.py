"""The messaging database: its collections and their indexes.

Writes that must happen at most once are inserts with a chosen ``_id`` (the first insert wins,
atomically on MongoDB and on FerretDB alike); events travel in the ``outbox`` field of the
document whose insert caused them, so no document that carries events is updated concurrently
except by the relay.

| collection | one document per | written |
| --- | --- | --- |
| conversations | conversation (``app-<application_id>`` / ``req-<request_id>``) | insert (outbox: opened), then only status and activity |
| messages | message (``_id`` = message id) | insert only (outbox: message.sent) |
| read_marks | (conversation, side, time read up to) | insert only (outbox: conversation.read); older ones pruned |
| facts | ``<conversation>|base`` / ``|reachable`` / ``|ended``: what applications told us | insert only |
| ends | conversation whose application ended (due to close) | insert, then ``closed`` flag |
| closures | closed conversation | insert only (outbox: conversation.closed) |
| employers / employer_mypages | establishment / establishment with an employer My Page | projection / insert only |
| seekers / seeker_cancellations | seeker registration / cancelled seeker | projection / insert only |
| send_slots | (account, minute, n): the n-th message of that minute | insert only (rate limit) |
| notices | notice with its audience (fan-out on read) | insert only (outbox: notice.published) |
| notice_reads | (notice, seeker) read | insert only (outbox: notice.read) |
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.db import ensure_indexes

Doc = dict[str, Any]
Collection = AsyncCollection[Doc]

OUTBOX_COLLECTIONS = [
    "conversations",
    "messages",
    "read_marks",
    "closures",
    "notices",
    "notice_reads",
]

INDEXES: dict[str, list[IndexModel]] = {
    "conversations": [
        IndexModel(
            [("seeker_id", ASCENDING), ("activity_at", DESCENDING), ("_id", DESCENDING)],
            name="seeker_activity",
        ),
        IndexModel(
            [("employer_id", ASCENDING), ("activity_at", DESCENDING), ("_id", DESCENDING)],
            name="employer_activity",
        ),
    ],
    "messages": [
        IndexModel(
            [("conversation_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="conversation_time",
        ),
        IndexModel(
            [("conversation_id", ASCENDING), ("recipients", ASCENDING), ("created_at", ASCENDING)],
            name="conversation_recipient_time",
        ),
    ],
    "read_marks": [
        IndexModel(
            [("conversation_id", ASCENDING), ("party", ASCENDING), ("up_to", DESCENDING)],
            name="conversation_party",
        ),
        IndexModel([("party", ASCENDING)], name="party"),
    ],
    "facts": [
        IndexModel([("employer_id", ASCENDING), ("fact", ASCENDING)], name="employer_fact"),
    ],
    "ends": [IndexModel([("closed", ASCENDING), ("due_at", ASCENDING)], name="due")],
    "send_slots": [
        IndexModel([("account", ASCENDING), ("minute", ASCENDING)], name="account_minute"),
        IndexModel([("minute", ASCENDING)], name="minute"),
    ],
    "notices": [
        IndexModel([("audience.kind", ASCENDING), ("published_at", DESCENDING)], name="kind_time"),
        IndexModel(
            [("audience.office_code", ASCENDING), ("published_at", DESCENDING)],
            name="office_time",
        ),
        # multikey: a seeker's notices addressed by name
        IndexModel(
            [("audience.seeker_ids", ASCENDING), ("published_at", DESCENDING)],
            name="seekers_time",
        ),
        IndexModel(
            [("office_code", ASCENDING), ("published_at", DESCENDING)], name="publisher_time"
        ),
    ],
    "notice_reads": [IndexModel([("seeker_id", ASCENDING)], name="seeker")],
}


class Store:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.db = db
        self.conversations: Collection = db["conversations"]
        self.messages: Collection = db["messages"]
        self.read_marks: Collection = db["read_marks"]
        self.facts: Collection = db["facts"]
        self.ends: Collection = db["ends"]
        self.closures: Collection = db["closures"]
        self.employers: Collection = db["employers"]
        self.employer_mypages: Collection = db["employer_mypages"]
        self.seekers: Collection = db["seekers"]
        self.seeker_cancellations: Collection = db["seeker_cancellations"]
        self.send_slots: Collection = db["send_slots"]
        self.notices: Collection = db["notices"]
        self.notice_reads: Collection = db["notice_reads"]

    async def ensure_indexes(self) -> None:
        for name, indexes in INDEXES.items():
            await ensure_indexes(self.db, name, indexes)
