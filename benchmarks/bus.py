"""Event-bus throughput on the local broker and database, each figure beside its raw baseline
measured in the same run:

  consume  the project's consumer machinery (envelope + payload validation, idempotency check and
           record in MongoDB, dispatch, ack)  vs  raw aio-pika consume + ack of the same bodies
  publish  the outbox relay (read the pending event from the aggregate document, confirmed publish,
           $pull it)  vs  raw aio-pika confirmed publish of the same bodies

    .venv/bin/python benchmarks/bus.py [--events 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import aio_pika

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contracts import Envelope
from contracts.identity import SeekerRegistered
from servicekit import outbox
from servicekit.logging import configure_logging
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MONGODB_URL = os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017/")
RUN = uuid.uuid4().hex[:6]
PREFIX = f"bench{RUN}."


class BenchSettings(ServiceSettings):
    service_name: str = "bench"


def event(i: int) -> Envelope:
    sid = uuid.uuid4().hex
    data = SeekerRegistered(
        seeker_id=sid,
        seeker_number=f"13010-{i:08d}",
        office_code="13010",
        status="registered",
        registered_on=date(2026, 11, 24),
        version=1,
    )
    return outbox.envelope(data, producer="bench", subject=sid)


async def raw_publish(bodies: list[bytes], queue: str) -> float:
    conn = await aio_pika.connect(AMQP_URL)
    async with conn:
        ch = await conn.channel(publisher_confirms=True)
        await ch.declare_queue(queue, durable=True)
        started = time.perf_counter()
        for body in bodies:
            await ch.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=queue,
                mandatory=True,
            )
        return time.perf_counter() - started


async def raw_consume(queue: str, count: int, prefetch: int) -> float:
    conn = await aio_pika.connect(AMQP_URL)
    async with conn:
        ch = await conn.channel()
        await ch.set_qos(prefetch_count=prefetch)
        q = await ch.get_queue(queue)
        done = asyncio.Event()
        seen = 0
        started = time.perf_counter()

        async def on_message(msg: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal seen
            await msg.ack()
            seen += 1
            if seen >= count:
                done.set()

        tag = await q.consume(on_message)
        await done.wait()
        elapsed = time.perf_counter() - started
        await q.cancel(tag)
        await q.delete(if_unused=False, if_empty=False)
        return elapsed


async def machinery_consume(
    envelopes: list[Envelope], settings: BenchSettings
) -> tuple[float, float]:
    """Publish the envelopes onto the runtime's queue first, then start consuming and time it."""
    done = asyncio.Event()
    seen = 0
    count = len(envelopes)

    async def handler(event: SeekerRegistered, envelope: Envelope) -> None:
        nonlocal seen
        seen += 1
        if seen >= count:
            done.set()

    rt = Runtime(settings)
    rt.consume("bench.events", {SeekerRegistered: handler})
    await rt.bus.broker.connect()
    await rt.bus.declare()
    pub_started = time.perf_counter()
    for env in envelopes:
        await rt.bus.publish(env)
    pub_elapsed = time.perf_counter() - pub_started
    started = time.perf_counter()
    await rt.bus.broker.start()
    await done.wait()
    elapsed = time.perf_counter() - started
    await rt.bus.broker.stop()
    await rt.client.close()
    return elapsed, pub_elapsed


async def relay_publish(envelopes: list[Envelope], settings: BenchSettings) -> float:
    rt = Runtime(settings)
    relay = rt.outbox(["aggregates"])
    await rt.bus.broker.connect()
    await rt.bus.declare()
    sink = await rt.bus.broker.declare_queue(
        __import__("faststream.rabbit", fromlist=["RabbitQueue"]).RabbitQueue(
            f"{PREFIX}sink", durable=True
        )
    )
    await sink.bind(rt.bus.topology.events.name, routing_key=SeekerRegistered.TYPE)
    coll = rt.db["aggregates"]
    await coll.insert_many([{"_id": str(e.id), **outbox.initial(e)} for e in envelopes])
    started = time.perf_counter()
    sent = 0
    for env in envelopes:  # what kick() does after each write, here in a row
        sent += await relay.flush("aggregates", str(env.id))
    elapsed = time.perf_counter() - started
    assert sent == len(envelopes), f"relay published {sent} of {len(envelopes)}"
    await sink.delete(if_unused=False, if_empty=False)
    await rt.bus.broker.stop()
    await rt.client.drop_database(settings.database)
    await rt.client.close()
    return elapsed


