"""My Page opening against the real broker and database: answers that reveal nothing, the auth
key's single use under concurrency, wrong-key counting, expiry, and the password policy."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
import structlog

from tests.conftest import eventually
from tests.identity.support import AGREE, GOOD_PASSWORD, new_email

pytestmark = pytest.mark.integration


async def test_opening_answers_the_same_whether_or_not_anything_matched(env):
    email, _ = await env.register_seeker(birth_date="1985-01-02")
    cases = {
        "matched": {"email": email, "birth_date": "1985-01-02"},
        "wrong_birth_date": {"email": email, "birth_date": "1985-01-03"},
        "unknown_email": {"email": new_email(), "birth_date": "1985-01-02"},
        "wrong_account_type": {
            "email": email,
            "account_type": "employer",
            "establishment_number": "1301-000001-8",
        },
    }
    answers, durations = {}, {}
    for name, fields in cases.items():
        body = {"account_type": "seeker", **fields, **AGREE}
        started = time.perf_counter()
        r = await env.client.post("/api/v1/mypage/opening", json=body)
        durations[name] = time.perf_counter() - started
        answers[name] = (r.status_code, r.json())
    assert {a for a, _ in answers.values()} == {202}
    assert len({str(b) for _, b in answers.values()}) == 1, answers
    # every answer waits for the same floor, so the match does not show in the timing (one
    # sample each proves only the floor; medians of many, known against unknown, are compared in
    # tests/security/test_enumeration.py, where the machine's noise cannot decide the result)
    floor = env.settings.uniform_response_seconds
    assert all(d >= floor for d in durations.values()), durations

    # only the match sent a key
    await env.tap.key_for(email, "mypage_opening")
    await asyncio.sleep(0.3)
    assert len(env.tap.mails_to(email)) == 1
    mail = env.tap.mails_to(email)[0]
    assert mail["params"]["valid_minutes"] == "50"
    assert mail["params"]["account_type"] == "seeker"
    assert mail["locale"] == "ja"


async def test_agreements_are_required_and_fields_checked(env):
    base = {"account_type": "seeker", "email": new_email(), "birth_date": "1990-01-01"}
    for agreements in [
        {},
        {"agree_privacy_policy": True},
        {"agree_privacy_policy": True, "agree_terms": False},
    ]:
        r = await env.client.post("/api/v1/mypage/opening", json={**base, **agreements})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "validation_error"
    r = await env.client.post("/api/v1/mypage/opening", json={**base, "birth_date": None, **AGREE})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["birth_date"]
    employer = {"account_type": "employer", "email": new_email(), **AGREE}
    r = await env.client.post("/api/v1/mypage/opening", json=employer)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["establishment_number"]


async def test_agreements_are_recorded_with_versions_and_the_key_is_stored_hashed(env):
    email, _ = await env.register_seeker()
    await env.request_opening(email)
    key = await env.tap.key_for(email, "mypage_opening")
    doc = await env.identity.repo.current_auth_key(email)
    assert doc is not None
    assert key not in str(doc)  # only the hash is stored
    agreements = doc["agreements"]
    assert agreements["privacy_policy"]["version"] == env.settings.privacy_policy_version
    assert agreements["terms"]["version"] == env.settings.terms_version
    assert agreements["terms"]["agreed_at"]
    assert (await env.complete_opening(email, key)).status_code == 200
    account = await env.identity.repo.account_by_email(email)
    assert account["agreements"]["terms"]["version"] == env.settings.terms_version
    assert account["status"] == "active"
    # once published, the command with the key is gone from the database
    await _outbox_drained(env)
    raw = await env.identity.repo.auth_keys.find_one({"_id": doc["_id"]})
    assert key not in str(raw)
    # and no event carries it
    assert not any(key.encode() in body for body in env.tap.raw_events)


async def test_the_key_never_appears_in_the_logs(env):
    with structlog.testing.capture_logs() as logs:
        email, _ = await env.register_seeker()
        await env.request_opening(email)
        key = await env.tap.key_for(email, "mypage_opening")
        await env.complete_opening(email, "ZZZZ2222")
        await env.complete_opening(email, key, password="weak")
        assert (await env.complete_opening(email, key)).status_code == 200
        await _outbox_drained(env)
    assert any(entry["event"] == "identity.auth_key.redeemed" for entry in logs)
    assert key not in repr(logs)


async def test_the_full_opening_publishes_and_allows_login(env):
    email, seeker = await env.register_seeker()
    await env.request_opening(email)
    key = await env.tap.key_for(email, "mypage_opening")

    r = await env.complete_opening(email, key.lower())  # typed in lower case: still the key
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "opened"}
    event = await env.tap.event("identity.mypage.opened.v1", seeker_id=seeker["seeker_id"])
    assert event.data["account_type"] == "seeker"

    r = await env.login(email, GOOD_PASSWORD)
    assert r.status_code == 200, r.text
    me = await env.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert me.json()["seeker_number"] == seeker["seeker_number"]

    # used: the same key again is just "invalid", as is an unknown address
    again = await env.complete_opening(email, key)
    unknown = await env.complete_opening(new_email(), key)
    assert again.status_code == unknown.status_code == 400
    assert again.json() == unknown.json()
    assert again.json()["code"] == "invalid_auth_key"
    # an opened My Page is not opened twice: no new key
    await env.request_opening(email)
    await asyncio.sleep(0.3)
    assert len(env.tap.mails_to(email, "mypage_opening")) == 1


async def test_two_parallel_redemptions_of_one_key_give_exactly_one_success(env):
    email, _ = await env.register_seeker()
    await env.request_opening(email)
    key = await env.tap.key_for(email, "mypage_opening")
    results = await asyncio.gather(*(env.complete_opening(email, key) for _ in range(4)))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 400, 400, 400], [r.text for r in results]
    assert {r.json()["code"] for r in results if r.status_code == 400} == {"invalid_auth_key"}
    await asyncio.sleep(0.3)
    opened = [
        e
        for e in env.tap.events
        if e.type == "identity.mypage.opened.v1"
        and e.data["account_id"] == (await env.identity.repo.account_by_email(email))["_id"]
    ]
    assert len(opened) == 1


async def test_five_wrong_keys_then_too_many_attempts(env):
    email, _ = await env.register_seeker()
    await env.request_opening(email)
    key = await env.tap.key_for(email, "mypage_opening")
    wrong = "ZZZZ9999" if key != "ZZZZ9999" else "YYYY8888"
    for _ in range(5):
        r = await env.complete_opening(email, wrong)
        assert r.status_code == 400
        assert r.json()["code"] == "invalid_auth_key"
    r = await env.complete_opening(email, key)  # even the right key: the key is spent
    assert r.status_code == 429
    assert r.json()["code"] == "too_many_attempts"

    # a new request replaces the key: the old one is dead, the new one works
    await env.request_opening(email)
    fresh = await env.tap.key_for(email, "mypage_opening", count=2)
    if fresh != key:
        assert (await env.complete_opening(email, key)).json()["code"] == "invalid_auth_key"
    assert (await env.complete_opening(email, fresh)).status_code == 200


async def test_parallel_requests_each_get_an_answer_and_one_key_works(env):
    email, _ = await env.register_seeker()
    limit = env.settings.auth_key_requests_per_window
    results = await asyncio.gather(*(env.request_opening(email) for _ in range(limit + 1)))
    assert [r.status_code for r in results] == [202] * (limit + 1)
    assert len({r.text for r in results}) == 1
    await env.tap.key_for(email, "mypage_opening", count=limit)
    await asyncio.sleep(0.3)
    keys = [m["params"]["auth_key"] for m in env.tap.mails_to(email, "mypage_opening")]
    assert len(keys) == limit  # the request beyond the limit sent nothing
    outcomes = [(await env.complete_opening(email, k)).status_code for k in keys]
    assert outcomes.count(200) == 1, outcomes


async def test_parallel_wrong_guesses_cannot_exceed_the_limit(env):
    email, _ = await env.register_seeker()
    await env.request_opening(email)
    key = await env.tap.key_for(email, "mypage_opening")
    guesses = [f"ZZZZ{n:04d}".replace("0", "2").replace("1", "3") for n in range(12)]
    results = await asyncio.gather(*(env.complete_opening(email, g) for g in guesses if g != key))
    codes = sorted(r.json()["code"] for r in results)
    assert codes.count("invalid_auth_key") == 5, codes
    assert set(codes) == {"invalid_auth_key", "too_many_attempts"}
    assert (await env.complete_opening(email, key)).status_code == 429


async def test_a_password_policy_failure_does_not_use_up_the_key(env):
    email, _ = await env.register_seeker()
    await env.request_opening(email)
    key = await env.tap.key_for(email, "mypage_opening")
    for _ in range(7):  # more than the wrong-key limit: policy failures are not wrong tries
        r = await env.complete_opening(email, key, password="password")
        assert r.status_code == 400
        problem = r.json()
        assert problem["code"] == "password_policy"
        assert [e["code"] for e in problem["errors"]] == [
            "needs_digit",
            "needs_symbol",
            "too_common",
        ]
        assert all(e["message"] for e in problem["errors"])
    r = await env.client.post(
        "/api/v1/mypage/opening/complete",
        json={"email": email, "auth_key": key, "password": "ｐａｓｓ word"},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 400
    problem = r.json()
    assert problem["detail"] == "The password does not meet the requirements."
    by_code = {e["code"]: e["message"] for e in problem["errors"]}
    assert set(by_code) == {"invalid_characters", "needs_digit", "needs_symbol"}
    assert "full-width" in by_code["invalid_characters"]
    assert (await env.complete_opening(email, key)).status_code == 200


async def test_the_key_expires_after_fifty_minutes(env, clock):
    email, _ = await env.register_seeker()
    await env.request_opening(email)
    key = await env.tap.key_for(email, "mypage_opening")
    clock.advance(timedelta(minutes=50))
    r = await env.complete_opening(email, key)
    assert r.status_code == 400
    assert r.json()["code"] == "auth_key_expired"
    # a wrong key after expiry is still just "invalid" (expiry only shows to the key's holder)
    assert (await env.complete_opening(email, "ZZZZ9999")).json()["code"] in {"invalid_auth_key"}


async def test_the_key_still_works_just_before_fifty_minutes(env, clock):
    email, _ = await env.register_seeker()
    await env.request_opening(email)
    key = await env.tap.key_for(email, "mypage_opening")
    clock.advance(timedelta(minutes=49, seconds=58))
    assert (await env.complete_opening(email, key)).status_code == 200


async def test_employer_opening(env):
    staff = await env.staff_headers()
    email = new_email()
    r = await env.client.post(
        "/api/v1/staff/employers",
        headers=staff,
        json={
            "name": "株式会社はたらく",
            "email": email,
            "address": "東京都千代田区1-1",
            "industry": "製造業",
        },
    )
    assert r.status_code == 201, r.text
    employer = r.json()
    body = {"account_type": "employer", "email": email, **AGREE}
    wrong = await env.client.post(
        "/api/v1/mypage/opening", json={**body, "establishment_number": "1301-999999-1"}
    )
    right = await env.client.post(
        "/api/v1/mypage/opening",
        json={**body, "establishment_number": employer["establishment_number"]},
    )
    assert wrong.status_code == right.status_code == 202 and wrong.json() == right.json()
    key = await env.tap.key_for(email, "mypage_opening")
    assert env.tap.mails_to(email)[0]["params"]["account_type"] == "employer"
    assert (await env.complete_opening(email, key)).status_code == 200
    await env.tap.event("identity.mypage.opened.v1", employer_id=employer["employer_id"])
    tokens = (await env.login(email, GOOD_PASSWORD)).json()
    me = (
        await env.client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
    ).json()
    assert me["role"] == "employer"
    assert me["establishment_number"] == employer["establishment_number"]
    assert me["office_code"] == "13010"


async def _outbox_drained(env):
    relay = env.identity.relay

    async def zero():
        return await relay.pending() == 0

    await eventually(zero)
