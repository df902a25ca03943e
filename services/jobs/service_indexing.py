"""The search index as a projection of the posting events (queue ``jobs.search``): each event
makes the indexer read the posting from MongoDB (the truth) and write its current state with the
posting's version as the engine's external version — open postings indexed, closed and expired
ones deleted — so a repeated, late or reordered event never replaces a newer state.

When the engine is away the event is retried (the consumer's backoff); the indexer also remembers
the oldest write it missed and, once the engine answers again, re-reads every posting changed
since then (``catch_up``), so the index catches up even after the retries have given up. Saved
searches are kept as percolator queries the same way (MongoDB is their truth too)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

import structlog

from services.jobs import search_index, search_query
from services.jobs.criteria import SearchConditions
from services.jobs.repository_lists import ListsRepository
from services.jobs.repository_postings import PostingsRepository
from services.jobs.repository_search import EngineUnavailable, SearchEngine

log = structlog.get_logger()

Doc = dict[str, Any]
BULK = 1000
# writes that raced the rebuild's read are read again from this long before it started
MARGIN = timedelta(seconds=30)


def posting_action(doc: Doc, index: str) -> list[tuple[Doc, Doc | None]]:
    """One bulk action: the current state of a posting at its version."""
    meta = {"_index": index, "_id": doc["_id"], "version": doc["version"]}
    meta["version_type"] = "external"
    if doc["status"] == "open":
        return [({"index": meta}, search_index.document(doc))]
    return [({"delete": meta}, None)]


def saved_search_document(saved: Doc, seeker_id: str) -> Doc:
    conditions = SearchConditions.model_validate(saved["conditions"])
    return {
        "query": search_query.percolator_query(conditions),
        "saved_search_id": saved["saved_search_id"],
        "seeker_id": seeker_id,
        "notify": bool(saved.get("notify", True)),
    }


class Progress:
    """A one-line progress bar on standard error (reindex), or nothing."""

    def __init__(self, label: str, total: int, *, show: bool) -> None:
        self.label, self.total, self.show = label, total, show
        self.done = 0
        self.started = time.perf_counter()

    def add(self, n: int) -> None:
        self.done += n
        if self.show:
            rate = self.done / max(time.perf_counter() - self.started, 1e-6)
            share = self.done / self.total * 100 if self.total else 100.0
            bar = "#" * int(share / 4)
            sys.stderr.write(
                f"\r  {self.label:<15} [{bar:<25}] {self.done:>10,} / {self.total:,} "
                f"({share:5.1f} %) {rate:,.0f}/s"
            )
            sys.stderr.flush()

    def end(self) -> None:
        if self.show:
            sys.stderr.write("\n")


class IndexingService:
    def __init__(
        self, *, engine: SearchEngine, postings: PostingsRepository, lists: ListsRepository
    ) -> None:
        self.engine = engine
        self.postings = postings
        self.lists = lists
        self.behind_since: datetime | None = None
        self.needs_fill = False

    # --- start-up ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Make the indices when missing; never blocks the service's start when the engine is
        away (the catch-up loop tries again)."""
        try:
            if await self.engine.ensure():
                self.needs_fill = True  # a new, empty index: filled from MongoDB in the loop
        except EngineUnavailable as exc:
            log.warning("jobs.search.engine_unavailable", error=str(exc)[:300])

    async def _ready(self) -> None:
        if not self.engine.ready:
            await self.start()
            if not self.engine.ready:
                raise EngineUnavailable("the search indices are not there yet")

    # --- events --------------------------------------------------------------------------------

    async def posting_event(self, *, job_id: str) -> None:
        doc = await self.postings.get(job_id)
        if doc is None:
            return
        try:
            await self._ready()
            if doc["status"] == "open":
                written = await self.engine.put(job_id, search_index.document(doc), doc["version"])
            else:
                written = await self.engine.remove(job_id, doc["version"])
        except EngineUnavailable:
            self._missed(doc["updated_at"])
            raise
        log.info("jobs.search.indexed", job_id=job_id, version=doc["version"], written=written)

    def _missed(self, at: datetime) -> None:
        if self.behind_since is None or at < self.behind_since:
            self.behind_since = at

    async def saved_search_saved(self, saved: Doc, seeker_id: str) -> None:
        """Best effort at once (MongoDB has it; a failure is caught up by the loop)."""
        try:
            await self._ready()
            await self.engine.put_saved_search(
                saved["saved_search_id"], saved_search_document(saved, seeker_id)
            )
        except EngineUnavailable as exc:
            log.warning("jobs.search.saved_search_deferred", error=str(exc)[:200])
            self.needs_fill = True

    async def saved_search_deleted(self, saved_search_id: str) -> None:
        try:
            await self._ready()
            await self.engine.delete_saved_search(saved_search_id)
        except EngineUnavailable as exc:
            log.warning("jobs.search.saved_search_deferred", error=str(exc)[:200])
            self.needs_fill = True

    async def seeker_cleared(self, seeker_id: str) -> None:
        """A consumer's step: raises when the engine is away, so the event is retried."""
        await self._ready()
        await self.engine.delete_saved_searches_of(seeker_id)

    # --- bulk: fill, catch up, rebuild ----------------------------------------------------------

    async def write_postings(
        self, docs: AsyncIterator[Doc], index: str, progress: Progress | None = None
    ) -> int:
        async def actions() -> AsyncIterator[list[tuple[Doc, Doc | None]]]:
            async for doc in docs:
                yield posting_action(doc, index)

        return await self._bulk(actions(), progress)

    async def write_saved_searches(self, index: str, progress: Progress | None = None) -> int:
        async def actions() -> AsyncIterator[list[tuple[Doc, Doc | None]]]:
            async for seeker_id, saved in self.lists.all_saved_searches():
                meta = {"_index": index, "_id": saved["saved_search_id"]}
                yield [({"index": meta}, saved_search_document(saved, seeker_id))]

        return await self._bulk(actions(), progress)

    async def _bulk(
        self,
        actions: AsyncIterator[list[tuple[Doc, Doc | None]]],
        progress: Progress | None,
    ) -> int:
        """Bulk writes of ``BULK`` actions at a time; how many documents went in."""
        batch: list[tuple[Doc, Doc | None]] = []
        count = 0
        async for action in actions:
            batch.extend(action)
            count += 1
            if len(batch) >= BULK:
                await self.engine.bulk(batch)
                if progress:
                    progress.add(len(batch))
                batch = []
        if batch:
            await self.engine.bulk(batch)
            if progress:
                progress.add(len(batch))
        return count

    async def catch_up(self) -> None:
        """One round of the loop: indices made, a new index filled, missed writes re-read."""
        await self._ready()
        if self.needs_fill:
            self.needs_fill = False
            try:
                n = await self.write_postings(self.postings.all_open(), self.engine.postings)
                s = await self.write_saved_searches(self.engine.saved_searches)
            except EngineUnavailable:
                self.needs_fill = True
                raise
            log.info("jobs.search.filled", postings=n, saved_searches=s)
        since = self.behind_since
        if since is not None:
            n = await self.write_postings(
                self.postings.updated_since(since - MARGIN), self.engine.postings
            )
            if self.behind_since == since:  # nothing new was missed meanwhile
                self.behind_since = None
            log.info("jobs.search.caught_up", since=since.isoformat(), postings=n)

    def loop(self, interval: float) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
        async def run(stop: asyncio.Event) -> None:
            while True:
                if not self.engine.ready or self.needs_fill or self.behind_since is not None:
                    try:
                        await self.catch_up()
                    except EngineUnavailable as exc:
                        log.info("jobs.search.catch_up_waiting", error=str(exc)[:200])
                    except Exception as exc:  # the next round tries again
                        log.warning("jobs.search.catch_up_failed", error=repr(exc)[:300])
                try:
                    await asyncio.wait_for(stop.wait(), timeout=interval)
                    return
                except TimeoutError:
                    pass

        return run
