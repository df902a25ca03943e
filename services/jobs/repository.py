"""The jobs database: collections and their indexes, declared at start-up.

- ``postings``              the posting aggregate (求人票): body, search fields, revision history,
                            outbox of the posting events
- ``counters``              posting-number serials per office: one claim document per serial
- ``employers``, ``seekers``projections of identity's facts (order-safe, per-facet versions)
- ``seeker_lists``          per seeker: favourites and the job ids dismissed from recommendations
                            (apart from the projection, so a seeker's clicks and identity's events
                            never write the same document)
- ``saved_searches``        one per saved search; ``_id`` = ``<seeker_id>.<slot>`` caps them
- ``saved_search_matches``  one per (saved search, day): the matched job ids, outbox of the event
- ``recommendations``       staff recommendations, outbox of the event

Only lookups by ``_id`` are pushed down by FerretDB 1.24; the secondary indexes are for MongoDB.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from servicekit.db import ensure_indexes

Doc = dict[str, Any]
Collection = AsyncCollection[Doc]

OUTBOX_COLLECTIONS = ("postings", "saved_search_matches", "recommendations")

INDEXES: dict[str, list[IndexModel]] = {
    "postings": [
        IndexModel([("job_number", ASC)], name="job_number", unique=True),
        # browsing and the default order (new first), keyset on (published_at, _id)
        IndexModel([("status", ASC), ("published_at", DESC), ("_id", DESC)], name="open_new"),
        # order by wage, and wage conditions
        IndexModel([("status", ASC), ("wage_rank", DESC), ("_id", DESC)], name="open_wage"),
        IndexModel(
            [("wage_unit", ASC), ("wage_top", DESC), ("published_at", DESC)], name="wage_unit_top"
        ),
        # keywords: unigrams and bigrams, multikey
        IndexModel([("terms", ASC), ("published_at", DESC)], name="terms"),
        IndexModel([("prefectures", ASC), ("published_at", DESC)], name="prefectures"),
        IndexModel([("occupation_code", ASC), ("published_at", DESC)], name="occupation"),
        IndexModel([("employer_id", ASC), ("published_at", DESC)], name="employer"),
        # the expiry loop
        IndexModel([("status", ASC), ("expires_at", ASC)], name="expiry"),
    ],
    "saved_searches": [
        IndexModel([("seeker_id", ASC)], name="seeker"),
        IndexModel([("route_prefectures", ASC)], name="route_prefectures"),
    ],
    "saved_search_matches": [IndexModel([("seeker_id", ASC), ("date", DESC)], name="seeker_date")],
    "recommendations": [
        IndexModel([("seeker_id", ASC), ("created_at", DESC), ("_id", DESC)], name="seeker_new")
    ],
    "employers": [IndexModel([("seed", ASC)], name="seed")],
}


class Store:
    """The collections, for the repositories of each use case."""

    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.db = db
        self.postings: Collection = db["postings"]
        self.counters: Collection = db["counters"]
        self.employers: Collection = db["employers"]
        self.seekers: Collection = db["seekers"]
        self.seeker_lists: Collection = db["seeker_lists"]
        self.saved_searches: Collection = db["saved_searches"]
        self.matches: Collection = db["saved_search_matches"]
        self.recommendations: Collection = db["recommendations"]

    async def ensure_indexes(self) -> None:
        for name, indexes in INDEXES.items():
            await ensure_indexes(self.db, name, indexes)

    async def allocate(self, counter: str, count: int = 1) -> int:
        """Reserve ``count`` consecutive serials; returns the first one.

        Each serial is claimed by inserting a document with its own ``_id``, which is atomic on
        every server (a unique key). A ``$inc`` counter is not enough: FerretDB 1.24 applies
        concurrent updates of one document as read-modify-write and loses some of them (measured:
        20 parallel ``$inc`` left the counter at 1). The counter document is only a hint of
        where to start looking."""
        hint = await self.counters.find_one({"_id": counter})
        first = int(hint["seq"]) + 1 if hint else 1
        while True:
            claims = [{"_id": f"{counter}:{n:08d}"} for n in range(first, first + count)]
            try:
                await self.counters.insert_many(claims, ordered=True)
                break
            except BulkWriteError as exc:
                # taken meanwhile: give back what this call claimed, start after the clash
                done = exc.details.get("nInserted", 0)
                if done:
                    await self.counters.delete_many(
                        {"_id": {"$in": [c["_id"] for c in claims[:done]]}}
                    )
                first += done + 1
        last = first + count - 1
        try:
            await self.counters.update_one({"_id": counter}, {"$max": {"seq": last}}, upsert=True)
        except DuplicateKeyError:
            await self.counters.update_one({"_id": counter}, {"$max": {"seq": last}})
        return first
