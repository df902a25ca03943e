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
from tests.bus.test_backbone import employer, seeker, wrap
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
    never = asyncio.Event()

    async def stuck(event, envelope):  # takes the message and never finishes
        await never.wait()

    first.consumer.handlers[SeekerRegistered.TYPE] = (SeekerRegistered, stuck)
    sid = uuid.uuid4().hex
    async with running(first.app):
        await first.rt.bus.publish(wrap(seeker(sid), sid))
        await eventually(lambda: _claimed(first, sid))
        # "kill" it: its connection goes away without an acknowledgement, and nothing of its
        # handling runs on (a lost connection alone does not stop a handler: it is shielded)
        await first.rt.bus.broker._connection.close()  # type: ignore[union-attr]
        for task in list(first.consumer._inflight):
            task.cancel()

    second = Harness(settings)
    async with running(second.app):
        await eventually(lambda: second.effect_count(sid), timeout=30)
        await asyncio.sleep(0.5)
        assert await second.effect_count(sid) == 1


async def test_a_message_waiting_for_its_retry_survives_a_broker_killed_meanwhile(
    make_settings, run_id, broker
):
    """A failed handling parks the message in ``<queue>.delayed`` for its backoff. SIGKILL of
    the broker while it waits there (held unacknowledged by the delay relay), then a restart:
    the message still comes back and is handled, once. (Classic queues with a TTL, which
    dead-letter at most once, lost such a message.)"""
    settings = make_settings(
        HarnessSettings, db_name=f"t{run_id}_parked", amqp_url=broker.url, retry_base_delay_ms=4000
    )
    await _queues_of_some_age(settings, broker)
    h = Harness(settings)
    h.failures_left = 1
    eid = uuid.uuid4().hex
    delayed = f"{h.consumer.name}.delayed"
    async with running(h.app) as client:
        await h.rt.bus.publish(wrap(employer(eid), eid))
        await eventually(lambda: _queue_has(broker, delayed, 1), timeout=30, interval=1)
        assert h.calls == 1 and await h.effect_count(eid) == 0
        await broker.kill()
        await eventually(lambda: _status(client, 503), timeout=30)
        await broker.start()
        await eventually(lambda: _status(client, 200), timeout=90, interval=0.5)
        await eventually(lambda: h.effect_count(eid), timeout=60, interval=0.5)
        await eventually(lambda: _queue_has(broker, delayed, 0), timeout=30, interval=1)
        assert await h.effect_count(eid) == 1


# the queue checks below ask rabbitmqctl (an Erlang VM of its own, ~0.5 s of CPU a call): once a
# second, not back to back


async def _queue_has(broker, name: str, messages: int) -> bool:
    return (await broker.queues()).get(name, {}).get("messages") == messages


BACKLOG = 300


async def test_a_broker_killed_mid_drain_comes_back_with_one_consumer_and_each_event_handled_once(
    make_settings, run_id, broker
):
    """SIGKILL of the broker while a backlog drains, then a restart: consumption resumes exactly
    once per queue (one consumer, as aio-pika restores it: no second one beside it from the
    watchdog), nothing stays unacknowledged on a consumer that no longer handles it, every event
    is handled exactly once."""
    settings = make_settings(HarnessSettings, db_name=f"t{run_id}_sigkill", amqp_url=broker.url)
    await _queues_of_some_age(settings, broker)
    h = Harness(settings)
    consumer = h.consumer

    async def slow(event, envelope):  # slow enough that the kill finds the drain under way
        await asyncio.sleep(0.5)  # (a prefetch of 32 at a time: ~64 a second, ~4 s after 40)
        await h.on_seeker(event, envelope)

    consumer.handlers[SeekerRegistered.TYPE] = (SeekerRegistered, slow)
    ids = [uuid.uuid4().hex for _ in range(BACKLOG)]
    effects = h.rt.db["effects"]
    async with running(h.app) as client:
        for start in range(0, BACKLOG, 50):
            await asyncio.gather(
                *(h.rt.bus.publish(wrap(seeker(i), i)) for i in ids[start : start + 50])
            )
        await eventually(lambda: _at_least(effects, 40), timeout=30)
        await broker.kill()
        assert await effects.count_documents({}) < BACKLOG, "drained before the kill"
        await eventually(lambda: _status(client, 503), timeout=30)
        await broker.start()
        await eventually(lambda: _status(client, 200), timeout=90, interval=0.5)
        await eventually(lambda: _at_least(effects, BACKLOG), timeout=120, interval=0.5)
        drained = {"messages": 0, "messages_ready": 0, "messages_unacknowledged": 0, "consumers": 1}
        # the broker's queue metrics lag a few seconds behind
        await eventually(lambda: _queue_is(broker, consumer.name, drained), timeout=30, interval=1)
        # the consumer watchdog looks every 5 s: let it look a few times, then check again
        await asyncio.sleep(12)
        assert (await client.get("/readyz")).status_code == 200
        assert (await broker.queues())[consumer.name] == drained
        assert await consumer.broker_consumers() == 1  # as a passive declare sees it
        assert await effects.count_documents({}) == BACKLOG
        assert await effects.count_documents({"count": {"$ne": 1}}) == 0  # none twice
        # and the queue still consumes
        after = uuid.uuid4().hex
        await h.rt.bus.publish(wrap(seeker(after), after))
        await eventually(lambda: h.effect_count(after), timeout=30)


async def _queues_of_some_age(settings, broker) -> None:
    """Declare the topology, then stop and start the broker's app once. RabbitMQ 3.10 writes a new
    quorum queue's Ra registration to disk lazily: a SIGKILL seconds after the declaration loses
    it, and the queue then never gets a leader again (its consumers wait forever). Production
    queues are old; so are this test's, after a clean stop."""
    prep = Harness(settings)
    await prep.rt.bus.broker.connect()
    try:
        await prep.rt.bus.declare()
    finally:
        await prep.rt.bus.broker.stop()
        await prep.rt.client.close()
    await broker.stop_app()
    await broker.start_app()


async def _queue_is(broker, name: str, expected: dict[str, int]) -> bool:
    return (await broker.queues()).get(name) == expected


async def _at_least(collection, n: int) -> bool:
    return await collection.count_documents({}) >= n


async def _claimed(h, sid) -> bool:
    return await h.rt.db["processed_messages"].count_documents({}) == 1


async def _status(client, code: int) -> bool:
    return (await client.get("/readyz")).status_code == code


async def _none_pending(h) -> bool:
    return await h.relay.pending() == 0
