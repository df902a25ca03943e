"""The search engine (OpenSearch over HTTP): the only place that talks to it, as repository.py is
for MongoDB. aiohttp, not httpx, like the gateway: a search page is one engine request, and
aiohttp spends several times less CPU on it (kept-alive connections, one pool per process). Postings and saved searches each live in an index behind an alias
(``<prefix>postings`` → ``<prefix>postings-v1``); writes carry the posting's version as an
external version, so a repeated or late event never replaces a newer state."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import Any

import aiohttp
import structlog

from services.jobs import search_index
from services.jobs.settings import JobsSettings

log = structlog.get_logger()

Doc = dict[str, Any]


class EngineUnavailable(Exception):
    """The engine did not answer, or answered with a server error: try again later."""


class PitGone(Exception):
    """The point in time of a cursor has expired (or was never the engine's)."""


class EngineRefused(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"{status}: {body[:500]}")
        self.status = status
        self.body = body


class SearchEngine:
    def __init__(self, settings: JobsSettings) -> None:
        self.settings = settings
        self.prefix = settings.index_prefix
        self.postings = f"{self.prefix}-{search_index.POSTINGS}"
        self.saved_searches = f"{self.prefix}-{search_index.SAVED_SEARCHES}"
        self.url = settings.opensearch_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._kuromoji: bool | None = None
        self.ready = False

    def _http(self) -> aiohttp.ClientSession:
        """One session per process, made on first use (inside the event loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=64, limit_per_host=0, keepalive_timeout=30),
                timeout=aiohttp.ClientTimeout(
                    total=self.settings.search_timeout_seconds, sock_connect=1.0
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                # no Accept-Encoding: compressing on loopback costs both sides CPU for nothing
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    # --- transport -----------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, Any] | None = None,
        ok: Sequence[int] = (200, 201),
        content: bytes | None = None,
    ) -> tuple[int, Doc]:
        headers = {"Content-Type": "application/x-ndjson"} if content is not None else {}
        if content is None and body is not None:
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            headers = {"Content-Type": "application/json"}
        query = {k: str(v) for k, v in (params or {}).items()}
        for attempt in (1, 2):
            try:
                async with self._http().request(
                    method,
                    self.url + path,
                    data=content,
                    params=query,
                    headers=headers,
                ) as resp:
                    status, raw = resp.status, await resp.read()
                break
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                # a kept-alive connection the engine had closed: once more on a fresh one
                if attempt == 2:
                    raise EngineUnavailable(repr(exc)) from exc
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise EngineUnavailable(repr(exc) or "timeout") from exc
        if status in ok:
            return status, json.loads(raw) if raw else {}
        text = raw.decode(errors="replace")
        if status >= 500 or status == 429:
            if "search_context_missing" in text:
                raise PitGone()
            raise EngineUnavailable(f"{status}: {text[:300]}")
        if status == 404 and "search_context_missing" in text:
            raise PitGone()
        raise EngineRefused(status, text)

    # --- indices -------------------------------------------------------------------------------

    async def kuromoji(self) -> bool:
        """Whether the cluster has the kuromoji analysis plugin (the index is made without the
        word subfields otherwise)."""
        if self._kuromoji is None:
            try:
                await self.call(
                    "POST", "/_analyze", {"tokenizer": "kuromoji_tokenizer", "text": "求人"}
                )
                self._kuromoji = True
            except EngineRefused:
                self._kuromoji = False
        return self._kuromoji

    async def indices_of(self, alias: str) -> list[str]:
        status, body = await self.call("GET", f"/_alias/{alias}", ok=(200, 404))
        return sorted(body) if status == 200 else []

    async def create_index(self, name: str, body: Doc) -> bool:
        """False when it exists already (another process made it)."""
        try:
            await self.call("PUT", f"/{name}", body)
            return True
        except EngineRefused as exc:
            if "resource_already_exists" in exc.body:
                return False
            raise

    async def ensure(self) -> bool:
        """Both indices and their aliases, when missing. True when the postings index was made
        just now (then it is empty and needs filling from MongoDB)."""
        kuromoji = await self.kuromoji()
        version = search_index.MAPPING_VERSION
        made = False
        existing = await self.indices_of(self.postings)
        if not existing:
            body = search_index.index_body(
                kuromoji,
                refresh_interval=self.settings.search_refresh_interval,
                alias=self.postings,
            )
            made = await self.create_index(f"{self.postings}-v{version}", body)
        older = [] if made else [self.postings]
        if not await self.indices_of(self.saved_searches):
            body = search_index.percolator_body(kuromoji, alias=self.saved_searches)
            await self.create_index(f"{self.saved_searches}-v{version}", body)
        else:
            older.append(self.saved_searches)
        for alias in older:
            # an index made by an older version: add the fields added since (additive, so
            # harmless when they are there already)
            added = {"properties": search_index.CONDITION_PROPERTIES}
            await self.call("PUT", f"/{alias}/_mapping", added)
        if any(mapping_version(name) < version for name in existing):
            # what a new mapping cannot change in place (a sort, analyzers) waits for a rebuild
            log.warning(
                "jobs.search.index_outdated",
                indices=existing,
                mapping_version=version,
                hint="python -m services.jobs.reindex",
            )
        self.ready = True
        log.info(
            "jobs.search.index_ready",
            alias=self.postings,
            kuromoji=kuromoji,
            made=made,
        )
        return made

    async def swap_alias(self, alias: str, new: str) -> list[str]:
        """Point ``alias`` at ``new`` alone, in one atomic step; the indices it left."""
        old = await self.indices_of(alias)
        actions: list[Doc] = [{"remove": {"index": name, "alias": alias}} for name in old]
        actions.append({"add": {"index": new, "alias": alias}})
        await self.call("POST", "/_aliases", {"actions": actions})
        return [name for name in old if name != new]

    async def delete_index(self, name: str) -> None:
        await self.call("DELETE", f"/{name}", ok=(200, 404))

    async def delete_indices(self, pattern: str) -> None:
        await self.call("DELETE", f"/{pattern}", params={"expand_wildcards": "all"}, ok=(200, 404))

    async def set_refresh(self, name: str, interval: str) -> None:
        await self.call("PUT", f"/{name}/_settings", {"index": {"refresh_interval": interval}})

    async def refresh(self, name: str) -> None:
        await self.call("POST", f"/{name}/_refresh")

    async def count(self, name: str) -> int:
        status, body = await self.call("GET", f"/{name}/_count", ok=(200, 404))
        return int(body.get("count", 0)) if status == 200 else 0

    # --- postings ------------------------------------------------------------------------------

    async def put(self, job_id: str, doc: Doc, version: int) -> bool:
        """False when the index holds this version or a newer one already."""
        status, _ = await self.call(
            "PUT",
            f"/{self.postings}/_doc/{job_id}",
            doc,
            params={"version": version, "version_type": "external"},
            ok=(200, 201, 409),
        )
        return status != 409

    async def remove(self, job_id: str, version: int) -> bool:
        """Delete at ``version`` (remembered, so an older write that comes late is refused)."""
        status, _ = await self.call(
            "DELETE",
            f"/{self.postings}/_doc/{job_id}",
            params={"version": version, "version_type": "external"},
            ok=(200, 404, 409),
        )
        return status != 409

    async def bulk(self, actions: list[tuple[Doc, Doc | None]], *, refresh: bool = False) -> int:
        """Index/delete actions in one request; the number refused for an older version
        (conflicts are expected: an event may have written a newer state meanwhile)."""
        lines: list[str] = []
        for action, source in actions:
            lines.append(json.dumps(action, ensure_ascii=False, separators=(",", ":")))
            if source is not None:
                lines.append(json.dumps(source, ensure_ascii=False, separators=(",", ":")))
        payload = ("\n".join(lines) + "\n").encode()
        _, body = await self.call(
            "POST",
            "/_bulk",
            content=payload,
            params={"refresh": "true"} if refresh else {"filter_path": "errors,items.*.status"},
        )
        if not body.get("errors"):
            return 0
        conflicts = 0
        for item in body.get("items", []):
            result = next(iter(item.values()))
            status = result.get("status", 200)
            if status == 409:
                conflicts += 1
            elif status >= 300 and status != 404:
                raise EngineUnavailable(f"bulk item failed: {str(result)[:300]}")
        return conflicts

    # --- search --------------------------------------------------------------------------------

    async def search_pit(self, body: Doc) -> Doc:
        """A later page: its point in time names what is read."""
        _, result = await self.call("POST", "/_search", body)
        return result

    async def search_many(self, bodies: list[Doc]) -> list[Doc]:
        """Several searches of the postings in one multi-search (run side by side by the engine);
        an error in any of them fails the whole (as one search would)."""
        lines: list[str] = []
        for body in bodies:
            lines.append("{}")
            lines.append(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
        payload = ("\n".join(lines) + "\n").encode()
        _, result = await self.call("POST", f"/{self.postings}/_msearch", content=payload)
        answers: list[Doc] = result["responses"]
        for answer in answers:
            if "error" in answer:
                status = int(answer.get("status", 500))
                text = json.dumps(answer["error"], ensure_ascii=False)
                if status >= 500 or status == 429:
                    raise EngineUnavailable(f"{status}: {text[:300]}")
                raise EngineRefused(status, text)
        return answers

    async def open_pit(self) -> str:
        _, body = await self.call(
            "POST",
            f"/{self.postings}/_search/point_in_time",
            params={"keep_alive": self.settings.search_pit_keep_alive},
        )
        return str(body["pit_id"])

    async def close_pit(self, pit_id: str) -> None:
        await self.call("DELETE", "/_search/point_in_time", {"pit_id": [pit_id]}, ok=(200, 404))

    # --- saved searches (percolator) -----------------------------------------------------------

    async def put_saved_search(self, saved_search_id: str, doc: Doc) -> None:
        await self.call(
            "PUT", f"/{self.saved_searches}/_doc/{saved_search_id}", doc, params={"refresh": "true"}
        )

    async def delete_saved_search(self, saved_search_id: str) -> None:
        await self.call(
            "DELETE",
            f"/{self.saved_searches}/_doc/{saved_search_id}",
            params={"refresh": "true"},
            ok=(200, 404),
        )

    async def delete_saved_searches_of(self, seeker_id: str) -> None:
        await self.call(
            "POST",
            f"/{self.saved_searches}/_delete_by_query",
            {"query": {"term": {"seeker_id": seeker_id}}},
            params={"refresh": "true", "conflicts": "proceed"},
        )

    async def matching_saved_searches(self, document: Doc, *, page: int = 500) -> list[Doc]:
        """Every saved search (with notification on) whose stored query matches this posting:
        the posting percolated once (one request per ``page`` matches)."""
        query = {
            "bool": {
                "filter": [
                    {"percolate": {"field": "query", "document": document}},
                    {"term": {"notify": True}},
                ]
            }
        }
        found: list[Doc] = []
        after: list[Any] | None = None
        while True:
            body: Doc = {
                "size": page,
                "_source": ["saved_search_id", "seeker_id"],
                "sort": [{"saved_search_id": "asc"}],
                "query": query,
            }
            if after is not None:
                body["search_after"] = after
            _, result = await self.call("POST", f"/{self.saved_searches}/_search", body)
            hits = result["hits"]["hits"]
            found += [hit["_source"] for hit in hits]
            if len(hits) < page:
                return found
            after = hits[-1]["sort"]


def mapping_version(index: str) -> int:
    """The mapping version in an index's name (``<alias>-v3``, ``<alias>-v3-<stamp>``); 0 for a
    name this service did not give."""
    found = re.search(r"-v(\d+)(?:-\d+)?$", index)
    return int(found.group(1)) if found else 0


def stamp() -> str:
    """A suffix for a rebuilt index's name: sortable, unique enough for one operator."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime())
