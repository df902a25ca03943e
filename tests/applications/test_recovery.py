"""Integration: what a crash between two writes leaves behind is completed — a change recorded
but not yet applied to its application (read path and sweep), a (seeker, posting) claim whose
application never appeared, and a provisional registration confirmed later."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.applications import ApplicationWithdrawn
from contracts.identity import SeekerConfirmed
from servicekit import outbox

pytestmark = pytest.mark.integration


async def record_without_applying(apps, app: dict, *, marker_age: timedelta | None = None) -> str:
    """What a writer that stopped right after inserting the change leaves behind."""
    app_id = app["application_id"]
    now = datetime.now(UTC)
    event = ApplicationWithdrawn(
        application_id=app_id,
        seeker_id=app["seeker_id"],
        employer_id=app["employer_id"],
        job_id=app["job_id"],
        from_status=app["status"],
        reason="crash test",
        by_role="seeker",
        employer_notified=True,
        version=2,
    )
    env = outbox.envelope(event, producer="applications", subject=app_id)
    entry = {
        "version": 2,
        "status": "withdrawn",
        "action": "withdraw",
        "at": now,
        "by_role": "seeker",
        "by_id": app["seeker_id"],
    }
    await apps.db["changes"].insert_one(
        {
            "_id": f"applications:{app_id}:2",
            "kind": "applications",
            "doc_id": app_id,
            "version": 2,
            "fields": {"status": "withdrawn", "withdrawn_reason": "crash test", "updated_at": now},
            "entry": entry,
            "at": now,
            **outbox.initial(env),
        }
    )
    if marker_age is not None:
        await apps.db["change_markers"].insert_one(
            {
                "_id": uuid.uuid4().hex,
                "kind": "applications",
                "doc_id": app_id,
                "at": now - marker_age,
            }
        )
    return str(env.id)


async def test_a_change_not_yet_applied_shows_on_every_read(apps) -> None:
    seeker = await apps.seeker()
    job = await apps.posting(await apps.employer())
    app = await apps.applied(seeker, job, "direct")
    event_id = await record_without_applying(apps, app)
    headers = apps.tokens.seeker(seeker)

    listed = await apps.client.get("/api/v1/me/applications", headers=headers)
    item = listed.json()["items"][0]
    assert item["status"] == "withdrawn" and item["timeline"][-1]["action"] == "withdraw"
    one = await apps.client.get(f"/api/v1/applications/{app['application_id']}", headers=headers)
    assert one.json()["status"] == "withdrawn" and len(one.json()["timeline"]) == 2
    doc = await apps.db["applications"].find_one({"_id": app["application_id"]})
    assert doc["version"] == 2
    # its event was queued with the change: the relay's full scan (at start-up and every few
    # minutes; nothing kicked it, as after a crash) publishes it
    await apps.app.state.runtime.relay.sweep_all()
    await apps.spy.wait_for("applications.application.withdrawn.v1", reason="crash test")
    assert str(apps.spy.of("applications.application.withdrawn.v1", reason="crash test")[0].id) == (
        event_id
    )
    # the next step builds on it
    again = await apps.client.post(
        f"/api/v1/applications/{app['application_id']}/withdraw", headers=headers
    )
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


async def test_the_sweep_completes_changes_nobody_reads(apps) -> None:
    seeker = await apps.seeker()
    job = await apps.posting(await apps.employer())
    app = await apps.applied(seeker, job, "direct")
    await record_without_applying(apps, app, marker_age=timedelta(minutes=1))
    core = apps.app.state.applications.apply.core
    assert await core.changes.sweep() >= 1
    doc = await apps.db["applications"].find_one({"_id": app["application_id"]})
    assert doc["status"] == "withdrawn" and doc["version"] == 2
    assert await apps.db["change_markers"].count_documents({"doc_id": app["application_id"]}) == 0


async def test_a_claim_left_without_its_application_is_taken_over(apps) -> None:
    job = await apps.posting(await apps.employer())
    old, fresh = await apps.seeker(), await apps.seeker()
    for seeker, age in ((old, timedelta(minutes=5)), (fresh, timedelta(0))):
        await apps.db["claims"].insert_one(
            {
                "_id": f"apply:{seeker}:{job}",
                "application_id": uuid.uuid4().hex,
                "at": datetime.now(UTC) - age,
            }
        )
    assert (await apps.apply(old, job)).status_code == 201
    # a claim just taken may belong to an application being inserted right now
    resp = await apps.apply(fresh, job)
    assert resp.status_code == 409 and resp.json()["code"] == "already_applied"


async def test_a_provisional_registration_confirmed_later_may_use_referral(apps) -> None:
    seeker = await apps.seeker(status="provisional")
    job = await apps.posting(await apps.employer())
    assert (await apps.apply(seeker, job)).json()["code"] == "provisional_seeker"
    confirmed = SeekerConfirmed(
        seeker_id=seeker,
        seeker_number="13010-00004242",
        office_code="13010",
        expires_on=date.today() + timedelta(days=90),
        version=3,
    )
    await apps.handled(await apps.feed.publish(confirmed, seeker))
    made = await apps.apply(seeker, job)
    assert made.status_code == 201 and made.json()["seeker_number"] == "13010-00004242"
