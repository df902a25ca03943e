"""The gateway's token check against identity's JWKS (served by the identity stand-in)."""

from __future__ import annotations

import asyncio

import pytest

from tests.gateway.conftest import running_gateway

pytestmark = pytest.mark.integration


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_valid_token_passes_with_its_header(gw, identity, keys, kid):
    token = keys.token(kid)
    resp = await gw.get("/api/v1/me", headers=bearer(token))
    assert resp.status_code == 200
    assert resp.json()["headers"]["authorization"] == f"Bearer {token}"


async def test_requests_without_a_token_pass_through(gw, identity):
    resp = await gw.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert resp.status_code == 200
    assert len(identity.seen) == 1


async def test_bad_tokens_are_401_without_contacting_the_upstream(gw, identity, jobs, keys, kid):
    other = keys.add(publish=False)  # signed with a key identity never published
    cases = {
        "garbage": "not-a-jwt",
        "unknown_key": keys.token(other),
        "tampered": keys.token(kid)[:-4] + "AAAA",
        "wrong_audience": keys.token(kid, aud="someone-else"),
    }
    for name, token in cases.items():
        resp = await gw.get("/api/v1/jobs", headers=bearer(token))
        assert resp.status_code == 401, name
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["code"] == "invalid_token", name
        assert resp.json()["detail"] == "ログイン情報が正しくありません。"
        assert resp.headers["www-authenticate"].startswith("Bearer")
    expired = await gw.get(
        "/api/v1/jobs", headers={**bearer(keys.token(kid, ttl=-10)), "Accept-Language": "en"}
    )
    assert expired.status_code == 401
    assert expired.json()["code"] == "token_expired"
    assert expired.json()["detail"] == "The access token has expired."
    assert jobs.seen == []
    assert not [s for s in identity.seen if s["path"] != "/.well-known/jwks.json"]


async def test_a_stale_token_does_not_block_login_or_refresh(gw, identity, keys, kid):
    stale = bearer(keys.token(kid, ttl=-10))
    assert (await gw.post("/api/v1/auth/login", json={}, headers=stale)).status_code == 200
    assert (await gw.post("/api/v1/auth/refresh", json={}, headers=stale)).status_code == 200
    assert (await gw.get("/api/v1/me", headers=stale)).status_code == 401


async def test_an_unknown_kid_refreshes_the_keys(gw, identity, keys, kid):
    assert (await gw.get("/api/v1/me", headers=bearer(keys.token(kid)))).status_code == 200
    fetches = identity.jwks_fetches
    # identity rotates: a new key appears after the gateway cached the old set
    new_kid = keys.add()
    await asyncio.sleep(5.1)  # TokenVerifier refreshes at most every 5 s
    resp = await gw.get("/api/v1/me", headers=bearer(keys.token(new_kid)))
    assert resp.status_code == 200
    assert identity.jwks_fetches == fetches + 1
    # known keys need no more fetches
    for _ in range(3):
        assert (await gw.get("/api/v1/me", headers=bearer(keys.token(new_kid)))).status_code == 200
    assert identity.jwks_fetches == fetches + 1


async def test_tokens_cannot_be_checked_while_identity_is_down_is_503_not_401(
    gateway_settings, keys, kid, dead_url
):
    settings = gateway_settings(jwks_url=dead_url + "/.well-known/jwks.json")
    async with running_gateway(settings) as client:
        resp = await client.get("/api/v1/jobs", headers=bearer(keys.token(kid)))
        assert resp.status_code == 503
        assert resp.json()["code"] == "service_unavailable"
