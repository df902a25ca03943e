"""PyMongo access to conversations (opening, activity, end and closing), the facts they open from,
and the projections of identity's employers and seekers."""

from __future__ import annotations

from datetime import datetime

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

    async def record_end(
        self, conversation_id: str, *, ended_at: datetime, due_at: datetime
    ) -> bool:
        """The open conversation closes at ``due_at``; the first end counts. False when there is
        no such conversation (yet), or its end was recorded already."""
        result = await self.s.conversations.update_one(
            {"_id": conversation_id, "status": "open", "due_at": {"$exists": False}},
            {"$set": {"ended_at": ended_at, "due_at": due_at}},
        )
        return result.modified_count == 1

    async def due(self, now: datetime, limit: int = 500) -> list[Doc]:
        found = self.s.conversations.find({"status": "open", "due_at": {"$lte": now}}, {"_id": 1})
        return await found.limit(limit).to_list(None)

    async def close(
        self, conversation_id: str, *, at: datetime, reason: str, event: Envelope
    ) -> bool:
        """Close the conversation if it is open, queueing its closed event: True for the one
        write that closed it."""
        result = await self.s.conversations.update_one(
            {"_id": conversation_id, "status": "open"},
            {
                "$set": {"status": "closed", "closed_at": at, "closed_reason": reason},
                **outbox.push(event),
            },
        )
        return result.modified_count == 1

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

    # --- projections of identity --------------------------------------------------------------

    async def apply_employer(self, employer_id: str, version: int, fields: Doc) -> bool:
        return await apply_if_newer(
            self.s.employers, employer_id, version, fields, facet="registration"
        )

    async def employer(self, employer_id: str) -> Doc | None:
        return await self.s.employers.find_one({"_id": employer_id})

    async def employer_opened_mypage(self, employer_id: str) -> None:
        """A fact that never reverts: set whatever the order of events (no version needed)."""
        await self.s.employers.update_one(
            {"_id": employer_id}, {"$set": {"mypage_opened": True}}, upsert=True
        )

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

    async def seeker_cancelled(self, seeker_id: str, at: datetime) -> None:
        """A fact that never reverts; the first time counts."""
        await self.s.seekers.update_one(
            {"_id": seeker_id}, {"$min": {"cancelled_at": at}}, upsert=True
        )

    async def cancelled(self, seeker_id: str) -> bool:
        found = await self.s.seekers.find_one(
            {"_id": seeker_id, "cancelled_at": {"$exists": True}}, {"_id": 1}
        )
        return found is not None
