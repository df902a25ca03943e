"""Integration: direct requests from employer systems over AMQP, each system connecting as its own
RabbitMQ user made by deploy/local/employer-user.sh. The sender is RabbitMQ's validated user_id,
never the payload; refusals are dead-lettered and answered on the system's reply queue; one
message id has one effect."""

from __future__ import annotations

import asyncio
import json
import uuid

import aio_pika
import pytest
from aio_pika.exceptions import ChannelPreconditionFailed
from aiormq.exceptions import ChannelAccessRefused

from tests.applications.support import EmployerSystem, dead_letters
from tests.conftest import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
async def system(apps):
    """make(employer_id) → a connected employer system; users are removed afterwards."""
    made: list[EmployerSystem] = []

    async def make(employer_id: str) -> EmployerSystem:
        sys_ = EmployerSystem(employer_id, apps.settings.bus_prefix)
        await asyncio.to_thread(sys_.create_user)
        await sys_.connect()
        made.append(sys_)
        return sys_

    yield make
    for sys_ in made:
        await sys_.close()


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


async def test_a_duplicate_message_has_one_effect(apps, system) -> None:
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
