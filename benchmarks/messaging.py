"""Messaging end to end and the event bus under the messaging and notifier consumers, each figure
beside its baseline measured in the same run on the same broker and database:

  send→visible  POST a message through the gateway as the employer, then GET the conversation's
                first page as the seeker until it shows the message  vs  the same straight to
                the messaging service (no gateway)
  unread        after the load: how long until the notifier's unread counts include every message
                (its consumer drains messaging.message.sent.v1)
  consumers     N events through each service's real consumer (validation, idempotency record,
                the use case's writes):  notifier ← messaging.message.sent.v1 (a notification, an
                unread mark, a live message);  messaging ← applications.application.submitted.v1
                (a conversation opened, with its event)  vs  raw aio-pika publish + consume + ack
                of the same bodies

    .venv/bin/python benchmarks/messaging.py [--messages 400] [--concurrency 8] [--events 500]

Starts messaging, notifier and the gateway as processes (own databases and broker namespace,
tokens signed by the benchmark and checked through a JWKS it serves), removes everything after.
FerretDB 1.24 answers only ``_id`` lookups from an index: figures on it are a correctness
stand-in; the ratios are what compares.
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
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aio_pika
import httpx
from fastapi import FastAPI
from pymongo import AsyncMongoClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contracts import Envelope  # noqa: E402
from contracts.applications import ApplicationSubmitted  # noqa: E402
from contracts.identity import EmployerRegistered, SeekerRegistered  # noqa: E402
from contracts.messaging import MessageSent, Party  # noqa: E402
from servicekit import outbox  # noqa: E402
from servicekit.bus import Bus  # noqa: E402
from servicekit.settings import ServiceSettings  # noqa: E402
from tests.messaging.live_support import free_port, served  # noqa: E402
from tests.messaging.support import Tokens  # noqa: E402

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MONGODB_URL = os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017/")
RUN = uuid.uuid4().hex[:6]
PREFIX = f"bench{RUN}."


def uid() -> str:
    return uuid.uuid4().hex


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


class Procs:
    def __init__(self, jwks_url: str) -> None:
        self.ports = {n: free_port() for n in ("messaging", "notifier", "gateway")}
        self.env = {
            **os.environ,
            "MONGODB_URL": MONGODB_URL,
            "AMQP_URL": AMQP_URL,
            "BUS_PREFIX": PREFIX,
            "JWKS_URL": jwks_url,
            "LOG_LEVEL": "WARNING",
            "SEND_LIMIT_PER_MINUTE": "100000000",
            "MESSAGING_URL": f"http://127.0.0.1:{self.ports['messaging']}",
            "NOTIFIER_URL": f"http://127.0.0.1:{self.ports['notifier']}",
            "WEB_URL": "",
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self) -> None:
        for name, port in self.ports.items():
            module = "gateway" if name == "gateway" else f"services.{name}"
            env = {**self.env, "HTTP_PORT": str(port), "DB_NAME": f"bench{RUN}_{name}"}
            if name == "gateway":
                env["INTERNAL_PORT"] = str(free_port())
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", module],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    async def ready(self, client: httpx.AsyncClient) -> None:
        for name in ("messaging", "notifier"):
            for _ in range(300):
                try:
                    if (await client.get(self.url(name) + "/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"{name} not ready")
        for _ in range(300):
            try:
                await client.get(self.url("gateway") + "/healthz")
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.1)

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                proc.kill()


async def conversations(bus: Bus, db: Any, count: int) -> list[tuple[str, str, str]]:
    """(conversation_id, seeker_id, employer_id), opened through messaging's real consumer."""
    out = []
    for _ in range(count):
        employer_id, seeker_id, application_id = uid(), uid(), uid()
        await bus.publish(envelope(employer(employer_id), employer_id))
        await bus.publish(envelope(seeker(seeker_id), seeker_id))
        await bus.publish(envelope(submitted(application_id, seeker_id, employer_id), seeker_id))
        out.append((f"app-{application_id}", seeker_id, employer_id))
    ids = [c for c, _, _ in out]
    while await db["conversations"].count_documents({"_id": {"$in": ids}}) < count:
        await asyncio.sleep(0.1)
    return out


def envelope(event: Any, subject: str) -> Envelope:
    return outbox.envelope(event, producer="bench", subject=subject)


