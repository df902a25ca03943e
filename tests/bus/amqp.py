"""Raw aio-pika helpers for tests: publish bytes, read a queue, bind a spy queue."""

from __future__ import annotations

import asyncio
from typing import Any

import aio_pika

from tests.conftest import AMQP_URL


async def publish_bytes(exchange: str, routing_key: str, body: bytes, **props: Any) -> None:
    conn = await aio_pika.connect(AMQP_URL)
    async with conn:
        channel = await conn.channel()
        ex = await channel.get_exchange(exchange)
        await ex.publish(aio_pika.Message(body, **props), routing_key=routing_key)


async def drain(queue: str, *, wait: float = 0.0) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Take every message now on a queue (acknowledging them)."""
    await asyncio.sleep(wait)
    out: list[aio_pika.abc.AbstractIncomingMessage] = []
    conn = await aio_pika.connect(AMQP_URL)
    async with conn:
        channel = await conn.channel()
        q = await channel.get_queue(queue)
        while True:
            msg = await q.get(fail=False)
            if msg is None:
                return out
            await msg.ack()
            out.append(msg)


async def spy_queue(name: str, exchange: str, routing_key: str) -> None:
    conn = await aio_pika.connect(AMQP_URL)
    async with conn:
        channel = await conn.channel()
        q = await channel.declare_queue(name, durable=True)
        await q.bind(exchange, routing_key)
