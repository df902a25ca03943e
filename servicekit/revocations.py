"""Revoked access tokens: ended sessions and account-wide cut-offs, refused by every process.

Identity publishes ``identity.session.ended.v1`` (logout, a reused refresh token: the session's
``sid``) and ``identity.account.sessions_ended.v1`` (a password reset: every token of the account
whose epoch claim ``tep`` is below ``token_epoch``). Every process that checks tokens (each
service through its Runtime, and the gateway) keeps them in its own database:

- a durable queue of its own (``<service>.sessions``), consumed by any one replica, writes the
  fact into the collection ``revoked_tokens`` (``_id`` ``s:<sid>`` or ``a:<account>``), which a
  TTL index empties once the revoked tokens would have expired anyway (``expires_at``, at most the
  access-token lifetime after the fact);
- every replica keeps the whole (small) collection in memory and re-reads what changed every
  ``poll_seconds`` (an index range on ``recorded_at``, the database server's time, re-reading a
  few seconds of overlap so that a write committed late is not skipped); a replica started later
  loads everything unexpired before it is ready.

So the check on a request is two dictionary look-ups and no I/O; a revocation reaches every
replica within about ``poll_seconds`` of identity's publish.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Envelope, Message
from contracts.identity import AccountSessionsEnded, SessionEnded
from servicekit.db import ensure_indexes

log = structlog.get_logger()

COLLECTION = "revoked_tokens"
INDEXES = [
    IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expires_at_ttl"),
    IndexModel([("recorded_at", ASCENDING)], name="recorded_at"),
]
RECORDED_HINT = "recorded_at"
EXPIRES_HINT = "expires_at_ttl"


class TokenClaims(Protocol):
    """What a revocation check needs of a verified token (servicekit.auth.Principal)."""

    account_id: str
    session_id: str | None
    token_epoch: int


class Revocations:
    """The revoked sessions and account cut-offs this process knows, kept from its database."""

    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        *,
        poll_seconds: float = 0.5,
        overlap_seconds: float = 5.0,
    ) -> None:
        self.collection = db[COLLECTION]
        self.poll_seconds = poll_seconds
        self.overlap = timedelta(seconds=overlap_seconds)
        # session id → until (unix seconds); account id → (lowest valid epoch, until)
        self.sessions: dict[str, float] = {}
        self.accounts: dict[str, tuple[int, float]] = {}
        self.loaded = False
        self._since: datetime | None = None
        self._listeners: list[Callable[[], object]] = []
        self._pruned = 0.0

    # --- the check on a request ---------------------------------------------------------------

    def revoked(self, claims: TokenClaims) -> bool:
        if claims.session_id is not None and claims.session_id in self.sessions:
            return True
        cut = self.accounts.get(claims.account_id)
        return cut is not None and claims.token_epoch < cut[0]

    def listen(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` whenever this process learns of a new revocation (e.g. to end the
        event streams of ended sessions: check each with ``revoked``)."""
        self._listeners.append(callback)

    # --- the consumer (one replica per process group) -----------------------------------------

    @property
    def handlers(self) -> Mapping[type[Message], Any]:
        return {
            SessionEnded: self.on_session_ended,
            AccountSessionsEnded: self.on_account_sessions_ended,
        }

    async def on_session_ended(self, event: SessionEnded, _: Envelope) -> None:
        until = _aware(event.tokens_valid_until)
        await self.collection.update_one(
            {"_id": f"s:{event.session_id}"},
            {
                "$max": {"expires_at": until},
                "$set": {"session_id": event.session_id, "account_id": event.account_id},
                "$currentDate": {"recorded_at": True},
            },
            upsert=True,
        )
        self._learn([{"_id": f"s:{event.session_id}", "expires_at": until}])

    async def on_account_sessions_ended(self, event: AccountSessionsEnded, _: Envelope) -> None:
        until = _aware(event.tokens_valid_until)
        await self.collection.update_one(
            {"_id": f"a:{event.account_id}"},
            {
                "$max": {"expires_at": until, "epoch": event.token_epoch},
                "$set": {"account_id": event.account_id},
                "$currentDate": {"recorded_at": True},
            },
            upsert=True,
        )
        self._learn(
            [{"_id": f"a:{event.account_id}", "expires_at": until, "epoch": event.token_epoch}]
        )

    # --- every replica: load, then follow ------------------------------------------------------

    async def ensure_indexes(self) -> None:
        await ensure_indexes(self.collection.database, COLLECTION, INDEXES)

    async def start(self) -> None:
        """Indexes and the first load (before the process is ready)."""
        await self.ensure_indexes()
        await self.poll()
        self.loaded = True

    async def poll(self) -> int:
        """Read what was recorded since the last read (everything unexpired the first time)."""
        if self._since is None:
            query: dict[str, Any] = {"expires_at": {"$gt": datetime.now(UTC)}}
            hint = EXPIRES_HINT
        else:
            query = {"recorded_at": {"$gte": self._since - self.overlap}}
            hint = RECORDED_HINT
        docs = await self.collection.find(query, hint=hint).to_list(None)
        for doc in docs:
            recorded = doc.get("recorded_at")
            if isinstance(recorded, datetime):
                recorded = _aware(recorded)
                if self._since is None or recorded > self._since:
                    self._since = recorded
        if self._since is None:
            # nothing recorded yet: follow from now (the server's clock is close enough: the
            # overlap covers the difference)
            self._since = datetime.now(UTC)
        return self._learn(docs)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if not self.loaded:
                    await self.start()
                else:
                    await self.poll()
            except Exception as exc:
                log.warning("revocations.poll_failed", error=repr(exc)[:300])
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass

    def _learn(self, docs: list[dict[str, Any]]) -> int:
        """Take these records into memory; the number that were news."""
        now = time.time()
        new = 0
        for doc in docs:
            key = str(doc["_id"])
            until = _aware(doc["expires_at"]).timestamp()
            if until <= now:
                continue
            if key.startswith("s:"):
                sid = key[2:]
                if sid not in self.sessions:
                    new += 1
                self.sessions[sid] = max(until, self.sessions.get(sid, 0.0))
            elif key.startswith("a:"):
                account = key[2:]
                epoch, old_until = self.accounts.get(account, (0, 0.0))
                if int(doc["epoch"]) > epoch:
                    new += 1
                self.accounts[account] = (max(epoch, int(doc["epoch"])), max(until, old_until))
        if now - self._pruned > 60:
            self._prune(now)
        if new:
            for callback in self._listeners:
                try:
                    callback()
                except Exception as exc:
                    log.warning("revocations.listener_failed", error=repr(exc)[:300])
        return new

    def _prune(self, now: float) -> None:
        self._pruned = now
        self.sessions = {k: u for k, u in self.sessions.items() if u > now}
        self.accounts = {k: v for k, v in self.accounts.items() if v[1] > now}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
