"""Integration: online referral (オンライン紹介) from the application to the hire — the staff's
queue, the referral letter (JSON and printable HTML), the employer's steps, the seeker's
timeline, and the events other services receive."""

from __future__ import annotations

import re

import pytest

from tests.applications.support import OFFICE, OTHER_OFFICE

pytestmark = pytest.mark.integration


async def queue_ids(apps, office: str = OFFICE) -> list[str]:
    ids, cursor = [], None
    while True:
        params = {"status": "referral_requested", "limit": 50}
        if cursor:
            params["cursor"] = cursor
        resp = await apps.client.get(
            "/api/v1/staff/applications", params=params, headers=apps.tokens.staff(office)
        )
        assert resp.status_code == 200, resp.text
        ids += [i["application_id"] for i in resp.json()["items"]]
        cursor = resp.json()["next_cursor"]
        if not cursor:
            return ids


async def test_a_referral_goes_from_the_queue_to_a_hire(apps) -> None:
    seeker = await apps.seeker()
    employer = await apps.employer()
    job = await apps.posting(employer)
    made = await apps.applied(seeker, job)
    app_id = made["application_id"]
    assert made["status"] == "referral_requested" and made["route"] == "referral"
    assert made["posting"]["job_id"] == job and made["revision"] == 1

    # the office sees it in its queue; another office does not; the employer not yet
    assert app_id in await queue_ids(apps)
    assert app_id not in await queue_ids(apps, OTHER_OFFICE)
    listed = await apps.client.get(
        "/api/v1/employer/applications", headers=apps.tokens.employer(employer)
    )
    assert app_id not in [i["application_id"] for i in listed.json()["items"]]
    hidden = await apps.client.get(
        f"/api/v1/applications/{app_id}", headers=apps.tokens.employer(employer)
    )
    assert hidden.status_code == 404

    # staff of another office cannot issue it; staff of the seeker's office can
    other = await apps.client.post(
        f"/api/v1/staff/applications/{app_id}/referral", headers=apps.tokens.staff(OTHER_OFFICE)
    )
    assert other.status_code == 404
    issued = await apps.client.post(
        f"/api/v1/staff/applications/{app_id}/referral", headers=apps.tokens.staff()
    )
    assert issued.status_code == 200, issued.text
    referral = issued.json()["referral"]
    assert re.fullmatch(rf"{OFFICE}-R-\d{{4}}-\d{{6}}", referral["referral_number"])
    assert referral["office_name"] == "ハローワーク飯田橋"
    again = await apps.client.post(
        f"/api/v1/staff/applications/{app_id}/referral", headers=apps.tokens.staff()
    )
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"

    # the employer now has it, with the seeker number and public desired conditions, no name
    emp = apps.tokens.employer(employer)
    listed = await apps.client.get("/api/v1/employer/applications", headers=emp)
    item = next(i for i in listed.json()["items"] if i["application_id"] == app_id)
    assert item["applicant"]["seeker_number"].startswith(OFFICE)
    assert item["applicant"]["age_band"] == "25-29"
    assert item["applicant"]["desired"]["desired_occupations"] == ["10"]
    assert "name" not in str(item["applicant"]) and "self_pr" not in str(item)
    assert item["motivation"] == "御社で働きたいです。"

    # interview needs a date and a place
    url = f"/api/v1/applications/{app_id}/status"
    bad = await apps.client.post(url, json={"status": "interview"}, headers=emp)
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
    interview = {
        "status": "interview",
        "interview_at": "2026-12-01T01:00:00Z",
        "interview_place": "本社 3階 会議室",
        "note": "筆記用具をお持ちください。",
    }
    resp = await apps.client.post(url, json=interview, headers=emp)
    assert resp.status_code == 200, resp.text
    assert resp.json()["interview"]["place"] == "本社 3階 会議室"
    hired = {
        "status": "hired",
        "conditions_differ": True,
        "conditions_note": "勤務地が横浜になります",
    }
    resp = await apps.client.post(url, json=hired, headers=emp)
    assert resp.status_code == 200, resp.text
    conditions = resp.json()["conditions"]
    assert (conditions["differ"], conditions["note"]) == (True, "勤務地が横浜になります")
    assert conditions["status"] == "hired" and conditions["items"] == []
    # final: nothing more
    late = await apps.client.post(url, json={"status": "rejected"}, headers=emp)
    assert late.status_code == 409 and late.json()["code"] == "invalid_transition"

    # the seeker's history: every step, who and when, and the letter link
    mine = await apps.client.get("/api/v1/me/applications", headers=apps.tokens.seeker(seeker))
    assert mine.status_code == 200
    entry = next(i for i in mine.json()["items"] if i["application_id"] == app_id)
    steps = [(s["status"], s["by_role"]) for s in entry["timeline"]]
    assert steps == [
        ("referral_requested", "seeker"),
        ("referred", "staff"),
        ("interview", "employer"),
        ("hired", "employer"),
    ]
    assert all(s.get("by_id") is None for s in entry["timeline"])  # staff only
    assert entry["timeline"][2]["note"] == "筆記用具をお持ちください。"
    assert entry["referral"]["letter_url"].endswith(f"/{app_id}/referral-letter")

    # events: submitted, referral issued, status changed twice
    await apps.spy.wait_for("applications.application.submitted.v1", application_id=app_id)
    issued_ev = await apps.spy.wait_for(
        "applications.application.referral_issued.v1", application_id=app_id
    )
    assert issued_ev[0].data["referral_number"] == referral["referral_number"]
    changes = await apps.spy.wait_for(
        "applications.application.status_changed.v1", 2, application_id=app_id
    )
    assert {(c.data["from_status"], c.data["to_status"]) for c in changes} == {
        ("referred", "interview"),
        ("interview", "hired"),
    }
    hired_ev = next(c for c in changes if c.data["to_status"] == "hired")
    assert hired_ev.data["conditions_differ"] is True and hired_ev.data["version"] == 4


