"""Posting search (GET /api/v1/jobs) on the search engine: one multi-search per first page (the
hits with their highlights, the exact count up to 10,000, the facets), one search per later
page. The first page reads the live index; a later page reads a point in time opened for the
walk (the cursor carries it), so paging is stable while postings change. See SEARCH.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

from servicekit.clock import Clock
from servicekit.cursors import InvalidCursor
from servicekit.errors import DomainError
from services.jobs import search_query
from services.jobs.criteria import SearchQuery
from services.jobs.repository_search import EngineRefused, EngineUnavailable, PitGone, SearchEngine
from services.jobs.search_query import SearchCursor

log = structlog.get_logger()

Doc = dict[str, Any]
RETRY_AFTER_SECONDS = 10


class SearchUnavailable(DomainError):
    status, code = 503, "search_unavailable"
    ja = "ただいま求人検索を利用できません。しばらくしてから再度お試しください。"
    en = "Job search is temporarily unavailable. Please try again shortly."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class CursorExpired(DomainError):
    status, code = 410, "cursor_expired"
    ja = "検索結果の有効期限が切れました。最初のページから検索し直してください。"
    en = "These search results have expired. Search again from the first page."


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


class SearchService:
    def __init__(self, *, engine: SearchEngine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    async def search(self, query: SearchQuery) -> Doc:
        order = query.order
        now = self.clock.now()
        position = search_query.decode_cursor(order, query.cursor) if query.cursor else None
        # freshness counts back from the first page's minute for the whole walk (a whole
        # minute: the same freshness filters serve every search of that minute, from the cache)
        first = now.replace(second=0, microsecond=0)
        origin = datetime.fromtimestamp(position.o / 1000, UTC) if position else first
        body = search_query.page_request(
            query, now=now, origin=origin, after=position.a if position else None
        )
        try:
            pit = None
            if position is None:
                # the first page, with its counts: the total and the facets
                result, total, *facets = await self.engine.search_many(
                    [body, *search_query.count_requests(query, now=now)]
                )
                result["hits"]["total"] = total["hits"]["total"]
                result["aggregations"] = {}
                for counted in (total, *facets):
                    result["aggregations"].update(counted.get("aggregations", {}))
            else:
                # the second page opens the walk's point in time; later ones keep it alive
                pit = position.p or await self.engine.open_pit()
                body["pit"] = {"id": pit, "keep_alive": self.engine.settings.search_pit_keep_alive}
                result = await self.engine.search_pit(body)
        except PitGone:
            raise CursorExpired() from None
        except EngineRefused as exc:
            if position is not None:  # what the engine refuses is the cursor's
                if position.p and exc.status == 404:
                    raise CursorExpired() from None
                log.info("jobs.search.cursor_refused", status=exc.status, error=exc.body[:300])
                raise InvalidCursor() from None
            log.error("jobs.search.refused", status=exc.status, error=exc.body[:500])
            raise SearchUnavailable() from exc
        except EngineUnavailable as exc:
            log.warning("jobs.search.unavailable", error=str(exc)[:300])
            raise SearchUnavailable() from exc
        return self._page(query, result, origin, pit=result.get("pit_id") or pit)

    def _page(self, query: SearchQuery, result: Doc, origin: datetime, *, pit: str | None) -> Doc:
        hits = result["hits"]["hits"]
        page = hits[: query.limit]
        items = []
        for hit in page:
            marks = hit.get("highlight") or {}
            item = dict(hit["_source"]["summary"])
            item["highlight"] = {
                "title": (marks.get("title") or [None])[0],
                "duties": (marks.get("duties") or [None])[0],
            }
            items.append(item)
        next_cursor = None
        if len(hits) > query.limit and page:
            next_cursor = search_query.encode_cursor(
                SearchCursor(s=query.order, o=_ms(origin), a=page[-1]["sort"], p=pit)
            )
        out: Doc = {
            "items": items,
            "next_cursor": next_cursor,
            "total": None,
            "total_estimated": False,
            "facets": None,
        }
        if query.cursor is None:
            total = result["hits"]["total"]
            out["total"] = int(total["value"])
            out["total_estimated"] = total["relation"] != "eq"
            out["facets"] = search_query.facets(result["aggregations"])
        return out


__all__ = ["CursorExpired", "InvalidCursor", "SearchService", "SearchUnavailable"]
