"""Posting search on OpenSearch, through the gateway, in three parts:

    .venv/bin/python benchmarks/search.py [--count 1300000] [--queries 300] [--levels 1,8,32]
                                          [--demo 3000] [--visibility 30] [--parts a,b,c]

(a) ``--count`` synthetic postings (the seed's generator) loaded straight into an index with the
    production mapping (``search_index``), bulk, from parallel generator processes — kept between
    runs (index ``bench-big-postings-v<mapping version>``; reused when it holds ``--count``
    documents, since the load takes minutes). ``python -m services.jobs`` (on it) and ``python -m
    gateway`` run as subprocesses; after a warm-up pass, a mix of keyword + condition searches
    (first pages: exact totals up to 10,000, facets, highlights) at each concurrency of
    ``--levels``: p50/p95 and queries/s through the gateway, then the same engine requests (the
    page, its total and facet counts, one ``_msearch``) sent straight to OpenSearch: the
    engine's own ``took``, its HTTP answer, and the ratios gateway ÷ engine. A reused index gets
    this code's mapping (its updatable parameters) first.
(b) ``--demo`` demo postings (seed, into MongoDB; the service fills its new index from MongoDB on
    start), p50/p95 through the gateway.
(c) a posting published, changed, closed → visible in search (in-process service, real broker and
    engine): p50/p95 of the time from the write's answer to the search that shows it.

Needs the engine (``make infra``); for 1.3M postings give it a larger heap. A second node of
its own, so that the big index stays off the shared one (own data dir, port 9201)::

    HATARAKU_DATA=$PWD/.data/opensearch-bench OPENSEARCH_URL=http://127.0.0.1:9201 \\
        OPENSEARCH_HEAP=2g bash deploy/local/opensearch.sh start   # (… stop when done)
    OPENSEARCH_URL=http://127.0.0.1:9201 .venv/bin/python benchmarks/search.py

(link ``.data/opensearch-bench/build/opensearch`` to ``../../build/opensearch`` first to reuse
the launcher already built). The databases, broker names and indices of (b) and (c) are removed
afterwards (``--drop-big`` also drops the big index).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.jobs import documents, search_index, search_query  # noqa: E402
from services.jobs.criteria import SearchQuery  # noqa: E402
from services.jobs.domain import end_of_month_after_next, today_jst  # noqa: E402
from services.jobs.repository import Store  # noqa: E402
from services.jobs.seed import make_body, make_employers, seed  # noqa: E402

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MONGODB_URL = os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017/")
OPENSEARCH_URL = os.environ.get("OPENSEARCH_URL", "http://127.0.0.1:9200")
RUN = uuid.uuid4().hex[:6]
PREFIX = f"bench{RUN}."
BIG = "bench-big"  # index prefix of the big index (kept)
CHUNK = 5000

# what people search for: keywords (full- and half-width), places, occupations, wages, orders
MIX: list[dict[str, Any]] = [
    {"q": "エンジニア"},
    {"q": "介護", "prefecture": "13"},
    {"q": "ドライバー", "wage_min": 250000},
    {"prefecture": "27,28", "employment_type": "full_time"},
    {"occupation": "E", "new_within_days": 14},
    {"q": "事務 -派遣", "prefecture": "13,14,11"},
    {"q": "ｴﾝｼﾞﾆｱ", "remote": "true"},
    {"q": "看護師", "sort": "wage"},
    {"occupation": "H", "no_experience_required": "true"},
    {"q": "フォークリフト", "prefecture": "23"},
    {"wage_min": 1200, "wage_unit": "hourly", "employment_type": "part_time"},
    {"q": "未経験 歓迎", "prefecture": "40"},
    {"q": "介護 OR 看護", "sort": "deadline"},
    {"q": "営業", "fields": "title"},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def run_load(
    call: Callable[[dict[str, Any]], Awaitable[None]],
    queries: list[dict[str, Any]],
    concurrency: int,
) -> tuple[list[float], float]:
    latencies: list[float] = []
    todo = list(queries)

    async def worker() -> None:
        while todo:
            params = todo.pop()
            started = time.perf_counter()
            await call(params)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


# --- (a) loading the big index -------------------------------------------------------------------


def _chunk(args: tuple[int, int]) -> bytes:
    """NDJSON bulk lines of ``n`` synthetic postings (a generator process)."""
    start, n = args
    rng = random.Random(start)
    employers = make_employers(rng, 200)
    now = datetime.now(UTC)
    lines: list[str] = []
    index = f"{BIG}-{search_index.POSTINGS}-v{search_index.MAPPING_VERSION}"
    for i in range(start, start + n):
        employer = rng.choice(employers)
        published = now - timedelta(seconds=rng.randrange(45 * 86400))
        doc = documents.new_posting(
            job_id=uuid.UUID(int=i).hex,
            job_number=f"{employer['office_code']}-{i:08d}",
            employer=employer,
            body=make_body(rng, employer),
            now=published,
            valid_until=end_of_month_after_next(today_jst(now)),
        )
        lines.append(json.dumps({"index": {"_index": index, "_id": doc["_id"]}}))
        lines.append(json.dumps(search_index.document(doc), ensure_ascii=False, default=str))
    return ("\n".join(lines) + "\n").encode()


async def load_big(http: httpx.AsyncClient, count: int) -> str:
    alias = f"{BIG}-{search_index.POSTINGS}"
    index = f"{alias}-v{search_index.MAPPING_VERSION}"
    resp = await http.get(f"/{index}/_count")
    if resp.status_code == 200 and resp.json()["count"] == count:
        # the mapping of this code (updatable parameters such as eager global ordinals)
        kuromoji = '"ja"' in json.dumps((await http.get(f"/{index}/_mapping")).json())
        properties = search_index.properties(kuromoji)
        (await http.put(f"/{index}/_mapping", json={"properties": properties})).raise_for_status()
        return f"reused {index} ({count:,} postings)"
    await http.delete(f"/{index}")
    kuromoji = (
        await http.post("/_analyze", json={"tokenizer": "kuromoji_tokenizer", "text": "求人"})
    ).status_code == 200
    body = search_index.index_body(kuromoji, refresh_interval="-1", alias=alias)
    body["settings"]["index"]["translog.durability"] = "async"
    (await http.put(f"/{index}", json=body)).raise_for_status()
    started = time.perf_counter()
    done = 0
    sends: set[asyncio.Task[None]] = set()

    async def send(payload: bytes, n: int) -> None:
        nonlocal done
        resp = await http.post(
            "/_bulk",
            content=payload,
            headers={"Content-Type": "application/x-ndjson"},
            params={"filter_path": "errors"},
        )
        resp.raise_for_status()
        if resp.json().get("errors"):
            raise RuntimeError("bulk errors")
        done += n
        rate = done / (time.perf_counter() - started)
        sys.stderr.write(f"\r  loading {done:>10,} / {count:,}  {rate:,.0f}/s")

    loop = asyncio.get_running_loop()
    chunks = [(s, min(CHUNK, count - s)) for s in range(0, count, CHUNK)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = [loop.run_in_executor(pool, _chunk, c) for c in chunks[:4]]
        nxt = 4
        for i in range(len(chunks)):
            payload = await futures[i]
            if nxt < len(chunks):
                futures.append(loop.run_in_executor(pool, _chunk, chunks[nxt]))
                nxt += 1
            while len(sends) >= 2:
                finished, _ = await asyncio.wait(sends, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    task.result()
                sends -= finished
            sends.add(asyncio.create_task(send(payload, chunks[i][1])))
        for task in sends:
            await task
    sys.stderr.write("\n")
    await http.put(f"/{index}/_settings", json={"index": {"refresh_interval": "500ms"}})
    await http.post(f"/{index}/_refresh")
    await http.post(f"/{index}/_forcemerge", params={"max_num_segments": 5}, timeout=3600)
    took = time.perf_counter() - started
    return f"loaded {count:,} postings in {took:.0f} s ({count / took:,.0f}/s)"


# --- services as processes -------------------------------------------------------------------------


def start(module: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", module], cwd=ROOT, env={**os.environ, "LOG_LEVEL": "WARNING", **env}
    )


def start_jobs(port: int, db: str, prefix: str) -> subprocess.Popen[bytes]:
    return start(
        "services.jobs",
        {
            "MONGODB_URL": MONGODB_URL,
            "AMQP_URL": AMQP_URL,
            "OPENSEARCH_URL": OPENSEARCH_URL,
            "DB_NAME": db,
            "BUS_PREFIX": PREFIX,
            "SEARCH_INDEX_PREFIX": prefix,
            "HTTP_PORT": str(port),
            "EXPIRY_INTERVAL_SECONDS": "86400",
        },
    )


def start_gateway(port: int, jobs_port: int) -> subprocess.Popen[bytes]:
    return start(
        "gateway",
        {
            "MONGODB_URL": MONGODB_URL,
            "DB_NAME": f"bench{RUN}_gateway",
            "HTTP_PORT": str(port),
            "INTERNAL_PORT": str(free_port()),
            "JOBS_URL": f"http://127.0.0.1:{jobs_port}",
        },
    )


async def wait_ready(client: httpx.AsyncClient, proc: subprocess.Popen[bytes], path: str) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"a process exited with {proc.returncode}")
        try:
            if (await client.get(path)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.3)
    raise RuntimeError("not ready in time")


def stop(*procs: subprocess.Popen[bytes] | None) -> None:
    for p in procs:
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


class Served:
    """The jobs service on an index prefix, and the gateway in front of it."""

    def __init__(self, db: str, prefix: str) -> None:
        self.db, self.prefix = db, prefix
        self.procs: list[subprocess.Popen[bytes]] = []

    async def __aenter__(self) -> httpx.AsyncClient:
        jobs_port, gw_port = free_port(), free_port()
        jobs = start_jobs(jobs_port, self.db, self.prefix)
        self.procs.append(jobs)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{jobs_port}") as c:
            await wait_ready(c, jobs, "/readyz")
        gw = start_gateway(gw_port, jobs_port)
        self.procs.append(gw)
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        self.client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{gw_port}", timeout=60, limits=limits
        )
        await wait_ready(self.client, gw, "/healthz")
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
        stop(*reversed(self.procs))


def via(client: httpx.AsyncClient) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def call(params: dict[str, Any]) -> None:
        resp = await client.get("/api/v1/jobs", params=params)
        if resp.status_code != 200:
            raise RuntimeError(f"{resp.status_code}: {resp.text[:300]}")

    return call


def engine_call(
    http: httpx.AsyncClient, alias: str, took: list[float]
) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """The same requests the service sends for a first page (the page, the total and the facet
    counts, one multi-search), straight to the engine."""

    async def call(params: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        query = SearchQuery.model_validate(params)
        bodies = [
            search_query.page_request(query, now=now, origin=now, after=None),
            *search_query.count_requests(query, now=now),
        ]
        lines = [line for b in bodies for line in ("{}", json.dumps(b, ensure_ascii=False))]
        resp = await http.post(
            f"/{alias}/_msearch",
            content=("\n".join(lines) + "\n").encode(),
            headers={"Content-Type": "application/x-ndjson"},
        )
        resp.raise_for_status()
        took.append(float(resp.json()["took"]))

    return call


def row(name: str, ms: list[float], wall: float | None = None) -> str:
    rate = f"{len(ms) / wall:>9.1f}" if wall else f"{'':>9}"
    return (
        f"  {name:<34} {len(ms):>5} {percentile(ms, 0.5):>8.1f} {percentile(ms, 0.95):>8.1f} "
        f"{statistics.mean(ms):>8.1f} {rate}"
    )


HEADER = f"  {'':<34} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'q/s':>9}"


async def measure(
    client: httpx.AsyncClient, http: httpx.AsyncClient, alias: str, levels: list[int], n: int
) -> list[str]:
    out = [HEADER]
    queries = [MIX[i % len(MIX)] for i in range(n)]
    random.Random(3).shuffle(queries)
    # warm-up: every query once through the gateway and once straight to the engine, so that
    # the figures are a running service's (the engine's JIT and filter cache, the processes'
    # connections), not those of the first seconds after a start
    await run_load(via(client), queries, 8)
    await run_load(engine_call(http, alias, []), queries, 8)
    for level in levels:
        gw, gw_wall = await run_load(via(client), queries, level)
        took: list[float] = []
        eng, eng_wall = await run_load(engine_call(http, alias, took), queries, level)
        gw_ms = [x * 1000 for x in gw]
        eng_ms = [x * 1000 for x in eng]
        out.append(row(f"gateway, concurrency {level}", gw_ms, gw_wall))
        out.append(row(f"engine HTTP, concurrency {level}", eng_ms, eng_wall))
        out.append(row(f"engine took, concurrency {level}", took))
        for name, base in (("engine took", took), ("engine HTTP", eng_ms)):
            out.append(
                f"  {'':<34} gateway ÷ {name}: p50 "
                f"{percentile(gw_ms, 0.5) / max(percentile(base, 0.5), 0.5):.2f}, p95 "
                f"{percentile(gw_ms, 0.95) / max(percentile(base, 0.95), 0.5):.2f}"
            )
    return out


# --- (c) visibility ------------------------------------------------------------------------------


async def visibility(samples: int) -> list[str]:
    from servicekit.logging import configure_logging
    from services.jobs.app import create_app
    from services.jobs.settings import JobsSettings
    from tests.conftest import running
    from tests.jobs.support import Identity, Tokens, posting

    db = f"bench{RUN}_jobsvis"
    settings = JobsSettings(
        mongodb_url=MONGODB_URL,
        amqp_url=AMQP_URL,
        opensearch_url=OPENSEARCH_URL,
        db_name=db,
        bus_prefix=PREFIX,
        log_level="WARNING",
        outbox_poll_seconds=0.5,
    )
    configure_logging(service="bench", level="WARNING", json=False)  # the in-process service's
    tokens = Tokens(settings)
    app = create_app(settings, verifier=tokens.verifier())
    results: dict[str, list[float]] = {"published": [], "changed": [], "closed": []}
    async with running(app) as client:
        identity = Identity(settings)
        await identity.start()
        employer = await identity.employer()
        employers = app.state.runtime.db["employers"]
        while not await employers.find_one({"_id": employer}):
            await asyncio.sleep(0.05)
        headers = tokens.employer(employer)

        async def until(params: dict[str, Any], count: int) -> float:
            started = time.perf_counter()
            while True:
                resp = await client.get("/api/v1/jobs", params=params)
                if len(resp.json()["items"]) == count:
                    return time.perf_counter() - started
                await asyncio.sleep(0.01)

        for i in range(samples):
            word = f"zzvis{RUN}{i:04d}"
            resp = await client.post(
                "/api/v1/jobs", json=posting(description=f"倉庫 {word}"), headers=headers
            )
            job = f"/api/v1/jobs/{resp.json()['job_id']}"
            results["published"].append(await until({"q": word}, 1))
            await client.patch(job, json={"title": f"検品 {word}x"}, headers=headers)
            results["changed"].append(await until({"q": f"{word}x"}, 1))
            await client.post(job + "/close", headers=headers)
            results["closed"].append(await until({"q": word}, 0))
        await identity.stop()
        engine = app.state.jobs.search.engine
        await engine.delete_indices(f"{engine.prefix}-*")
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_URL)
    await mongo.drop_database(db)
    await mongo.close()
    out = [HEADER.replace("q/s", "")]
    for what, values in results.items():
        out.append(row(f"{what} → visible", [v * 1000 for v in values]))
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1_300_000)
    parser.add_argument("--queries", type=int, default=300, help="searches per level")
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--demo", type=int, default=3000)
    parser.add_argument("--visibility", type=int, default=30, help="postings (each 3 writes)")
    parser.add_argument("--parts", default="a,b,c", help="which of (a), (b), (c) to run")
    parser.add_argument("--skip-big", action="store_true", help="the same as --parts b,c")
    parser.add_argument("--drop-big", action="store_true")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    parts = set(args.parts.split(",")) - ({"a"} if args.skip_big else set())
    report: list[str] = []
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_URL, tz_aware=True)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    http = httpx.AsyncClient(base_url=OPENSEARCH_URL, timeout=600, limits=limits)
    try:
        info = (await http.get("/")).json()
        report.append(f"OpenSearch {info['version']['number']} at {OPENSEARCH_URL}")
        if "a" in parts:
            what = await load_big(http, args.count)
            report.append(f"(a) {args.count:,} synthetic postings: {what}")
            async with Served(f"bench{RUN}_jobsbig", BIG) as client:
                report += await measure(
                    client, http, f"{BIG}-{search_index.POSTINGS}", levels, args.queries
                )
            if args.drop_big:
                await http.delete(f"/{BIG}-*")

        if "b" in parts:
            report += await demo(http, mongo, args.demo, args.queries)
        if "c" in parts:
            report.append(
                f"(c) publish / change / close → visible in search, {args.visibility} each"
            )
            report += await visibility(args.visibility)
    finally:
        await mongo.drop_database(f"bench{RUN}_gateway")
        await mongo.drop_database(f"bench{RUN}_jobsbig")
        await mongo.close()
        await http.aclose()
        from tests.conftest import _cleanup_broker

        await _cleanup_broker(PREFIX)
    print("\n".join(report))


async def demo(
    http: httpx.AsyncClient, mongo: AsyncMongoClient[dict[str, Any]], count: int, queries: int
) -> list[str]:
    """(b): demo postings seeded into MongoDB, indexed by the service itself on start."""
    report: list[str] = []
    db = f"bench{RUN}_jobs"
    started = time.perf_counter()
    await seed(
        Store(mongo[db]),
        count=count,
        employers=max(50, count // 20),
        direct=True,
        rng=random.Random(7),
    )
    prefix = f"bench{RUN}demo"
    try:
        async with Served(db, prefix) as client:
            alias = f"{prefix}-{search_index.POSTINGS}"
            while True:  # the service fills its new index from MongoDB on start
                resp = await http.get(f"/{alias}/_count")
                if resp.status_code == 200 and resp.json()["count"] >= count:
                    break
                await asyncio.sleep(0.2)
            filled = time.perf_counter() - started
            report.append(f"(b) {count:,} demo postings (seeded and indexed in {filled:.1f} s)")
            report += await measure(client, http, alias, [1, 8], queries)
    finally:
        await http.delete(f"/{prefix}-*")
        await mongo.drop_database(db)
    return report


if __name__ == "__main__":
    asyncio.run(main())
