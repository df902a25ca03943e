"""Integration: what a process that stops half-way leaves behind is completed — a step whose
events were queued but never published, a (seeker, posting) claim whose application ended without
releasing it — and a provisional registration confirmed later."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.applications import ApplicationWithdrawn
from contracts.identity import SeekerConfirmed
from servicekit import outbox

pytestmark = pytest.mark.integration


async def test_a_step_whose_publish_never_happened_is_published_by_the_sweep(apps) -> None:
    seeker = await apps.seeker()
    job = await apps.posting(await apps.employer())
    app = await apps.applied(seeker, job, "direct")
    app_id = app["application_id"]
    await apps.spy.wait_for("applications.application.submitted.v1", application_id=app_id)
    core = apps.app.state.applications.apply.core
    # what a writer that stopped right after its write leaves: the step and its event, no kick
    event = ApplicationWithdrawn(
        application_id=app_id,
        seeker_id=seeker,
        employer_id=app["employer_id"],
        job_id=job,
        from_status="applied",
        reason="crash test",
        by_role="seeker",
        employer_notified=True,
        version=2,
    )
    env = outbox.envelope(event, producer="applications", subject=app_id)
    now = datetime.now(UTC)
    step = {
        "version": 2,
        "status": "withdrawn",
        "action": "withdraw",
        "at": now,
        "by_role": "seeker",
        "by_id": seeker,
    }
    doc = await core.records.get("applications", app_id)
    fields = {"status": "withdrawn", "withdrawn_reason": "crash test", "updated_at": now}
    assert await core.records.change("applications", doc, fields=fields, entry=step, events=[env])
    # a second change decided on the same version loses
    assert (
        await core.records.change("applications", doc, fields=fields, entry=step, events=[]) is None
    )

    headers = apps.tokens.seeker(seeker)
    one = await apps.client.get(f"/api/v1/applications/{app_id}", headers=headers)
    assert one.json()["status"] == "withdrawn" and len(one.json()["timeline"]) == 2
    assert not apps.spy.of("applications.application.withdrawn.v1", application_id=app_id)
    await apps.app.state.runtime.relay.sweep_all()
    published = await apps.spy.wait_for(
        "applications.application.withdrawn.v1", reason="crash test"
    )
    assert str(published[0].id) == str(env.id)
    again = await apps.client.post(f"/api/v1/applications/{app_id}/withdraw", headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


async def test_a_claim_its_ended_application_kept_is_taken_over(apps) -> None:
    seeker = await apps.seeker()
    job = await apps.posting(await apps.employer())
    first = await apps.applied(seeker, job, "direct")
    headers = apps.tokens.seeker(seeker)
    withdrawn = await apps.client.post(
        f"/api/v1/applications/{first['application_id']}/withdraw", headers=headers
    )
    assert withdrawn.status_code == 200
    # the release after the final step did not happen (the process stopped in between)
    await apps.db["claims"].insert_one(
        {"_id": f"apply:{seeker}:{job}", "application_id": first["application_id"]}
    )
    second = await apps.apply(seeker, job)
    assert second.status_code == 201, second.text
    # the new application holds the claim now: a third is refused
    third = await apps.apply(seeker, job, "direct")
    assert third.status_code == 409 and third.json()["code"] == "already_applied"


async def test_a_claim_without_its_application_is_taken_over_once_it_is_old(apps) -> None:
    """A process that stopped between taking the claim and inserting the application: while
    the claim is fresh the insert may still be under way (refused); once old, it is taken over."""
    from datetime import UTC, datetime

    seeker = await apps.seeker()
    job = await apps.posting(await apps.employer())
    claim = f"apply:{seeker}:{job}"
    await apps.db["claims"].insert_one(
        {"_id": claim, "application_id": "never-written", "at": datetime.now(UTC)}
    )
    fresh = await apps.apply(seeker, job, "direct")
    assert fresh.status_code == 409 and fresh.json()["code"] == "application_pending"
    assert fresh.headers["retry-after"] == "5"
    await apps.db["claims"].update_one(
        {"_id": claim}, {"$set": {"at": datetime.now(UTC) - timedelta(minutes=5)}}
    )
    taken = await apps.apply(seeker, job, "direct")
    assert taken.status_code == 201, taken.text
    held = await apps.db["claims"].find_one({"_id": claim})
    assert held["application_id"] == taken.json()["application_id"]


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
