"""Posting search (GET /api/v1/jobs): the conditions become one MongoDB query on indexed fields;
keywords of three or more characters, and exclusions, are verified exactly in Python on the
candidates; pages are keyset pages in a stable order. See SEARCH.md."""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from servicekit.clock import Clock
from services.jobs import documents
from services.jobs.criteria import (
    SORT_KEYS,
    SearchQuery,
    decode_cursor,
    encode_cursor,
    keyset_after,
)
from services.jobs.repository import Doc
from services.jobs.repository_postings import PostingsRepository
from services.jobs.settings import JobsSettings

log = structlog.get_logger()


@dataclass
class Scan:
    """One page's walk over the candidates in sort order."""

    items: list[Doc] = field(default_factory=list)
    scanned: int = 0
    passed: int = 0
    exhausted: bool = False
    next_cursor: str | None = None


class SearchService:
    def __init__(
        self, *, postings: PostingsRepository, settings: JobsSettings, clock: Clock
    ) -> None:
        self.postings = postings
        self.settings = settings
        self.clock = clock

    async def search(self, query: SearchQuery) -> Doc:
        now = self.clock.now()
        base = query.to_filter(now)
        check = query.keywords.needs_check
        scan = await self._scan(query, base, check)
        result: Doc = {
            "items": [documents.summary(d, now) for d in scan.items],
            "next_cursor": scan.next_cursor,
            "total": None,
            "total_estimated": False,
        }
        if query.cursor is None:  # the total comes with the first page
            result["total"], result["total_estimated"] = await self._total(base, query, scan)
        return result

    async def _scan(self, query: SearchQuery, base: Doc, check: bool) -> Scan:
        sort, limit = query.sort, query.limit
        projection = {**documents.SUMMARY_PROJECTION, **({"text": 1} if check else {})}
        batch = limit + 1 if not check else max(3 * limit, 60)
        position = decode_cursor(sort, query.cursor) if query.cursor else None
        kw = query.keywords
        scan = Scan()
        last: Doc | None = None
        while True:
            q = base if position is None else {"$and": [base, position]}
            docs = await self.postings.find(
                q, sort=SORT_KEYS[sort], limit=batch, projection=projection
            )
            for doc in docs:
                scan.scanned += 1
                last = doc
                if not check or kw.matches(doc["text"]):
                    scan.passed += 1
                    scan.items.append(doc)
                if len(scan.items) > limit:
                    scan.items = scan.items[:limit]
                    scan.next_cursor = encode_cursor(sort, scan.items[-1])
                    return scan
            if len(docs) < batch:
                scan.exhausted = True
                return scan
            assert last is not None
            if scan.scanned >= self.settings.search_scan_cap:
                # a short page: the next one goes on after the last candidate looked at
                scan.next_cursor = encode_cursor(sort, last)
                log.info("jobs.search.scan_capped", scanned=scan.scanned, found=len(scan.items))
                return scan
            position = keyset_after(sort, last)

    async def _total(self, base: Doc, query: SearchQuery, scan: Scan) -> tuple[int, bool]:
        """Exact when small; when large an estimate (or, past the time budget, a lower bound)."""
        keywords = query.keywords
        check = keywords.needs_check
        if scan.exhausted:
            return len(scan.items), False
        cap = self.settings.count_exact_cap
        candidates = await self.postings.count(base, limit=cap + 1)
        assert candidates is not None
        if candidates > cap:
            full = await self.postings.count(base, max_ms=self.settings.count_budget_ms)
            if full is None:
                return cap, True  # at least this many
            candidates = full
        if not check:
            return candidates, False
        if candidates <= self.settings.count_verify_cap:
            texts = await self.postings.find(
                base, sort=[("_id", 1)], limit=candidates, projection={"text": 1}
            )
            return sum(1 for d in texts if keywords.matches(d["text"])), False
        ratio = scan.passed / scan.scanned if scan.scanned else 1.0
        return round(candidates * ratio), True