def employer(employer_id: str) -> EmployerRegistered:
    return EmployerRegistered(
        employer_id=employer_id,
        establishment_number="1301-000001-8",
        name="株式会社ベンチ",
        office_code="13010",
        industry="情報通信業",
        has_mypage=True,
        version=1,
    )


def seeker(seeker_id: str) -> SeekerRegistered:
    return SeekerRegistered(
        seeker_id=seeker_id,
        seeker_number="13010-00000001",
        office_code="13010",
        status="registered",
        registered_on=date(2026, 1, 5),
        version=1,
    )


def submitted(application_id: str, seeker_id: str, employer_id: str) -> ApplicationSubmitted:
    return ApplicationSubmitted(
        application_id=application_id,
        seeker_id=seeker_id,
        employer_id=employer_id,
        job_id=uid(),
        job_number="13010-00001234",
        title="ベンチマーク職",
        revision=1,
        route="direct",
        status="applied",
        office_code="13010",
        submitted_on=date(2026, 11, 24),
        version=1,
    )


def message_sent(seeker_id: str) -> MessageSent:
    return MessageSent(
        message_id=uid(),
        conversation_id=f"app-{uid()}",
        kind="user",
        sender_role="employer",
        sender_id=uid(),
        recipients=(Party(role="seeker", id=seeker_id),),
        sent_at=datetime.now(UTC),
        sender_name="株式会社ベンチ",
        title="ベンチマーク職",
    )


async def send_load(
    base: str, convs: list[tuple[str, str, str]], tokens: Tokens, total: int
) -> tuple[float, list[float]]:
    """Workers, one per conversation, send and wait until the seeker's GET shows it."""
    latencies: list[float] = []
    left = [total]

    async def worker(cid: str, seeker_id: str, employer_id: str) -> None:
        emp = tokens.employer(employer_id)
        see = tokens.seeker(seeker_id)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            while left[0] > 0:
                left[0] -= 1
                started = time.perf_counter()
                r = await client.post(
                    f"/api/v1/conversations/{cid}/messages",
                    json={"body": "面接日程のご相談"},
                    headers=emp,
                )
                assert r.status_code == 201, r.text
                mid = r.json()["message_id"]
                while True:
                    page = await client.get(
                        f"/api/v1/conversations/{cid}/messages", params={"limit": 1}, headers=see
                    )
                    if page.json()["items"][0]["message_id"] == mid:
                        break
                latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(worker(*c) for c in convs))
    return time.perf_counter() - began, latencies


async def until_count(check: Callable[[], Awaitable[int]], want: int, timeout: float) -> float:
    started = time.perf_counter()
    while await check() < want:
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"only {await check()} of {want}")
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


