"""Versioned changes of applications and requests, race-free on FerretDB 1.24.

An aggregate (application or request) is created by one insert that carries its first event in
its outbox. Every later change is a document of ``changes`` with ``_id = <kind>:<id>:<version>``:
inserting it is the one single-document write that decides the change (two parallel changes of
the same version: exactly one insert wins) and queues its events (the change document's outbox).
The aggregate document is a view brought up to date from its changes (``$set`` the new fields
and version, ``$addToSet`` the timeline entry — repeatable without harm).

FerretDB 1.24 writes a whole document back on every update, so a concurrent update of the same
document (the outbox relay's ``$pull``, say) can undo a ``$set``. Hence: a change document is
never updated after its insert except by the relay; and every read of an aggregate — one or a
page of them — first rolls it forward over changes it does not show yet (one ``_id`` lookup
each). A crash between the insert and the view update is completed the same way, and by a
background sweep over ``change_markers`` (inserted before a change, deleted after it was
applied; only ever inserted and deleted).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pymongo.errors import DuplicateKeyError

from contracts import Envelope
from servicekit import outbox
from servicekit.outbox import OutboxRelay
from services.applications.repository import CHANGES, Doc, Store

log = structlog.get_logger()

SWEEP_AFTER = timedelta(seconds=10)
HIDDEN = {"outbox": 0}


def change_id(kind: str, doc_id: str, version: int) -> str:
    return f"{kind}:{doc_id}:{version}"


class Changes:
    def __init__(self, store: Store, relay: OutboxRelay) -> None:
        self.store = store
        self.relay = relay

    async def load(self, kind: str, doc_id: str) -> Doc | None:
        """The aggregate with every recorded change applied."""
        doc = await self.store.collection(kind).find_one({"_id": doc_id}, HIDDEN)
        return None if doc is None else await self._forward(kind, doc)

    async def current(self, kind: str, docs: list[Doc]) -> list[Doc]:
        """A page of aggregates, each rolled forward (lists read the views)."""
        return [await self._forward(kind, doc) for doc in docs]

    async def _forward(self, kind: str, doc: Doc) -> Doc:
        collection = self.store.collection(kind)
        for _ in range(1000):
            pending = await self.store.changes.find_one(
                {"_id": change_id(kind, doc["_id"], int(doc["version"]) + 1)}, HIDDEN
            )
            if pending is None:
                return doc
            await self._apply(pending)
            doc = _applied(doc, pending)
            fresh = await collection.find_one({"_id": doc["_id"]}, HIDDEN)
            if fresh is not None and int(fresh["version"]) >= int(doc["version"]):
                doc = fresh
        return doc

    async def record(
        self,
        kind: str,
        doc: Doc,
        *,
        fields: dict[str, Any],
        entry: Doc | None,
        events: Sequence[Envelope],
        at: datetime,
    ) -> Doc | None:
        """Record the change of ``doc`` (as loaded) to its next version. None when another change
        of that version won; the caller reloads and decides again."""
        version = int(doc["version"]) + 1
        change = {
            "_id": change_id(kind, doc["_id"], version),
            "kind": kind,
            "doc_id": doc["_id"],
            "version": version,
            "fields": fields,
            "entry": entry,
            "at": at,
        }
        marker = {"_id": uuid.uuid4().hex, "kind": kind, "doc_id": doc["_id"], "at": _now()}
        await self.store.change_markers.insert_one(marker)
        try:
            await self.store.changes.insert_one({**change, **outbox.initial(*events)})
        except DuplicateKeyError:
            await self.store.change_markers.delete_one({"_id": marker["_id"]})
            return None
        if events:
            self.relay.kick(CHANGES, change["_id"])
        await self._apply(change)
        await self.store.change_markers.delete_one({"_id": marker["_id"]})
        return _applied(doc, change)

    async def _apply(self, change: Doc) -> None:
        update: dict[str, Any] = {"$set": {**change["fields"], "version": change["version"]}}
        if change.get("entry") is not None:
            update["$addToSet"] = {"timeline": change["entry"]}
        await self.store.collection(change["kind"]).update_one(
            {"_id": change["doc_id"], "version": change["version"] - 1}, update
        )

    async def sweep(self, limit: int = 200) -> int:
        """Complete changes whose writer stopped between the change and the view update."""
        stale = await (
            self.store.change_markers.find({"at": {"$lt": _now() - SWEEP_AFTER}})
            .limit(limit)
            .to_list(None)
        )
        for marker in stale:
            await self.load(marker["kind"], marker["doc_id"])
            await self.store.change_markers.delete_one({"_id": marker["_id"]})
        if stale:
            log.info("applications.changes.swept", count=len(stale))
        return len(stale)


def _applied(doc: Doc, change: Doc) -> Doc:
    timeline = list(doc.get("timeline") or [])
    if change.get("entry") is not None and change["entry"] not in timeline:
        timeline.append(change["entry"])
    return {**doc, **change["fields"], "version": change["version"], "timeline": timeline}


def _now() -> datetime:
    return datetime.now(UTC)
