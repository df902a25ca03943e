"""The event backbone against the real broker and database: idempotency, poison messages,
bounded retries with dead-lettering, unroutable publishes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from functools import partial

import aio_pika
import pytest
from aio_pika.exceptions import DeliveryError

from contracts import Envelope
from contracts.identity import EmployerRegistered, PasswordChanged, SeekerRegistered
from servicekit import outbox
from tests.bus.amqp import drain, publish_bytes
from tests.bus.harness import Harness
from tests.conftest import eventually, running

pytestmark = pytest.mark.integration


def seeker(seeker_id: str) -> SeekerRegistered:
    return SeekerRegistered(
        seeker_id=seeker_id,
        seeker_number="13010-00000001",
        office_code="13010",
        status="registered",
        registered_on=date(2026, 11, 24),
        version=1,
    )


def employer(employer_id: str) -> EmployerRegistered:
    return EmployerRegistered(
        employer_id=employer_id,
        establishment_number="1301-000001-3",
        name="株式会社テスト",
        office_code="13010",
        industry="製造業",
        version=1,
    )


def wrap(event, subject: str) -> Envelope:
    return outbox.envelope(event, producer="test", subject=subject)


def queue_of(h: Harness) -> str:
    return h.consumer.name


async def test_the_same_event_twice_has_one_effect(harness):
    h = harness
    async with running(h.app):
        sid, marker = uuid.uuid4().hex, uuid.uuid4().hex
        env = wrap(seeker(sid), sid)
        await h.rt.bus.publish(env)
        await h.rt.bus.publish(env)  # a redelivery: same event id
        await h.rt.bus.publish(wrap(seeker(marker), marker))
        await eventually(lambda: h.effect_count(marker))  # one queue, in order: both copies seen
        assert await h.effect_count(sid) == 1


async def test_malformed_messages_are_dead_lettered_with_reason_and_the_next_is_processed(harness):
    h = harness
    async with running(h.app):
        events = h.rt.bus.topology.events.name
        await publish_bytes(events, SeekerRegistered.TYPE, b"{not json", message_id="m1")
        bad_payload = wrap(seeker("x"), "x").model_copy(update={"data": {"seeker_id": 1}})
        await publish_bytes(events, SeekerRegistered.TYPE, bad_payload.model_dump_json().encode())
        good = uuid.uuid4().hex
        await h.rt.bus.publish(wrap(seeker(good), good))
        await eventually(lambda: h.effect_count(good))

        dead = await drain(f"{queue_of(h)}.dead", wait=0.2)
        reasons = sorted(str(m.headers["x-dead-reason"]) for m in dead)
        assert len(dead) == 2
        assert reasons[0].startswith("invalid envelope")
        assert reasons[1].startswith("invalid identity.seeker.registered.v1 payload")
        assert dead[0].body in (b"{not json", bad_payload.model_dump_json().encode())


async def test_a_transient_failure_is_retried_and_then_succeeds(harness):
    h = harness
    h.failures_left = 2
    async with running(h.app):
        eid = uuid.uuid4().hex
        await h.rt.bus.publish(wrap(employer(eid), eid))
        await eventually(lambda: h.effect_count(eid))
        assert h.calls == 3
        assert await drain(f"{queue_of(h)}.dead") == []


async def test_a_handler_failing_every_time_is_retried_a_bounded_number_of_times_then_dead_lettered(
    harness,
):
    h = harness
    h.failures_left = -1  # always
    async with running(h.app):
        eid = uuid.uuid4().hex
        await h.rt.bus.publish(wrap(employer(eid), eid))
        dead: list[aio_pika.abc.AbstractIncomingMessage] = []

        async def dead_arrived() -> bool:
            dead.extend(await drain(f"{queue_of(h)}.dead"))
            return bool(dead)

        await eventually(dead_arrived)
        assert h.calls == 4  # the first try and 3 retries
        assert "failed after 3 retries" in str(dead[0].headers["x-dead-reason"])
        assert await h.effect_count(eid) == 0
        # the consumer is still running: a good message goes through
        sid = uuid.uuid4().hex
        await h.rt.bus.publish(wrap(seeker(sid), sid))
        await eventually(lambda: h.effect_count(sid))


async def test_an_unroutable_event_is_kept_in_the_unrouted_queue_not_lost(harness):
    h = harness
    async with running(h.app):
        nobody = PasswordChanged(account_id="a1", reason="reset")  # no service queue is bound to it
        env = wrap(nobody, "a1")
        await h.rt.bus.publish(env)
        await h.write_aggregate("agg-unrouted", nobody)
        await eventually(
            lambda: _zero(h.relay.pending())
        )  # published: it does not block the outbox
        kept = await drain(h.rt.bus.topology.unrouted_queue.name)
        assert str(env.id) in {m.message_id for m in kept}
        assert len(kept) == 2


async def test_an_unroutable_command_raises_and_the_outbox_keeps_it(harness):
    from contracts.notifier import SendEmail

    h = harness
    async with running(h.app):
        command = SendEmail(to="a@example.jp", template="password_reset", params={})
        with pytest.raises(DeliveryError):  # no notifier queue in this namespace
            await h.rt.bus.publish(wrap(command, "a1"))
        await h.write_aggregate("agg-unroutable", command)
        await h.relay.sweep()
        assert await h.relay.pending() == 1  # not lost: still pending for a later attempt


async def _zero(awaitable) -> bool:
    return await awaitable == 0


async def test_dead_letters_can_be_listed_and_replayed(harness):
    from servicekit.deadletters import run as deadletters
    from tests.conftest import AMQP_URL

    h = harness
    h.failures_left = -1
    async with running(h.app):
        eid = uuid.uuid4().hex
        env = wrap(employer(eid), eid)
        await h.rt.bus.publish(env)
        queue = queue_of(h)

        async def listed() -> list:
            return await deadletters("list", queue, url=AMQP_URL, message_id=None, replay_all=False)

        items = await eventually(listed)
        assert [i["message_id"] for i in items] == [str(env.id)]
        assert "failed after 3 retries" in items[0]["reason"]

        h.failures_left = 0  # the cause is fixed; replay it
        replayed = await deadletters(
            "replay", queue, url=AMQP_URL, message_id=str(env.id), replay_all=False
        )
        assert replayed[0]["replayed"] is True
        await eventually(lambda: h.effect_count(eid))
        assert await listed() == []


async def test_the_request_id_of_an_http_request_becomes_the_correlation_id_of_its_events(harness):
    from tests.bus.amqp import spy_queue

    h = harness
    spy = f"{queue_of(h)}.corr"
    async with running(h.app) as client:
        await spy_queue(spy, h.rt.bus.topology.events.name, PasswordChanged.TYPE)
        r = await client.post("/aggregates/agg-corr", headers={"X-Request-ID": "req-12345"})
        assert r.status_code == 200
        assert r.headers["x-request-id"] == "req-12345"
        got = await eventually(lambda: drain(spy))
        envelope = Envelope.model_validate_json(got[0].body)
        assert envelope.correlation_id == "req-12345"
        assert got[0].correlation_id == "req-12345"


async def test_a_body_that_claims_json_but_is_not_is_dead_lettered_not_stuck(harness):
    h = harness
    async with running(h.app):
        events = h.rt.bus.topology.events.name
        await publish_bytes(
            events, SeekerRegistered.TYPE, b"\xff\xfe not json", content_type="application/json"
        )
        good = uuid.uuid4().hex
        await h.rt.bus.publish(wrap(seeker(good), good))
        await eventually(lambda: h.effect_count(good))
        dead = await eventually(lambda: drain(f"{queue_of(h)}.dead"))
        assert str(dead[0].headers["x-dead-reason"]).startswith("invalid envelope")


async def test_a_backlog_left_without_a_kick_goes_out_with_the_sweep_each_event_once(harness):
    """What a crash (or another process's writes) leaves behind — events written, never published
    — is found on the pending index by the relay's sweep within seconds, each event once."""
    h = harness
    async with running(h.app):
        ids = [uuid.uuid4().hex for _ in range(250)]
        docs = [{"_id": i, **outbox.initial(wrap(seeker(i), i)), "n": n} for n, i in enumerate(ids)]
        await h.rt.db["aggregates"].insert_many(docs)  # as if the process died before its kicks
        assert await h.relay.pending() == 250
        await eventually(lambda: _zero(h.relay.pending()), timeout=30)
        for i in ids:
            await eventually(partial(h.effect_count, i))
        await h.settle()
        assert [await h.effect_count(i) for i in ids] == [1] * len(ids)
        assert await h.relay.sweep_all() == 0  # nothing left to publish twice


async def test_a_flush_waiting_for_another_keeps_the_document_serialised(harness, monkeypatch):
    """While one flush of a document publishes, a second waits on its lock; when the first ends,
    the lock must stay known until the second is done too — otherwise a third flush arriving
    then takes a new lock and publishes beside the second (each event twice)."""
    h = harness
    async with running(h.app):
        doc_id = uuid.uuid4().hex
        await h.rt.db["aggregates"].insert_one(
            {"_id": doc_id, **outbox.initial(wrap(seeker(doc_id), doc_id))}
        )
        gate = asyncio.Event()
        publish = h.rt.bus.publish

        async def held(envelope):
            await gate.wait()
            await publish(envelope)

        monkeypatch.setattr(h.rt.bus, "publish", held)
        first = asyncio.create_task(h.relay.flush("aggregates", doc_id))
        await asyncio.sleep(0.05)  # the first holds the lock, in its publish
        second = asyncio.create_task(h.relay.flush("aggregates", doc_id))
        await asyncio.sleep(0.05)  # the second waits for the lock
        gate.set()
        assert await first == 1
        assert not second.done()
        assert ("aggregates", doc_id) in h.relay._locks
        assert await second == 0
        assert ("aggregates", doc_id) not in h.relay._locks


async def test_the_watchdog_repairs_a_missing_consumer_through_a_reconnect_never_a_second_one(
    harness, monkeypatch
):
    """A consumer that stays missing while connected (as a restore stuck in a basic.consume the
    broker never answers) is repaired by closing the connection: aio-pika restores the same
    consumer, the broker still counts exactly one, and consumption goes on."""
    from servicekit.bus import watch_consumers

    h = harness
    async with running(h.app):
        bus = h.rt.bus
        connection = bus.broker._connection
        first_transport = connection.transport
        real = bus.consumers_attached

        async def missing_until_reconnected() -> bool:
            return connection.transport is not first_transport and await real()

        monkeypatch.setattr(bus, "consumers_attached", missing_until_reconnected)
        stop = asyncio.Event()
        watchdog = asyncio.create_task(watch_consumers(bus, stop, interval=0.2, grace=0.3))
        try:
            await eventually(lambda: connection.transport is not first_transport, timeout=10)
            await eventually(real, timeout=20)
        finally:
            stop.set()
            await watchdog
        assert await h.consumer.broker_consumers() == 1
        sid = uuid.uuid4().hex
        await bus.publish(wrap(seeker(sid), sid))
        await eventually(lambda: h.effect_count(sid), timeout=20)
        assert await h.effect_count(sid) == 1
