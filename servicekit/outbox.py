"""The transactional outbox: an aggregate's document carries the events its last change caused,
written by the same single-document update; the relay publishes them with publisher confirms and
removes each one only after the broker confirmed it.

    update = {"$set": {...}, **outbox.push(events)}
    await collection.update_one({"_id": id}, update)
    relay.kick(collection.name, id)          # publish now; the poller is only a fallback
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from prometheus_client import Counter
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Envelope, Message
from servicekit import context
from servicekit.bus import Bus

log = structlog.get_logger()

OUTBOX_FIELD = "outbox"
RELAY_FAILURES = Counter("hataraku_outbox_publish_failures_total", "Outbox publish failures")


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
    return {"id": str(env.id), "type": env.type, "body": env.model_dump_json()}


def push(*envelopes: Envelope) -> dict[str, Any]:
    """The ``$push`` part of an update that queues these envelopes on the document."""
    return {"$push": {OUTBOX_FIELD: {"$each": [entry(e) for e in envelopes]}}}


def initial(*envelopes: Envelope) -> dict[str, Any]:
    """The outbox field for a document being inserted."""
    return {OUTBOX_FIELD: [entry(e) for e in envelopes]}


MARKERS = "outbox_pending"
# the full scan (at start-up, then this often) finds what a process that died between a write and
# its publish left behind; between scans only the markers are read
FULL_SCAN_SECONDS = 300.0
SWEEP_BATCH = 200


class OutboxRelay:
    """Publishes outbox entries right after the write that queued them (``kick``/``flush``).

    A publish that fails (broker away) leaves a small marker document in ``outbox_pending``; the
    periodic sweep reads only those markers, so it stays cheap however large the aggregates'
    collections grow (FerretDB scans a whole collection for any query but ``{_id}``). A process
    that died between a write and its publish left no marker: the full scan at start-up (and every
    five minutes) finds what it left behind.
    """

    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        bus: Bus,
        collections: list[str],
        *,
        poll_seconds: float = 5.0,
    ) -> None:
        self.db = db
        self.bus = bus
        self.collections = collections
        self.poll_seconds = poll_seconds
        self.markers = db[MARKERS]
        self._tasks: set[asyncio.Task[int]] = set()
        self._locks: dict[tuple[str, Any], asyncio.Lock] = {}
        self._stop = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None

    def kick(self, collection: str, doc_id: Any) -> None:
        """Publish the pending events of one document now, in the background."""
        task = asyncio.create_task(self.flush(collection, doc_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def flush(self, collection: str, doc_id: Any) -> int:
        """Publish one document's pending events in order; returns how many, or -1 when a
        publish failed (then a marker makes the sweep try again)."""
        key = (collection, doc_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                doc = await self.db[collection].find_one({"_id": doc_id}, {OUTBOX_FIELD: 1})
                sent = 0
                for item in (doc or {}).get(OUTBOX_FIELD) or []:
                    await self.bus.publish(Envelope.model_validate_json(item["body"]))
                    # the whole entry, not {"id": ...}: FerretDB 1.24's $pull matches only equal values
                    await self.db[collection].update_one(
                        {"_id": doc_id}, {"$pull": {OUTBOX_FIELD: item}}
                    )
                    log.info("outbox.published", event_id=item["id"], type=item["type"])
                    sent += 1
                return sent
        except Exception as exc:
            RELAY_FAILURES.inc()
            log.warning("outbox.publish_failed", collection=collection, error=repr(exc))
            await self._mark(collection, doc_id)
            return -1
        finally:
            if not lock.locked():
                self._locks.pop(key, None)

    async def _mark(self, collection: str, doc_id: Any) -> None:
        try:
            await self.markers.update_one(
                {"_id": f"{collection}:{doc_id}"},
                {"$set": {"collection": collection, "doc_id": doc_id}},
                upsert=True,
            )
        except Exception as exc:  # the database is away too: the start-up scan will find it
            log.warning("outbox.mark_failed", collection=collection, error=repr(exc))

    async def sweep(self) -> int:
        """Retry the documents whose publish failed (the markers)."""
        markers = await self.markers.find({}).limit(SWEEP_BATCH).to_list(None)
        by_collection: dict[str, list[Any]] = {}
        for marker in markers:
            by_collection.setdefault(marker["collection"], []).append(marker["doc_id"])
        sent = 0
        for name, ids in by_collection.items():
            n, done = await self._flush_batch(name, ids)
            sent += n
            await self.markers.delete_many({"_id": {"$in": [f"{name}:{i}" for i in done]}})
        return sent

    async def sweep_all(self) -> int:
        """Scan every outbox collection for pending events (at start-up, and in tests)."""
        sent = 0
        for name in self.collections:
            cursor = self.db[name].find({f"{OUTBOX_FIELD}.0": {"$exists": True}}, {"_id": 1})
            ids = [doc["_id"] for doc in await cursor.to_list(None)]
            for i in range(0, len(ids), SWEEP_BATCH):
                if self._stop.is_set():  # shutting down: the next start scans again
                    return sent
                sent += (await self._flush_batch(name, ids[i : i + SWEEP_BATCH]))[0]
        return sent

    async def _flush_batch(self, collection: str, ids: list[Any]) -> tuple[int, list[Any]]:
        """Publish the pending events of many documents, then remove them with ONE update
        (``$pullAll`` of the exact entries: event ids are unique, so each document loses only
        its own published ones). On FerretDB every update reads the whole collection, so one
        update per batch instead of one per event is what makes a backlog drain quickly.
        Returns (events published, ids whose outbox was fully published)."""
        docs = (
            await self.db[collection].find({"_id": {"$in": ids}}, {OUTBOX_FIELD: 1}).to_list(None)
        )
        published: list[dict[str, Any]] = []
        done: list[Any] = []
        failed = False
        for doc in docs:
            if self._stop.is_set() or failed:
                break
            try:
                for item in doc.get(OUTBOX_FIELD) or []:
                    await self.bus.publish(Envelope.model_validate_json(item["body"]))
                    published.append(item)
                    log.info("outbox.published", event_id=item["id"], type=item["type"])
                done.append(doc["_id"])
            except Exception as exc:
                RELAY_FAILURES.inc()
                log.warning("outbox.publish_failed", collection=collection, error=repr(exc))
                await self._mark(collection, doc["_id"])
                failed = True
        if published:
            await self.db[collection].update_many(
                {"_id": {"$in": [d["_id"] for d in docs]}}, {"$pullAll": {OUTBOX_FIELD: published}}
            )
        found = {d["_id"] for d in docs}
        return len(published), done + [i for i in ids if i not in found]

    async def pending(self) -> int:
        total = 0
        for name in self.collections:
            total += await self.db[name].count_documents({f"{OUTBOX_FIELD}.0": {"$exists": True}})
        return total

    def start(self) -> None:
        self._poller = asyncio.create_task(self._poll())

    async def _poll(self) -> None:
        last_full = -FULL_SCAN_SECONDS
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            try:
                if loop.time() - last_full >= FULL_SCAN_SECONDS:
                    last_full = loop.time()
                    await self.sweep_all()
                else:
                    await self.sweep()
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