async def test_the_referral_letter_is_json_and_a_printable_page(apps) -> None:
    seeker = await apps.seeker()
    employer = await apps.employer()
    job = await apps.posting(employer, title="経理事務<スタッフ>")
    app_id = (await apps.applied(seeker, job))["application_id"]
    url = f"/api/v1/applications/{app_id}/referral-letter"
    early = await apps.client.get(url, headers=apps.tokens.seeker(seeker))
    assert early.status_code == 404 and early.json()["code"] == "referral_letter_not_issued"
    await apps.client.post(
        f"/api/v1/staff/applications/{app_id}/referral", headers=apps.tokens.staff()
    )

    for headers in (
        apps.tokens.seeker(seeker),
        apps.tokens.employer(employer),
        apps.tokens.staff(),
        apps.tokens.admin(),
    ):
        letter = await apps.client.get(url, headers=headers)
        assert letter.status_code == 200, letter.text
        body = letter.json()
        assert body["office"] == {"code": OFFICE, "name": "ハローワーク飯田橋"}
        assert body["posting"]["title"] == "経理事務<スタッフ>"
        assert body["seeker_number"].startswith(OFFICE)

    page = await apps.client.get(url, headers={**apps.tokens.seeker(seeker), "Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "紹介状" in html and body["referral_number"] in html and "ハローワーク飯田橋" in html
    assert "経理事務&lt;スタッフ&gt;" in html  # escaped
    assert "@media print" in html
    assert "http://" not in html and "https://" not in html  # no external assets


async def test_staff_decline_with_a_reason_the_seeker_sees(apps) -> None:
    seeker = await apps.seeker()
    job = await apps.posting(await apps.employer())
    app_id = (await apps.applied(seeker, job))["application_id"]
    url = f"/api/v1/staff/applications/{app_id}/decline"
    empty = await apps.client.post(url, json={"reason": " \u0007 "}, headers=apps.tokens.staff())
    assert empty.status_code == 422
    resp = await apps.client.post(
        url, json={"reason": "必要な免許をお持ちでないため"}, headers=apps.tokens.staff()
    )
    assert resp.status_code == 200, resp.text
    mine = await apps.client.get(
        f"/api/v1/applications/{app_id}", headers=apps.tokens.seeker(seeker)
    )
    assert mine.json()["status"] == "declined"
    assert mine.json()["decline_reason"] == "必要な免許をお持ちでないため"
    await apps.spy.wait_for(
        "applications.application.referral_declined.v1",
        application_id=app_id,
        reason="必要な免許をお持ちでないため",
    )
    # the application ended: the seeker may apply to the posting again
    assert (await apps.apply(seeker, job)).status_code == 201


async def test_referral_numbers_are_unique_and_consecutive_under_parallel_issuing(apps) -> None:
    import asyncio

    employer = await apps.employer()
    job = await apps.posting(employer)
    office = "40010"
    seekers = [await apps.seeker(office=office) for _ in range(8)]
    ids = [(await apps.applied(s, job))["application_id"] for s in seekers]

    async def issue(app_id: str):
        return await apps.client.post(
            f"/api/v1/staff/applications/{app_id}/referral", headers=apps.tokens.staff(office)
        )

    results = await asyncio.gather(*(issue(i) for i in ids))
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    numbers = sorted(r.json()["referral"]["referral_number"] for r in results)
    assert len(set(numbers)) == 8
    serials = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert serials == list(range(serials[0], serials[0] + 8))
    assert all(r.json()["referral"]["office_name"] == "ハローワーク福岡中央" for r in results)


async def test_parallel_steps_on_one_application_have_one_winner(apps) -> None:
    import asyncio

    seeker = await apps.seeker()
    employer = await apps.employer()
    job = await apps.posting(employer)
    app_id = (await apps.applied(seeker, job, route="direct"))["application_id"]
    emp = apps.tokens.employer(employer)

    async def hire():
        return await apps.client.post(
            f"/api/v1/applications/{app_id}/status", json={"status": "hired"}, headers=emp
        )

    async def withdraw():
        return await apps.client.post(
            f"/api/v1/applications/{app_id}/withdraw", headers=apps.tokens.seeker(seeker)
        )

    results = await asyncio.gather(*(hire() if i % 2 else withdraw() for i in range(10)))
    codes = sorted(r.status_code for r in results)
    assert codes.count(200) == 1, [r.text for r in results]
    assert all(
        r.json()["code"] in ("invalid_transition", "concurrent_change")
        for r in results
        if r.status_code == 409
    )
    final = await apps.client.get(f"/api/v1/applications/{app_id}", headers=emp)
    assert len(final.json()["timeline"]) == 2