async def raw_db(n: int) -> tuple[float, float]:
    """The same database work with the bare driver: (find_one + insert_one) per consumed event,
    and (find_one + update_one $pull) per relayed event."""
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_URL)
    db = client[f"bench{RUN}_raw"]
    ids = [uuid.uuid4().hex for _ in range(n)]
    started = time.perf_counter()
    for i in ids:
        await db.processed.find_one({"_id": i}, {"_id": 1})
        await db.processed.insert_one({"_id": i, "type": "x"})
    consume = time.perf_counter() - started
    await db.agg.insert_many([{"_id": i, "outbox": [{"id": i, "body": "x" * 300}]} for i in ids])
    started = time.perf_counter()
    for i in ids:
        doc = await db.agg.find_one({"_id": i}, {"outbox": 1})
        assert doc is not None
        await db.agg.update_one({"_id": i}, {"$pull": {"outbox": doc["outbox"][0]}})
    relay = time.perf_counter() - started
    await client.drop_database(f"bench{RUN}_raw")
    await client.close()
    return consume, relay


async def cleanup() -> None:
    """Every queue and exchange of this run's namespace (management API)."""
    from tests.conftest import _cleanup_broker

    await _cleanup_broker(PREFIX)


def row(name: str, n: int, seconds: float, base: float | None = None) -> str:
    rate = n / seconds
    ratio = f"{rate / (n / base):6.2f}x" if base else "   base"
    return f"  {name:<46} {rate:>9.0f} /s   {ratio}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--prefetch", type=int, default=32)
    args = parser.parse_args()
    configure_logging(service="bench", level="WARNING", json=False)
    n = args.events
    settings = BenchSettings(
        amqp_url=AMQP_URL,
        mongodb_url=MONGODB_URL,
        db_name=f"bench{RUN}",
        bus_prefix=PREFIX,
        prefetch=args.prefetch,
    )
    envelopes = [event(i) for i in range(n)]
    bodies = [e.model_dump_json().encode() for e in envelopes]
    try:
        raw_q = f"{PREFIX}raw"
        raw_pub = await raw_publish(bodies, raw_q)
        raw_con = await raw_consume(raw_q, n, args.prefetch)
        ours_con, ours_pub = await machinery_consume(envelopes, settings)
        relay = await relay_publish([event(i) for i in range(n)], settings)
        db_consume, db_relay = await raw_db(n)
    finally:
        await cleanup()
        from pymongo import AsyncMongoClient

        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_URL)
        await client.drop_database(f"bench{RUN}")
        await client.close()

    print(
        f"Event bus, {n} events, prefetch {args.prefetch}, broker {AMQP_URL.split('@')[-1]}, database {MONGODB_URL}"
    )
    print("  publish (persistent, confirmed, one at a time)")
    print(row("raw aio-pika confirmed publish", n, raw_pub))
    print(row("Bus.publish (FastStream, confirms, mandatory)", n, ours_pub, raw_pub))
    print(row("outbox relay (read doc, publish, $pull)", n, relay, raw_pub))
    print(row("  raw PyMongo find_one + $pull only", n, db_relay))
    print(row("  outbox relay vs that database work", n, relay, db_relay))
    print("  consume")
    print(row("raw aio-pika consume + ack", n, raw_con))
    print(row("consumer machinery (validate, dedupe, ack)", n, ours_con, raw_con))
    print(row("  raw PyMongo find_one + insert_one only", n, db_consume))
    print(row("  consumer machinery vs that database work", n, ours_con, db_consume))


if __name__ == "__main__":
    asyncio.run(main())
