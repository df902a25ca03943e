"""Counter registrations: who may make them, the numbers they get, duplicates, and the events
they publish through the outbox."""

from __future__ import annotations

import asyncio

import pytest

from services.identity.domain import is_valid_establishment_number
from tests.conftest import eventually
from tests.identity.support import GOOD_PASSWORD, bearer, new_email

pytestmark = pytest.mark.integration

SEEKER = {"name": "佐藤 花子", "birth_date": "1992-07-15"}
EMPLOYER = {"name": "株式会社テスト", "address": "大阪府大阪市北区1-2-3", "industry": "小売業"}


async def test_staff_endpoints_need_a_staff_token(env):
    body = {**SEEKER, "email": new_email()}
    r = await env.client.post("/api/v1/staff/seekers", json=body)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    email, _ = await env.opened_seeker()
    seeker = bearer((await env.login(email, GOOD_PASSWORD)).json())
    r = await env.client.post("/api/v1/staff/seekers", json=body, headers=seeker)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = await env.client.post(
        "/api/v1/staff/employers", json={**EMPLOYER, "email": new_email()}, headers=seeker
    )
    assert r.status_code == 403


async def test_seeker_numbers_are_per_office_serials_and_events_are_published(env):
    staff = await env.staff_headers("27020")
    numbers = []
    for _ in range(2):
        r = await env.client.post(
            "/api/v1/staff/seekers", json={**SEEKER, "email": new_email()}, headers=staff
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["status"] == "registered"
        numbers.append(body["seeker_number"])
    assert numbers == ["27020-00000001", "27020-00000002"]  # the run's database is fresh

    event = await env.tap.event("identity.seeker.registered.v1", seeker_number=numbers[1])
    assert event.data["office_code"] == "27020"
    assert event.data["status"] == "registered"
    assert event.subject == event.data["seeker_id"]
    assert event.producer == "identity"

    async def drained():
        return await env.identity.relay.pending() == 0

    await eventually(drained)


async def test_parallel_registrations_get_distinct_numbers(env):
    staff = await env.staff_headers("13010")
    results = await asyncio.gather(
        *(
            env.client.post(
                "/api/v1/staff/seekers", json={**SEEKER, "email": new_email()}, headers=staff
            )
            for _ in range(6)
        )
    )
    assert [r.status_code for r in results] == [201] * 6
    numbers = {r.json()["seeker_number"] for r in results}
    assert len(numbers) == 6 and all(n.startswith("13010-") for n in numbers)


async def test_a_duplicate_email_is_refused_whatever_its_spelling(env):
    staff = await env.staff_headers()
    email = new_email()
    assert (
        await env.client.post(
            "/api/v1/staff/seekers", json={**SEEKER, "email": email}, headers=staff
        )
    ).status_code == 201
    shouting = email.upper().replace("@", "＠")  # full-width at sign, upper case
    for path, body in [
        ("/api/v1/staff/seekers", {**SEEKER, "email": shouting}),
        ("/api/v1/staff/employers", {**EMPLOYER, "email": email}),
    ]:
        r = await env.client.post(path, json=body, headers=staff)
        assert r.status_code == 409, r.text
        assert r.json()["code"] == "email_taken"
        assert r.json()["detail"] == "このメールアドレスは既に登録されています。"
    r = await env.client.post(
        "/api/v1/staff/seekers",
        json={**SEEKER, "email": email},
        headers={**staff, "Accept-Language": "en"},
    )
    assert r.json()["detail"] == "This e-mail address is already registered."


async def test_parallel_registrations_of_one_email_give_one_success(env):
    staff = await env.staff_headers()
    email = new_email()
    results = await asyncio.gather(
        *(
            env.client.post("/api/v1/staff/seekers", json={**SEEKER, "email": email}, headers=staff)
            for _ in range(3)
        )
    )
    assert sorted(r.status_code for r in results) == [201, 409, 409]


async def test_employer_registration(env):
    staff = await env.staff_headers("13010")
    r = await env.client.post(
        "/api/v1/staff/employers", json={**EMPLOYER, "email": new_email()}, headers=staff
    )
    assert r.status_code == 201, r.text
    body = r.json()
    number = body["establishment_number"]
    assert number.startswith("1301-") and is_valid_establishment_number(number)
    event = await env.tap.event("identity.employer.registered.v1", employer_id=body["employer_id"])
    assert event.data["establishment_number"] == number
    assert event.data["industry"] == "小売業" and event.data["has_mypage"] is False


@pytest.mark.parametrize(
    "change",
    [
        {"birth_date": "1992-13-01"},
        {"birth_date": "2999-01-01"},
        {"name": ""},
        {"email": "not-an-email"},
        {"phone": "abc"},
        {"unexpected": "field"},
    ],
)
async def test_bad_registrations_are_422_problems(env, change):
    staff = await env.staff_headers()
    r = await env.client.post(
        "/api/v1/staff/seekers", json={**SEEKER, "email": new_email(), **change}, headers=staff
    )
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["code"] == "validation_error"
    assert problem["errors"][0]["field"] == next(iter(change))
