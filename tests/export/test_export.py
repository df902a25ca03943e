"""The whole export (issue #15, item 3): a seeker starts an export, identity announces it on the
bus, jobs, applications, messaging and the notifier each answer with their part of that seeker's
data, identity collects them; a part that never comes makes the export partial, naming it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from contracts.export import (
    ApplicationsExportPart,
    JobsExportPart,
    MessagingExportPart,
    NotifierExportPart,
)
from servicekit import outbox
from servicekit.bus import Bus
from tests.conftest import eventually
from tests.export.conftest import System
from tests.identity.support import Env

POSTING = {
    "title": "社内システムエンジニア",
    "description": "自社の業務システムの開発と保守。",
    "occupation_code": "10",
    "prefecture": "13",
    "municipality": "新宿区",
    "employment_type": "full_time",
    "wage_min": 250000,
    "wage_max": 350000,
    "wage_unit": "monthly",
    "accepts_online_referral": True,
    "accepts_direct_application": False,
}


async def until_ok(call: Any, status: int) -> httpx.Response:
    """Retry a call until it answers ``status`` (projections travel over the bus)."""
    last: list[httpx.Response] = []

    async def check() -> bool:
        resp = await call()
        last[:] = [resp]
        return bool(resp.status_code == status)

    try:
        await eventually(check, timeout=10, interval=0.2)
    except AssertionError:
        raise AssertionError(last[0].text if last else "no answer") from None
    return last[0]


async def finished(client: httpx.AsyncClient, headers: dict[str, str], export_id: str) -> Any:
    async def check() -> Any:
        resp = await client.get(f"/api/v1/me/export/{export_id}", headers=headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        return body if body["status"] != "pending" else None

    return await eventually(check, timeout=10, interval=0.1)


async def test_the_whole_export_gathers_every_service_part(system: System) -> None:
    env, c = system.identity, system.clients
    staff = await env.staff_headers("13010")
    me, seeker = await env.seeker_headers()
    other, _ = await env.seeker_headers()
    r = await c["identity"].post(
        "/api/v1/staff/employers",
        headers=staff,
        json={
            "name": "株式会社はたらく商事",
            "email": "saiyo-export@example.co.jp",
            "address": "東京都新宿区西新宿2-8-1",
            "industry": "情報通信業",
        },
    )
    assert r.status_code == 201, r.text
    employer_id = r.json()["employer_id"]
    r = await until_ok(
        lambda: c["jobs"].post(
            "/api/v1/jobs", headers=staff, json={**POSTING, "employer_id": employer_id}
        ),
        201,
    )
    job_id = r.json()["job_id"]

    # jobs: a favourite and a saved search
    await until_ok(lambda: c["jobs"].put(f"/api/v1/me/favorites/{job_id}", headers=me), 200)
    search = {"name": "新宿の開発職", "conditions": {"prefecture": "13"}}
    r = await c["jobs"].post("/api/v1/me/saved-searches", headers=me, json=search)
    assert r.status_code == 201, r.text
    # applications: a referral application
    application = {"job_id": job_id, "route": "referral", "motivation": "御社で働きたいです。"}
    r = await until_ok(
        lambda: c["applications"].post("/api/v1/applications", headers=me, json=application),
        201,
    )
    application_id = r.json()["application_id"]
    r = await c["applications"].post(
        f"/api/v1/staff/applications/{application_id}/referral", headers=staff
    )
    assert r.status_code == 200, r.text
    # messaging: a notice to this seeker
    notice = {
        "title": "面接練習のご案内",
        "body": "来週、面接練習会を開きます。",
        "audience": {"kind": "seekers", "seeker_ids": [seeker["seeker_id"]]},
    }
    r = await c["messaging"].post("/api/v1/staff/notices", headers=staff, json=notice)
    assert r.status_code == 201, r.text
    # the notifier: the application's notification
    await until_ok(
        lambda: c["notifier"].get("/api/v1/me/notifications", headers=me),
        200,
    )

    async def notified() -> bool:
        r = await c["notifier"].get("/api/v1/me/notifications", headers=me)
        return bool(r.json()["items"])

    await eventually(notified, timeout=10, interval=0.2)

    r = await c["identity"].post("/api/v1/me/export", headers=me)
    assert r.status_code == 202, r.text
    started = r.json()
    assert started["status"] == "pending" and started["document"] is None
    assert r.headers["location"] == f"/api/v1/me/export/{started['export_id']}"

    job = await finished(c["identity"], me, started["export_id"])
    assert job["status"] == "ready", job
    assert job["missing_parts"] == [] and job["truncated"] == {}
    doc = job["document"]
    assert doc["registration"]["seeker_number"] == seeker["seeker_number"]
    assert doc["login_history"]
    assert [f["job_id"] for f in doc["favorites"]] == [job_id]
    assert [s["name"] for s in doc["saved_searches"]] == ["新宿の開発職"]
    assert [a["application_id"] for a in doc["applications"]] == [application_id]
    mine = doc["applications"][0]
    assert mine["status"] == "referred" and len(mine["timeline"]) >= 2
    assert mine["referral"]["referral_number"] and mine["referral"]["letter_url"]
    assert [n["title"] for n in doc["notices"]] == ["面接練習のご案内"]
    assert doc["notifications"]
    assert doc["requests"] == [] and doc["conversations"] == []
    assert doc["export"]["item_limit"] == 100 and doc["export"]["limits"]
    text = json.dumps(doc, ensure_ascii=False)
    assert "password_hash" not in text and "outbox" not in text

    # listed among the seeker's exports; another seeker neither sees it nor gets this data
    r = await c["identity"].get("/api/v1/me/exports", headers=me)
    assert [e["export_id"] for e in r.json()["items"]] == [started["export_id"]]
    r = await c["identity"].get(f"/api/v1/me/export/{started['export_id']}", headers=other)
    assert r.status_code == 404 and r.json()["code"] == "export_not_found"
    r = await c["identity"].post("/api/v1/me/export", headers=other)
    theirs = await finished(c["identity"], other, r.json()["export_id"])
    assert theirs["status"] == "ready"
    assert theirs["document"]["applications"] == [] and theirs["document"]["favorites"] == []
    assert application_id not in json.dumps(theirs)

    # a finished export does not block the next one
    r = await c["identity"].post("/api/v1/me/export", headers=me)
    assert r.status_code == 202, r.text


@pytest.fixture
def late(lone_identity: Env) -> Iterator[Callable[[], None]]:
    """Moves identity's clock past every export's deadline; back to the real time after."""
    yield lambda: lone_identity.clock.advance(timedelta(seconds=31))
    lone_identity.clock.offset = timedelta(0)


async def test_a_part_that_never_comes_makes_the_export_partial(
    lone_identity: Env, late: Callable[[], None]
) -> None:
    env = lone_identity
    me, _ = await env.seeker_headers()
    r = await env.client.post("/api/v1/me/export", headers=me)
    assert r.status_code == 202, r.text
    export_id = r.json()["export_id"]
    # one running export per seeker
    r = await env.client.post("/api/v1/me/export", headers=me)
    assert r.status_code == 409 and r.json()["code"] == "export_running"
    assert r.headers["location"] == f"/api/v1/me/export/{export_id}"
    r = await env.client.get(f"/api/v1/me/export/{export_id}", headers=me)
    assert r.json()["waiting_for"] == ["jobs", "applications", "messaging", "notifier"]

    late()  # nothing answered in time: never waits longer
    job = await finished(env.client, me, export_id)
    assert job["status"] == "partial"
    assert job["missing_parts"] == ["jobs", "applications", "messaging", "notifier"]
    assert job["document"]["export"]["missing_parts"] == job["missing_parts"]
    assert job["document"]["registration"] and job["document"]["applications"] == []
    # the partial one no longer runs
    r = await env.client.post("/api/v1/me/export", headers=me)
    assert r.status_code == 202, r.text


async def test_export_needs_a_seeker_and_takes_no_foreign_ids(lone_identity: Env) -> None:
    env = lone_identity
    _, tokens = await env.account_holder()
    holder = {"Authorization": f"Bearer {tokens['access_token']}"}
    r = await env.client.post("/api/v1/me/export", headers=holder)
    assert r.status_code == 409 and r.json()["code"] == "no_seeker_registration"
    me, _ = await env.seeker_headers()
    r = await env.client.get("/api/v1/me/export/no-such-export", headers=me)
    assert r.status_code == 404 and r.json()["code"] == "export_not_found"
    r = await env.client.get("/api/v1/me/export/bad%20id", headers=me)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await env.client.post("/api/v1/me/export")).status_code == 401


async def test_each_part_is_taken_once_and_only_for_its_own_seeker(lone_identity: Env) -> None:
    env = lone_identity
    me, seeker = await env.seeker_headers()
    r = await env.client.post("/api/v1/me/export", headers=me)
    export_id = r.json()["export_id"]
    account_id = (await env.client.get("/api/v1/me", headers=me)).json()["account_id"]
    own = {"export_id": export_id, "account_id": account_id, "seeker_id": seeker["seeker_id"]}
    feed = Bus(env.settings)
    await feed.broker.connect()

    async def send(part: Any) -> None:
        envelope = outbox.envelope(part, producer="test", subject=export_id)
        await feed.publish(envelope)
        key = f"{env.settings.bus_prefix}identity.events:{envelope.id}"
        db = env.app.state.runtime.db
        await eventually(
            lambda: db["processed_messages"].find_one({"_id": key, "state": "done"}), timeout=10
        )

    try:
        # another seeker's data under this export's id is not taken
        forged = {**own, "seeker_id": "someoneelse"}
        await send(JobsExportPart(**forged, favorites=[{"job_id": "theirs"}]))
        await send(JobsExportPart(**own, favorites=[{"job_id": "first"}]))
        await send(JobsExportPart(**own, favorites=[{"job_id": "again"}]))  # a repeat
        await send(ApplicationsExportPart(**own))
        await send(MessagingExportPart(**own, truncated=["notices"]))
        await send(NotifierExportPart(**{**own, "export_id": "unknown"}))  # no such export
        r = await env.client.get(f"/api/v1/me/export/{export_id}", headers=me)
        assert r.json()["status"] == "pending" and r.json()["waiting_for"] == ["notifier"]
        await send(NotifierExportPart(**own, notifications=[{"title": "通知"}]))
        await send(NotifierExportPart(**own, notifications=[{"title": "遅れて"}]))  # late
    finally:
        await feed.broker.stop()
    r = await env.client.get(f"/api/v1/me/export/{export_id}", headers=me)
    job = r.json()
    assert job["status"] == "ready" and job["missing_parts"] == []
    assert job["document"]["favorites"] == [{"job_id": "first"}]
    assert job["document"]["notifications"] == [{"title": "通知"}]
    assert job["truncated"] == {"messaging": ["notices"]}