async def raw_rate(bodies: list[bytes]) -> float:
    """aio-pika confirmed publish of the bodies, then consume + ack them all: events per second."""
    conn = await aio_pika.connect(AMQP_URL)
    async with conn:
        channel = await conn.channel(publisher_confirms=True)
        queue = await channel.declare_queue(f"{PREFIX}raw", durable=True)
        started = time.perf_counter()
        await asyncio.gather(
            *(
                channel.default_exchange.publish(
                    aio_pika.Message(b, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key=queue.name,
                )
                for b in bodies
            )
        )
        done = asyncio.Event()
        seen = [0]

        async def on(msg: aio_pika.abc.AbstractIncomingMessage) -> None:
            await msg.ack()
            seen[0] += 1
            if seen[0] == len(bodies):
                done.set()

        await channel.set_qos(prefetch_count=32)
        tag = await queue.consume(on)
        await done.wait()
        elapsed = time.perf_counter() - started
        await queue.cancel(tag)
        await queue.delete(if_unused=False, if_empty=False)
    return len(bodies) / elapsed


async def cleanup(client: AsyncMongoClient[Any]) -> None:
    for name in await client.list_database_names():
        if name.startswith(f"bench{RUN}_"):
            await client.drop_database(name)
    sys.path.insert(0, str(ROOT / "tests"))
    from tests.conftest import _cleanup_broker

    await _cleanup_broker(PREFIX)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args()

    settings = ServiceSettings(amqp_url=AMQP_URL, bus_prefix=PREFIX, service_name="bench")
    tokens = Tokens(settings)
    jwks = FastAPI()
    jwks.get("/jwks.json")(lambda: tokens.jwks)
    mongo: AsyncMongoClient[Any] = AsyncMongoClient(MONGODB_URL, tz_aware=True)
    mdb, ndb = mongo[f"bench{RUN}_messaging"], mongo[f"bench{RUN}_notifier"]
    async with served(jwks) as jwks_base:
        procs = Procs(jwks_base + "/jwks.json")
        procs.start()
        bus = Bus(settings)
        await bus.broker.connect()
        try:
            async with httpx.AsyncClient() as client:
                await procs.ready(client)
            convs = await conversations(bus, mdb, args.concurrency)

            await send_load(procs.url("messaging"), convs, tokens, 20)  # warm up
            # interleaved rounds: the messages collection grows during the run (FerretDB scans
            # it), so neither side gets all the small-collection rounds
            direct_s, gw_s = 0.0, 0.0
            direct_lat: list[float] = []
            gw_lat: list[float] = []
            rounds = 4
            for _ in range(rounds):
                for name in ("messaging", "gateway"):
                    took, lat = await send_load(
                        procs.url(name), convs, tokens, args.messages // rounds
                    )
                    if name == "messaging":
                        direct_s, direct_lat = direct_s + took, direct_lat + lat
                    else:
                        gw_s, gw_lat = gw_s + took, gw_lat + lat
            sent = 20 + len(direct_lat) + len(gw_lat)
            seekers = [f"seeker:{s}" for _, s, _ in convs]
            drain = await until_count(
                lambda: ndb["message_marks"].count_documents({"recipient": {"$in": seekers}}),
                sent,
                timeout=600,
            )

            await until_count(
                lambda: ndb["notifications"].count_documents({"recipient": {"$in": seekers}}),
                sent,
                timeout=600,
            )

            # consumers under a burst of events
            bodies_n = [envelope(message_sent(uid()), "x") for _ in range(args.events)]
            base_n = await ndb["notifications"].count_documents({})
            started = time.perf_counter()
            await asyncio.gather(*(bus.publish(e) for e in bodies_n))
            await until_count(
                lambda: ndb["notifications"].count_documents({}), base_n + args.events, 900
            )
            note_s = time.perf_counter() - started

            subs = []
            for _ in range(args.events):
                e, s, a = uid(), uid(), uid()
                subs.append((e, envelope(employer(e), e), envelope(submitted(a, s, e), s)))
            await asyncio.gather(*(bus.publish(em) for _, em, _ in subs))
            employers = [e for e, _, _ in subs]
            await until_count(
                lambda: mdb["employers"].count_documents({"_id": {"$in": employers}}),
                len(employers),
                900,
            )
            have = await mdb["conversations"].count_documents({})
            started = time.perf_counter()
            await asyncio.gather(*(bus.publish(sub) for _, _, sub in subs))
            await until_count(
                lambda: mdb["conversations"].count_documents({}), have + args.events, 900
            )
            msg_s = time.perf_counter() - started
            raw = await raw_rate([e.model_dump_json().encode() for e in bodies_n])
        finally:
            await bus.broker.stop()
            procs.stop()
            await cleanup(mongo)
            await mongo.close()

    direct_rate, gw_rate = len(direct_lat) / direct_s, len(gw_lat) / gw_s
    print(f"messaging benchmark (run {RUN}; {args.concurrency} conversations in parallel)")
    print("send → visible to the other participant (POST as employer, GET as seeker):")
    for name, rate, lat in (("direct", direct_rate, direct_lat), ("gateway", gw_rate, gw_lat)):
        print(
            f"  {name:8s} {rate:8.1f} msg/s   p50 {statistics.median(lat) * 1000:6.1f} ms"
            f"   p95 {pct(lat, 0.95) * 1000:6.1f} ms"
        )
    print(f"  gateway / direct: {gw_rate / direct_rate:.2f}")
    print(f"unread: the notifier had counted all {sent} messages {drain:.2f} s after the last send")
    print(f"consumers ({args.events} events each, burst published, until all handled):")
    print(f"  raw aio-pika publish+consume+ack     {raw:8.1f} ev/s")
    n_rate, m_rate = args.events / note_s, args.events / msg_s
    print(f"  notifier ← message.sent (notify)     {n_rate:8.1f} ev/s   ratio {n_rate / raw:.3f}")
    print(f"  messaging ← application.submitted    {m_rate:8.1f} ev/s   ratio {m_rate / raw:.3f}")


if __name__ == "__main__":
    asyncio.run(main())
