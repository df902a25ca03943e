"""Server-side sessions: the browser holds only an opaque random id in an httpOnly cookie; the
tokens, the CSRF token and the flow state stay here (database ``hataraku_web``, collection
``sessions``, keyed by a hash of the id so that the database never holds a usable cookie)."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

Doc = dict[str, Any]
COLLECTION = "sessions"


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass
class Session:
    id: str  # the cookie value (never stored)
    csrf: str
    created_at: datetime
    expires_at: datetime
    seen_at: datetime
    tokens: Doc | None = None
    data: Doc = field(default_factory=dict)
    new: bool = False

    @property
    def key(self) -> str:
        return _key(self.id)

    @property
    def logged_in(self) -> bool:
        return self.tokens is not None


class SessionStore:
    def __init__(self, db: AsyncDatabase[Doc], *, max_age: int, idle: int) -> None:
        self.col = db[COLLECTION]
        self.max_age = timedelta(seconds=max_age)
        self.idle = timedelta(seconds=idle)
        # one refresh at a time per session in this process (refresh tokens rotate, and a reused
        # one ends the whole login)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def ensure_indexes(self) -> None:
        """Sessions past their lifetime are removed by the server (TTL); expiry and the idle
        timeout are still checked on every load, since the TTL monitor runs about once a minute."""
        await self.col.create_indexes(
            [IndexModel("expires_at", name="sessions_ttl", expireAfterSeconds=0)]
        )

    def lock(self, session: Session) -> asyncio.Lock:
        lock = self._locks.get(session.key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[session.key] = lock
        return lock

    def fresh(self) -> Session:
        """A new anonymous session (stored on first save)."""
        now = datetime.now(UTC)
        return Session(
            id=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + self.max_age,
            seen_at=now,
            new=True,
        )

    async def load(self, session_id: str | None, *, touch: bool = True) -> Session | None:
        """The stored session, or None (unknown, expired, idle too long). ``touch``: this request
        counts as activity (a page's background refresh of counts or its event stream does not,
        so that an open tab alone never keeps a session alive)."""
        if not session_id or len(session_id) > 100:
            return None
        doc = await self.col.find_one({"_id": _key(session_id)})
        if doc is None:
            return None
        now = datetime.now(UTC)
        if doc["expires_at"] <= now or doc["seen_at"] + self.idle <= now:
            await self.col.delete_one({"_id": doc["_id"]})
            return None
        session = Session(
            id=session_id,
            csrf=doc["csrf"],
            created_at=doc["created_at"],
            expires_at=doc["expires_at"],
            seen_at=doc["seen_at"],
            tokens=doc.get("tokens"),
            data=doc.get("data") or {},
        )
        if touch and now - session.seen_at > timedelta(seconds=60):
            session.seen_at = now
            await self.col.update_one({"_id": session.key}, {"$set": {"seen_at": now}})
        return session

    async def save(self, session: Session) -> None:
        doc = {
            "csrf": session.csrf,
            "created_at": session.created_at,
            "expires_at": session.expires_at,
            "seen_at": session.seen_at,
            "tokens": session.tokens,
            "data": session.data,
        }
        await self.col.replace_one({"_id": session.key}, doc, upsert=True)
        session.new = False

    async def reload_tokens(self, session: Session) -> None:
        doc = await self.col.find_one({"_id": session.key})
        session.tokens = doc.get("tokens") if doc else None

    async def delete(self, session: Session) -> None:
        await self.col.delete_one({"_id": session.key})

    async def rotate(self, session: Session) -> Session:
        """A new id (and CSRF token) for the same visitor: on login and logout, so that an id
        known before the login is worth nothing after it."""
        await self.delete(session)
        new = self.fresh()
        new.data = dict(session.data)
        return new
