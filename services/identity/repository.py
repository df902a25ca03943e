"""The only place with PyMongo calls. Lookups go by ``_id`` wherever the model allows it
(FerretDB pushes down only ``{_id: ...}``); the secondary indexes serve real MongoDB.

Races are decided by inserting a document with a chosen ``_id`` (a *claim*): the first insert
wins, every other one gets DuplicateKeyError. That is atomic on MongoDB and on FerretDB 1.24,
whose conditional updates (``find_one_and_update``/``update_one`` with a filter) are not: it
reads and rewrites the document without isolation, so two parallel ``{used: false} → true``
updates can both succeed and parallel ``$inc``s can return the same value.

Collections:

- ``accounts``         one per login identity; a seeker's or an establishment's registration is
                       embedded (``seeker`` / ``employer``); carries the outbox of its events.
                       Seeker queries and versioned writes: ``repository_seekers``
- ``auth_keys``        one per issued key (``_id`` = key id): the hash, never the key, and the
                       outbox holding the e-mail command with the key (inserted in one write)
- ``auth_key_lookup``  ``_id`` = normalised e-mail → the address's current key id
- ``claims``           first-writer-wins markers: wrong-try slots and the redemption of a key,
                       the use of a refresh token, allocated seeker/establishment numbers
- ``counters``         serials for seeker and establishment numbers
- ``sessions``         a refresh-token family; ``refresh_tokens`` ``_id`` = SHA-256 of the token
- ``login_throttle``   failure counters and locks, per account e-mail and per client IP
- ``secrets``          the JWT signing key and the auth-key pepper, shared by every replica
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts import Envelope
from servicekit import outbox
from servicekit.db import ensure_indexes

Doc = dict[str, Any]

ACCOUNTS = "accounts"
AUTH_KEYS = "auth_keys"
OUTBOX_COLLECTIONS = (ACCOUNTS, AUTH_KEYS)

INDEXES: dict[str, list[IndexModel]] = {
    ACCOUNTS: [
        IndexModel([("email", ASCENDING)], unique=True, name="email_unique"),
        IndexModel([("seeker.seeker_id", ASCENDING)], name="seeker_id"),
        IndexModel([("employer.employer_id", ASCENDING)], name="employer_id"),
        IndexModel(
            [("seeker.office_code", ASCENDING), ("seeker.seeker_number", ASCENDING)],
            name="seeker_office_number",
        ),
        IndexModel([("seeker.seeker_number", ASCENDING)], name="seeker_number"),
        # the expiry scan: the day the next notice (or the lapse) of a registration is due
        IndexModel([("seeker.due_on", ASCENDING)], name="seeker_due_on"),
        IndexModel([("seeker.expires_on", ASCENDING)], name="seeker_expires_on"),
    ],
    "sessions": [IndexModel([("account_id", ASCENDING)], name="account_id")],
    # clean-up only: expiry is always checked in code (FerretDB has no TTL indexes)
    "refresh_tokens": [
        IndexModel([("session_id", ASCENDING)], name="session_id"),
        IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0, name="purge_ttl"),
    ],
    AUTH_KEYS: [IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0, name="purge_ttl")],
    "auth_key_lookup": [
        IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0, name="purge_ttl")
    ],
    # claims without purge_at (allocated numbers) stay forever
    "claims": [IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0, name="purge_ttl")],
    "login_throttle": [
        IndexModel([("purge_at", ASCENDING)], expireAfterSeconds=0, name="purge_ttl")
    ],
}


class Repository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.db = db
        self.accounts = db[ACCOUNTS]
        self.auth_keys = db[AUTH_KEYS]
        self.auth_key_lookup = db["auth_key_lookup"]
        self.claims = db["claims"]
        self.counters = db["counters"]
        self.sessions = db["sessions"]
        self.refresh_tokens = db["refresh_tokens"]
        self.throttle = db["login_throttle"]
        self.secrets = db["secrets"]

    async def ensure_indexes(self) -> None:
        for collection, indexes in INDEXES.items():
            await ensure_indexes(self.db, collection, indexes)

    # --- accounts -----------------------------------------------------------------------------

    async def insert_account(self, doc: Doc) -> bool:
        """False when the e-mail is taken (the only unique key besides a fresh ``_id``)."""
        try:
            await self.accounts.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def account_by_email(self, email: str) -> Doc | None:
        return await self.accounts.find_one({"email": email}, {"outbox": 0})

    async def account_by_id(self, account_id: str) -> Doc | None:
        return await self.accounts.find_one({"_id": account_id}, {"outbox": 0})

    async def update_account(
        self,
        account_id: str,
        *,
        expect: Doc,
        set_: Doc,
        events: tuple[Envelope, ...] = (),
        inc: Doc | None = None,
    ) -> bool:
        """One single-document write: the change, the version bump and its events. ``expect``
        holds the fields the document must still have (optimistic concurrency)."""
        update: Doc = {"$set": set_, "$inc": {"version": 1, **(inc or {})}}
        if events:
            update.update(outbox.push(*events))
        result = await self.accounts.update_one({"_id": account_id, **expect}, update)
        return result.modified_count == 1

    async def next_serial(self, name: str) -> int:
        """The counter's next value. Unique on MongoDB; FerretDB may hand one value out twice,
        so callers claim the number they build from it (``claim``) and ask again when taken."""
        doc = await self.counters.find_one_and_update(
            {"_id": name}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        assert doc is not None
        return int(doc["seq"])

    # --- auth keys ----------------------------------------------------------------------------

    async def put_auth_key(self, email: str, key: Doc, command: Envelope) -> None:
        """Point the address at a new key (the old one stops working), then insert the key with
        the e-mail command carrying it, in one write."""
        pointer = {"key_id": key["_id"], "purge_at": key["purge_at"]}
        try:
            await self.auth_key_lookup.replace_one({"_id": email}, pointer, upsert=True)
        except DuplicateKeyError:  # a parallel first request inserted it: now it exists
            await self.auth_key_lookup.replace_one({"_id": email}, pointer)
        await self.auth_keys.insert_one({**key, "used": False, **outbox.initial(command)})

    async def current_auth_key(self, email: str) -> Doc | None:
        pointer = await self.auth_key_lookup.find_one({"_id": email})
        if pointer is None:
            return None
        return await self.auth_keys.find_one({"_id": pointer["key_id"]}, {"outbox": 0})

    async def mark_auth_key_used(self, key_id: str, *, now: datetime) -> None:
        await self.auth_keys.update_one({"_id": key_id}, {"$set": {"used": True, "used_at": now}})

    # --- claims (first writer wins) -----------------------------------------------------------

    async def claim(
        self, claim_id: str, *, now: datetime, purge_at: datetime | None = None
    ) -> bool:
        doc: Doc = {"_id": claim_id, "at": now}
        if purge_at is not None:
            doc["purge_at"] = purge_at
        try:
            await self.claims.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def claim_slot(
        self, prefix: str, slots: int, *, now: datetime, purge_at: datetime
    ) -> int | None:
        """Take the first free of ``slots`` numbered claims; None when all are taken."""
        for n in range(1, slots + 1):
            if await self.claim(f"{prefix}:{n}", now=now, purge_at=purge_at):
                return n
        return None

    async def release(self, claim_id: str) -> None:
        await self.claims.delete_one({"_id": claim_id})

    # --- sessions and refresh tokens ----------------------------------------------------------

    async def insert_session(self, doc: Doc) -> None:
        await self.sessions.insert_one(doc)

    async def session(self, session_id: str) -> Doc | None:
        return await self.sessions.find_one({"_id": session_id})

    async def revoke_session(self, session_id: str, *, now: datetime, reason: str) -> None:
        await self.sessions.update_one(
            {"_id": session_id, "revoked": False},
            {"$set": {"revoked": True, "revoked_at": now, "revoked_reason": reason}},
        )

    async def revoke_sessions_of(self, account_id: str, *, now: datetime, reason: str) -> None:
        await self.sessions.update_many(
            {"account_id": account_id, "revoked": False},
            {"$set": {"revoked": True, "revoked_at": now, "revoked_reason": reason}},
        )

    async def insert_refresh_token(self, doc: Doc) -> None:
        await self.refresh_tokens.insert_one(doc)

    async def refresh_token(self, token_hash: str) -> Doc | None:
        return await self.refresh_tokens.find_one({"_id": token_hash})

    async def use_refresh_token(
        self, token_hash: str, *, now: datetime, purge_at: datetime
    ) -> bool:
        """True for exactly one caller, however many try at once."""
        if not await self.claim(f"refresh:{token_hash}", now=now, purge_at=purge_at):
            return False
        await self.refresh_tokens.update_one(
            {"_id": token_hash}, {"$set": {"used": True, "used_at": now}}
        )
        return True

    # --- login throttling ---------------------------------------------------------------------

    async def throttle_state(self, key: str) -> Doc | None:
        return await self.throttle.find_one({"_id": key})

    async def throttle_start_window(
        self, key: str, *, previous: datetime | None, now: datetime, purge_at: datetime
    ) -> bool:
        """Start a new counting window with one failure; False if another replica got there first."""
        fields = {"window_start": now, "failures": 1, "purge_at": purge_at}
        if previous is None:
            try:
                await self.throttle.insert_one({"_id": key, **fields})
            except DuplicateKeyError:
                return False
            return True
        result = await self.throttle.update_one(
            {"_id": key, "window_start": previous}, {"$set": fields}
        )
        return result.modified_count == 1

    async def throttle_increment(self, key: str) -> int:
        doc = await self.throttle.find_one_and_update(
            {"_id": key}, {"$inc": {"failures": 1}}, return_document=ReturnDocument.AFTER
        )
        return int(doc["failures"]) if doc else 0

    async def throttle_lock(self, key: str, *, until: datetime, now: datetime) -> None:
        """Lock until ``until``; counting starts afresh afterwards."""
        await self.throttle.update_one(
            {"_id": key},
            {
                "$set": {
                    "locked_until": until,
                    "window_start": now,
                    "failures": 0,
                    "purge_at": until,
                }
            },
        )

    async def throttle_clear(self, key: str) -> None:
        """Forget the failures (a lock set meanwhile stays)."""
        await self.throttle.update_one({"_id": key}, {"$set": {"failures": 0}})

    # --- secrets ------------------------------------------------------------------------------

    async def secret(self, name: str) -> Doc | None:
        return await self.secrets.find_one({"_id": name})

    async def create_secret(self, name: str, fields: Doc) -> Doc:
        """Insert once under a fixed ``_id``; when another replica won the race, its value."""
        try:
            await self.secrets.insert_one({"_id": name, **fields})
        except DuplicateKeyError:
            pass
        doc = await self.secret(name)
        assert doc is not None
        return doc
