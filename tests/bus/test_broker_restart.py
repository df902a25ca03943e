"""Fault test: the broker goes away and comes back. Runs against a RabbitMQ node of its own."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from contracts.identity import SeekerRegistered
from tests.bus.harness import Harness, HarnessSettings
from tests.bus.private_broker import PrivateBroker
from tests.bus.test_backbone import seeker, wrap
from tests.conftest import eventually, running

pytestmark = [pytest.mark.integration, pytest.mark.broker_restart]


@pytest.fixture
async def broker():
    if not PrivateBroker.available():
        pytest.skip("rabbitmq-server is not installed here")
    # not under pytest's tmp dir: the server runs as the rabbitmq user, which cannot enter it
    folder = Path(tempfile.mkdtemp(prefix="hataraku-rabbit-"))
    node = PrivateBroker(folder)
    await node.start()
    yield node
    await node.stop()
    shutil.rmtree(folder, ignore_errors=True)


async def test_outbox_publishes_once_after_a_broker_restart_and_consumption_resumes(
    make_settings, run_id, broker
):
    import aio_pika

    settings = make_settings(HarnessSettings, db_name=f"t{run_id}_restart", amqp_url=broker.url)
    h = Harness(settings)
    async with running(h.app) as client:
        # a spy queue sees every publish of the event type, duplicates included
        conn = await aio_pika.connect(broker.url)
        channel = await conn.channel()
        spy = await channel.declare_queue("spy", durable=True)
        await spy.bind(h.rt.bus.topology.events.name, SeekerRegistered.TYPE)
        await conn.close()

        assert (await client.get("/readyz")).status_code == 200
        first = uuid.uuid4().hex
        await broker.stop_app()
        try:
            await h.write_aggregate(first, seeker(first))  # the relay cannot publish now
            await eventually(lambda: _status(client, 503), timeout=30)
            assert await h.relay.pending() == 1
        finally:
            await broker.start_app()

        await eventually(lambda: _status(client, 200), timeout=60, interval=0.5)
        await eventually(lambda: h.effect_count(first), timeout=30)
        await eventually(lambda: _none_pending(h), timeout=10)

        second = uuid.uuid4().hex
        await h.rt.bus.publish(wrap(seeker(second), second))
        await eventually(lambda: h.effect_count(second), timeout=30)

        conn = await aio_pika.connect(broker.url)
        channel = await conn.channel()
        spy = await channel.get_queue("spy")
        seen = []
        while (msg := await spy.get(fail=False)) is not None:
            seen.append(msg.message_id)
            await msg.ack()
        await conn.close()
        assert len(seen) == 2 and len(set(seen)) == 2  # each event published exactly once


async def test_a_killed_consumer_leaves_its_message_for_the_next_one(make_settings, run_id, broker):
    """A consumer that dies mid-message (connection gone, no ack) does not lose it: the broker
    redelivers it, and once the dead holder's claim lease has run out the next consumer does it."""
    settings = make_settings(
        HarnessSettings, db_name=f"t{run_id}_killed", amqp_url=broker.url, claim_lease_seconds=1
    )
    first = Harness(settings)
    release = asyncio.Event()

    async def stuck(event, envelope):  # takes the message and never finishes
        await release.wait()

    first.rt.bus.consumers[0].handlers[SeekerRegistered.TYPE] = (SeekerRegistered, stuck)
    sid = uuid.uuid4().hex
    async with running(first.app):
        await first.rt.bus.publish(wrap(seeker(sid), sid))
        await eventually(lambda: _claimed(first, sid))
        # "kill" it: its connection goes away without an acknowledgement
        await first.rt.bus.broker._connection.close()  # type: ignore[union-attr]
        release.set()

    second = Harness(settings)
    async with running(second.app):
        await eventually(lambda: second.effect_count(sid), timeout=30)
        await asyncio.sleep(0.5)
        assert await second.effect_count(sid) == 1


async def _claimed(h, sid) -> bool:
    return await h.rt.db["processed_messages"].count_documents({}) == 1


async def _status(client, code: int) -> bool:
    return (await client.get("/readyz")).status_code == code


async def _none_pending(h) -> bool:
    return await h.relay.pending() == 0
