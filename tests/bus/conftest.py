from __future__ import annotations

import uuid

import pytest

from tests.bus.harness import Harness, HarnessSettings


@pytest.fixture
def harness(make_settings, run_id):
    suffix = uuid.uuid4().hex[:6]
    settings = make_settings(
        HarnessSettings,
        db_name=f"t{run_id}_{suffix}_harness",
        # a broker namespace of its own: nothing another suite binds or publishes reaches it
        bus_prefix=f"t{run_id}h{suffix}.",
        retry_max_attempts=3,
        retry_base_delay_ms=30,
    )
    return Harness(settings, queue=f"harness{suffix}.events")
