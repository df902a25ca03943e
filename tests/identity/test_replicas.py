"""Several identity processes on one database: one signing key and one pepper, created once
however many start together, and tokens one replica signs that another accepts."""

from __future__ import annotations

import asyncio

import pytest

from servicekit.clock import SystemClock
from servicekit.db import connect
from services.identity.app import create_app
from services.identity.repository import Repository
from services.identity.service import Identity
from services.identity.settings import IdentitySettings
from tests.conftest import running
from tests.identity.support import GOOD_PASSWORD, bearer

pytestmark = pytest.mark.integration


async def test_replicas_starting_together_create_one_signing_key(make_settings, run_id):
    settings = make_settings(IdentitySettings, db_name=f"t{run_id}_identity_keys")
    client, db = connect(settings.mongodb_url, settings.database)
    try:
        replicas = [Identity.build(settings, Repository(db), SystemClock(), None) for _ in range(5)]
        await asyncio.gather(*(r.load_secrets() for r in replicas))
        assert len({r.tokens.key.kid for r in replicas}) == 1
        assert len({r.pepper for r in replicas}) == 1 and replicas[0].pepper
        assert await db["secrets"].count_documents({}) == 2
    finally:
        for r in replicas:
            await r.stop()
        await client.close()


async def test_another_replica_accepts_the_tokens_and_keys_of_the_first(env):
    email, seeker = await env.register_seeker()
    await env.request_opening(email)
    key = await env.tap.key_for(email, "mypage_opening")
    replica = create_app(env.settings)
    async with running(replica) as other:
        # the key mailed by the first replica opens the My Page on the second
        r = await other.post(
            "/api/v1/mypage/opening/complete",
            json={"email": email, "auth_key": key, "password": GOOD_PASSWORD},
        )
        assert r.status_code == 200, r.text
        tokens = (await env.login(email, GOOD_PASSWORD)).json()
        me = await other.get("/api/v1/me", headers=bearer(tokens))
        assert me.status_code == 200 and me.json()["seeker_id"] == seeker["seeker_id"]
        assert (await other.get("/.well-known/jwks.json")).json() == (
            await env.client.get("/.well-known/jwks.json")
        ).json()
