"""PyMongo access to conversations, the facts they open from, their ends and closures, and the
projections of identity's employers and seekers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from contracts import Envelope
from servicekit import outbox
from servicekit.projection import apply_if_newer
from services.messaging.repository import Doc, Store


class ConversationsRepository:
    def __init__(self, store: Store) -> None:
        self.s = store

    # --- conversations ------------------------------------------------------------------------

    async def get(self, conversation_id: str) -> Doc | None:
        return await self.s.conversations.find_one({"_id": conversation_id}, {"outbox": 0})

    async def insert(self, doc: Doc, event: Envelope) -> bool:
        """True when this insert opened the conversation (the first one wins)."""
        try:
            await self.s.conversations.insert_one({**doc, **outbox.initial(event)})
            return True
        except DuplicateKeyError:
            return False

    async def touch(self, conversation_id: str, at: datetime) -> None:
        """Move the conversation up the lists (a hint: the order of lists only)."""
        await self.s.conversations.update_one(
            {"_id": conversation_id}, {"$max": {"activity_at": at}}
        )

    async def page(
        self, where: Doc, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[Doc]:
        query: Doc = dict(where)
        if after is not None:
            at, last = after
            query["$or"] = [
                {"activity_at": {"$lt": at}},
                {"activity_at": at, "_id": {"$lt": last}},
            ]
        cursor = (
            self.s.conversations.find(query, {"outbox": 0})
            .sort([("activity_at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return await cursor.to_list(None)

    async def open_of_seeker(self, seeker_id: str) -> list[Doc]:
        return await self.s.conversations.find(
            {"seeker_id": seeker_id, "status": "open"}, {"_id": 1}
        ).to_list(None)

    async def mark_closed(self, conversation_id: str, *, at: datetime, reason: str) -> None:
        await self.s.conversations.update_one(
            {"_id": conversation_id},
            {"$set": {"status": "closed", "closed_at": at, "closed_reason": reason}},
        )

    # --- facts from applications (insert only) ------------------------------------------------

    async def add_fact(self, fact_id: str, doc: Doc) -> bool:
        try:
            await self.s.facts.insert_one({"_id": fact_id, **doc})
            return True
        except DuplicateKeyError:
            return False

    async def fact(self, conversation_id: str, kind: str) -> Doc | None:
        """One fact by its ``_id`` (``<conversation>|base``, ``|reachable``, ``|ended``)."""
        return await self.s.facts.find_one({"_id": f"{conversation_id}|{kind}"})

    async def waiting_for_employer(self, employer_id: str) -> list[str]:
        docs = await self.s.facts.find(
            {"employer_id": employer_id, "fact": "base"}, {"conversation_id": 1}
        ).to_list(None)
        return [d["conversation_id"] for d in docs]

    # --- ends and closures ----------------------------------------------------------------------

    async def record_end(
        self, conversation_id: str, *, ended_at: datetime, due_at: datetime
    ) -> None:
        try:
            await self.s.ends.insert_one(
                {"_id": conversation_id, "ended_at": ended_at, "due_at": due_at, "closed": False}
            )
        except DuplicateKeyError:
            pass  # the first end counts

    async def due(self, now: datetime, limit: int = 500) -> list[Doc]:
        return await (
            self.s.ends.find({"closed": False, "due_at": {"$lte": now}}).limit(limit).to_list(None)
        )

    async def end_done(self, conversation_id: str) -> None:
        await self.s.ends.update_one({"_id": conversation_id}, {"$set": {"closed": True}})

    async def insert_closure(self, conversation_id: str, doc: Doc, event: Envelope) -> bool:
        try:
            await self.s.closures.insert_one(
                {"_id": conversation_id, **doc, **outbox.initial(event)}
            )
            return True
        except DuplicateKeyError:
            return False

    async def closure(self, conversation_id: str) -> Doc | None:
        return await self.s.closures.find_one({"_id": conversation_id}, {"outbox": 0})

    # --- projections of identity --------------------------------------------------------------

    async def apply_employer(self, employer_id: str, version: int, fields: Doc) -> bool:
        return await apply_if_newer(
            self.s.employers, employer_id, version, fields, facet="registration"
        )

    async def employer(self, employer_id: str) -> Doc | None:
        return await self.s.employers.find_one({"_id": employer_id})

    async def add_employer_mypage(self, employer_id: str, account_id: str) -> None:
        try:
            await self.s.employer_mypages.insert_one({"_id": employer_id, "account_id": account_id})
        except DuplicateKeyError:
            pass

    async def has_mypage(self, employer_id: str) -> bool:
        if await self.s.employer_mypages.find_one({"_id": employer_id}, {"_id": 1}):
            return True
        doc = await self.s.employers.find_one({"_id": employer_id}, {"has_mypage": 1})
        return bool(doc and doc.get("has_mypage"))

    async def apply_seeker(
        self, seeker_id: str, version: int, fields: Doc, *, facet: str = "registration"
    ) -> bool:
        return await apply_if_newer(self.s.seekers, seeker_id, version, fields, facet=facet)

    async def seeker(self, seeker_id: str) -> Doc | None:
        return await self.s.seekers.find_one({"_id": seeker_id})

    async def seekers(self, seeker_ids: list[str]) -> dict[str, Doc]:
        if not seeker_ids:
            return {}
        docs = await self.s.seekers.find({"_id": {"$in": seeker_ids}}).to_list(None)
        return {d["_id"]: d for d in docs}

    async def add_cancellation(self, seeker_id: str, fields: dict[str, Any]) -> None:
        try:
            await self.s.seeker_cancellations.insert_one({"_id": seeker_id, **fields})
        except DuplicateKeyError:
            pass

    async def cancelled(self, seeker_id: str) -> bool:
        return bool(await self.s.seeker_cancellations.find_one({"_id": seeker_id}, {"_id": 1}))
