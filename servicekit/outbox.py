"""The transactional outbox: an aggregate's document carries the events its last change caused,
written by the same single-document update; the relay publishes them with publisher confirms and
removes each one only after the broker confirmed it.

    update = {"$set": {...}, **outbox.push(events)}
    await collection.update_one({"_id": id}, update)
    relay.kick(collection.name, id)          # publish now; the sweep is only a fallback

Each entry keeps the W3C ``traceparent`` of the request or handler that wrote it, and its
publish continues that trace (servicekit/tracing.py).

Every entry carries the time it was queued (``at``). Each outbox collection has a partial index
on ``outbox.at`` that holds only documents with pending entries, so the recovery sweep — which
finds what a failed publish, a process that died between its write and its publish, or another
process (``python -m services.jobs.seed``) left behind — is an index scan of the pending
documents only, whatever the size of the collection, and runs every second or two.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from prometheus_client import Counter, Gauge
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Envelope, Message
from servicekit import context, tracing
from servicekit.bus import Bus
from servicekit.db import ensure_indexes

log = structlog.get_logger()

OUTBOX_FIELD = "outbox"
PENDING_INDEX = "outbox_pending"
# a document's entries are the writer's to publish for this long (its kick); after that the sweep
# takes them over
GRACE_SECONDS = 2.0
# a sweeping process holds a document this long, so that replicas do not publish it twice
LEASE_SECONDS = 5.0
SWEEP_BATCH = 500
RELAY_FAILURES = Counter("hataraku_outbox_publish_failures_total", "Outbox publish failures")
# documents holding events not yet published, as the last sweep counted them (a count over the
# partial pending index: it holds only those documents, so the count is cheap while the backlog
# is small and bounded by the backlog when it is not). Labels: the service's name and the
# collection, both fixed by the code.
PENDING = Gauge(
    "hataraku_outbox_pending",
    "Documents with outbox events not yet published, at the last sweep",
    ["service", "collection"],
)


def envelope(message: Message, *, producer: str, subject: str) -> Envelope:
    """Wrap a payload, taking the correlation and causation ids of the work in progress."""
    return Envelope.wrap(
        message,
        producer=producer,
        subject=subject,
        correlation_id=context.current_correlation_id(),
        causation_id=context.causation_id.get(),
    )


def entry(env: Envelope) -> dict[str, Any]:
    """One outbox entry. Written within a traced request or handler, it keeps that span's W3C
    ``traceparent`` (and ``tracestate``): the relay publishes later, from another task or
    process, and continues the trace from it."""
    item: dict[str, Any] = {
        "id": str(env.id),
        "type": env.type,
        "body": env.model_dump_json(),
        "at": datetime.now(UTC),
    }
    item.update(tracing.carrier())
    return item


def push(*envelopes: Envelope) -> dict[str, Any]:
    """The ``$push`` part of an update that queues these envelopes on the document."""
    return {"$push": {OUTBOX_FIELD: {"$each": [entry(e) for e in envelopes]}}}


def initial(*envelopes: Envelope) -> dict[str, Any]:
    """The outbox field for a document being inserted."""
    return {OUTBOX_FIELD: [entry(e) for e in envelopes]}


def pending_index() -> IndexModel:
    """Only documents with pending entries are in it (entries leave the array once published)."""
    return IndexModel(
        f"{OUTBOX_FIELD}.at",
        name=PENDING_INDEX,
        partialFilterExpression={f"{OUTBOX_FIELD}.at": {"$exists": True}},
    )


def pending_filter(before: datetime | None = None) -> dict[str, Any]:
    cond: dict[str, Any] = {"$exists": True}
    if before is not None:
        cond["$lt"] = before
    return {f"{OUTBOX_FIELD}.at": cond}


class OutboxRelay:
    """Publishes outbox entries right after the write that queued them (``kick``/``flush``), and
    sweeps the pending index every ``poll_seconds`` for entries older than the grace period."""

    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        bus: Bus,
        collections: list[str],
        *,
        poll_seconds: float = 1.0,
        service: str = "service",
    ) -> None:
        self.db = db
        self.bus = bus
        self.collections = collections
        self.poll_seconds = poll_seconds
        self.service = service
        self._tasks: set[asyncio.Task[int]] = set()
        self._locks: dict[tuple[str, Any], asyncio.Lock] = {}
        self._users: dict[tuple[str, Any], int] = {}
        self._stop = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None

    async def ensure_indexes(self) -> None:
        for name in self.collections:
            await ensure_indexes(self.db, name, [pending_index()])

    def kick(self, collection: str, doc_id: Any) -> None:
        """Publish the pending events of one document now, in the background."""
        task = asyncio.create_task(self.flush(collection, doc_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def flush(self, collection: str, doc_id: Any) -> int:
        """Publish one document's pending events in order, then remove them; returns how many,
        or -1 when a publish failed (the entries stay, and the sweep tries again)."""
        key = (collection, doc_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                coll = self.db[collection]
                doc = await coll.find_one({"_id": doc_id}, {OUTBOX_FIELD: 1})
                sent: list[str] = []
                try:
                    for item in (doc or {}).get(OUTBOX_FIELD) or []:
                        # the publish (FastStream's span, the message's traceparent header)
                        # continues the trace of the work that wrote the entry
                        with tracing.continued(item):
                            await self.bus.publish(Envelope.model_validate_json(item["body"]))
                        log.info("outbox.published", event_id=item["id"], type=item["type"])
                        sent.append(item["id"])
                finally:
                    if sent:  # what the broker confirmed leaves, even when a later one failed
                        await coll.update_one(
                            {"_id": doc_id},
                            {
                                "$pull": {OUTBOX_FIELD: {"id": {"$in": sent}}},
                                "$unset": {"outbox_lease": ""},
                            },
                        )
                return len(sent)
        except Exception as exc:
            RELAY_FAILURES.inc()
            log.warning("outbox.publish_failed", collection=collection, error=repr(exc))
            return -1
        finally:
            # forget the lock only when no other flush of this document holds or awaits it
            # (``locked()`` is already False while a waiter is about to take it)
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                self._locks.pop(key, None)

    async def sweep(self, *, grace: float = GRACE_SECONDS) -> int:
        """Publish what is pending for longer than ``grace`` seconds in every outbox collection
        (an index scan of the pending documents), then count what is left for the backlog gauge
        (``hataraku_outbox_pending``). Returns the events published."""
        sent = 0
        for name in self.collections:
            while not self._stop.is_set():
                published, seen = await self._sweep_batch(name, grace)
                sent += published
                if seen < SWEEP_BATCH:
                    break
            await self._count(name)
        return sent

    async def _count(self, collection: str) -> None:
        count = await self.db[collection].count_documents(pending_filter(), hint=PENDING_INDEX)
        PENDING.labels(self.service, collection).set(count)

    async def sweep_all(self) -> int:
        """Publish everything pending now, however recent (start-up, tests)."""
        return await self.sweep(grace=0)

    async def _sweep_batch(self, collection: str, grace: float) -> tuple[int, int]:
        now = datetime.now(UTC)
        coll = self.db[collection]
        docs = (
            await coll.find(pending_filter(now - timedelta(seconds=grace)), {"_id": 1})
            .hint(PENDING_INDEX)
            .limit(SWEEP_BATCH)
            .to_list(None)
        )
        sent = 0
        for doc in docs:
            if self._stop.is_set():
                break
            if (collection, doc["_id"]) in self._locks:
                continue  # this process is publishing it right now
            # take a lease, so that other replicas sweeping at the same time skip it
            taken = await coll.update_one(
                {
                    "_id": doc["_id"],
                    "$or": [
                        {"outbox_lease": {"$exists": False}},
                        {"outbox_lease": {"$lt": now}},
                    ],
                },
                {"$set": {"outbox_lease": now + timedelta(seconds=LEASE_SECONDS)}},
            )
            if taken.modified_count:
                n = await self.flush(collection, doc["_id"])
                if n < 0:  # the broker is away: stop this round, the next one tries again
                    return sent, 0
                sent += n
        return sent, len(docs)

    async def pending(self) -> int:
        total = 0
        for name in self.collections:
            total += await self.db[name].count_documents(pending_filter(), hint=PENDING_INDEX)
        return total

    def start(self) -> None:
        self._poller = asyncio.create_task(self._poll())

    async def _poll(self) -> None:
        first = True
        while not self._stop.is_set():
            try:
                await (self.sweep_all() if first else self.sweep())
                first = False
            except Exception as exc:
                log.warning("outbox.sweep_failed", error=repr(exc))
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass

    async def stop(self) -> None:
        self._stop.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        if self._poller:
            await self._poller
