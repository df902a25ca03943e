"""Faults with the real processes: 2,000 numbered actions (direct applications and messages)
through the gateway while the harness kills with SIGKILL, in turn, every service process (each a
consumer), the RabbitMQ node, the database server, and a producer between its database write
and its publish — then the checker (tests/fault/checker.py) compares what the clients were told
with what each service's database shows: 0 lost, 0 duplicated effects.

The whole system runs on a RabbitMQ node and a database server of the test's own
(tests/bus/private_broker.py, private_database.py), so killing them disturbs no other test.
Also checked: every service says not ready (``/readyz`` 503) while the broker or the database is
away; consumption resumes after every restart (each later action's effects arrive, and at the
end every queue has exactly one consumer and nothing unacknowledged); nothing is dead-lettered.

Settings changed for the run (each process's environment): the per-account message limit
(30 a minute) is lifted, since the employer sends hundreds; a consumer's claim lease is 10 s
instead of 120 s, so that an event whose handler was killed mid-way is taken over within seconds
rather than minutes (the lease is what makes that handover safe, whatever its length).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.bus.private_broker import PrivateBroker
from tests.bus.private_database import PrivateDatabase
from tests.conftest import RUN_ID
from tests.fault.checker import Report, check, collect
from tests.fault.driver import Drivers, Pacer, plan, postings_needed
from tests.fault.faults import Faults
from tests.fault.world import make_world
from tests.system import SERVICES, System, whole_system

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

ACTIONS = 2000
DRIVERS = 8
SEEKERS = 8
RATE = 25.0  # actions a second while no fault holds them up
BETWEEN_FAULTS = 30  # actions answered between two faults
NAMESPACE = "fault"


@pytest.fixture
async def broker() -> AsyncIterator[PrivateBroker]:
    if not PrivateBroker.available():
        pytest.skip("rabbitmq-server is not installed here")
    # not under pytest's tmp dir: the server runs as the rabbitmq user, which cannot enter it
    folder = Path(tempfile.mkdtemp(prefix="hataraku-fault-rabbit-"))
    node = PrivateBroker(folder)
    await node.start()
    yield node
    await node.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def database() -> AsyncIterator[PrivateDatabase]:
    folder = Path(tempfile.mkdtemp(prefix="hataraku-fault-db-")) / "data"
    node = PrivateDatabase(folder)
    if not node.available():
        pytest.skip("no mongod on PATH and no secantusd-rs built in .data/bin (make infra)")
    await node.start()
    yield node
    await node.stop()
    shutil.rmtree(folder.parent, ignore_errors=True)


def side_queue(name: str) -> bool:
    """A queue nobody consumes (``<queue>.delayed`` has its delay relay: not a side queue)."""
    return name.endswith((".dead", "hataraku.unrouted"))


async def _ready_all(system: System) -> None:
    for name in [*SERVICES, "gateway"]:
        await asyncio.to_thread(system.wait_ready, name, 120)


async def _age_queues(system: System, broker: PrivateBroker) -> None:
    """Stop and start the broker's app once the services have declared their queues: RabbitMQ
    3.10 writes a new quorum queue's registration to disk lazily, and a SIGKILL soon after the
    declaration loses it (the queue never gets a leader again). Production queues are old; so
    are this test's, after a clean stop (see tests/bus/test_broker_restart.py)."""
    await broker.stop_app()
    await broker.start_app()
    await _ready_all(system)


async def _flowing(drivers: Drivers, more: int) -> None:
    """Wait until ``more`` further actions are answered (the system is serving between faults)."""
    target = min(drivers.done + more, len(drivers.actions))
    while drivers.done < target:
        await asyncio.sleep(0.1)


async def _faults(faults: Faults, drivers: Drivers) -> list[int]:
    """Every fault in turn; returns how many actions were answered when each one began."""
    began: list[int] = []
    steps: list[Any] = [
        *(lambda name=name: faults.kill_service(name) for name in SERVICES),
        faults.kill_broker,
        faults.kill_database,
        lambda: faults.kill_producer("messaging", "messages"),
        lambda: faults.kill_producer("applications", "applications"),
    ]
    for step in steps:
        await _flowing(drivers, BETWEEN_FAULTS)
        began.append(drivers.done)
        await step()
    return began


async def _quiet(faults: Faults, broker: PrivateBroker, timeout: float = 120) -> dict[str, Any]:
    """Until nothing is pending in any outbox and every queue is empty, twice in a row (the
    broker's queue figures lag a little)."""
    deadline = time.monotonic() + timeout
    calm = 0
    queues: dict[str, Any] = {}
    while calm < 2:
        assert time.monotonic() < deadline, f"not quiet: {await faults.pending()} {queues}"
        pending = await faults.pending()
        queues = await broker.queues()
        busy = [n for n, q in queues.items() if q["messages"] and not side_queue(n)]
        calm = calm + 1 if not pending and not busy else 0
        await asyncio.sleep(1)
    return queues


