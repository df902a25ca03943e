"""Login, tokens (JWKS, rotation, reuse detection, logout), throttling, the second path and
password reset, against the real broker and database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import jwt
import pytest

from servicekit.auth import TokenVerifier
from tests.identity.support import AGREE, GOOD_PASSWORD, bearer, new_email, random_ip

pytestmark = pytest.mark.integration


async def test_login_gives_tokens_that_any_service_can_verify_from_the_jwks(env):
    email, seeker = await env.opened_seeker()
    r = await env.login(email, GOOD_PASSWORD)
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900

    jwks = await env.client.get("/.well-known/jwks.json")
    assert jwks.status_code == 200
    assert jwks.json() == (await env.client.get("/api/v1/auth/jwks")).json()
    [key] = jwks.json()["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and "d" not in key

    async def fetch():
        return (await env.client.get("/.well-known/jwks.json")).json()

    verifier = TokenVerifier(
        fetch, issuer=env.settings.token_issuer, audience=env.settings.token_audience
    )
    principal = await verifier.verify(tokens["access_token"])
    assert principal.role == "seeker"
    assert principal.seeker_id == seeker["seeker_id"]
    assert principal.office_code == "13010"
    assert principal.email == email

    header = jwt.get_unverified_header(tokens["access_token"])
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert header["alg"] == "EdDSA" and header["kid"] == key["kid"]
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert (
        claims["iss"] == env.settings.token_issuer and claims["aud"] == env.settings.token_audience
    )
    assert claims["jti"] and claims["sub"] == principal.account_id


async def test_wrong_password_and_unknown_email_get_the_same_answer(env):
    email, _ = await env.opened_seeker()
    wrong = await env.login(email, "Wrong-pass-1")
    unknown = await env.login(new_email(), GOOD_PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"
    # a registered seeker whose My Page is not open cannot log in either
    unopened, _ = await env.register_seeker()
    assert (await env.login(unopened, GOOD_PASSWORD)).json() == wrong.json()


async def test_refresh_rotates_and_a_reused_token_ends_the_family(env):
    email, _ = await env.opened_seeker()
    first = (await env.login(email, GOOD_PASSWORD)).json()

    r = await env.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await env.client.get("/api/v1/me", headers=bearer(second))).status_code == 200

    # the old one again: reuse → the whole family is revoked, the newest token too
    r = await env.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert r.status_code == 401
    assert r.json()["code"] == "refresh_token_reused"
    r = await env.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_refresh_token"

    # other sessions of the same account are not affected
    other = (await env.login(email, GOOD_PASSWORD)).json()
    r = await env.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]}
    )
    assert r.status_code == 200

    r = await env.client.post("/api/v1/auth/refresh", json={"refresh_token": "made-up"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_refresh_token"


async def test_parallel_refreshes_of_one_token_rotate_once(env):
    """Parallel uses of one refresh token: at most one rotates it; the others count as reuse and
    end the whole family — so even the one that won leaves no refresh token that still works
    (whether it answered 200 first or was revoked before it finished depends on timing)."""
    email, _ = await env.opened_seeker()
    tokens = (await env.login(email, GOOD_PASSWORD)).json()
    results = await asyncio.gather(
        *(
            env.client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
            for _ in range(3)
        )
    )
    codes = sorted(r.status_code for r in results)
    assert codes in ([200, 401, 401], [401, 401, 401])
    assert "refresh_token_reused" in {r.json().get("code") for r in results if r.status_code == 401}
    for r in results:
        if r.status_code == 200:
            again = await env.client.post(
                "/api/v1/auth/refresh", json={"refresh_token": r.json()["refresh_token"]}
            )
            assert again.status_code == 401


async def test_logout_ends_the_session(env):
    email, _ = await env.opened_seeker()
    tokens = (await env.login(email, GOOD_PASSWORD)).json()
    r = await env.client.post(
        "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}
    )
    assert r.status_code == 204
    r = await env.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert r.status_code == 401
    # logging out again, or with a made-up token, is fine
    assert (
        await env.client.post(
            "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}
        )
    ).status_code == 204
    assert (
        await env.client.post("/api/v1/auth/logout", json={"refresh_token": "nope"})
    ).status_code == 204

    # with only the access token, its session ends too
    tokens = (await env.login(email, GOOD_PASSWORD)).json()
    r = await env.client.post("/api/v1/auth/logout", json={}, headers=bearer(tokens))
    assert r.status_code == 204
    r = await env.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert r.status_code == 401


async def test_five_failures_lock_the_account_for_that_address_for_fifteen_minutes(env, clock):
    email, _ = await env.opened_seeker()
    ip = random_ip()
    for _ in range(5):
        r = await env.login(email, "Wrong-pass-1", ip=ip)
        assert r.status_code == 401
    r = await env.login(email, GOOD_PASSWORD, ip=ip)  # the right password, from that address
    assert r.status_code == 429
    assert r.json()["code"] == "too_many_attempts"
    assert 890 <= int(r.headers["Retry-After"]) <= 900
    # the owner, from another address, is not locked out; nor is another account
    assert (await env.login(email, GOOD_PASSWORD, ip=random_ip())).status_code == 200
    other, _ = await env.opened_seeker()
    assert (await env.login(other, GOOD_PASSWORD, ip=ip)).status_code == 200

    clock.advance(timedelta(minutes=14))
    assert (await env.login(email, GOOD_PASSWORD, ip=ip)).status_code == 429
    clock.advance(timedelta(minutes=1, seconds=1))
    assert (await env.login(email, GOOD_PASSWORD, ip=ip)).status_code == 200


async def test_a_successful_login_forgets_earlier_failures(env):
    email, _ = await env.opened_seeker()
    ip = random_ip()
    for _ in range(2):
        for _ in range(4):
            assert (await env.login(email, "Wrong-pass-1", ip=ip)).status_code == 401
        assert (await env.login(email, GOOD_PASSWORD, ip=ip)).status_code == 200


async def test_unknown_emails_lock_like_known_ones(env):
    email, ip = new_email(), random_ip()
    for _ in range(5):
        assert (await env.login(email, "Wrong-pass-1", ip=ip)).status_code == 401
    assert (await env.login(email, "Wrong-pass-1", ip=ip)).status_code == 429


async def test_twenty_failures_from_one_address_lock_that_address(env):
    ip = random_ip()
    for i in range(20):
        r = await env.login(new_email(), "Wrong-pass-1", ip=ip)
        assert r.status_code == 401, (i, r.text)
    email, _ = await env.opened_seeker()
    r = await env.login(email, GOOD_PASSWORD, ip=ip)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert (await env.login(email, GOOD_PASSWORD, ip=random_ip())).status_code == 200


async def test_the_second_path_creates_an_account(env):
    email = new_email()
    r = await env.client.post("/api/v1/accounts", json={"email": email, **AGREE})
    assert r.status_code == 202
    known = await env.client.post(
        "/api/v1/accounts", json={"email": (await env.opened_seeker())[0], **AGREE}
    )
    assert known.status_code == 202 and known.json() == r.json()
    r = await env.client.post(
        "/api/v1/accounts", json={"email": new_email(), "agree_privacy_policy": True}
    )
    assert r.status_code == 422

    key = await env.tap.key_for(email, "account_creation")
    body = {"email": email, "auth_key": key, "password": "short"}
    r = await env.client.post("/api/v1/accounts/complete", json=body)
    assert r.status_code == 400 and r.json()["code"] == "password_policy"
    r = await env.client.post("/api/v1/accounts/complete", json={**body, "password": GOOD_PASSWORD})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "active"
    account_id = r.json()["account_id"]
    r = await env.client.post("/api/v1/accounts/complete", json={**body, "password": GOOD_PASSWORD})
    assert r.status_code == 400 and r.json()["code"] == "invalid_auth_key"

    tokens = (await env.login(email, GOOD_PASSWORD)).json()
    me = (await env.client.get("/api/v1/me", headers=bearer(tokens))).json()
    assert me["account_id"] == account_id and me["role"] == "seeker" and me["seeker_id"] is None


async def test_password_reset_changes_the_password_and_ends_every_session(env):
    email, _ = await env.opened_seeker()
    old = (await env.login(email, GOOD_PASSWORD)).json()
    r = await env.client.post(
        "/api/v1/auth/password-reset", json={"email": email}, headers={"Accept-Language": "en"}
    )
    unknown = await env.client.post(
        "/api/v1/auth/password-reset",
        json={"email": new_email()},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == unknown.status_code == 202 and r.json() == unknown.json()
    key = await env.tap.key_for(email, "password_reset")
    assert env.tap.mails_to(email, "password_reset")[0]["locale"] == "en"

    # a password-reset key does not open anything else
    r = await env.complete_opening(email, key)
    assert r.status_code == 400 and r.json()["code"] == "invalid_auth_key"

    new_password = "Atarashii#2027"
    r = await env.client.post(
        "/api/v1/auth/password-reset/complete",
        json={"email": email, "auth_key": key, "password": new_password},
    )
    assert r.status_code == 200, r.text
    account = await env.identity.repo.account_by_email(email)
    await env.tap.event("identity.password.changed.v1", account_id=account["_id"])

    r = await env.client.post("/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]})
    assert r.status_code == 401
    assert (await env.login(email, GOOD_PASSWORD)).status_code == 401
    assert (await env.login(email, new_password)).status_code == 200


async def test_password_reset_only_for_opened_accounts(env):
    email, _ = await env.register_seeker()
    assert (
        await env.client.post("/api/v1/auth/password-reset", json={"email": email})
    ).status_code == 202
    await asyncio.sleep(0.4)
    assert env.tap.mails_to(email) == []


async def test_me_needs_a_valid_token(env):
    assert (await env.client.get("/api/v1/me")).status_code == 401
    r = await env.client.get("/api/v1/me", headers={"Authorization": "Bearer junk"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    staff = await env.staff_headers()
    me = (await env.client.get("/api/v1/me", headers=staff)).json()
    assert me["role"] == "staff" and me["office_code"] == "13010"
