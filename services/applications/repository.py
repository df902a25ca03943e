"""The applications database: collections, indexes, the (seeker, posting) claims and the referral
number sequence. The only modules with PyMongo calls are the ``repository*`` ones.

- ``applications``, ``requests``  the aggregates. Every change is one conditional update of the
                        aggregate's document (its expected ``version`` in the filter) that also
                        queues the change's events in the document's outbox (repository_records)
- ``rejections``        answers to employer systems, ``_id`` = the message they answer (with
                        their outbox)
- ``claims``            ``apply:<seeker>:<job>``: the one live application of a seeker for a
                        posting, inserted in one transaction with the application and deleted
                        when the application ends
- ``counters``          ``referral:<office>:<year>``: the last referral number of an office
- ``seekers``, ``employers``, ``postings``  projections of identity's and jobs' facts; a
                        posting's document also counts the direct requests sent for it
                        (``requests_used``, the quota)
- ``processed_messages`` consumer idempotency (servicekit)

One direct request per seeker and posting is the unique index ``once`` on ``requests``. A live
application is a claim document rather than a partial unique index on ``applications``: the
embedded SecantusDB keeps a unique key claimed after an update moves a document out of the index
(only a delete releases it), so a seeker could never apply to a posting again.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from servicekit.db import ensure_indexes

Doc = dict[str, Any]

APPLICATIONS = "applications"
REQUESTS = "requests"
REJECTIONS = "rejections"
OUTBOX_COLLECTIONS = [APPLICATIONS, REQUESTS, REJECTIONS]

INDEXES: dict[str, list[IndexModel]] = {
    APPLICATIONS: [
        IndexModel([("seeker_id", ASCENDING), ("seq", DESCENDING)], name="by_seeker"),
        IndexModel(
            [("employer_id", ASCENDING), ("employer_visible", ASCENDING), ("seq", DESCENDING)],
            name="by_employer",
        ),
        IndexModel(
            [("office_code", ASCENDING), ("status", ASCENDING), ("seq", ASCENDING)],
            name="by_office",
        ),
        IndexModel([("job_id", ASCENDING), ("status", ASCENDING)], name="by_job"),
        # hires whose working conditions differ from the posting, newest first (staff list)
        IndexModel(
            [("office_code", ASCENDING), ("differing_hire_seq", DESCENDING)],
            name="by_office_differing",
        ),
        IndexModel([("differing_hire_seq", DESCENDING)], name="differing"),
    ],
    REQUESTS: [
        IndexModel([("seeker_id", ASCENDING), ("seq", DESCENDING)], name="by_seeker"),
        IndexModel([("employer_id", ASCENDING), ("seq", DESCENDING)], name="by_employer"),
        IndexModel([("job_id", ASCENDING), ("status", ASCENDING)], name="by_job"),
        # one direct request per seeker and posting, for good
        IndexModel([("job_id", ASCENDING), ("seeker_id", ASCENDING)], name="once", unique=True),
    ],
    "seekers": [
        IndexModel(
            [("visibility", ASCENDING), ("profile_seq", DESCENDING)], name="public_profiles"
        ),
    ],
}


class Store:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.db = db
        self.applications: AsyncCollection[Doc] = db[APPLICATIONS]
        self.requests: AsyncCollection[Doc] = db[REQUESTS]
        self.rejections: AsyncCollection[Doc] = db[REJECTIONS]
        self.claims: AsyncCollection[Doc] = db["claims"]
        self.counters: AsyncCollection[Doc] = db["counters"]
        self.seekers: AsyncCollection[Doc] = db["seekers"]
        self.employers: AsyncCollection[Doc] = db["employers"]
        self.postings: AsyncCollection[Doc] = db["postings"]

    def collection(self, kind: str) -> AsyncCollection[Doc]:
        return {APPLICATIONS: self.applications, REQUESTS: self.requests}[kind]

    async def ensure_indexes(self) -> None:
        for name, indexes in INDEXES.items():
            await ensure_indexes(self.db, name, indexes)

    # --- claims ----------------------------------------------------------------------------------

    async def claim_of(self, claim_id: str) -> Doc | None:
        return await self.claims.find_one({"_id": claim_id})

    async def release(self, claim_id: str, **match: Any) -> None:
        """Delete a claim, only while it still holds what ``match`` says (its owner's id)."""
        await self.claims.delete_one({"_id": claim_id, **match})

    # --- referral numbers ----------------------------------------------------------------------

    async def allocate_referral_number(self, office_code: str, year: int) -> str:
        """The office's next number of the year (one ``$inc`` of its counter)."""
        counter = f"referral:{office_code}:{year}"
        taken = await self._take_next(counter)
        if taken is None:  # the office's first number this year: create the counter first
            try:
                await self.counters.update_one(
                    {"_id": counter}, {"$setOnInsert": {"last": 0}}, upsert=True
                )
            except DuplicateKeyError:
                pass  # created in parallel
            taken = await self._take_next(counter)
        assert taken is not None
        return f"{office_code}-R-{year}-{int(taken['last']):06d}"

    async def _take_next(self, counter: str) -> Doc | None:
        # AFTER, and no upsert: SecantusDB may hand parallel callers the same BEFORE image, and
        # a find_one_and_update(upsert=True) racing on a missing document may apply its $inc
        # and still return None
        return await self.counters.find_one_and_update(
            {"_id": counter}, {"$inc": {"last": 1}}, return_document=ReturnDocument.AFTER
        )