async def _final_report(drivers: Drivers, dbs: dict[str, Any], seeker_ids: list[str]) -> Report:
    """Check until nothing is missing (effects still on their way), then once more a moment later
    (a duplicate arriving late)."""
    jobs = {a.job_id for a in drivers.actions if a.kind == "apply"}
    deadline = time.monotonic() + 60
    while True:
        report = check(drivers.actions, await collect(dbs, jobs), seeker_ids)
        if report.lost == 0 or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    await asyncio.sleep(3)
    return check(drivers.actions, await collect(dbs, jobs), seeker_ids)


async def test_no_effect_is_lost_or_duplicated_while_every_process_is_killed_in_turn(
    tmp_path: Path, broker: PrivateBroker, database: PrivateDatabase
) -> None:
    begun = time.monotonic()
    extra_env = {
        "MONGODB_URL": database.url,
        "AMQP_URL": broker.url,
        "SEND_LIMIT_PER_MINUTE": "100000",
        "CLAIM_LEASE_SECONDS": "10",
    }
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(database.url, tz_aware=True)
    dbs = {s: client[f"t{RUN_ID}_{NAMESPACE}_{s}"] for s in SERVICES}
    with whole_system(
        tmp_path, namespace=NAMESPACE, extra_env=extra_env, ready_timeout=120
    ) as sys_:
        await _age_queues(sys_, broker)
        async with httpx.AsyncClient(base_url=sys_.gateway, timeout=20) as gw:
            world = await make_world(
                sys_, gw, seekers=SEEKERS, postings=postings_needed(ACTIONS, SEEKERS)
            )
            set_up = time.monotonic() - begun
            pacer = Pacer(RATE)
            drivers = Drivers(gw, world, plan(ACTIONS, world), pacer, run=RUN_ID)
            faults = Faults(sys_, broker, database, dbs, pacer)
            driving = asyncio.create_task(drivers.run_all(DRIVERS))
            try:
                began = await _faults(faults, drivers)
                faulted = time.monotonic() - begun
                pacer.burst = True  # the faults are over: the rest as fast as it goes
                await driving
            finally:
                driving.cancel()
            driven = time.monotonic() - begun
            queues = await _quiet(faults, broker)
            report = await _final_report(drivers, dbs, world.seeker_ids)
            checked = time.monotonic() - begun
    await client.close()

    dead = {n: q["messages"] for n, q in queues.items() if n.endswith(".dead") and q["messages"]}
    consumers = {n: q for n, q in queues.items() if not side_queue(n)}
    retried = sum(a.attempts > 1 for a in drivers.actions)
    # a retry answered 200: the first attempt was applied, its answer lost with the process
    replayed = sum(a.answers[-1:] == ["200"] for a in drivers.actions)
    summary = (
        f"FAULT SUITE {report.line()} dead_letters={sum(dead.values())} "
        f"retried={retried} applied_without_answer={replayed} | uncertain: "
        f"{[(a.number, a.kind, a.answers) for a in drivers.actions if a.outcome != 'acked'][:10]} | "
        f"faults at actions {began}: {'; '.join(faults.timings)} | "
        f"killed holding an event: {faults.killed_mid_event} | "
        f"not ready seen: { {k: sorted(v) for k, v in faults.not_ready.items()} } | "
        f"at s: set up {set_up:.0f}, faults done {faulted:.0f}, actions done {driven:.0f}, "
        f"checked {checked:.0f}, stopped {time.monotonic() - begun:.0f}"
    )
    print(summary)
    (sys_.logs / "summary.txt").write_text(summary + "\n")

    assert not drivers.surprises, drivers.surprises[:20]
    assert report.lost == 0 and report.duplicated == 0, (summary, report.problems())
    # a seeker told "already applied" has an application (an orphaned claim answers
    # application_pending, to retry, never already_applied)
    assert not report.conflict_without_effect, summary
    assert not dead, dead
    assert all(b < ACTIONS for b in began), f"actions ran out before a fault: {began}"
    for outage in ("broker", "database"):
        assert faults.not_ready[outage] == set(SERVICES), (outage, faults.not_ready)
    for name, counts in faults.left_pending.items():
        assert counts[-1] > 0, f"{name} never killed between its write and its publish: {counts}"
    for name, q in consumers.items():  # consumption resumed once per queue, nothing held
        assert q["consumers"] == 1 and q["messages_unacknowledged"] == 0, (name, q)
    assert report.outcomes["acked"] > 0
