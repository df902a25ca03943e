"""Fault test: the broker goes away and comes back. Stops and starts the RabbitMQ application of
the local broker (deploy/local/rabbitmq.sh), so it runs only where that broker is ours."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import pytest

from contracts.identity import SeekerRegistered
from tests.bus.amqp import drain, spy_queue
from tests.bus.test_backbone import queue_of, seeker, wrap
from tests.conftest import eventually, running

pytestmark = [pytest.mark.integration, pytest.mark.broker_restart]

RABBIT = Path(__file__).resolve().parents[2] / "deploy" / "local" / "rabbitmq.sh"


async def rabbit(action: str) -> None:
    proc = await asyncio.create_subprocess_exec("bash", str(RABBIT), action)
    assert await proc.wait() == 0, f"rabbitmq.sh {action} failed"


@pytest.fixture
def local_broker() -> None:
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("the broker is not a local rabbitmq-server this test may stop")


async def test_outbox_publishes_once_after_a_broker_restart_and_consumption_resumes(
    harness, local_broker
):
    h = harness
    spy = f"{queue_of(h)}.spy"
    await spy_queue(spy, h.rt.bus.topology.events.name, SeekerRegistered.TYPE)
    async with running(h.app) as client:
        assert (await client.get("/readyz")).status_code == 200
        first = uuid.uuid4().hex
        await rabbit("stop-app")
        try:
            await h.write_aggregate(first, seeker(first))  # the relay cannot publish now
            await eventually(lambda: _status(client, 503), timeout=30)
            assert await h.relay.pending() == 1
        finally:
            await rabbit("start-app")

        await eventually(lambda: _status(client, 200), timeout=60, interval=0.5)
        await eventually(lambda: h.effect_count(first), timeout=30)
        await eventually(lambda: _none_pending(h), timeout=10)

        second = uuid.uuid4().hex
        await h.rt.bus.publish(wrap(seeker(second), second))
        await eventually(lambda: h.effect_count(second), timeout=30)

        seen = [str(m.message_id) for m in await drain(spy, wait=0.3)]
        assert sorted(seen) == sorted({m for m in seen})  # no event published twice
        assert len(seen) == 2


async def _status(client, code: int) -> bool:
    return (await client.get("/readyz")).status_code == code


async def _none_pending(h) -> bool:
    return await h.relay.pending() == 0
