"""The messaging database: its collections and their indexes.

An effect that must happen at most once is keyed by what causes it: an insert under an ``_id``
derived from the event or chosen by the client (the first insert wins), or one conditional update
of the document it changes. Events travel in the ``outbox`` field of the document whose write
caused them, queued by that same write.

| collection | one document per | written |
| --- | --- | --- |
| conversations | conversation (``app-<application_id>`` / ``req-<request_id>``) | insert (outbox: opened); activity; the end (``due_at``, first end counts); closing: one conditional update (outbox: closed) |
| messages | message (``_id`` = message id) | insert only (outbox: message.sent) |
| read_marks | (conversation, side): how far that side has read | conditional upsert, only forward (outbox: conversation.read) |
| facts | ``<conversation>|base`` / ``|reachable`` / ``|ended``: what applications told us | insert only |
| employers | establishment: registration (facet), My Page opened | projection |
| seekers | seeker registration (facets), cancelled | projection |
| send_windows | (account, minute): messages sent in that minute | conditional ``$inc`` (rate limit); TTL |
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

OUTBOX_COLLECTIONS = ["conversations", "messages", "read_marks", "notices", "notice_reads"]
# a send window is kept this long after its minute began (its minute is in its ``_id``, so a late
# TTL sweep changes nothing)
SEND_WINDOW_KEEP_SECONDS = 120

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
        # open conversations whose application ended: the closing loop's work
        IndexModel([("due_at", ASCENDING)], name="due", partialFilterExpression={"status": "open"}),
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
    "facts": [
        IndexModel([("employer_id", ASCENDING), ("fact", ASCENDING)], name="employer_fact"),
    ],
    "send_windows": [
        IndexModel([("at", ASCENDING)], name="expiry", expireAfterSeconds=SEND_WINDOW_KEEP_SECONDS),
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
        # an administrator's list of every notice, newest first, paged by (time, _id)
        IndexModel([("published_at", DESCENDING), ("_id", DESCENDING)], name="time"),
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
        self.employers: Collection = db["employers"]
        self.seekers: Collection = db["seekers"]
        self.send_windows: Collection = db["send_windows"]
        self.notices: Collection = db["notices"]
        self.notice_reads: Collection = db["notice_reads"]

    async def ensure_indexes(self) -> None:
        for name, indexes in INDEXES.items():
            await ensure_indexes(self.db, name, indexes)
