"""Fuzzing AMQP: what an employer system (or anything that reaches a service queue) may send.

Each hostile or broken message is dead-lettered with a reason (or refused by the broker itself),
the consumer is unaffected (a good message after each is handled), and nothing is applied twice.
Two targets: the employer-requests consumer of the applications service (untrusted senders), and
the generic consumer of servicekit.bus through the backbone's harness."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import aio_pika
import pytest
from aio_pika.exceptions import ChannelPreconditionFailed

from contracts.identity import SeekerRegistered
from services.applications import amqp
from tests.applications.test_amqp import (
    command,
    dead_reasons,
    employer_systems,
    publish_as,
    requests_of,
)
from tests.bus.amqp import drain, publish_bytes
from tests.bus.test_backbone import employer, seeker, wrap
from tests.conftest import eventually

pytestmark = pytest.mark.integration

Body = Callable[[str, str], Any]  # (job_id, seeker_id) → a body (bytes or JSON-able)

INVALID = "rejected: invalid_message"
TOO_LARGE = "rejected: message_too_large"


def envelope_of(message_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": message_type,
        "occurred_at": "2026-11-24T01:02:03Z",
        "producer": "crm",
        "correlation_id": None,
        "subject": "x",
        "data": data,
    }


BAD: dict[str, tuple[Body, str]] = {
    "malformed_json": (lambda j, s: b'{"job_id": "' + j.encode(), INVALID),
    "not_utf8": (lambda j, s: b"\xff\xfe\x00{}", INVALID),
    "empty": (lambda j, s: b"", INVALID),
    "not_an_object": (lambda j, s: b"[1, 2, 3]", INVALID),
    "deeply_nested": (lambda j, s: b"[" * 60_000 + b"]" * 60_000, INVALID),
    "huge_integer": (lambda j, s: b'{"job_id": ' + b"9" * 10_000 + b"}", INVALID),
    "wrong_schema": (lambda j, s: {"job_id": 5, "seeker_id": ["x"], "message": None}, INVALID),
    "missing_fields": (lambda j, s: {"job_id": j}, INVALID),
    "extra_nul_message": (lambda j, s: command(j, s, message="\x00" * 50), INVALID),
    "unknown_type": (
        lambda j, s: envelope_of("employer.request.deleted.v1", command(j, s)),
        INVALID,
    ),
    "broken_envelope": (
        lambda j, s: {"type": "employer.request.submitted.v1", "data": command(j, s)},
        INVALID,
    ),
    "oversized": (
        lambda j, s: json.dumps(command(j, s, message="x" * (amqp.MAX_BODY_BYTES + 1))).encode(),
        TOO_LARGE,
    ),
}


@pytest.fixture
async def system(fuzz_apps):
    async for make in employer_systems(fuzz_apps.settings.bus_prefix):
        yield make


async def one_request(apps, seeker_id: str) -> bool:
    return len(await requests_of(apps, seeker_id)) == 1


@pytest.mark.parametrize("case", sorted(BAD))
async def test_a_broken_employer_message_is_dead_lettered_and_the_next_is_handled(
    fuzz_apps, system, case: str
) -> None:
    apps = fuzz_apps
    employer_id = await apps.employer()
    job, seeker_id = await apps.posting(employer_id), await apps.seeker()
    sys_a = await system(employer_id)
    body, reason = BAD[case]
    bad_id = f"fuzz-{case}-{uuid.uuid4().hex}"
    await sys_a.publish(body(job, seeker_id), message_id=bad_id)
    reasons = await eventually(lambda: dead_reasons(apps, bad_id), timeout=20)
    assert len(reasons) == 1 and reasons[0].startswith(reason), reasons
    # the consumer goes on: a good message after it is handled, once
    await sys_a.publish(command(job, seeker_id))
    await eventually(lambda: one_request(apps, seeker_id))
    codes = [r["data"].get("code") for r in await sys_a.replies(count=2)]
    assert codes == [reason.split(": ")[1], None]
    await asyncio.sleep(0.3)
    assert len(await requests_of(apps, seeker_id)) == 1


async def test_missing_or_forged_senders_never_act(fuzz_apps, system) -> None:
    apps = fuzz_apps
    employer_a, employer_b = await apps.employer(), await apps.employer()
    job_a = await apps.posting(employer_a)
    seeker_id = await apps.seeker()
    sys_a, sys_b = await system(employer_a), await system(employer_b)

    # forged user_id: RabbitMQ refuses it (the channel is closed)
    with pytest.raises(ChannelPreconditionFailed):
        await sys_b.publish(command(job_a, seeker_id), user_id=f"employer-{employer_a}")
    # no user_id, with and without a (forged) sender header: dead-lettered, unanswered
    for headers in (None, {"hataraku-sender": f"employer-{employer_a}"}):
        anonymous = str(uuid.uuid4())
        await publish_as(
            sys_b, command(job_a, seeker_id), message_id=anonymous, user_id=None, headers=headers
        )
        reasons = await eventually(partial(dead_reasons, apps, anonymous))
        assert reasons[0].startswith("unauthorised")
    # a user that is not an employer system: the operator itself, without user_id, on the exchange
    conn = await aio_pika.connect(apps.settings.amqp_url)
    async with conn:
        channel = await conn.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(f"{apps.settings.bus_prefix}employer.requests")
        operator = str(uuid.uuid4())
        await exchange.publish(
            aio_pika.Message(json.dumps(command(job_a, seeker_id)).encode(), message_id=operator),
            routing_key="employer.request.submitted.v1",
        )
    assert (await eventually(lambda: dead_reasons(apps, operator)))[0].startswith("unauthorised")
    assert await requests_of(apps, seeker_id) == []
    assert await sys_a.replies(timeout=1) == [] and await sys_b.replies(timeout=1) == []
    # and A's own system still gets through
    await sys_a.publish(command(job_a, seeker_id))
    await eventually(lambda: one_request(apps, seeker_id))


async def test_a_replayed_message_id_has_one_effect(fuzz_apps, system) -> None:
    apps = fuzz_apps
    employer_id = await apps.employer()
    job, seeker_id = await apps.posting(employer_id), await apps.seeker()
    sys_a = await system(employer_id)
    body, message_id = command(job, seeker_id), str(uuid.uuid4())
    await asyncio.gather(*(sys_a.publish(body, message_id=message_id) for _ in range(5)))
    await eventually(lambda: one_request(apps, seeker_id))
    # the same id with another body later: still the first one's effect only
    await sys_a.publish(command(job, await apps.seeker()), message_id=message_id)
    await asyncio.sleep(1.0)
    assert len(await requests_of(apps, seeker_id)) == 1
    assert [r["type"] for r in await sys_a.replies(count=2, timeout=2)] == [
        "applications.request.sent.v1"
    ]


async def test_a_poison_employer_message_is_retried_then_dead_lettered(
    fuzz_apps, system, monkeypatch
) -> None:
    apps = fuzz_apps
    employer_id = await apps.employer()
    job = await apps.posting(employer_id)
    poisoned, healthy = await apps.seeker(), await apps.seeker()
    consumer = next(
        c
        for c in apps.app.state.runtime.bus.consumers
        if isinstance(c, amqp.EmployerRequestConsumer)
    )
    send = consumer.requests.send
    calls = 0

    async def failing(**kwargs: Any) -> Any:
        nonlocal calls
        if kwargs["seeker_id"] == poisoned:
            calls += 1
            raise RuntimeError("the handler fails on this one every time")
        return await send(**kwargs)

    monkeypatch.setattr(consumer.requests, "send", failing)
    sys_a = await system(employer_id)
    poison_id = str(uuid.uuid4())
    await sys_a.publish(command(job, poisoned), message_id=poison_id)
    await sys_a.publish(command(job, healthy))  # not held up behind the poison
    await eventually(lambda: one_request(apps, healthy))
    reasons = await eventually(lambda: dead_reasons(apps, poison_id), timeout=30)
    attempts = apps.settings.retry_max_attempts
    assert reasons[0].startswith(f"failed after {attempts} retries")
    assert calls == attempts + 1  # retries keep the (signed) sender: each one reached the handler
    assert await requests_of(apps, poisoned) == []


# --- the generic consumer (servicekit.bus), through the backbone's harness --------------------

GENERIC: dict[str, tuple[Callable[[], bytes], str]] = {
    "malformed_json": (lambda: b"{not json", "invalid envelope"),
    "not_utf8": (lambda: b"\xff\xfe not json", "invalid envelope"),
    "deeply_nested": (lambda: b"[" * 60_000 + b"]" * 60_000, "invalid envelope"),
    "missing_fields": (lambda: b'{"type": "identity.seeker.registered.v1"}', "invalid envelope"),
    "wrong_schema": (
        lambda: (
            wrap(seeker("x"), "x")
            .model_copy(update={"data": {"seeker_id": ["x"]}})
            .model_dump_json()
            .encode()
        ),
        "invalid identity.seeker.registered.v1 payload",
    ),
    "unknown_type": (
        lambda: (
            wrap(seeker("x"), "x")
            .model_copy(update={"type": "identity.seeker.vanished.v1"})
            .model_dump_json()
            .encode()
        ),
        "no handler for type identity.seeker.vanished.v1",
    ),
}


@pytest.mark.parametrize("case", sorted(GENERIC))
async def test_a_broken_event_is_dead_lettered_and_the_next_is_handled(harness, case: str) -> None:
    from tests.conftest import running

    h = harness
    body, reason = GENERIC[case]
    async with running(h.app):
        await publish_bytes(
            h.rt.bus.topology.events.name,
            SeekerRegistered.TYPE,
            body(),
            message_id=f"fuzz-{case}",
            content_type="application/json",
        )
        good = uuid.uuid4().hex
        await h.rt.bus.publish(wrap(seeker(good), good))
        await eventually(lambda: h.effect_count(good))
        dead = await eventually(lambda: drain(f"{h.consumer.name}.dead"))
        assert [m.message_id for m in dead] == [f"fuzz-{case}"]
        assert str(dead[0].headers["x-dead-reason"]).startswith(reason)
        assert await h.effect_count(good) == 1


async def test_a_poison_event_and_repeats_do_not_disturb_the_consumer(harness) -> None:
    from tests.conftest import running

    h = harness
    h.failures_left = -1  # the EmployerRegistered handler fails every time
    async with running(h.app):
        poison = uuid.uuid4().hex
        poisoned = wrap(employer(poison), poison)
        await h.rt.bus.publish(poisoned)
        repeated = wrap(seeker(uuid.uuid4().hex), "r")
        for _ in range(3):  # one event id, three deliveries
            await h.rt.bus.publish(repeated)
        good = uuid.uuid4().hex
        await h.rt.bus.publish(wrap(seeker(good), good))
        await eventually(lambda: h.effect_count(good))
        dead = await eventually(lambda: drain(f"{h.consumer.name}.dead"), timeout=20)
        assert [m.message_id for m in dead] == [str(poisoned.id)]
        assert str(dead[0].headers["x-dead-reason"]).startswith("failed after 3 retries")
        assert await h.effect_count(repeated.data["seeker_id"]) == 1
        assert await h.effect_count(poison) == 0
