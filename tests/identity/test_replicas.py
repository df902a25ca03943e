"""Several identity processes on one database: one pepper, created once however many start
together, one signing key (from its file, or the development key generated once however many
start together), and tokens one replica signs that another accepts."""

from __future__ import annotations

import asyncio

import pytest

from servicekit.clock import SystemClock
from servicekit.db import connect
from services.identity.app import create_app
from services.identity.repository import Repository
from services.identity.service import LEGACY_SIGNING_KEY, PEPPER, Identity
from services.identity.settings import IdentitySettings
from services.identity.signing_keys import load_keys
from tests.conftest import running
from tests.identity.support import GOOD_PASSWORD, bearer

pytestmark = pytest.mark.integration


async def test_replicas_starting_together_create_one_pepper_and_one_dev_key(
    make_settings, run_id, tmp_path
):
    dev_key = tmp_path / "secrets" / "token-signing-key.pem"
    settings = make_settings(
        IdentitySettings, db_name=f"t{run_id}_identity_keys", token_dev_key_file=str(dev_key)
    )
    client, db = connect(settings.mongodb_url, settings.database)
    replicas: list[Identity] = []
    # a signing key where identity kept it before it came from a file: removed at start-up
    await db["secrets"].insert_one({"_id": LEGACY_SIGNING_KEY, "private_pem": "-----BEGIN…"})
    try:
        rings = await asyncio.gather(*(asyncio.to_thread(load_keys, settings) for _ in range(5)))
        assert len({ring.current.kid for ring in rings}) == 1
        assert all(ring.development for ring in rings)
        assert dev_key.stat().st_mode & 0o777 == 0o600
        assert [p.name for p in dev_key.parent.iterdir()] == [dev_key.name]  # no temp files left
        replicas += [
            Identity.build(settings, Repository(db), SystemClock(), None) for _ in range(5)
        ]
        await asyncio.gather(*(r.load_secrets() for r in replicas))
        assert len({r.pepper for r in replicas}) == 1 and replicas[0].pepper
        assert [d["_id"] async for d in db["secrets"].find()] == [PEPPER]
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
