"""PyMongo access to applications, direct requests and rejections: inserts (each with the outbox of
its first event), changes and the lists. Lists are ordered by ``seq`` (time, then id: see
``domain.sort_key``), which is also the cursor.

A change of an application or a request is one conditional update of its document: the version
it was decided on is in the filter, and the same update sets the new fields and version, appends
the timeline entry and queues the events. Of two parallel changes of one version exactly one
matches; the other gets None and decides again on the newer state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from contracts import Envelope
from servicekit import outbox
from services.applications.domain import OPEN, TIMELINE_LIMIT
from services.applications.repository import Doc, Store

HIDDEN = {"outbox": 0}


class RecordsRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- one aggregate -------------------------------------------------------------------------

    async def get(self, kind: str, doc_id: str) -> Doc | None:
        return await self.store.collection(kind).find_one({"_id": doc_id}, HIDDEN)

    async def change(
        self,
        kind: str,
        doc: Doc,
        *,
        fields: dict[str, Any],
        entry: Doc | None,
        events: Sequence[Envelope],
    ) -> Doc | None:
        """The aggregate after its change to the next version, or None when ``doc`` (as loaded)
        is no longer its current version."""
        version = int(doc["version"])
        update: dict[str, Any] = {"$set": {**fields, "version": version + 1}}
        push: dict[str, Any] = outbox.push(*events)["$push"] if events else {}
        if entry is not None:  # the newest TIMELINE_LIMIT entries stay
            push["timeline"] = {"$each": [entry], "$slice": -TIMELINE_LIMIT}
        if push:
            update["$push"] = push
        return await self.store.collection(kind).find_one_and_update(
            {"_id": doc["_id"], "version": version},
            update,
            projection=HIDDEN,
            return_document=ReturnDocument.AFTER,
        )

    # --- applications --------------------------------------------------------------------------

    async def insert_application(self, doc: Doc, claim_id: str) -> bool:
        """Take the (seeker, posting) claim, then insert the application. False when the claim is
        held (by a live application, or by one whose insert is under way or was lost). No
        transaction: a process that stops between the two writes leaves a claim without its
        application, which ``SubmitService`` takes over once it is old enough."""
        try:
            await self.store.claims.insert_one(
                {"_id": claim_id, "application_id": doc["_id"], "at": doc["submitted_at"]}
            )
        except DuplicateKeyError:
            return False
        try:
            await self.store.applications.insert_one(doc)
        except BaseException:
            await self.store.claims.delete_one({"_id": claim_id, "application_id": doc["_id"]})
            raise
        return True

    async def applications(
        self,
        query: dict[str, Any],
        *,
        cursor: str | None,
        limit: int,
        newest_first: bool = True,
    ) -> list[Doc]:
        """One page (``limit + 1`` documents tell whether there is a next page)."""
        if cursor:
            query = {**query, "seq": {"$lt" if newest_first else "$gt": cursor}}
        found = self.store.applications.find(query, HIDDEN).sort("seq", -1 if newest_first else 1)
        return await found.limit(limit + 1).to_list(None)

    async def differing_hires(
        self, office_code: str | None, *, cursor: str | None, limit: int
    ) -> list[Doc]:
        """Hires whose conditions differ from the posting, newest hire first (one office, or
        all for admins); ``differing_hire_seq`` is the cursor."""
        query: dict[str, Any] = {"differing_hire_seq": {"$lt": cursor} if cursor else {"$gt": ""}}
        if office_code:
            query["office_code"] = office_code
        found = self.store.applications.find(query, HIDDEN).sort("differing_hire_seq", -1)
        return await found.limit(limit + 1).to_list(None)

    async def open_applications(self, **match: str) -> list[Doc]:
        query = {**match, "status": {"$in": sorted(OPEN)}}
        return await self.store.applications.find(query, {"_id": 1}).to_list(None)

    # --- direct requests -----------------------------------------------------------------------

    async def insert_request(self, doc: Doc) -> bool:
        """False when this seeker already has a request for this posting."""
        try:
            await self.store.requests.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def requested(self, job_id: str, seeker_id: str) -> bool:
        found = await self.store.requests.find_one(
            {"job_id": job_id, "seeker_id": seeker_id}, {"_id": 1}
        )
        return found is not None

    async def requests(self, query: dict[str, Any], *, cursor: str | None, limit: int) -> list[Doc]:
        if cursor:
            query = {**query, "seq": {"$lt": cursor}}
        found = self.store.requests.find(query, HIDDEN).sort("seq", -1)
        return await found.limit(limit + 1).to_list(None)

    async def pending_requests(self, **match: str) -> list[Doc]:
        query = {**match, "status": "pending"}
        return await self.store.requests.find(query, {"_id": 1}).to_list(None)

    # --- rejections (answers to employer systems) ----------------------------------------------

    async def insert_rejection(self, doc: Doc) -> bool:
        """False when this message was already answered (same ``_id``)."""
        try:
            await self.store.rejections.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True
