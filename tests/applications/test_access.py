"""Integration: authorization per resource. An employer sees only applicants to its own postings
and their letters; a seeker only their own applications; staff their own office's. Whoever may
not see an application gets the same 404 as for one that does not exist."""

from __future__ import annotations

import uuid

import pytest

from tests.applications.support import OTHER_OFFICE

pytestmark = pytest.mark.integration


@pytest.fixture
async def referred(apps):
    """Employer A's posting, seeker A's referral application with a letter issued."""
    employer_a = await apps.employer()
    seeker_a = await apps.seeker()
    job = await apps.posting(employer_a)
    app_id = (await apps.applied(seeker_a, job))["application_id"]
    resp = await apps.client.post(
        f"/api/v1/staff/applications/{app_id}/referral", headers=apps.tokens.staff()
    )
    assert resp.status_code == 200
    return {"employer": employer_a, "seeker": seeker_a, "job": job, "application": app_id}


async def test_employer_b_cannot_see_employer_a_applicants_or_letters(apps, referred) -> None:
    app_id = referred["application"]
    a = apps.tokens.employer(referred["employer"])
    b = apps.tokens.employer(await apps.employer())

    listed_a = await apps.client.get("/api/v1/employer/applications", headers=a)
    assert app_id in [i["application_id"] for i in listed_a.json()["items"]]
    listed_b = await apps.client.get("/api/v1/employer/applications", headers=b)
    assert listed_b.status_code == 200
    assert app_id not in [i["application_id"] for i in listed_b.json()["items"]]
    # filtering by A's posting does not help
    by_job = await apps.client.get(
        "/api/v1/employer/applications", params={"job_id": referred["job"]}, headers=b
    )
    assert by_job.json()["items"] == []

    for path in (
        f"/api/v1/applications/{app_id}",
        f"/api/v1/applications/{app_id}/referral-letter",
    ):
        assert (await apps.client.get(path, headers=a)).status_code == 200
        refused = await apps.client.get(path, headers=b)
        assert refused.status_code == 404 and refused.json()["code"] == "application_not_found"
        html = await apps.client.get(path, headers={**b, "Accept": "text/html"})
        assert html.status_code == 404 and "紹介状" not in html.text
    moved = await apps.client.post(
        f"/api/v1/applications/{app_id}/status", json={"status": "screening"}, headers=b
    )
    assert moved.status_code == 404
    unknown = await apps.client.get(f"/api/v1/applications/{uuid.uuid4().hex}", headers=b)
    # the same answer as for an application that does not exist
    assert unknown.status_code == 404 and unknown.json() == refused.json()


async def test_seeker_a_cannot_see_seeker_b_applications(apps, referred) -> None:
    app_id = referred["application"]
    other = apps.tokens.seeker(await apps.seeker())
    for path in (
        f"/api/v1/applications/{app_id}",
        f"/api/v1/applications/{app_id}/referral-letter",
    ):
        resp = await apps.client.get(path, headers=other)
        assert resp.status_code == 404 and resp.json()["code"] == "application_not_found"
    withdraw = await apps.client.post(f"/api/v1/applications/{app_id}/withdraw", headers=other)
    assert withdraw.status_code == 404
    mine = await apps.client.get("/api/v1/me/applications", headers=other)
    assert mine.json() == {"items": [], "next_cursor": None}
    # a seeker cannot move an application on either
    own = apps.tokens.seeker(referred["seeker"])
    moved = await apps.client.post(
        f"/api/v1/applications/{app_id}/status", json={"status": "hired"}, headers=own
    )
    assert moved.status_code == 403


async def test_staff_see_their_office_only_and_admins_every_office(apps, referred) -> None:
    app_id = referred["application"]
    path = f"/api/v1/applications/{app_id}/referral-letter"
    assert (await apps.client.get(path, headers=apps.tokens.staff(OTHER_OFFICE))).status_code == 404
    assert (await apps.client.get(path, headers=apps.tokens.admin())).status_code == 200
    other_queue = await apps.client.get(
        "/api/v1/staff/applications",
        params={"office_code": "13010"},
        headers=apps.tokens.staff(OTHER_OFFICE),
    )
    assert other_queue.status_code == 403
    staff_view = await apps.client.get(
        f"/api/v1/applications/{app_id}", headers=apps.tokens.staff()
    )
    assert staff_view.json()["timeline"][1]["by_id"]  # staff see who did each step


async def test_roles_and_tokens_are_checked(apps, referred) -> None:
    app_id = referred["application"]
    anonymous = await apps.client.get(f"/api/v1/applications/{app_id}")
    assert anonymous.status_code == 401
    forged = await apps.client.get(
        f"/api/v1/applications/{app_id}", headers={"Authorization": "Bearer abc.def.ghi"}
    )
    assert forged.status_code == 401 and forged.json()["code"] == "invalid_token"
    employer = apps.tokens.employer(referred["employer"])
    queue = await apps.client.get("/api/v1/staff/applications", headers=employer)
    assert queue.status_code == 403
    issue = await apps.client.post(
        f"/api/v1/staff/applications/{app_id}/referral", headers=employer
    )
    assert issue.status_code == 403
    seekers = await apps.client.get(
        "/api/v1/employer/seekers", headers=apps.tokens.seeker(referred["seeker"])
    )
    assert seekers.status_code == 403
