"""A registration's life: cancelling (by the seeker, by staff), the second path (account →
online seeker application → staff confirmation), consultations and activity extending the
validity, the lapse read-only until staff renew."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import jwt
import pytest

from services.identity.domain_seeker import JST
from services.identity.service_lifecycle import record_activity
from tests.identity.support import GOOD_PASSWORD, bearer, published, spy

pytestmark = pytest.mark.integration

APPLICATION = {
    "name": "田中 花子",
    "name_kana": "タナカ ハナコ",
    "birth_date": "1995-08-20",
    "office_code": "27010",
    "desired_prefectures": ["27"],
    "employment_types": ["part_time"],
}


def to_day(clock, day: date) -> None:
    """Move the service's clock to 10:00 in Japan on ``day``."""
    target = datetime.combine(day, time(10), JST).astimezone(UTC)
    clock.advance(target - clock.now())


async def test_a_seeker_cancels_and_keeps_a_read_only_my_page(env):
    headers, seeker = await env.seeker_headers()
    sid = seeker["seeker_id"]
    queue = await spy("identity.seeker.cancelled.v1")
    await env.client.put(
        "/api/v1/me/profile/visibility", headers=headers, json={"visibility": "public"}
    )

    r = await env.client.post("/api/v1/me/registration/cancel", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["cancelled_on"]
    again = await env.client.post(
        "/api/v1/me/registration/cancel", headers=headers, json={"reason": "就職しました"}
    )
    assert again.status_code == 200 and again.json() == r.json()

    counts = await published(env, queue, sid)
    assert list(counts.values()) == [1]  # one cancellation, published once
    (event,) = env.events_for(sid, "identity.seeker.cancelled.v1")
    assert event.data["cancelled_by"] == "seeker" and event.data["version"] >= 2

    # the token still reads; every change is refused
    profile = await env.client.get("/api/v1/me/profile", headers=headers)
    assert profile.status_code == 200
    assert profile.json()["status"] == "cancelled" and profile.json()["public_view"] is None
    for method, path, body in [
        ("PATCH", "/api/v1/me/profile", {"self_pr": "x"}),
        ("PUT", "/api/v1/me/profile/visibility", {"visibility": "public"}),
    ]:
        r = await env.client.request(method, path, headers=headers, json=body)
        assert r.status_code == 409 and r.json()["code"] == "registration_cancelled", r.text
    me = (await env.client.get("/api/v1/me", headers=headers)).json()
    assert me["seeker_status"] == "cancelled"
    assert (await env.client.get("/api/v1/me/export", headers=headers)).status_code == 200
    assert (await env.login(seeker["email"], GOOD_PASSWORD)).status_code == 200
    staff = await env.staff_headers("13010")
    r = await env.client.post(
        f"/api/v1/staff/seekers/{sid}/annotations", headers=staff, json={"body": "x"}
    )
    assert r.status_code == 409


async def test_staff_cancel_only_their_offices_registrations(env):
    _, seeker = await env.seeker_headers()
    sid = seeker["seeker_id"]
    osaka, tokyo = await env.staff_headers("27010"), await env.staff_headers("13010")
    r = await env.client.post(f"/api/v1/staff/seekers/{sid}/cancel", headers=osaka)
    assert r.status_code == 403 and r.json()["code"] == "other_office"
    r = await env.client.post(
        f"/api/v1/staff/seekers/{sid}/cancel", headers=tokyo, json={"reason": "本人申出"}
    )
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    event = await env.tap.event("identity.seeker.cancelled.v1", seeker_id=sid)
    assert event.data["cancelled_by"] == "staff"
    view = (await env.client.get(f"/api/v1/staff/seekers/{sid}", headers=tokyo)).json()
    assert view["status"] == "cancelled"


async def test_the_second_path_account_then_application_then_confirmation(env):
    _, tokens = await env.account_holder()
    headers = bearer(tokens)
    r = await env.client.post("/api/v1/me/seeker-application", headers=headers, json=APPLICATION)
    assert r.status_code == 201, r.text
    applied = r.json()
    sid = applied["seeker_id"]
    assert applied["status"] == "provisional"
    assert applied["seeker_number"].startswith("27010-")
    again = await env.client.post(
        "/api/v1/me/seeker-application", headers=headers, json=APPLICATION
    )
    assert again.status_code == 409 and again.json()["code"] == "already_registered"

    registered = await env.tap.event("identity.seeker.registered.v1", seeker_id=sid)
    assert registered.data["status"] == "provisional"
    assert (
        registered.data["account_id"]
        == jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"]
    )
    updated = await env.tap.event("identity.seeker.profile_updated.v1", seeker_id=sid)
    assert updated.data["status"] == "provisional"
    assert updated.data["version"] == registered.data["version"]

    # the refreshed tokens carry the seeker id
    old_claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert "seeker_id" not in old_claims
    r = await env.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    fresh = bearer(r.json())
    claims = jwt.decode(r.json()["access_token"], options={"verify_signature": False})
    assert claims["seeker_id"] == sid and claims["office_code"] == "27010"
    me = (await env.client.get("/api/v1/me", headers=fresh)).json()
    assert me["seeker_id"] == sid and me["seeker_status"] == "provisional" and me["expires_on"]
    profile = (await env.client.get("/api/v1/me/profile", headers=fresh)).json()
    assert profile["status"] == "provisional" and profile["desired_prefectures"] == ["27"]

    # staff of another office cannot confirm; the office can, once
    r = await env.client.post(
        f"/api/v1/staff/seekers/{sid}/confirm", headers=await env.staff_headers("13010")
    )
    assert r.status_code == 403
    osaka = await env.staff_headers("27010")
    r = await env.client.post(f"/api/v1/staff/seekers/{sid}/confirm", headers=osaka)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "registered"
    confirmed = await env.tap.event("identity.seeker.confirmed.v1", seeker_id=sid)
    assert confirmed.data["expires_on"] == r.json()["expires_on"]
    assert confirmed.data["version"] > registered.data["version"]
    r = await env.client.post(f"/api/v1/staff/seekers/{sid}/confirm", headers=osaka)
    assert r.status_code == 409 and r.json()["code"] == "not_provisional"
    me = (await env.client.get("/api/v1/me", headers=fresh)).json()
    assert me["seeker_status"] == "registered"

    # a counter registration is not provisional; other roles cannot apply
    _, counter = await env.seeker_headers()
    r = await env.client.post(
        f"/api/v1/staff/seekers/{counter['seeker_id']}/confirm",
        headers=await env.staff_headers("13010"),
    )
    assert r.status_code == 409
    r = await env.client.post("/api/v1/me/seeker-application", headers=osaka, json=APPLICATION)
    assert r.status_code == 403


async def test_parallel_applications_of_one_account_register_once(env):
    _, tokens = await env.account_holder()
    results = await asyncio.gather(
        *(
            env.client.post(
                "/api/v1/me/seeker-application", headers=bearer(tokens), json=APPLICATION
            )
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]


async def test_an_application_is_validated_like_a_profile(env):
    _, tokens = await env.account_holder()
    bad = {**APPLICATION, "office_code": "99999", "desired_prefectures": ["13", "14", "27", "01"]}
    r = await env.client.post("/api/v1/me/seeker-application", headers=bearer(tokens), json=bad)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"office_code", "desired_prefectures"}
    r = await env.client.post(
        "/api/v1/me/seeker-application", headers=bearer(tokens), json={"office_code": "13010"}
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} >= {"name", "birth_date"}


async def test_activity_in_the_last_month_extends_and_a_lapse_is_read_only_until_renewed(
    env, clock
):
    headers, seeker = await env.seeker_headers()
    sid = seeker["seeker_id"]
    staff = await env.staff_headers("13010")
    last = date.fromisoformat(seeker["expires_on"])
    consult = f"/api/v1/staff/seekers/{sid}/consultations"

    # a consultation before the last month records, and extends nothing
    r = await env.client.post(consult, headers=staff, json={"note": "初回相談"})
    assert r.status_code == 201, r.text
    assert r.json()["extended_to"] is None and r.json()["expires_on"] == last.isoformat()

    to_day(clock, last.replace(day=10))
    r = await env.client.post(consult, headers=staff, json={"note": "求人の検討"})
    extended = r.json()["expires_on"]
    assert r.json()["extended_to"] == extended
    assert date.fromisoformat(extended) > last and date.fromisoformat(extended).day >= 28
    event = await env.tap.event(
        "identity.seeker.registration_extended.v1", seeker_id=sid, reason="consultation"
    )
    assert event.data["expires_on"] == extended
    # the same month again: no longer the last one
    r = await env.client.post(consult, headers=staff, json={"note": "再相談"})
    assert r.json()["expires_on"] == extended and r.json()["extended_to"] is None

    # an application in the (new) last month, reported by the applications service one day
    new_last = date.fromisoformat(extended)
    on = new_last.replace(day=3)
    third = await record_activity(env.identity, sid, "application", on)
    assert third is not None and third > new_last
    assert await record_activity(env.identity, sid, "application", on) is None
    assert await record_activity(env.identity, "no-such-seeker", "referral", on) is None
    me = (await env.client.get("/api/v1/me", headers=headers)).json()
    assert me["expires_on"] == third.isoformat()

    # past the last day: lapsed at once (before any scan), read-only, staff renew
    to_day(clock, third + timedelta(days=1))
    profile = (await env.client.get("/api/v1/me/profile", headers=headers)).json()
    assert profile["status"] == "lapsed"
    r = await env.client.patch("/api/v1/me/profile", headers=headers, json={"self_pr": "x"})
    assert r.status_code == 409 and r.json()["code"] == "registration_lapsed"
    r = await env.client.post(consult, headers=staff, json={"note": "x"})
    assert r.status_code == 409 and r.json()["code"] == "registration_lapsed"
    r = await env.client.post(f"/api/v1/staff/seekers/{sid}/renew", headers=staff)
    assert r.status_code == 200, r.text
    renewed = date.fromisoformat(r.json()["expires_on"])
    assert r.json()["status"] == "registered" and renewed > third + timedelta(days=55)
    event = await env.tap.event(
        "identity.seeker.registration_extended.v1", seeker_id=sid, reason="renewal"
    )
    assert event.data["expires_on"] == renewed.isoformat()
    r = await env.client.patch("/api/v1/me/profile", headers=headers, json={"self_pr": "再開"})
    assert r.status_code == 200
    versions = [e.data["version"] for e in env.events_for(sid)]
    assert versions == sorted(versions)  # in order of the changes
