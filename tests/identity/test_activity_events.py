"""Identity consumes the applications service's events: applying or being referred in the
registration's last month extends it, once per event."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.applications import ApplicationSubmitted, ReferralIssued
from servicekit import outbox
from tests.conftest import eventually
from tests.identity.test_lifecycle import to_day

pytestmark = pytest.mark.integration


def submitted(seeker_id: str, on: date) -> ApplicationSubmitted:
    return ApplicationSubmitted(
        application_id="a1",
        seeker_id=seeker_id,
        employer_id="e1",
        job_id="j1",
        job_number="13010-00000001",
        title="一般事務",
        revision=1,
        route="direct",
        status="applied",
        office_code="13010",
        submitted_on=on,
        version=1,
    )


async def test_an_application_event_in_the_last_month_extends_the_registration(env, clock):
    headers, seeker = await env.seeker_headers()
    sid = seeker["seeker_id"]
    last = date.fromisoformat(seeker["expires_on"])
    to_day(clock, last.replace(day=5))
    bus = env.app.state.runtime.bus
    envelope = outbox.envelope(
        submitted(sid, last.replace(day=5)), producer="applications", subject="a1"
    )
    await bus.publish(envelope)
    await bus.publish(envelope)  # delivered twice: one extension

    event = await env.tap.event(
        "identity.seeker.registration_extended.v1", seeker_id=sid, reason="application"
    )
    extended = date.fromisoformat(event.data["expires_on"])
    assert extended > last

    async def shown() -> bool:
        me = (await env.client.get("/api/v1/me", headers=headers)).json()
        return me["expires_on"] == extended.isoformat()

    await eventually(shown)
    extensions = [
        e
        for e in env.events_for(sid, "identity.seeker.registration_extended.v1")
        if e.data["reason"] == "application"
    ]
    assert len(extensions) == 1


async def test_a_referral_before_the_last_month_changes_nothing(env):
    headers, seeker = await env.seeker_headers()
    sid = seeker["seeker_id"]
    last = date.fromisoformat(seeker["expires_on"])
    early = last.replace(day=1).replace(month=last.month - 1 if last.month > 1 else 12)
    issued = ReferralIssued(
        application_id="a2",
        seeker_id=sid,
        employer_id="e1",
        job_id="j1",
        job_number="13010-00000001",
        referral_number="13010-R-2026-000001",
        office_code="13010",
        office_name="ハローワーク飯田橋",
        issued_on=early,
        issued_by="staff1",
        version=2,
    )
    bus = env.app.state.runtime.bus
    envelope = outbox.envelope(issued, producer="applications", subject="a2")
    await bus.publish(envelope)
    consumer = next(c for c in bus.consumers if c.name.endswith("identity.events"))

    async def handled() -> bool:
        # the consumer's record of the event, by its key (the queue and the event id)
        key = f"{consumer.name}:{envelope.id}"
        return await consumer.processed.find_one({"_id": key, "state": "done"}) is not None

    await eventually(handled)
    me = (await env.client.get("/api/v1/me", headers=headers)).json()
    assert date.fromisoformat(me["expires_on"]) == last
    assert not [
        e
        for e in env.events_for(sid, "identity.seeker.registration_extended.v1")
        if e.data["reason"] == "referral"
    ]
