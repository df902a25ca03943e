"""The applications database: collections, indexes, first-writer-wins claims and the referral
number sequence. The only modules with PyMongo calls are the ``repository*`` ones.

FerretDB 1.24 does not make conditional updates atomic (two parallel ``update_one`` with a filter
can both win, parallel ``$inc`` can lose increments), but an insert with a chosen ``_id`` has
exactly one winner. So every race that matters is decided by such an insert:

- ``claims``            ``apply:<seeker>:<job>`` — one live application per seeker and posting
                        (deleted when the application ends); ``request:<job>:<seeker>`` — one
                        direct request per seeker and posting, for good; ``slot:<job>:<n>``,
                        n = 1..quota — a posting's direct request slots
- ``referral_numbers``  ``_id`` = the number: allocated by inserting it (``counters`` is a hint
                        of where to start, never the source of truth)
- ``changes``           ``<kind>:<id>:<version>`` — every change of an application or a request
                        after its creation (see repository_changes); ``change_markers`` tell the
                        sweep which changes may not have reached their aggregate yet

Other collections: ``applications`` and ``requests`` (the aggregates; their outbox holds the
creation event), ``rejections`` (answers to employer systems, with their outbox), the projections
``seekers``, ``employers``, ``postings``, and ``processed_messages`` (consumer idempotency).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from servicekit.db import ensure_indexes

Doc = dict[str, Any]

APPLICATIONS = "applications"
REQUESTS = "requests"
CHANGES = "changes"
REJECTIONS = "rejections"
OUTBOX_COLLECTIONS = [APPLICATIONS, REQUESTS, CHANGES, REJECTIONS]

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
    ],
    REQUESTS: [
        IndexModel([("seeker_id", ASCENDING), ("seq", DESCENDING)], name="by_seeker"),
        IndexModel([("employer_id", ASCENDING), ("seq", DESCENDING)], name="by_employer"),
        IndexModel([("job_id", ASCENDING), ("status", ASCENDING)], name="by_job"),
    ],
    "change_markers": [IndexModel([("at", ASCENDING)], name="by_age")],
    "seekers": [
        IndexModel(
            [("visibility", ASCENDING), ("profile_seq", DESCENDING)], name="public_profiles"
        ),
    ],
}

REFERRAL_TRIES = 10_000


class Store:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.db = db
        self.applications: AsyncCollection[Doc] = db[APPLICATIONS]
        self.requests: AsyncCollection[Doc] = db[REQUESTS]
        self.changes: AsyncCollection[Doc] = db[CHANGES]
        self.change_markers: AsyncCollection[Doc] = db["change_markers"]
        self.rejections: AsyncCollection[Doc] = db[REJECTIONS]
        self.claims: AsyncCollection[Doc] = db["claims"]
        self.referral_numbers: AsyncCollection[Doc] = db["referral_numbers"]
        self.counters: AsyncCollection[Doc] = db["counters"]
        self.seekers: AsyncCollection[Doc] = db["seekers"]
        self.employers: AsyncCollection[Doc] = db["employers"]
        self.postings: AsyncCollection[Doc] = db["postings"]

    def collection(self, kind: str) -> AsyncCollection[Doc]:
        return {APPLICATIONS: self.applications, REQUESTS: self.requests}[kind]

    async def ensure_indexes(self) -> None:
        for name, indexes in INDEXES.items():
            await ensure_indexes(self.db, name, indexes)

    # --- claims (first insert wins) ------------------------------------------------------------

    async def claim(self, claim_id: str, **fields: Any) -> bool:
        try:
            await self.claims.insert_one({"_id": claim_id, "at": datetime.now(UTC), **fields})
        except DuplicateKeyError:
            return False
        return True

    async def claim_of(self, claim_id: str) -> Doc | None:
        return await self.claims.find_one({"_id": claim_id})

    async def release(self, claim_id: str, **match: Any) -> None:
        """Delete a claim, only while it still holds what ``match`` says (its owner's id)."""
        await self.claims.delete_one({"_id": claim_id, **match})

    async def count_claims(self, claim_ids: list[str]) -> int:
        return await self.claims.count_documents({"_id": {"$in": claim_ids}})

    # --- referral numbers ----------------------------------------------------------------------

    async def allocate_referral_number(
        self, office_code: str, year: int, application_id: str
    ) -> str:
        """The office's next free number of the year, taken by inserting it. The counter only
        says where to start looking; a number taken in parallel is skipped."""
        hint_id = f"referral:{office_code}:{year}"
        hint = await self.counters.find_one({"_id": hint_id})
        serial = int(hint["next"]) if hint else 1
        for _ in range(REFERRAL_TRIES):
            number = f"{office_code}-R-{year}-{serial:06d}"
            try:
                await self.referral_numbers.insert_one(
                    {"_id": number, "application_id": application_id, "at": datetime.now(UTC)}
                )
            except DuplicateKeyError:
                serial += 1
                continue
            try:
                await self.counters.update_one(
                    {"_id": hint_id}, {"$max": {"next": serial + 1}}, upsert=True
                )
            except DuplicateKeyError:  # a parallel first upsert: the hint exists now
                await self.counters.update_one({"_id": hint_id}, {"$max": {"next": serial + 1}})
            return number
        raise RuntimeError(f"no free referral number for {office_code} in {year}")
