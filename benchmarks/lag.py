"""Event lag: an event published → its effect visible through the consuming service's API, idle
and while a bulk load of postings runs, beside the raw broker round trip measured in the same run.

  event lag      identity.employer.registered.v1 published on the bus (as identity's relay does)
                 → the jobs service accepts that employer's POST /api/v1/jobs (201 instead of
                 404 employer_not_found): what a newly opened employer meets when posting a job
  during load    the same, while `python -m services.jobs.seed --count N` writes N postings with
                 their jobs.posting.published.v1 in the outbox (the jobs relay publishes them and
                 the saved-search matching consumes them against the seekers' saved searches)
  baseline       raw aio-pika: publish a persistent message, consume it from a queue of its own

    .venv/bin/python benchmarks/lag.py [--samples 40] [--load 2000] [--saved-searches 200]

Starts the jobs service as a process (own database and broker namespace, tokens signed by the
benchmark and checked through a JWKS it serves), removes everything after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import httpx
from fastapi import FastAPI
from pymongo import AsyncMongoClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contracts.identity import EmployerRegistered, SeekerRegistered  # noqa: E402
from servicekit import outbox  # noqa: E402
from servicekit.bus import Bus  # noqa: E402
from servicekit.settings import ServiceSettings  # noqa: E402
from tests.jobs.support import posting  # noqa: E402
from tests.messaging.live_support import free_port, served  # noqa: E402
from tests.support import Tokens  # noqa: E402

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MONGODB_URL = os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017/")
RUN = uuid.uuid4().hex[:6]
PREFIX = f"lag{RUN}."
DB = f"lag{RUN}_jobs"
POLL = 0.01


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def line(label: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"  {label:<44} n={len(ms):<4} p50 {statistics.median(ms):8.1f} ms   "
        f"p95 {pct(ms, 0.95):8.1f} ms   max {max(ms):8.1f} ms"
    )


async def employer_lag(bus: Bus, client: httpx.AsyncClient, tokens: Tokens) -> float:
    employer_id = uuid.uuid4().hex
    event = EmployerRegistered(
        employer_id=employer_id,
        establishment_number=f"1301-{uuid.uuid4().int % 10**6:06d}-1",
        name="株式会社ラグ計測",
        office_code="13010",
        industry="情報通信業",
        has_mypage=True,
        version=1,
    )
    headers = tokens.employer(employer_id)
    started = time.perf_counter()
    await bus.publish(outbox.envelope(event, producer="identity", subject=employer_id))
    while True:
        resp = await client.post("/api/v1/jobs", json=posting(), headers=headers)
        if resp.status_code == 201:
            return time.perf_counter() - started
        if resp.json().get("code") != "employer_not_found":
            raise RuntimeError(f"unexpected answer {resp.status_code}: {resp.text}")
        if time.perf_counter() - started > 120:
            raise RuntimeError("the employer never reached the jobs service")
        await asyncio.sleep(POLL)


async def broker_round_trips(samples: int) -> list[float]:
    conn = await aio_pika.connect(AMQP_URL)
    try:
        channel = await conn.channel(publisher_confirms=True)
        queue = await channel.declare_queue(f"{PREFIX}roundtrip", exclusive=True)
        waiting: list[asyncio.Future[float]] = []

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            await message.ack()
            waiting.pop(0).set_result(time.perf_counter())

        await queue.consume(on_message)
        out: list[float] = []
        for _ in range(samples):
            got: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            waiting.append(got)
            started = time.perf_counter()
            await channel.default_exchange.publish(
                aio_pika.Message(b"{}", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=queue.name,
            )
            out.append(await got - started)
        return out
    finally:
        await conn.close()


async def saved_searches(
    bus: Bus, client: httpx.AsyncClient, tokens: Tokens, db: Any, count: int
) -> None:
    """Seekers with saved searches, so that the matching of each new posting has work to do."""
    per_seeker = 10
    prefectures = ["13", "14", "11", "12", "27", "23", "40", "01"]
    for s in range(max(1, count // per_seeker)):
        seeker_id = uuid.uuid4().hex
        event = SeekerRegistered(
            seeker_id=seeker_id,
            seeker_number=f"13010-{s:08d}",
            office_code="13010",
            status="registered",
            registered_on="2026-11-01",
            version=1,
        )
        await bus.publish(outbox.envelope(event, producer="identity", subject=seeker_id))
        headers = tokens.seeker(seeker_id)
        for i in range(per_seeker):
            body = {
                "name": f"条件{i}",
                "conditions": {"prefecture": prefectures[(s + i) % len(prefectures)]},
            }
            resp = await client.post("/api/v1/me/saved-searches", json=body, headers=headers)
            if resp.status_code != 201:
                raise RuntimeError(f"saved search: {resp.status_code} {resp.text}")


async def queue_depth(name: str) -> int:
    conn = await aio_pika.connect(AMQP_URL)
    try:
        channel = await conn.channel()
        queue = await channel.declare_queue(name, passive=True)
        return int(queue.declaration_result.message_count or 0)
    finally:
        await conn.close()


async def main(args: argparse.Namespace) -> None:
    settings = ServiceSettings(amqp_url=AMQP_URL, bus_prefix=PREFIX)
    tokens = Tokens(settings)
    jwks = FastAPI()

    @jwks.get("/jwks.json")
    async def keys() -> dict[str, Any]:
        return tokens.jwks

    port = free_port()
    env = {
        **os.environ,
        "MONGODB_URL": MONGODB_URL,
        "AMQP_URL": AMQP_URL,
        "BUS_PREFIX": PREFIX,
        "DB_NAME": DB,
        "HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_URL)
    bus = Bus(settings)
    proc: subprocess.Popen[bytes] | None = None
    async with served(jwks) as jwks_url:
        env["JWKS_URL"] = f"{jwks_url}/jwks.json"
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.jobs"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                for _ in range(600):
                    try:
                        if (await http.get("/readyz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError("the jobs service did not become ready")
                await bus.broker.connect()
                await run(args, bus, http, tokens, mongo[DB], env)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            await bus.broker.stop()
            await mongo.drop_database(DB)
            await mongo.close()
            await cleanup_broker()


async def run(
    args: argparse.Namespace,
    bus: Bus,
    http: httpx.AsyncClient,
    tokens: Tokens,
    db: Any,
    env: dict[str, str],
) -> None:
    print(f"== event lag, {args.samples} samples per phase ({time.strftime('%Y-%m-%d %H:%M')})")
    await saved_searches(bus, http, tokens, db, args.saved_searches)
    raw = await broker_round_trips(args.samples)
    idle = [await employer_lag(bus, http, tokens) for _ in range(args.samples)]

    seed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.jobs.seed",
        "--count",
        str(args.load),
        "--db",
        DB,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    load_started = time.perf_counter()
    during: list[float] = []
    matching = f"{PREFIX}jobs.matching"
    seed_done = drained = 0.0
    while True:
        during.append(await employer_lag(bus, http, tokens))
        now = time.perf_counter() - load_started
        if seed.returncode is None:
            try:
                await asyncio.wait_for(seed.wait(), timeout=0.001)
            except TimeoutError:
                pass
        if seed.returncode is not None and not seed_done:
            seed_done = now
        if seed_done:
            pending = await db["postings"].count_documents(
                outbox.pending_filter(), hint=outbox.PENDING_INDEX
            )
            if pending == 0 and await queue_depth(matching) == 0:
                drained = now
                break
        if now > 600:
            raise RuntimeError("the load did not drain in 10 minutes")
        await asyncio.sleep(0.05)
    if seed.returncode != 0:
        raise RuntimeError(f"seed exited with {seed.returncode}")
    published = await db["postings"].count_documents({})
    print(line("raw aio-pika publish → consume (baseline)", raw))
    print(line("employer registered → POST /jobs accepted, idle", idle))
    print(line(f"  same, during a {args.load}-posting load", during))
    print(
        f"  load: {published - args.samples - len(during)} postings written by seed in "
        f"{seed_done:.1f} s, published and matched against {args.saved_searches} saved searches "
        f"by {drained:.1f} s"
    )
    base = statistics.median(raw)
    print(
        f"  ratio to the raw round trip (p50): idle {statistics.median(idle) / base:.1f}×, "
        f"during load {statistics.median(during) / base:.1f}×"
    )


async def cleanup_broker() -> None:
    from tests.conftest import _cleanup_broker

    await _cleanup_broker(PREFIX)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--load", type=int, default=2000)
    parser.add_argument("--saved-searches", type=int, default=200)
    asyncio.run(main(parser.parse_args()))
