"""The seeker's job-search activity record (求職活動実績): applications, referrals and interviews
from the applications service's events, consultations recorded by staff; the period's rules;
only the caller's own activities. Also the staff's consultation record (day, kind, note)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from contracts import Message
from contracts.applications import (
    ApplicationStatusChanged,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    ReferralIssued,
)
from servicekit import outbox
from tests.conftest import eventually
from tests.identity.support import new_email, today

pytestmark = pytest.mark.integration

RECORD = "/api/v1/me/activity-record"
EMPLOYER = {"name": "株式会社ひだまり商店", "address": "東京都新宿区1-2-3", "industry": "小売業"}


async def publish(env: Any, event: Message, subject: str) -> None:
    envelope = outbox.envelope(event, producer="applications", subject=subject)
    await env.app.state.runtime.bus.publish(envelope)


async def employer_id(env: Any) -> str:
    staff = await env.staff_headers()
    r = await env.client.post(
        "/api/v1/staff/employers", json={**EMPLOYER, "email": new_email()}, headers=staff
    )
    assert r.status_code == 201, r.text
    return str(r.json()["employer_id"])


def submitted(
    sid: str, app_id: str, emp: str, on: date, *, route: str = "direct"
) -> ApplicationSubmitted:
    return ApplicationSubmitted(
        application_id=app_id,
        seeker_id=sid,
        employer_id=emp,
        job_id="j" + app_id,
        job_number="13010-00000042",
        title="販売スタッフ",
        revision=1,
        route=route,
        status="applied" if route == "direct" else "referral_requested",
        office_code="13010",
        submitted_on=on,
        version=1,
    )


async def record(env: Any, headers: dict[str, str], first: date, last: date) -> dict[str, Any]:
    params = {"from": first.isoformat(), "to": last.isoformat()}
    r = await env.client.get(RECORD, headers=headers, params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_the_record_lists_each_activity_in_date_order_with_employer_and_result(env):
    headers, seeker = await env.seeker_headers()
    sid = seeker["seeker_id"]
    emp = await employer_id(env)
    day = today()
    d1, d2, d3 = day - timedelta(days=20), day - timedelta(days=12), day - timedelta(days=5)
    direct, referral = uuid.uuid4().hex, uuid.uuid4().hex
    # the later events first: the record does not depend on the order of arrival
    interview_at = datetime(d3.year, d3.month, d3.day, 1, 30, tzinfo=UTC)  # 10:30 in Japan
    await publish(
        env,
        ApplicationStatusChanged(
            application_id=direct,
            seeker_id=sid,
            employer_id=emp,
            job_id="j" + direct,
            from_status="screening",
            to_status="interview",
            interview_at=interview_at,
            by_role="employer",
            by_id="u1",
            version=3,
        ),
        direct,
    )
    submitted_direct = submitted(sid, direct, emp, d1)
    await publish(env, submitted_direct, direct)
    await publish(env, submitted_direct, direct)  # delivered twice: one entry
    await publish(env, submitted(sid, referral, emp, d2, route="referral"), referral)
    await publish(
        env,
        ReferralIssued(
            application_id=referral,
            seeker_id=sid,
            employer_id=emp,
            job_id="j" + referral,
            job_number="13010-00000042",
            referral_number="13010-R-2026-000077",
            office_code="13010",
            office_name="ハローワーク飯田橋",
            issued_on=d2,
            issued_by="staff1",
            version=2,
        ),
        referral,
    )
    await publish(
        env,
        ApplicationWithdrawn(
            application_id=referral,
            seeker_id=sid,
            employer_id=emp,
            job_id="j" + referral,
            from_status="referred",
            reason=None,
            by_role="seeker",
            employer_notified=True,
            version=3,
        ),
        referral,
    )
    staff = await env.staff_headers()
    r = await env.client.post(
        f"/api/v1/staff/seekers/{sid}/consultations",
        headers=staff,
        json={"note": "面接の練習", "kind": "interview_practice", "on": d2.isoformat()},
    )
    assert r.status_code == 201, r.text

    async def complete() -> dict[str, Any] | None:
        body = await record(env, headers, d1, day)
        kinds = [i["kind"] for i in body["items"]]
        withdrawn = any(i["result"] == "辞退" for i in body["items"])
        return body if len(kinds) == 5 and withdrawn else None

    body = await eventually(complete, timeout=5)
    assert body["from"] == d1.isoformat() and body["to"] == day.isoformat()
    assert body["seeker_number"] == seeker["seeker_number"]
    items = body["items"]
    assert [(i["on"], i["kind"]) for i in items] == [
        (d1.isoformat(), "application"),
        (d2.isoformat(), "consultation"),
        (d2.isoformat(), "application"),
        (d2.isoformat(), "referral"),
        (d3.isoformat(), "interview"),
    ]
    first = items[0]
    assert first["employer_name"] == "株式会社ひだまり商店"
    assert first["job_number"] == "13010-00000042" and first["title"] == "販売スタッフ"
    assert first["method"] == "直接応募（マイページ）" and first["result"] == "面接予定"
    assert items[1]["method"] == "面接指導" and items[1]["employer_name"] is None
    assert items[2]["method"] == "ハローワークの紹介" and items[2]["result"] == "辞退"
    assert items[3]["referral_number"] == "13010-R-2026-000077"
    assert items[4]["kind_label"] == "面接" and items[4]["employer_name"] == "株式会社ひだまり商店"

    # the period selects: only the interview's day
    only = await record(env, headers, d3, d3)
    assert [i["kind"] for i in only["items"]] == ["interview"]

    # another seeker sees none of it
    other, _ = await env.seeker_headers()
    assert (await record(env, other, d1, day))["items"] == []


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({}, "from", "missing"),
        ({"from": "2026-04-01"}, "to", "missing"),
        ({"from": "2026-04-31", "to": "2026-05-01"}, "from", "invalid_date"),
        ({"from": "20260401", "to": "2026-05-01"}, "from", "invalid_date"),
        ({"from": "2026-05-01", "to": "2026-04-30"}, "to", "before_from"),
        ({"from": "2026-04-01", "to": "2027-04-01"}, "to", "range_too_long"),
    ],
)
async def test_a_bad_period_is_refused_with_a_japanese_message(env, params, field, code):
    headers, _ = await env.seeker_headers()
    r = await env.client.get(RECORD, headers=headers, params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "invalid_range"
    assert body["errors"][0]["field"] == field and body["errors"][0]["code"] == code
    assert any("\u3040" <= ch <= "\u30ff" for ch in body["detail"] + body["errors"][0]["message"])


async def test_a_year_to_the_day_before_is_accepted_and_staff_and_strangers_are_refused(env):
    headers, _ = await env.seeker_headers()
    r = await env.client.get(
        RECORD, headers=headers, params={"from": "2026-04-01", "to": "2027-03-31"}
    )
    assert r.status_code == 200 and r.json()["items"] == []
    r = await env.client.get(RECORD, params={"from": "2026-04-01", "to": "2026-04-30"})
    assert r.status_code == 401
    staff = await env.staff_headers()
    r = await env.client.get(
        RECORD, headers=staff, params={"from": "2026-04-01", "to": "2026-04-30"}
    )
    assert r.status_code == 403


async def test_staff_record_a_consultation_with_day_kind_and_note(env):
    _, seeker = await env.seeker_headers()
    sid = seeker["seeker_id"]
    staff = await env.staff_headers()
    path = f"/api/v1/staff/seekers/{sid}/consultations"
    yesterday = today() - timedelta(days=1)
    r = await env.client.post(
        path,
        headers=staff,
        json={"note": "応募書類の確認", "kind": "documents", "on": yesterday.isoformat()},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "documents" and body["kind_label"] == "応募書類の相談・添削"
    assert body["on"] == yesterday.isoformat()
    # without kind and day: a 職業相談 today
    r = await env.client.post(path, headers=staff, json={"note": "近況の確認"})
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "career" and r.json()["on"] == today().isoformat()
    view = (await env.client.get(f"/api/v1/staff/seekers/{sid}", headers=staff)).json()
    assert [c["kind"] for c in view["consultations"]] == ["documents", "career"]
    # bad input: field-level Japanese messages, nothing recorded
    for bad, field in [
        ({"note": "x", "kind": "chat"}, "kind"),
        ({"note": "x", "on": (today() + timedelta(days=1)).isoformat()}, "on"),
        ({"note": "x", "on": (today() - timedelta(days=400)).isoformat()}, "on"),
        ({"note": "x" * 2001}, "note"),
        ({"note": ""}, "note"),
    ]:
        r = await env.client.post(path, headers=staff, json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["errors"][0]["field"].endswith(field), r.text
    view = (await env.client.get(f"/api/v1/staff/seekers/{sid}", headers=staff)).json()
    assert len(view["consultations"]) == 2
    # another office's staff cannot record one
    other = await env.staff_headers("27020")
    r = await env.client.post(path, headers=other, json={"note": "x"})
    assert r.status_code == 403 and r.json()["code"] == "other_office"


def interview(
    sid: str, app_id: str, emp: str, at: datetime, version: int, *, again: bool = False
) -> ApplicationStatusChanged:
    return ApplicationStatusChanged(
        application_id=app_id,
        seeker_id=sid,
        employer_id=emp,
        job_id="j" + app_id,
        from_status="interview" if again else "screening",
        to_status="interview",
        interview_at=at,
        by_role="employer",
        by_id="u1",
        version=version,
    )


async def test_a_moved_interview_leaves_one_entry_and_a_held_one_stays(env):
    headers, seeker = await env.seeker_headers()
    sid, app_id = seeker["seeker_id"], uuid.uuid4().hex
    emp = await employer_id(env)
    day = today()
    await publish(env, submitted(sid, app_id, emp, day - timedelta(days=30)), app_id)
    past = datetime.combine(day - timedelta(days=20), datetime.min.time(), UTC)
    await publish(env, interview(sid, app_id, emp, past, 2), app_id)  # took place
    soon = datetime.combine(day + timedelta(days=3), datetime.min.time(), UTC)
    await publish(env, interview(sid, app_id, emp, soon, 3, again=True), app_id)  # 2nd round
    later = soon + timedelta(days=4)
    await publish(env, interview(sid, app_id, emp, later, 4, again=True), app_id)  # moved

    activities = env.identity.repo.db["activities"]

    async def all_three() -> bool:
        query = {"application_id": app_id, "kind": "interview"}
        return bool(await activities.count_documents(query) == 3)

    await eventually(all_three, timeout=5)  # in whatever order they were handled
    body = await record(env, headers, day - timedelta(days=60), day + timedelta(days=30))
    days = [i["on"] for i in body["items"] if i["kind"] == "interview"]
    assert days == [past.date().isoformat(), later.date().isoformat()]
