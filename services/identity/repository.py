"""The only place with PyMongo calls. A race is decided by one atomic write with its condition
in the filter (``find_one_and_update``/``update_one``); inserting under a chosen ``_id`` is kept
where that ``_id`` is the natural key (an e-mail, a secret's name).

Collections:

- ``accounts``        one per login identity; a seeker's or an establishment's registration is
                      embedded (``seeker`` / ``employer``); carries the outbox of its events.
                      Seeker queries and versioned writes: ``repository_seekers``
- ``auth_keys``       one per address (``_id`` = normalised e-mail): its current key's hash (never
                      the key), its use, and the outbox holding the e-mail command with the key; a
                      new key replaces the old one in the same write
- ``auth_key_limits`` windowed counters per address and purpose, kept whether or not the address
                      is known: wrong tries (``tries:<purpose>:<e-mail>``) and accepted requests
                      (``requests:<purpose>:<e-mail>``)
- ``counters``        serials for seeker and establishment numbers
- ``sessions``        a refresh-token family (kept: the account's login history); carries the
                      outbox of its ``identity.session.ended.v1``;
                      ``refresh_tokens`` ``_id`` = SHA-256 of the token
- ``login_throttle``  failure counters and locks, per (account e-mail, client IP), per account
                      e-mail and per client IP
- ``activities``      a seeker's job-search activities from the applications service's events
                      (applications, referrals, interviews; ``_id`` names the event's fact, so a
                      redelivery writes nothing new) for the 求職活動実績: ``repository_activity``
- ``seeker_applications`` per application (``_id``): posting number, title, employer and the
                      latest status (the record's 結果), newest version wins
- ``secrets``         the auth-key pepper, shared by every replica (the token signing keys come
                      from files: signing_keys.py)

Expiring records leave by TTL index; the code checks every expiry itself, since the TTL monitor
removes a record only some time (about a minute) after it expired.
"""

from __future__ import annotations

from datetime import datetime, timedelta
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
AUTH_KEY_LIMITS = "auth_key_limits"
SESSIONS = "sessions"
OUTBOX_COLLECTIONS = (ACCOUNTS, AUTH_KEYS, SESSIONS)
# an expired key is kept this long, so that its holder hears "expired" rather than "invalid"
EXPIRED_KEY_KEPT = timedelta(days=1)


def _ttl(field: str, after: timedelta = timedelta(0)) -> IndexModel:
    return IndexModel(
        [(field, ASCENDING)], expireAfterSeconds=int(after.total_seconds()), name=f"{field}_ttl"
    )


INDEXES: dict[str, list[IndexModel]] = {
    ACCOUNTS: [
        IndexModel([("email", ASCENDING)], unique=True, name="email_unique"),
        IndexModel([("seeker.seeker_id", ASCENDING)], name="seeker_id"),
        IndexModel(
            [("seeker.office_code", ASCENDING), ("seeker.seeker_number", ASCENDING)],
            name="seeker_office_number",
        ),
        IndexModel([("seeker.seeker_number", ASCENDING)], name="seeker_number"),
        # the employer's name on a seeker's activity record (求職活動実績)
        IndexModel([("employer.employer_id", ASCENDING)], name="employer_id"),
        # the expiry scan: the day the next notice (or the lapse) of a registration is due
        IndexModel([("seeker.due_on", ASCENDING)], name="seeker_due_on"),
    ],
    # a seeker's activity record in date order (repository_activity)
    "activities": [
        IndexModel([("seeker_id", ASCENDING), ("on", ASCENDING)], name="seeker_on"),
        IndexModel([("application_id", ASCENDING)], name="application_id"),
    ],
    AUTH_KEYS: [_ttl("expires_at", EXPIRED_KEY_KEPT)],
    AUTH_KEY_LIMITS: [_ttl("expires_at")],
    # revoking an account's sessions, and its login history in order
    "sessions": [
        IndexModel([("account_id", ASCENDING), ("created_at", ASCENDING)], name="account_created")
    ],
    "refresh_tokens": [_ttl("expires_at")],
    "login_throttle": [_ttl("expires_at")],
}


