"""Login throughput of the identity service against its own baseline, raw Argon2id.

Starts ``python -m services.identity`` as a subprocess against the local infrastructure (a
database and broker namespace of its own), creates N active accounts, then drives
``POST /api/v1/auth/login`` from C concurrent clients for S seconds. In the same run it measures
Argon2id verification alone — one thread, and the same thread pool size the service uses — and
prints the figures and the ratio (what the HTTP, database and token work around the hash cost).
The baseline runs before and after the HTTP run and the better figure counts.

    .venv/bin/python benchmarks/login.py [--accounts 50] [--concurrency 8] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aio_pika
import aiohttp
from pymongo import AsyncMongoClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from servicekit.clock import SystemClock  # noqa: E402
from servicekit.db import connect  # noqa: E402
from servicekit.logging import configure_logging  # noqa: E402
from services.identity import service_registration  # noqa: E402
from services.identity.passwords import PasswordHasher  # noqa: E402
from services.identity.repository import Repository  # noqa: E402
from services.identity.service import Identity  # noqa: E402
from services.identity.settings import IdentitySettings  # noqa: E402

PASSWORD = "Bench#mark-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def argon2_baseline(seconds: float, threads: int) -> tuple[float, float]:
    """Verifications per second: one thread, then ``threads`` threads."""
    hasher = PasswordHasher(threads=threads)
    stored = hasher.hash_blocking(PASSWORD)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        hasher.verify_blocking(stored, PASSWORD)
        count += 1
    single = count / (time.perf_counter() - started)

    def worker(deadline: float) -> int:
        n = 0
        while time.perf_counter() < deadline:
            hasher.verify_blocking(stored, PASSWORD)
            n += 1
        return n

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        total = sum(pool.map(worker, [started + seconds] * threads))
    pooled = total / (time.perf_counter() - started)
    hasher.close()
    return single, pooled


async def create_accounts(settings: IdentitySettings, n: int) -> list[str]:
    client, db = connect(settings.mongodb_url, settings.database)
    identity = Identity.build(settings, Repository(db), SystemClock(), None)
    try:
        await identity.repo.ensure_indexes()
        emails = [f"bench-{i}-{uuid.uuid4().hex[:6]}@hataraku.example" for i in range(n)]
        await asyncio.gather(
            *(
                service_registration.create_staff(
                    identity, email=e, office_code="13010", password=PASSWORD
                )
                for e in emails
            )
        )
        return emails
    finally:
        await identity.stop()
        await client.close()


async def wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("identity exited during start-up")
            try:
                async with session.get(f"{base}/readyz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("identity did not become ready")


async def drive(
    base: str, emails: list[str], concurrency: int, seconds: float
) -> tuple[int, int, list[float], float]:
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def client(index: int, session: aiohttp.ClientSession) -> None:
        nonlocal failures
        i = index
        while time.perf_counter() < deadline:
            body = {"email": emails[i % len(emails)], "password": PASSWORD}
            i += concurrency
            started = time.perf_counter()
            async with session.post(f"{base}/api/v1/auth/login", json=body) as resp:
                await resp.read()
                if resp.status == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    failures += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(i, session) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(latencies), failures, latencies, elapsed


async def cleanup(settings: IdentitySettings) -> None:
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(settings.mongodb_url)
    try:
        await mongo.drop_database(settings.database)
    finally:
        await mongo.close()
    try:
        connection = await aio_pika.connect(settings.amqp_url)
        async with connection:
            channel = await connection.channel()
            for name in ("hataraku.events", "hataraku.commands", "hataraku.dead"):
                await channel.exchange_delete(f"{settings.bus_prefix}{name}")
    except Exception as exc:  # the numbers are printed already; leftovers are only exchanges
        print(f"(broker clean-up failed: {exc!r})", file=sys.stderr)


async def main(accounts: int, concurrency: int, seconds: float) -> None:
    configure_logging(service="benchmark", level="WARNING", json=False)
    tag = uuid.uuid4().hex[:8]
    port = free_port()
    settings = IdentitySettings(
        db_name=f"bench_{tag}_identity", bus_prefix=f"bench{tag}.", http_port=port
    )
    threads = settings.password_threads or os.cpu_count() or 2
    print(
        f"argon2id m={settings.argon2_memory_kib} KiB t={settings.argon2_time_cost} "
        f"p={settings.argon2_parallelism}; {threads} hashing threads; {os.cpu_count()} CPUs"
    )
    # the raw baseline before and after the HTTP run; the better of each counts (a shared
    # machine's noise only ever makes a measurement slower)
    before = argon2_baseline(min(seconds, 5) / 2, threads)

    env = {
        **os.environ,
        "HTTP_PORT": str(port),
        "DB_NAME": settings.db_name,
        "BUS_PREFIX": settings.bus_prefix,
        "LOG_LEVEL": "ERROR",
        "UNIFORM_RESPONSE_SECONDS": "0",
        "MONGODB_URL": settings.mongodb_url,
        "AMQP_URL": settings.amqp_url,
    }
    process = subprocess.Popen([sys.executable, "-m", "services.identity"], cwd=ROOT, env=env)
    try:
        emails = await create_accounts(settings, accounts)
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base, process)
        await drive(base, emails, concurrency, 1.0)  # warm-up
        ok, failed, latencies, elapsed = await drive(base, emails, concurrency, seconds)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        await cleanup(settings)
    after = argon2_baseline(min(seconds, 5) / 2, threads)
    single, pooled = max(before[0], after[0]), max(before[1], after[1])

    rate = ok / elapsed
    rows = [
        ("argon2id verify, 1 thread", f"{single:8.1f}/s", "", ""),
        (f"argon2id verify, {threads} threads", f"{pooled:8.1f}/s", "", ""),
        (
            f"HTTP login, {concurrency} clients, {elapsed:.0f} s",
            f"{rate:8.1f}/s",
            f"{statistics.median(latencies) * 1000:7.1f} ms" if latencies else "-",
            f"{percentile(latencies, 0.95) * 1000:7.1f} ms" if latencies else "-",
        ),
    ]
    print(f"\n{'what':<38} {'rate':>10} {'p50':>10} {'p95':>10}")
    for name, r, p50, p95 in rows:
        print(f"{name:<38} {r:>10} {p50:>10} {p95:>10}")
    print(f"\nlogins ok {ok}, failed {failed}")
    print(f"login rate / pooled argon2id rate = {rate / pooled:.2f}")
    print(f"login rate / single-thread argon2id rate = {rate / single:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    asyncio.run(main(args.accounts, args.concurrency, args.seconds))
