"""Integration: direct requests from employer systems over AMQP, each system connecting as its own
RabbitMQ user made by deploy/local/employer-user.sh. The sender is RabbitMQ's validated user_id,
never the payload; refusals are dead-lettered and answered on the system's reply queue; one
message id has one effect."""

from __future__ import annotations

import asyncio
import json
import uuid

import aio_pika
import aiohttp
import pytest
from aio_pika.exceptions import ChannelPreconditionFailed, DeliveryError
from aiormq.exceptions import AMQPError, ChannelAccessRefused
from prometheus_client import REGISTRY

from tests.applications.support import EmployerSystem, dead_letters, management
from tests.conftest import AMQP_URL, eventually

pytestmark = pytest.mark.integration


async def employer_systems(prefix: str):
    """make(employer_id) → a connected employer system; users are removed afterwards."""
    made: list[EmployerSystem] = []

    async def make(employer_id: str) -> EmployerSystem:
        sys_ = EmployerSystem(employer_id, prefix)
        await asyncio.to_thread(sys_.create_user)
        await sys_.connect()
        made.append(sys_)
        return sys_

    yield make
    for sys_ in made:
        await sys_.close()
    await drop_policy(prefix)


@pytest.fixture
async def system(apps):
    async for make in employer_systems(apps.settings.bus_prefix):
        yield make


async def drop_policy(prefix: str) -> None:
    """employer-user.sh sets the bound of the requests queue as a policy: remove it again."""
    base, auth = management()
    async with aiohttp.ClientSession(headers=auth) as session:
        await session.delete(f"{base}/policies/%2F/{prefix}employer-requests-limits")


