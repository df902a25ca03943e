"""Fault test: the database is killed (SIGKILL) mid-flow and restarted on the same data. Nothing
is lost: events written before the crash go out, a delivery that arrived while the database was
away is handled once it is back, ``/readyz`` says not ready meanwhile, and nothing is applied
twice. Runs against a database server of its own."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from functools import partial
from pathlib import Path

import pytest

from servicekit import outbox
from tests.bus.harness import Harness, HarnessSettings
from tests.bus.private_database import PrivateDatabase
from tests.bus.test_backbone import seeker, wrap
from tests.conftest import eventually, running

pytestmark = pytest.mark.integration


@pytest.fixture
async def database():
    folder = Path(tempfile.mkdtemp(prefix="hataraku-db-")) / "data"
    node = PrivateDatabase(folder)
    if not node.available():
        pytest.skip("no mongod on PATH and no secantusd-rs built in .data/bin (make infra)")
    await node.start()
    yield node
    await node.stop()
    shutil.rmtree(folder.parent, ignore_errors=True)


async def _status(client, code: int) -> bool:
    return (await client.get("/readyz")).status_code == code


async def test_a_database_crash_loses_nothing_and_handles_nothing_twice(
    make_settings, run_id, database
):
    suffix = uuid.uuid4().hex[:6]
    settings = make_settings(
        HarnessSettings,
        mongodb_url=database.url,
        db_name=f"t{run_id}_dbcrash",
        bus_prefix=f"t{run_id}d{suffix}.",
    )
    h = Harness(settings, queue=f"dbcrash{suffix}.events")
    async with running(h.app) as client:
        before = uuid.uuid4().hex
        await h.write_aggregate(before, seeker(before))
        await eventually(lambda: h.effect_count(before))

        # written, never published: as if this process died between its write and its publish
        left = [uuid.uuid4().hex for _ in range(20)]
        await h.rt.db["aggregates"].insert_many(
            [{"_id": i, **outbox.initial(wrap(seeker(i), i))} for i in left]
        )
        await database.kill()
        await eventually(lambda: _status(client, 503), timeout=10)

        # a delivery while the database is away cannot be claimed: it waits on the queue
        during = uuid.uuid4().hex
        await h.rt.bus.publish(wrap(seeker(during), during))

        await database.start()
        await eventually(lambda: _status(client, 200), timeout=10, interval=0.2)
        for key in [during, *left]:
            await eventually(partial(h.effect_count, key), timeout=10)
        after = uuid.uuid4().hex
        await h.write_aggregate(after, seeker(after))
        await eventually(lambda: h.effect_count(after))

        await h.settle()
        counts = [await h.effect_count(k) for k in [before, during, after, *left]]
        assert counts == [1] * len(counts)
        assert await h.relay.pending() == 0
