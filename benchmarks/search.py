"""Posting search under load: the jobs service over HTTP, and the same through the gateway, beside
the same queries sent straight to the database with PyMongo (the baseline), in one run, on the
same server.

    .venv/bin/python benchmarks/search.py [--count 100000] [--queries 200] [--concurrency 4]
                                          [--budget 150]

Loads ``--count`` realistic postings (seed ``--direct`` mode, no events) into a database of its
own, starts ``python -m services.jobs`` on it and ``python -m gateway`` in front of it as
subprocesses, sends a mix of keyword + condition searches (first pages, so each includes the total
count) and reports p50/p95/p99 latency and requests per second for each. The databases and the
broker names it used are removed afterwards. On a server that cannot answer a query pair within
``--budget`` seconds the run measures a first query only, and says so.
"""

from __future__ import annotations

import argparse
import asyncio
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.jobs.criteria import SORT_KEYS, SearchQuery  # noqa: E402
from services.jobs.documents import SUMMARY_PROJECTION  # noqa: E402
from services.jobs.repository import Store  # noqa: E402
from services.jobs.seed import seed  # noqa: E402
from services.jobs.settings import JobsSettings  # noqa: E402

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MONGODB_URL = os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017/")
RUN = uuid.uuid4().hex[:6]
PREFIX = f"bench{RUN}."
DB = f"bench{RUN}_jobs"

# what people search for: keywords (full- and half-width), places, occupations, wages, order
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


def baseline_call(db: Any, settings: JobsSettings) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """The database work of a first page, straight through PyMongo: the page and the count."""

    async def call(params: dict[str, Any]) -> None:
        query = SearchQuery.model_validate(params)
        f = query.to_filter(datetime.now(UTC))
        await (
            db.postings.find(f, SUMMARY_PROJECTION)
            .sort(SORT_KEYS[query.sort])
            .limit(query.limit + 1)
            .to_list(None)
        )
        await db.postings.count_documents(f, limit=settings.count_exact_cap + 1)

    return call


def service_call(client: httpx.AsyncClient) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def call(params: dict[str, Any]) -> None:
        resp = await client.get("/api/v1/jobs", params=params)
        resp.raise_for_status()

    return call


def start_gateway(port: int, jobs_port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MONGODB_URL": MONGODB_URL,
        "DB_NAME": f"bench{RUN}_gateway",
        "HTTP_PORT": str(port),
        "INTERNAL_PORT": str(free_port()),
        "JOBS_URL": f"http://127.0.0.1:{jobs_port}",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "gateway"], cwd=ROOT, env=env)


def start_service(port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MONGODB_URL": MONGODB_URL,
        "AMQP_URL": AMQP_URL,
        "DB_NAME": DB,
        "BUS_PREFIX": PREFIX,
        "HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
        # keep background work off the measurement: no expiry round, no outbox poll
        "EXPIRY_INTERVAL_SECONDS": "86400",
    }
    return subprocess.Popen([sys.executable, "-m", "services.jobs"], cwd=ROOT, env=env)


async def wait_ready(
    client: httpx.AsyncClient, proc: subprocess.Popen[bytes], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the jobs service exited with {proc.returncode}")
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.5)
    raise RuntimeError("the jobs service did not start in time")


async def cleanup_broker() -> None:
    """Every queue and exchange of this run's namespace (management API)."""
    from tests.conftest import _cleanup_broker

    await _cleanup_broker(PREFIX)


