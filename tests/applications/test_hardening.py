"""Issue 13: crafted list cursors are a 400 ``invalid_cursor`` on every applications list (never
a 500); an application's interview is moved at most 10 times, its status changes at most 10
times a minute (429 with Retry-After), and its timeline is capped."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.applications import repository_records
from services.applications.domain import TIMELINE_LIMIT

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# the list cursor here is ``domain.sort_key``: 14 digits of milliseconds, "-", a 32-hex id
CRAFTED = [
    b64({"s": "wage", "v": "1" + "0" * 30, "i": "a"}),  # the cursor of the issue
    b64(["2026-11-24T03:00:00+00:00", "a"]),  # another service's form
    "１７００００００００００００-" + "a" * 32,  # full-width digits
    "0" * 14 + "-" + "g" * 32,
    "0" * 14 + "-" + "a" * 32 + "\n",
    "0" * 15 + "-" + "a" * 32,
    "0" * 14 + "-" + "a" * 31,
    "0" * 14 + "-" + "A" * 32,
    "0" * 14 + "-" + "a" * 32 + "x" * 600,
    '{"$gt": ""}',
    "!!",
    "  ",
]


async def test_crafted_cursors_are_refused_by_every_applications_list(apps) -> None:
    seeker = await apps.seeker()
    employer = await apps.employer()
    job = await apps.posting(employer)
    await apps.applied(seeker, job, route="direct")
    s, e = apps.tokens.seeker(seeker), apps.tokens.employer(employer)
    lists: list[tuple[str, dict[str, str], dict[str, str]]] = [
        ("/api/v1/me/applications", {}, s),
        ("/api/v1/me/requests", {}, s),
        ("/api/v1/employer/applications", {}, e),
        ("/api/v1/employer/applications", {"job_id": job}, e),
        ("/api/v1/employer/requests", {}, e),
        ("/api/v1/requests", {"job_id": job}, e),
        ("/api/v1/employer/seekers", {}, e),
        ("/api/v1/staff/applications", {}, apps.tokens.staff()),
    ]
    for path, params, headers in lists:
        for cursor in CRAFTED:
            r = await apps.client.get(path, params={**params, "cursor": cursor}, headers=headers)
            assert r.status_code == 400, (path, cursor, r.status_code, r.text)
            assert r.headers["content-type"].startswith(PROBLEM)
            assert r.json()["code"] == "invalid_cursor"
            assert "cursor" in r.json()["detail"] and not r.json()["detail"].isascii()
        # a well-formed cursor pages (the staff queue is oldest first: it starts at the epoch)
        r = await apps.client.get(
            path, params={**params, "cursor": "0" * 14 + "-" + "0" * 32}, headers=headers
        )
        assert r.status_code == 200, (path, r.text)


def interview(n: int) -> dict[str, str]:
    return {
        "status": "interview",
        "interview_at": f"2027-01-{n + 1:02d}T01:00:00Z",
        "interview_place": f"本社 {n + 1}階 会議室",
    }


async def _direct_application(apps) -> tuple[str, str, dict[str, str]]:
    seeker = await apps.seeker()
    employer = await apps.employer()
    job = await apps.posting(employer)
    app_id = (await apps.applied(seeker, job, route="direct"))["application_id"]
    return app_id, f"/api/v1/applications/{app_id}/status", apps.tokens.employer(employer)


async def test_an_interview_is_rescheduled_at_most_ten_times(apps, monkeypatch) -> None:
    assert apps.settings.interview_reschedule_limit == 10
    monkeypatch.setattr(apps.settings, "status_changes_per_minute", 100)  # not this test's limit
    app_id, url, emp = await _direct_application(apps)
    for n in range(11):  # the interview, then ten new dates
        r = await apps.client.post(url, json=interview(n), headers=emp)
        assert r.status_code == 200, (n, r.text)
    r = await apps.client.post(url, json=interview(11), headers=emp)
    assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "reschedule_limit_reached"
    assert not r.json()["detail"].isascii()
    # the last date stands, the application moves on, and the seeker still may withdraw
    doc = await apps.db["applications"].find_one({"_id": app_id})
    assert doc["interview"]["place"] == "本社 11階 会議室"
    assert doc["interview_reschedules"] == 10
    assert (await apps.client.post(url, json={"status": "offered"}, headers=emp)).status_code == 200
    changes = await apps.spy.wait_for(
        "applications.application.status_changed.v1", 12, application_id=app_id
    )
    assert len(changes) == 12


async def test_status_changes_are_rate_limited_per_application(apps) -> None:
    assert apps.settings.status_changes_per_minute == 10
    app_id, url, emp = await _direct_application(apps)
    for n in range(10):
        r = await apps.client.post(url, json=interview(n), headers=emp)
        assert r.status_code == 200, (n, r.text)
    r = await apps.client.post(url, json={"status": "offered"}, headers=emp)
    assert r.status_code == 429 and r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "too_many_status_changes" and not r.json()["detail"].isascii()
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    doc = await apps.db["applications"].find_one({"_id": app_id})
    assert doc["status"] == "interview" and len(doc["timeline"]) == 11  # nothing written
    # another application of the same employer is not held back
    _, other, emp2 = await _direct_application(apps)
    assert (await apps.client.post(other, json=interview(0), headers=emp2)).status_code == 200
    # a minute later (the window moved on) the change goes through
    past = datetime.now(UTC) - timedelta(seconds=61)
    await apps.db["applications"].update_one(
        {"_id": app_id}, {"$set": {"recent_changes": [past] * 10}}
    )
    assert (await apps.client.post(url, json={"status": "offered"}, headers=emp)).status_code == 200


async def test_the_timeline_keeps_its_newest_entries(apps, monkeypatch) -> None:
    assert TIMELINE_LIMIT == 100
    monkeypatch.setattr(repository_records, "TIMELINE_LIMIT", 4)
    app_id, url, emp = await _direct_application(apps)
    for n in range(6):
        assert (await apps.client.post(url, json=interview(n), headers=emp)).status_code == 200
    doc = await apps.db["applications"].find_one({"_id": app_id})
    assert [t["version"] for t in doc["timeline"]] == [4, 5, 6, 7]
    view = await apps.client.get(f"/api/v1/applications/{app_id}", headers=emp)
    assert view.status_code == 200
    assert [t["interview_place"] for t in view.json()["timeline"]][-1] == "本社 6階 会議室"
