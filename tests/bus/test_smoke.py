from __future__ import annotations

import uuid
from datetime import date

import pytest

from contracts.identity import SeekerRegistered
from tests.bus.harness import Harness, HarnessSettings
from tests.conftest import eventually, running

pytestmark = pytest.mark.integration


def seeker_event(seeker_id: str) -> SeekerRegistered:
    return SeekerRegistered(
        seeker_id=seeker_id,
        seeker_number="13010-00000001",
        office_code="13010",
        status="registered",
        registered_on=date(2026, 11, 24),
        version=1,
    )


async def test_outbox_event_is_published_and_consumed_once(make_settings, run_id):
    h = Harness(make_settings(HarnessSettings, db_name=f"t{run_id}_smoke"))
    async with running(h.app) as client:
        assert (await client.get("/readyz")).status_code == 200
        sid = uuid.uuid4().hex
        await h.write_aggregate(sid, seeker_event(sid))
        await eventually(lambda: h.effect_count(sid))
        await eventually(lambda: _zero(h.relay.pending()))


async def _zero(awaitable):
    return await awaitable == 0