def report(name: str, latencies: list[float], wall: float, base_rps: float | None) -> str:
    ms = [x * 1000 for x in latencies]
    rps = len(latencies) / wall
    ratio = f"{rps / base_rps:5.2f}x" if base_rps else " base"
    return (
        f"  {name:<28} {len(ms):>5} {percentile(ms, 0.5):>10.1f} {percentile(ms, 0.95):>10.1f} "
        f"{percentile(ms, 0.99):>10.1f} {statistics.mean(ms):>10.1f} {rps:>9.1f}   {ratio}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000, help="postings to load")
    parser.add_argument("--queries", type=int, default=240, help="searches per side at most")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--budget", type=float, default=150.0, help="seconds for both sides' searches"
    )
    args = parser.parse_args()

    settings = JobsSettings()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_URL, tz_aware=True)
    db = mongo[DB]
    info = await mongo.admin.command("buildInfo")
    server = (
        f"SecantusDB {info['secantusVersion']} (reports MongoDB {info.get('version')})"
        if "secantusVersion" in info
        else f"MongoDB {info.get('version')}"
    )
    proc: subprocess.Popen[bytes] | None = None
    gateway: subprocess.Popen[bytes] | None = None
    port, gateway_port = free_port(), free_port()
    try:
        started = time.perf_counter()
        await seed(
            Store(db),
            count=args.count,
            employers=max(50, args.count // 20),
            direct=True,
            rng=random.Random(7),
        )
        load_s = time.perf_counter() - started

        proc = start_service(port)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            started = time.perf_counter()
            await wait_ready(client, proc, timeout=900)  # declares the indexes on start
            start_s = time.perf_counter() - started
            svc, base = service_call(client), baseline_call(db, settings)
            gateway = start_gateway(gateway_port, port)
            gw_client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}", timeout=600)
            await wait_ready(gw_client, gateway, timeout=60)
            via_gateway = service_call(gw_client)

            # one search of each side first: a warm-up, and how slow this server is
            probe = MIX[1]
            t0 = time.perf_counter()
            await svc(probe)
            t1 = time.perf_counter()
            await base(probe)
            t2 = time.perf_counter()
            pair = t2 - t0
            # the server is the bottleneck (2 cores): concurrency does not buy more searches
            n = max(1, min(args.queries, int(args.budget / pair)))
            if n == 1:  # slower than the budget: the probe is the measurement
                svc_lat, svc_wall = [t1 - t0], t1 - t0
                base_lat, base_wall = [t2 - t1], t2 - t1
                t3 = time.perf_counter()
                await via_gateway(probe)
                gw_lat, gw_wall = [time.perf_counter() - t3], time.perf_counter() - t3
            else:
                queries = [MIX[i % len(MIX)] for i in range(n)]
                random.Random(3).shuffle(queries)
                svc_lat, svc_wall = await run_load(svc, queries, args.concurrency)
                base_lat, base_wall = await run_load(base, queries, args.concurrency)
                gw_lat, gw_wall = await run_load(via_gateway, queries, args.concurrency)
            await gw_client.aclose()
    finally:
        for p in (gateway, proc):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
        await mongo.drop_database(DB)
        await mongo.drop_database(f"bench{RUN}_gateway")
        await mongo.close()
        await cleanup_broker()

    base_rps = len(base_lat) / base_wall
    print(
        f"Posting search, {args.count:,} postings on {server} ({MONGODB_URL}); {len(MIX)} query kinds, "
        f"first pages with totals, concurrency {args.concurrency}"
    )
    print(
        f"  loaded in {load_s:.1f} s ({args.count / load_s:,.0f}/s, direct mode); service ready in {start_s:.1f} s"
    )
    if n < args.queries:
        print(
            f"  NOTE: {n} search(es) per side instead of {args.queries}: one search and its "
            f"baseline took {pair:.1f} s on this server; searches are kept within --budget "
            f"{args.budget:.0f} s"
        )
    print(
        f"  {'':<28} {'n':>5} {'p50 ms':>10} {'p95 ms':>10} {'p99 ms':>10} {'mean ms':>10} {'req/s':>9}   vs base"
    )
    print(report("PyMongo baseline (find+count)", base_lat, base_wall, None))
    print(report("jobs service over HTTP", svc_lat, svc_wall, base_rps))
    print(report("through the gateway", gw_lat, gw_wall, base_rps))


if __name__ == "__main__":
    asyncio.run(main())