class Repository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.db = db
        self.accounts = db[ACCOUNTS]
        self.auth_keys = db[AUTH_KEYS]
        self.auth_key_limits = db[AUTH_KEY_LIMITS]
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
        """The counter's next value, unique however many ask at once (atomic ``$inc``). The
        counter is created on first use by an insert, not an upsert: SecantusDB's answer to
        upserts racing to create a document can lose the value of one of them."""
        while True:
            doc = await self.counters.find_one_and_update(
                {"_id": name}, {"$inc": {"seq": 1}}, return_document=ReturnDocument.AFTER
            )
            if doc is not None:
                return int(doc["seq"])
            try:
                await self.counters.insert_one({"_id": name, "seq": 0})
            except DuplicateKeyError:
                pass  # another request created it: ask again

    # --- auth keys ----------------------------------------------------------------------------

    async def put_auth_key(self, email: str, key: Doc, command: Envelope) -> None:
        """The address's new key, with the e-mail command carrying it, in one write: it replaces
        the old key (which stops working)."""
        fields = {**key, "used": False, "used_at": None}
        await self.auth_keys.update_one(
            {"_id": email}, {"$set": fields, **outbox.push(command)}, upsert=True
        )

    async def current_auth_key(self, email: str) -> Doc | None:
        return await self.auth_keys.find_one({"_id": email}, {"outbox": 0})

    async def take_limited(
        self, key: str, *, limit: int, now: datetime, window: timedelta
    ) -> int | None:
        """Count one in the key's window (which starts with its first count and lasts
        ``window``): the count with this one, or None when ``limit`` have been counted in the
        live window already. Conditional writes only (no racing upserts), so however many count
        at once, at most ``limit`` of them get a number."""
        while True:
            doc = await self.auth_key_limits.find_one_and_update(
                {"_id": key, "expires_at": {"$gt": now}, "count": {"$lt": limit}},
                {"$inc": {"count": 1}},
                projection={"count": 1},
                return_document=ReturnDocument.AFTER,
            )
            if doc is not None:
                return int(doc["count"])
            fresh = {"count": 1, "window_start": now, "expires_at": now + window}
            ended = await self.auth_key_limits.update_one(
                {"_id": key, "expires_at": {"$lte": now}}, {"$set": fresh}
            )
            if ended.modified_count == 1:
                return 1
            try:
                await self.auth_key_limits.insert_one({"_id": key, **fresh})
                return 1
            except DuplicateKeyError:
                pass
            state = await self.auth_key_limits.find_one({"_id": key})
            if state is not None and state["expires_at"] > now and state["count"] >= limit:
                return None
            # another request started (or restarted) the window just now: count in it

    async def give_back_limited(self, key: str) -> None:
        await self.auth_key_limits.update_one(
            {"_id": key, "count": {"$gt": 0}}, {"$inc": {"count": -1}}
        )

    async def forget_limited(self, key: str) -> None:
        await self.auth_key_limits.delete_one({"_id": key})

    async def use_auth_key(self, email: str, key_id: str, *, now: datetime) -> bool:
        """True for exactly one caller, however many redeem the key at once."""
        result = await self.auth_keys.update_one(
            {"_id": email, "key_id": key_id, "used": False},
            {"$set": {"used": True, "used_at": now}},
        )
        return result.modified_count == 1

    # --- sessions and refresh tokens ----------------------------------------------------------

    async def insert_session(self, doc: Doc) -> None:
        await self.sessions.insert_one(doc)

    async def session(self, session_id: str) -> Doc | None:
        return await self.sessions.find_one({"_id": session_id})

    async def revoke_session(
        self, session_id: str, *, now: datetime, reason: str, events: tuple[Envelope, ...] = ()
    ) -> bool:
        """True for the one caller that ended the session (its events are queued with it)."""
        update: Doc = {"$set": {"revoked": True, "revoked_at": now, "revoked_reason": reason}}
        if events:
            update.update(outbox.push(*events))
        result = await self.sessions.update_one({"_id": session_id, "revoked": False}, update)
        return result.modified_count == 1

    async def revoke_sessions_of(self, account_id: str, *, now: datetime, reason: str) -> None:
        await self.sessions.update_many(
            {"account_id": account_id, "revoked": False},
            {"$set": {"revoked": True, "revoked_at": now, "revoked_reason": reason}},
        )

    async def insert_refresh_token(self, doc: Doc) -> None:
        await self.refresh_tokens.insert_one(doc)

    async def refresh_token(self, token_hash: str) -> Doc | None:
        return await self.refresh_tokens.find_one({"_id": token_hash})

    async def use_refresh_token(self, token_hash: str, *, now: datetime) -> bool:
        """True for exactly one caller, however many try at once."""
        result = await self.refresh_tokens.update_one(
            {"_id": token_hash, "used": False}, {"$set": {"used": True, "used_at": now}}
        )
        return result.modified_count == 1

    # --- login throttling ---------------------------------------------------------------------

    async def throttle_states(self, keys: list[str]) -> dict[str, Doc]:
        """The keys' states (a key without one is missing), in one query."""
        return {doc["_id"]: doc async for doc in self.throttle.find({"_id": {"$in": keys}})}

    async def throttle_count(self, key: str, *, now: datetime, window: timedelta) -> int:
        """Add one failure to the key's window (a new window when there is none or it ended);
        the failures in the window, this one included."""
        while True:
            doc = await self.throttle.find_one_and_update(
                {"_id": key, "window_start": {"$gt": now - window}},
                {"$inc": {"failures": 1}},
                projection={"failures": 1},
                return_document=ReturnDocument.AFTER,
            )
            if doc is not None:
                return int(doc["failures"])
            fresh = {"window_start": now, "failures": 1, "expires_at": now + window}
            try:
                # an existing key whose window ended, or a new one (a live window: duplicate)
                await self.throttle.update_one(
                    {"_id": key, "window_start": {"$not": {"$gt": now - window}}},
                    {"$set": fresh},
                    upsert=True,
                )
            except DuplicateKeyError:
                continue  # another request started the window just now: count in it
            return 1

    async def throttle_lock(self, key: str, *, until: datetime, now: datetime) -> None:
        """Lock until ``until``; counting starts afresh afterwards."""
        await self.throttle.update_one(
            {"_id": key},
            {
                "$set": {
                    "locked_until": until,
                    "window_start": now,
                    "failures": 0,
                    "expires_at": until,
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

    async def delete_secret(self, name: str) -> bool:
        result = await self.secrets.delete_one({"_id": name})
        return result.deleted_count > 0
