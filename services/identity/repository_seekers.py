"""PyMongo calls for seeker registrations, which live embedded in their account document
(``accounts.seeker``), so that a change and its events are one single-document write.

- ``seeker_refs``  ``_id`` = seeker id → account id: lookups by a seeker id go by ``_id``
                   (written once, before the account carries the seeker; never changed)
- version claims   every change of a seeker first claims its new version in ``claims``
                   (``seeker_version:<account>:<n>``): FerretDB 1.24's conditional updates are
                   not atomic, a claim's insert is, so exactly one writer gets each version
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from contracts import Envelope
from servicekit import outbox
from services.identity.repository import Doc, Repository

SEEKER_REFS = "seeker_refs"
# a version claim whose write never happened (a crash in between) is skipped after this long
STALE_CLAIM = timedelta(seconds=30)
CLAIM_PURGE = timedelta(days=2)
ACTIVE = ["provisional", "registered"]


def _version_claim(account_id: str, version: int) -> str:
    return f"seeker_version:{account_id}:{version}"


class SeekerRepository:
    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.accounts = repo.accounts
        self.refs = repo.db[SEEKER_REFS]

    # --- lookups ------------------------------------------------------------------------------

    async def put_ref(self, seeker_id: str, account_id: str) -> None:
        try:
            await self.refs.insert_one({"_id": seeker_id, "account_id": account_id})
        except DuplicateKeyError:
            pass

    async def account(self, account_id: str) -> Doc | None:
        """The whole account document, its pending events (``outbox``) included."""
        return await self.accounts.find_one({"_id": account_id})

    async def account_of_seeker(self, seeker_id: str) -> Doc | None:
        ref = await self.refs.find_one({"_id": seeker_id})
        if ref is not None:
            account = await self.repo.account_by_id(str(ref["account_id"]))
            if account is not None and (account.get("seeker") or {}).get("seeker_id") == seeker_id:
                return account
            return None
        # registered before the refs existed
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

    async def claim_version(self, account_id: str, current: int, *, now: datetime) -> int | None:
        """Claim the version after ``current``; None when another writer holds it. A claim left
        behind by a writer that never wrote is skipped once stale (versions only need to grow)."""
        version = current + 1
        for _ in range(3):
            claim_id = _version_claim(account_id, version)
            if await self.repo.claim(claim_id, now=now, purge_at=now + CLAIM_PURGE):
                return version
            held = await self.repo.claims.find_one({"_id": claim_id})
            if held is not None and now - held["at"] < STALE_CLAIM:
                return None
            version += 1
        return None

    async def release_version(self, account_id: str, version: int) -> None:
        await self.repo.release(_version_claim(account_id, version))

    async def write(
        self,
        account_id: str,
        *,
        expect_version: int,
        version: int,
        set_: Doc,
        events: tuple[Envelope, ...] = (),
    ) -> bool:
        """The change, the new version and its events in one single-document write."""
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
