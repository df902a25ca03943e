"""Regressions of issue 13 (identity): the auth-key try count must not tell an address with a key
from one without (hole 1), and nobody may lock someone else's account or flood their mailbox
(hole 10). Against the real broker and database."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from services.identity import service_registration
from tests.identity.support import AGREE, GOOD_PASSWORD, STAFF_PASSWORD, Env, new_email, random_ip

pytestmark = pytest.mark.integration

COMPLETE = {
    "mypage_opening": "/api/v1/mypage/opening/complete",
    "account_creation": "/api/v1/accounts/complete",
    "password_reset": "/api/v1/auth/password-reset/complete",
}
PURPOSES = list(COMPLETE)


async def request(env: Env, purpose: str, email: str) -> httpx.Response:
    if purpose == "mypage_opening":
        return await env.request_opening(email)
    if purpose == "account_creation":
        return await env.client.post("/api/v1/accounts", json={"email": email, **AGREE})
    return await env.client.post("/api/v1/auth/password-reset", json={"email": email})


async def matching_and_not(env: Env, purpose: str) -> tuple[str, str]:
    """Two addresses for which the same request was made: the first matched (a key was sent),
    the second did not (it is unknown, or for account creation: already has an account)."""
    if purpose == "mypage_opening":
        matched, _ = await env.register_seeker()
        unmatched = new_email()
    elif purpose == "account_creation":
        matched = new_email()
        unmatched, _ = await env.opened_seeker()
    else:
        matched, _ = await env.opened_seeker()
        unmatched = new_email()
    for email in (matched, unmatched):
        assert (await request(env, purpose, email)).status_code == 202
    await env.tap.key_for(matched, purpose)
    return matched, unmatched


def wrong_key(env: Env, email: str) -> str:
    keys = {m["params"]["auth_key"] for m in env.tap.mails_to(email)}
    return next(k for k in ("ZZZZ9999", "YYYY8888", "XXXX7777") if k not in keys)


async def tries(env: Env, purpose: str, email: str, n: int) -> list[tuple[int, Any]]:
    body = {"email": email, "auth_key": wrong_key(env, email), "password": GOOD_PASSWORD}
    answers = []
    for _ in range(n):
        r = await env.client.post(COMPLETE[purpose], json=body)
        answers.append((r.status_code, r.json()))
    return answers


@pytest.mark.parametrize("purpose", PURPOSES)
async def test_wrong_keys_answer_the_same_with_or_without_a_key(env, purpose):
    matched, unmatched = await matching_and_not(env, purpose)
    never = new_email()  # no request at all
    limit = env.settings.auth_key_max_tries
    answers = {e: await tries(env, purpose, e, limit + 2) for e in (matched, unmatched, never)}
    expected = [400] * limit + [429] * 2
    for email, got in answers.items():
        assert [status for status, _ in got] == expected, (email, got)
    assert answers[matched] == answers[unmatched] == answers[never]

    # a new request starts the count afresh for both alike
    for email in (matched, unmatched):
        assert (await request(env, purpose, email)).status_code == 202
    assert await tries(env, purpose, matched, 1) == await tries(env, purpose, unmatched, 1)
    assert (await tries(env, purpose, unmatched, 1))[0][0] == 400


@pytest.mark.parametrize("purpose", PURPOSES)
async def test_requests_beyond_the_limit_send_nothing_and_keep_the_count_for_both(env, purpose):
    matched, unmatched = await matching_and_not(env, purpose)
    limit = env.settings.auth_key_requests_per_window
    answers = []
    for _ in range(limit):  # one was made already: this goes one past the limit
        for email in (matched, unmatched):
            r = await request(env, purpose, email)
            answers.append((r.status_code, r.json()))
    assert len(set(map(str, answers))) == 1 and answers[0][0] == 202
    await env.tap.key_for(matched, purpose, count=limit)
    await asyncio.sleep(0.3)
    assert len(env.tap.mails_to(matched, purpose)) == limit
    assert env.tap.mails_to(unmatched, purpose) == []

    # the try count is not reset by a request beyond the limit: 429 for both
    max_tries = env.settings.auth_key_max_tries
    assert await tries(env, purpose, matched, max_tries) == await tries(
        env, purpose, unmatched, max_tries
    )
    for email in (matched, unmatched):
        assert (await request(env, purpose, email)).status_code == 202
    assert await tries(env, purpose, matched, 1) == await tries(env, purpose, unmatched, 1)
    assert (await tries(env, purpose, matched, 1))[0][0] == 429


async def test_the_last_key_still_works_after_requests_beyond_the_limit(env):
    email, _ = await env.opened_seeker()
    limit = env.settings.auth_key_requests_per_window
    for _ in range(limit + 2):
        assert (await request(env, "password_reset", email)).status_code == 202
    key = await env.tap.key_for(email, "password_reset", count=limit)
    await asyncio.sleep(0.3)
    assert len(env.tap.mails_to(email, "password_reset")) == limit
    body = {"email": email, "auth_key": key, "password": "Atarashii#2027"}
    r = await env.client.post(COMPLETE["password_reset"], json=body)
    assert r.status_code == 200, r.text


async def test_reset_mails_cannot_be_flooded(env):
    email, _ = await env.opened_seeker()
    unknown = new_email()
    results = await asyncio.gather(
        *(request(env, "password_reset", e) for e in (email, unknown) for _ in range(10))
    )
    assert {r.status_code for r in results} == {202}
    assert len({r.text for r in results}) == 1
    limit = env.settings.auth_key_requests_per_window
    await env.tap.key_for(email, "password_reset", count=limit)
    await asyncio.sleep(0.5)
    assert len(env.tap.mails_to(email, "password_reset")) == limit


async def admin_email(env: Env) -> str:
    email = f"admin-{uuid.uuid4().hex[:8]}@hataraku.example"
    await service_registration.create_staff(
        env.identity, email=email, office_code="13010", password=STAFF_PASSWORD, admin=True
    )
    return email


async def test_a_stranger_cannot_lock_the_admin_out(env):
    admin = await admin_email(env)
    limit = env.settings.login_max_failures_per_account_ip
    for _ in range(3):  # again and again, from a few addresses
        attacker = random_ip()
        for _ in range(limit):
            assert (await env.login(admin, "Wrong-pass-1", ip=attacker)).status_code == 401
        assert (await env.login(admin, "Wrong-pass-1", ip=attacker)).status_code == 429
        r = await env.login(admin, STAFF_PASSWORD, ip=random_ip())
        assert r.status_code == 200, r.text


async def test_failures_from_many_addresses_lock_the_account_everywhere(env):
    """The backstop: enough failures spread over many addresses lock the account for all."""
    email, _ = await env.opened_seeker()
    s = env.settings
    per_address = s.login_max_failures_per_account_ip
    addresses = -(-s.login_max_failures_per_account // per_address)
    for _ in range(addresses):
        ip = random_ip()
        codes = await asyncio.gather(
            *(env.login(email, "Wrong-pass-1", ip=ip) for _ in range(per_address))
        )
        assert {r.status_code for r in codes} == {401}
    r = await env.login(email, GOOD_PASSWORD, ip=random_ip())
    assert r.status_code == 429 and r.json()["code"] == "too_many_attempts"
    assert int(r.headers["Retry-After"]) > 0
    # an unknown address is throttled exactly alike
    unknown = new_email()
    for _ in range(addresses):
        ip = random_ip()
        await asyncio.gather(
            *(env.login(unknown, "Wrong-pass-1", ip=ip) for _ in range(per_address))
        )
    r2 = await env.login(unknown, GOOD_PASSWORD, ip=random_ip())
    assert r2.status_code == 429 and r2.json() == r.json()
