"""PyMongo calls for seeker registrations, which live embedded in their account document
(``accounts.seeker``), so that a change and its events are one single-document write. Every
write is conditional on the version it was decided on (optimistic concurrency)."""

from __future__ import annotations

import re
import unicodedata

from pymongo import ASCENDING

from contracts import Envelope
from servicekit import outbox
from services.identity.repository import Doc, Repository

ACTIVE = ["provisional", "registered"]


class SeekerRepository:
    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.accounts = repo.accounts

    # --- lookups ------------------------------------------------------------------------------

    async def account_of_seeker(self, seeker_id: str) -> Doc | None:
        return await self.accounts.find_one({"seeker.seeker_id": seeker_id}, {"outbox": 0})

    async def page(
        self,
        *,
        office_code: str | None,
        seeker_number: str | None,
        name: str | None,
        status: str | None,
        after: str | None,
        limit: int,
    ) -> list[Doc]:
        """Seekers ordered by seeker number (the office code leads it), after a cursor."""
        query: Doc = {"seeker": {"$exists": True}}
        if office_code:
            query["seeker.office_code"] = office_code
        if status:
            query["seeker.status"] = status
        number: Doc = {}
        if seeker_number:
            number["$regex"] = "^" + re.escape(seeker_number)
        if after:
            number["$gt"] = after
        if number:
            query["seeker.seeker_number"] = number
        if name:
            query["seeker.search_name"] = {"$regex": re.escape(name)}
        cursor = (
            self.accounts.find(query, {"outbox": 0, "password_hash": 0})
            .sort("seeker.seeker_number", ASCENDING)
            .limit(limit)
        )
        return await cursor.to_list(None)

    async def due(self, today: str, *, limit: int) -> list[str]:
        """Accounts whose registration has a notice or its lapse due (``seeker.due_on``)."""
        cursor = self.accounts.find(
            {"seeker.due_on": {"$lte": today}, "seeker.status": {"$in": ACTIVE}}, {"_id": 1}
        ).limit(limit)
        return [str(doc["_id"]) for doc in await cursor.to_list(None)]

    async def sessions_of(self, account_id: str) -> list[Doc]:
        cursor = self.repo.sessions.find({"account_id": account_id}).sort("created_at", ASCENDING)
        return await cursor.to_list(None)

    # --- versioned writes -----------------------------------------------------------------------

    async def write(
        self,
        account_id: str,
        *,
        expect_version: int,
        version: int,
        set_: Doc,
        events: tuple[Envelope, ...] = (),
    ) -> bool:
        """The change, the new version and its events in one single-document write, if the
        document still has ``expect_version`` (else another writer was first: False)."""
        update: Doc = {"$set": {**set_, "version": version}}
        if events:
            update.update(outbox.push(*events))
        result = await self.accounts.update_one(
            {"_id": account_id, "version": expect_version}, update
        )
        return result.modified_count == 1


def search_name(*names: str | None) -> str:
    """What a name search matches: NFKC, lower case, no spaces, name and kana together."""
    parts = [unicodedata.normalize("NFKC", n).lower().replace(" ", "") for n in names if n]
    return "|".join(parts)