async def publish_as(
    sys_: EmployerSystem,
    body: dict | bytes,
    *,
    message_id: str,
    user_id: str | None,
    headers: dict | None = None,
) -> None:
    """Publish as the employer system with full control of user_id and headers."""
    assert sys_.connection is not None
    channel = await sys_.connection.channel(publisher_confirms=True)
    try:
        exchange = await channel.get_exchange(f"{sys_.prefix}employer.requests", ensure=False)
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        await exchange.publish(
            aio_pika.Message(
                raw,
                content_type="application/json",
                message_id=message_id,
                user_id=user_id,
                headers=headers,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key="employer.request.submitted.v1",
        )
    finally:
        await channel.close()


async def copy_back_by_hand(queue: str, message_id: str, body: bytes | None = None) -> None:
    """What a replay without the dead-letter tool's care does (an operator with a shovel, an old
    tool): take the dead letter and publish it again to the queue with its headers, as the
    operator's user (optionally with another body)."""
    conn = await aio_pika.connect(AMQP_URL)
    async with conn:
        channel = await conn.channel(publisher_confirms=True)
        dead = await channel.get_queue(f"{queue}.dead")
        held = []
        while (msg := await dead.get(fail=False, no_ack=False)) is not None:
            held.append(msg)
        for msg in held:
            if msg.message_id != message_id:
                await msg.nack(requeue=True)
                continue
            headers = {k: v for k, v in (msg.headers or {}).items() if not k.startswith("x-")}
            await channel.default_exchange.publish(
                aio_pika.Message(
                    msg.body if body is None else body,
                    headers=headers,
                    message_id=msg.message_id,
                    content_type=msg.content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=queue,
            )
            await msg.ack()


def command(job: str, seeker: str, **extra):
    return {
        "job_id": job,
        "seeker_id": seeker,
        "message": "貴方の経験を活かせる求人です。",
        "client_reference": f"crm-{uuid.uuid4().hex[:6]}",
        **extra,
    }


async def requests_of(apps, seeker: str) -> list[dict]:
    resp = await apps.client.get("/api/v1/me/requests", headers=apps.tokens.seeker(seeker))
    return resp.json()["items"]


async def dead_reasons(apps, message_id: str) -> list[str]:
    queue = f"{apps.settings.bus_prefix}applications.employer-requests"
    return [
        str(m["properties"].get("headers", {}).get("x-dead-reason"))
        for m in await dead_letters(queue)
        if m["properties"].get("message_id") == message_id
    ]


async def test_a_request_from_an_employer_system_reaches_the_seeker(apps, system) -> None:
    employer = await apps.employer()
    job = await apps.posting(employer)
    seeker = await apps.seeker()
    sys_a = await system(employer)
    body = command(job, seeker)
    await sys_a.publish(body)
    items = await eventually(lambda: requests_of(apps, seeker))
    assert items[0]["job_id"] == job and items[0]["message"] == body["message"]
    assert items[0]["employer_id"] == employer
    replies = await sys_a.replies()
    assert replies[0]["type"] == "applications.request.sent.v1"
    assert replies[0]["data"]["client_reference"] == body["client_reference"]
    assert replies[0]["data"]["request_id"] == items[0]["request_id"]
    assert replies[0]["headers"]["employer_id"] == employer
    sent = await apps.spy.wait_for("applications.request.sent.v1", seeker_id=seeker)
    assert sent[0].data["via"] == "amqp"

    # the standard envelope around the command is accepted too
    other = await apps.seeker()
    envelope = {
        "id": str(uuid.uuid4()),
        "type": "employer.request.submitted.v1",
        "occurred_at": "2026-11-24T01:02:03Z",
        "producer": "crm",
        "correlation_id": "c-1",
        "subject": employer,
        "data": command(job, other),
    }
    await sys_a.publish(envelope)
    await eventually(lambda: requests_of(apps, other))


def consumer_metrics(apps) -> dict[str, float]:
    """The employer-request consumer's handler metrics now (the queue is shared by this
    session's tests: compare before and after)."""
    labels = {
        "queue": f"{apps.settings.bus_prefix}applications.employer-requests",
        "type": "employer.request.submitted.v1",
    }
    consumed = "hataraku_events_consumed_total"
    return {
        name: REGISTRY.get_sample_value(metric, {**labels, **extra}) or 0.0
        for name, metric, extra in (
            ("ok", consumed, {"outcome": "ok"}),
            ("duplicate", consumed, {"outcome": "duplicate"}),
            ("handled", "hataraku_consumer_handler_seconds_count", {}),
            ("in_flight", "hataraku_consumer_in_flight", {}),
        )
    }


async def test_a_duplicate_message_has_one_effect(apps, system) -> None:
    before = consumer_metrics(apps)
    employer = await apps.employer()
    job = await apps.posting(employer)
    seeker = await apps.seeker()
    sys_a = await system(employer)
    body, message_id = command(job, seeker), str(uuid.uuid4())
    await asyncio.gather(*(sys_a.publish(body, message_id=message_id) for _ in range(3)))
    await eventually(lambda: requests_of(apps, seeker))
    await sys_a.publish(body, message_id=message_id)  # and once more, later
    await asyncio.sleep(1.0)
    assert len(await requests_of(apps, seeker)) == 1
    assert len(apps.spy.of("applications.request.sent.v1", seeker_id=seeker)) == 1
    replies = await sys_a.replies(count=2, timeout=2)
    assert [r["type"] for r in replies] == ["applications.request.sent.v1"]  # no rejection
    assert await dead_reasons(apps, message_id) == []
    # the handler metrics every consumer has: one handled, the rest duplicates
    after = consumer_metrics(apps)
    assert after["ok"] - before["ok"] == 1
    assert after["duplicate"] - before["duplicate"] >= 1
    assert after["handled"] - before["handled"] >= 2
    assert after["in_flight"] == 0


async def test_a_request_for_another_employers_posting_is_rejected(apps, system) -> None:
    employer_a, employer_b = await apps.employer(), await apps.employer()
    job_a = await apps.posting(employer_a)
    seeker = await apps.seeker()
    sys_a, sys_b = await system(employer_a), await system(employer_b)
    body, message_id = command(job_a, seeker), str(uuid.uuid4())
    await sys_b.publish(body, message_id=message_id)
    replies = await sys_b.replies()
    assert replies[0]["type"] == "applications.request.rejected.v1"
    data = replies[0]["data"]
    assert data["code"] == "not_posting_owner" and data["employer_id"] == employer_b
    assert data["message_id"] == message_id and data["client_reference"] == body["client_reference"]
    assert data["detail"] == "自社の求人ではありません。"
    reasons = await eventually(lambda: dead_reasons(apps, message_id))
    assert "not_posting_owner" in reasons[0]
    assert await requests_of(apps, seeker) == []
    assert await sys_a.replies(timeout=1) == []  # A hears nothing of it


async def test_a_forged_employer_id_in_the_payload_cannot_act_for_that_employer(
    apps, system
) -> None:
    employer_a, employer_b = await apps.employer(), await apps.employer()
    job_a = await apps.posting(employer_a)
    seeker = await apps.seeker()
    sys_b = await system(employer_b)
    message_id = str(uuid.uuid4())
    await sys_b.publish(command(job_a, seeker, employer_id=employer_a), message_id=message_id)
    replies = await sys_b.replies()
    assert replies[0]["data"]["code"] == "employer_mismatch"
    assert replies[0]["data"]["employer_id"] == employer_b
    assert "employer_mismatch" in (await eventually(lambda: dead_reasons(apps, message_id)))[0]
    assert await requests_of(apps, seeker) == []

    # RabbitMQ itself refuses a user_id that is not the connection's user
    with pytest.raises(ChannelPreconditionFailed):
        await sys_b.publish(command(job_a, seeker), user_id=f"employer-{employer_a}")

    # and a message without user_id is nobody's: dead-lettered, no request, no answer
    anonymous = str(uuid.uuid4())
    await sys_b.publish(command(job_a, seeker), message_id=anonymous, user_id=None)
    reasons = await eventually(lambda: dead_reasons(apps, anonymous))
    assert reasons[0].startswith("unauthorised")
    assert await requests_of(apps, seeker) == []
    assert await sys_b.replies(timeout=1) == []


async def test_invalid_and_rule_breaking_messages_are_answered(apps, system) -> None:
    employer = await apps.employer()
    job = await apps.posting(employer)
    private = await apps.seeker(visibility="private")
    sys_a = await system(employer)
    await sys_a.publish(b"not json at all", message_id="m-invalid-" + uuid.uuid4().hex)
    await sys_a.publish({"job_id": job}, message_id="m-missing-" + uuid.uuid4().hex)
    await sys_a.publish(command(job, private), message_id="m-private-" + uuid.uuid4().hex)
    await sys_a.publish(
        command(job, await apps.seeker(), message="あ" * 1001),
        message_id="m-long-" + uuid.uuid4().hex,
    )
    replies = await sys_a.replies(count=4)
    by_id = {r["data"]["message_id"].split("-")[1]: r["data"]["code"] for r in replies}
    assert by_id == {
        "invalid": "invalid_message",
        "missing": "invalid_message",
        "private": "profile_not_public",
        "long": "invalid_message",
    }


async def test_the_employer_user_may_write_only_to_employer_requests(apps, system) -> None:
    employer = await apps.employer()
    sys_a = await system(employer)
    assert sys_a.connection is not None
    channel = await sys_a.connection.channel(publisher_confirms=True)
    events = await channel.get_exchange(f"{apps.settings.bus_prefix}hataraku.events", ensure=False)
    with pytest.raises(ChannelAccessRefused):
        await events.publish(
            aio_pika.Message(json.dumps({}).encode(), user_id=sys_a.user),
            routing_key="identity.seeker.cancelled.v1",
        )
    # nor read the service's queue
    channel = await sys_a.connection.channel()
    queue = await channel.get_queue(
        f"{apps.settings.bus_prefix}applications.employer-requests", ensure=False
    )
    with pytest.raises(ChannelAccessRefused):
        await queue.get(fail=False)


async def test_the_example_publisher_sends_and_reads_the_answer(apps, system) -> None:
    import sys

    from tests.applications.support import ROOT

    employer = await apps.employer()
    job = await apps.posting(employer)
    seeker = await apps.seeker()
    sys_a = await system(employer)
    args = [
        sys.executable,
        "-m",
        "services.applications.example_employer_publisher",
        "--employer-id",
        employer,
        "--password",
        sys_a.password,
        "--job-id",
        job,
        "--seeker-id",
        seeker,
        "--message",
        "ご経験を活かせる求人です。",
        "--prefix",
        apps.settings.bus_prefix,
        "--wait",
        "10",
    ]
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, (out.decode(), err.decode())
    assert "accepted: request_id=" in out.decode()
    items = await requests_of(apps, seeker)
    assert out.decode().strip().endswith(items[0]["request_id"])
    # the same again: refused as already requested, and the script says so
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 1 and "already_requested" in out.decode()


# --- hole 7: a dead letter never carries more authority than its original -------------------


async def test_a_dead_letter_replay_is_checked_as_the_first_delivery_was(apps, system) -> None:
    from servicekit.deadletters import run as deadletters

    employer_a, employer_b = await apps.employer(), await apps.employer()
    job_a = await apps.posting(employer_a)
    seeker = await apps.seeker()
    sys_a, sys_b = await system(employer_a), await system(employer_b)
    queue = f"{apps.settings.bus_prefix}applications.employer-requests"

    # B's system: no user_id, but a sender header that names A
    forged = str(uuid.uuid4())
    await publish_as(
        sys_b,
        command(job_a, seeker),
        message_id=forged,
        user_id=None,
        headers={"hataraku-sender": f"employer-{employer_a}", "hataraku-sender-sig": "0" * 64},
    )
    reasons = await eventually(lambda: dead_reasons(apps, forged))
    assert reasons[0].startswith("unauthorised")

    # the tool refuses to replay it ...
    result = await deadletters("replay", queue, url=AMQP_URL, message_id=forged, replay_all=False)
    assert [(r["message_id"], r.get("refused")) for r in result if r["message_id"] == forged] == [
        (forged, "unauthorised")
    ]
    # ... and a copy put back by hand is checked as the first delivery was: unauthorised again
    await copy_back_by_hand(queue, forged)
    await asyncio.sleep(1.0)
    assert [r.startswith("unauthorised") for r in await dead_reasons(apps, forged)] == [True]
    assert await requests_of(apps, seeker) == []
    assert await sys_a.replies(timeout=1) == [] and await sys_b.replies(timeout=1) == []

    # a validated sender survives a replay (same authority, no more): A's refused request is
    # refused again for the same reason, not as unauthorised
    private = await apps.seeker(visibility="private")
    refused = str(uuid.uuid4())
    await sys_a.publish(command(job_a, private), message_id=refused)
    assert (await sys_a.replies())[0]["data"]["code"] == "profile_not_public"
    await eventually(lambda: dead_reasons(apps, refused))
    replayed = await deadletters(
        "replay", queue, url=AMQP_URL, message_id=refused, replay_all=False
    )
    assert [r.get("replayed") for r in replayed if r["message_id"] == refused] == [True]
    reasons = await eventually(lambda: dead_reasons(apps, refused))
    assert "profile_not_public" in reasons[0]

    # the signature binds the sender to the body: A's signed headers on another body count nothing
    await copy_back_by_hand(queue, refused, body=json.dumps(command(job_a, seeker)).encode())
    await asyncio.sleep(1.0)
    assert [r.startswith("unauthorised") for r in await dead_reasons(apps, refused)] == [True]
    assert await requests_of(apps, seeker) == []


# --- hole 8: size and rate limits ------------------------------------------------------------


async def test_an_oversized_body_is_refused_before_it_is_parsed(apps, system) -> None:
    from services.applications import amqp

    employer = await apps.employer()
    job = await apps.posting(employer)
    seeker = await apps.seeker()
    sys_a = await system(employer)
    big = str(uuid.uuid4())
    body = json.dumps(command(job, seeker, message="あ" * amqp.MAX_BODY_BYTES)).encode()
    assert len(body) > amqp.MAX_BODY_BYTES
    await sys_a.publish(body, message_id=big)
    replies = await sys_a.replies()
    assert replies[0]["data"]["code"] == "message_too_large"
    assert replies[0]["data"]["job_id"] is None  # nothing of the body was read
    assert "message_too_large" in (await eventually(lambda: dead_reasons(apps, big)))[0]
    await sys_a.publish(command(job, seeker))  # the consumer goes on
    await eventually(lambda: requests_of(apps, seeker))


async def test_the_requests_queue_is_bounded_and_employer_users_are_limited(
    run_id, monkeypatch
) -> None:
    """employer-user.sh bounds the queue by a policy (reject-publish: the sender's confirm is a
    nack) and limits the user's connections and channels. In a namespace of its own, with a
    queue as the service declares it and no consumer, so that it fills."""
    prefix = f"t{run_id}q{uuid.uuid4().hex[:6]}."
    monkeypatch.setenv("EMPLOYER_QUEUE_MAX_LENGTH", "3")
    monkeypatch.setenv("EMPLOYER_MAX_CONNECTIONS", "2")
    monkeypatch.setenv("EMPLOYER_MAX_CHANNELS", "3")
    conn = await aio_pika.connect(AMQP_URL)
    sys_ = EmployerSystem(uuid.uuid4().hex, prefix)
    extra: list[aio_pika.abc.AbstractConnection] = []
    try:
        channel = await conn.channel()
        exchange = await channel.declare_exchange(
            f"{prefix}employer.requests", aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(
            f"{prefix}applications.employer-requests",
            durable=True,
            arguments={"x-queue-type": "quorum"},
        )
        await queue.bind(exchange, "#")
        await asyncio.to_thread(sys_.create_user)
        await sys_.connect()
        outcomes = []
        for n in range(6):
            try:
                await sys_.publish({"n": n})
                outcomes.append("ack")
            except DeliveryError:  # nacked by the broker: not queued
                outcomes.append("nack")
        # a quorum queue notices the overflow after the message that crossed the limit
        assert outcomes == ["ack"] * 4 + ["nack"] * 2
        declared = await channel.declare_queue(queue.name, passive=True)
        assert declared.declaration_result.message_count == 4

        # two connections, the third is refused
        second = EmployerSystem(sys_.employer_id, prefix, password=sys_.password)
        await second.connect()
        assert second.connection is not None
        extra.append(second.connection)
        third = EmployerSystem(sys_.employer_id, prefix, password=sys_.password)
        with pytest.raises((AMQPError, ConnectionError)):
            await third.connect()
        # three channels on the user's connections, the fourth is refused
        assert sys_.connection is not None
        channels = [await sys_.connection.channel() for _ in range(2)]
        channels.append(await second.connection.channel())
        with pytest.raises((AMQPError, ConnectionError)):
            await second.connection.channel()
        del channels
    finally:
        for c in extra:
            await c.close()
        await sys_.close()
        await drop_policy(prefix)
        await conn.close()
