"""Integration: the expiry loop runs on its own (rt.background) and announces expired postings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.jobs.app import create_app
from services.jobs.settings import JobsSettings
from tests.conftest import eventually, running
from tests.jobs.conftest import SteppingClock
from tests.jobs.support import Identity, Spy, Tokens, create

pytestmark = pytest.mark.integration


async def test_the_expiry_loop_marks_and_announces_expired_postings(
    make_settings: Any, run_id: str
) -> None:
    # a service of its own (database and broker names), with a loop every 0.2 s
    settings = make_settings(
        JobsSettings,
        db_name=f"t{run_id}_jobs_loop",
        bus_prefix=f"t{run_id}loop.",
        expiry_interval_seconds=0.2,
    )
    tokens = Tokens(settings)
    clock = SteppingClock(datetime.now(UTC))
    app = create_app(settings, clock=clock, verifier=tokens.verifier())
    async with running(app) as client:
        identity, spy = Identity(settings), Spy(f"{settings.bus_prefix}hataraku.events")
        await identity.start()
        await spy.start()
        try:
            employer = await identity.employer()
            db = app.state.runtime.db
            await eventually(
                lambda: db["employers"].find_one({"_id": employer, "name": {"$exists": True}})
            )
            job = await create(client, tokens.employer(employer))
            clock.advance(timedelta(days=100))
            (event,) = await spy.wait_for("jobs.posting.expired.v1", job_id=job["job_id"])
            assert event.data["valid_until"] == job["valid_until"]
            assert (await db["postings"].find_one({"_id": job["job_id"]}))["status"] == "expired"
            assert (await client.get(f"/api/v1/jobs/{job['job_id']}")).json()["status"] == "expired"
        finally:
            await spy.stop()
            await identity.stop()
