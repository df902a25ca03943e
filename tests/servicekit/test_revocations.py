"""servicekit.revocations: ended sessions and account cut-offs, recorded by the one replica that
consumed the fact, seen by every replica (including one started later), checked in memory."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Envelope
from contracts.identity import AccountSessionsEnded, SessionEnded
from servicekit.auth import Principal, TokenVerifier
from servicekit.errors import Unauthorized
from servicekit.revocations import Revocations
from tests.conftest import MONGODB_URL, RUN_ID

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(infra: None) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_URL, tz_aware=True)
    name = f"t{RUN_ID}_revocations_{uuid.uuid4().hex[:6]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


def principal(account: str, session: str | None, epoch: int = 0) -> Principal:
    return Principal(account_id=account, role="seeker", session_id=session, token_epoch=epoch)


def ended(session: str, account: str, *, minutes: int = 15) -> tuple[SessionEnded, Envelope]:
    event = SessionEnded(
        session_id=session,
        account_id=account,
        reason="logout",
        tokens_valid_until=datetime.now(UTC) + timedelta(minutes=minutes),
    )
    return event, Envelope.wrap(event, producer="identity", subject=session, correlation_id="c")


def reset(account: str, epoch: int) -> tuple[AccountSessionsEnded, Envelope]:
    event = AccountSessionsEnded(
        account_id=account,
        token_epoch=epoch,
        reason="password_reset",
        tokens_valid_until=datetime.now(UTC) + timedelta(minutes=15),
    )
    return event, Envelope.wrap(event, producer="identity", subject=account, correlation_id="c")


async def test_a_session_ended_on_one_replica_is_refused_by_every_replica(db) -> None:
    consuming, other = Revocations(db), Revocations(db)
    await consuming.start()
    await other.start()
    heard: list[int] = []
    other.listen(lambda: heard.append(1))

    await consuming.on_session_ended(*ended("s1", "a1"))
    assert consuming.revoked(principal("a1", "s1"))  # at once where it was consumed
    assert not other.revoked(principal("a1", "s1"))
    assert await other.poll() == 1  # the next poll (every half second) brings it
    assert other.revoked(principal("a1", "s1"))
    assert heard == [1]
    assert not other.revoked(principal("a1", "s2"))  # the account's other session is untouched
    assert await other.poll() == 0  # the overlap re-reads it: no news, no second call
    assert heard == [1]

    # a replica started later loads it before it is ready
    late = Revocations(db)
    await late.start()
    assert late.revoked(principal("a1", "s1"))

    # twice is once (a redelivered event)
    await consuming.on_session_ended(*ended("s1", "a1"))
    assert await db["revoked_tokens"].count_documents({}) == 1


async def test_a_password_reset_revokes_the_accounts_older_tokens(db) -> None:
    consuming, other = Revocations(db), Revocations(db)
    await consuming.start()
    await other.start()
    await consuming.on_account_sessions_ended(*reset("a1", 2))
    await other.poll()
    for r in (consuming, other):
        assert r.revoked(principal("a1", "s1", epoch=0))
        assert r.revoked(principal("a1", "s9", epoch=1))
        assert not r.revoked(principal("a1", "s10", epoch=2))  # issued after the reset
        assert not r.revoked(principal("a2", "s1", epoch=0))
    # an older reset arriving late never lowers the cut-off
    await consuming.on_account_sessions_ended(*reset("a1", 1))
    late = Revocations(db)
    await late.start()
    assert late.revoked(principal("a1", "s9", epoch=1))


async def test_the_poll_follows_with_every_replica_running(db) -> None:
    consuming, other = Revocations(db, poll_seconds=0.1), Revocations(db, poll_seconds=0.1)
    stop = asyncio.Event()
    task = asyncio.create_task(other.run(stop))
    try:
        await consuming.start()
        await asyncio.sleep(0.2)
        await consuming.on_session_ended(*ended("s7", "a7"))
        for _ in range(50):
            if other.revoked(principal("a7", "s7")):
                break
            await asyncio.sleep(0.05)
        assert other.revoked(principal("a7", "s7"))
    finally:
        stop.set()
        await task


async def test_an_expired_record_is_forgotten(db) -> None:
    r = Revocations(db)
    await r.start()
    await r.on_session_ended(*ended("old", "a1", minutes=-1))
    assert not r.revoked(principal("a1", "old"))  # its tokens expired anyway
    late = Revocations(db)
    await late.start()
    assert not late.revoked(principal("a1", "old"))


async def test_the_verifier_refuses_a_revoked_token(db) -> None:
    key = Ed25519PrivateKey.generate()
    jwk = {**OKPAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "k1"}

    async def fetch() -> dict[str, Any]:
        return {"keys": [jwk]}

    verifier = TokenVerifier(fetch, issuer="hataraku-identity", audience="hataraku")
    revocations = Revocations(db)
    await revocations.start()
    verifier.revocations = revocations

    def token(sid: str, **claims: Any) -> str:
        now = int(datetime.now(UTC).timestamp())
        payload = {
            "iss": "hataraku-identity",
            "aud": "hataraku",
            "sub": "a1",
            "role": "seeker",
            "sid": sid,
            "iat": now,
            "exp": now + 600,
            **claims,
        }
        return jwt.encode(payload, key, algorithm="EdDSA", headers={"kid": "k1"})

    p = await verifier.verify(token("s1", tep=3))
    assert (p.session_id, p.token_epoch) == ("s1", 3)
    await revocations.on_session_ended(*ended("s1", "a1"))
    with pytest.raises(Unauthorized) as refused:
        await verifier.verify(token("s1", tep=3))
    assert refused.value.code == "token_revoked"
    assert (await verifier.verify(token("s2", tep=3))).session_id == "s2"
    await revocations.on_account_sessions_ended(*reset("a1", 4))
    with pytest.raises(Unauthorized):
        await verifier.verify(token("s2", tep=3))
    with pytest.raises(Unauthorized):
        await verifier.verify(token("s3"))  # a token without ``tep`` is of epoch 0
    assert (await verifier.verify(token("s4", tep=4))).token_epoch == 4
