"""The jobs database: collections and their indexes, declared at start-up.

- ``postings``              the posting aggregate (求人票): body, search fields, revision history,
                            outbox of the posting events
- ``counters``              posting-number serials per office: one ``$inc`` counter each
- ``employers``, ``seekers``projections of identity's facts (order-safe, per-facet versions)
- ``seeker_lists``          per seeker: saved searches (≤ 20), favourites (≤ 200) and the job ids
                            dismissed from recommendations (apart from the projection, so a
                            seeker's clicks and identity's events never write the same document)
- ``saved_search_matches``  one per (saved search, day): the matched job ids, outbox of the event;
                            removed by a TTL index once the day is long past
- ``recommendations``       staff recommendations, outbox of the event

Every query on a request path or in a consumer is served by one of ``INDEXES`` (or ``_id``).
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.db import ensure_indexes

Doc = dict[str, Any]
Collection = AsyncCollection[Doc]

OUTBOX_COLLECTIONS = ("postings", "saved_search_matches", "recommendations")
MATCH_RETENTION = 30 * 24 * 3600

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
        IndexModel([("prefectures", ASC), ("published_at", DESC)], name="prefectures"),
        IndexModel([("occupation_code", ASC), ("published_at", DESC)], name="occupation"),
        IndexModel([("employer_id", ASC), ("published_at", DESC)], name="employer"),
        # the expiry loop
        IndexModel([("status", ASC), ("expires_at", ASC)], name="expiry"),
        # the search index catching up on the writes it missed while the engine was away
        IndexModel([("updated_at", ASC)], name="updated"),
    ],
    # a day's match document only keeps that day's announcement to one; then it has no use
    "saved_search_matches": [
        IndexModel([("created_at", ASC)], name="created_ttl", expireAfterSeconds=MATCH_RETENTION)
    ],
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
        self.matches: Collection = db["saved_search_matches"]
        self.recommendations: Collection = db["recommendations"]

    async def ensure_indexes(self) -> None:
        for name, indexes in INDEXES.items():
            await ensure_indexes(self.db, name, indexes)

    async def allocate(self, counter: str, count: int = 1) -> int:
        """Reserve ``count`` consecutive serials (one atomic ``$inc``); returns the first one."""
        doc = await self._increment(counter, count)
        if doc is None:
            # the counter's first use: create it, then increment. Not one upsert: SecantusDB
            # answers an upsert that lost the race to create the document (and was applied as
            # an update) without the document, so the serial it took would be unknown.
            await self.counters.update_one(
                {"_id": counter}, {"$setOnInsert": {"seq": 0}}, upsert=True
            )
            doc = await self._increment(counter, count)
        assert doc is not None  # counters are never deleted
        return int(doc["seq"]) - count + 1

    async def _increment(self, counter: str, count: int) -> Doc | None:
        return await self.counters.find_one_and_update(
            {"_id": counter},
            {"$inc": {"seq": count}},
            projection={"seq": 1},
            return_document=ReturnDocument.AFTER,
        )
