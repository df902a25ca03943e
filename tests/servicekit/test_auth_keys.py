"""servicekit.auth.TokenVerifier and identity's key rotation: the key is picked by ``kid``; an
unknown kid fetches the JWKS again, at most once per interval, and is refused if still unknown; a
token signed with a key the JWKS does not hold is refused whatever kid it names. No I/O: the
JWKS comes from a function that counts its calls, and the verifier's clock is the test's."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import jwt
import pytest

from servicekit.auth import TokenVerifier, parse_jwks
from servicekit.errors import Unauthorized
from services.identity.tokens import SigningKey

ISSUER, AUDIENCE = "hataraku-identity", "hataraku"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Jwks:
    """What identity publishes, changed by the test; counts the fetches."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.fetches = 0
        self.down = False

    async def __call__(self) -> dict[str, Any]:
        self.fetches += 1
        if self.down:
            raise ConnectionError("identity is down")
        return {"keys": [k.public_jwk for k in self.keys]}


def token(key: SigningKey, *, kid: str | None = None, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "a1", "role": "seeker", "iat": now}
    body |= {"exp": now + 600, **claims}
    headers = {"kid": key.kid if kid is None else kid}
    return jwt.encode(body, key.private_key, algorithm="EdDSA", headers=headers)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def verifier(jwks: Jwks, clock: Clock, **kw: Any) -> TokenVerifier:
    return TokenVerifier(jwks, issuer=ISSUER, audience=AUDIENCE, monotonic=clock, **kw)


async def refused(v: TokenVerifier, tok: str) -> str:
    with pytest.raises(Unauthorized) as exc:
        await v.verify(tok)
    return exc.value.code


async def test_the_key_is_picked_by_kid_among_the_published_ones():
    current, previous = SigningKey.generate(), SigningKey.generate()
    jwks, clock = Jwks(current, previous), Clock()
    v = verifier(jwks, clock)
    assert (await v.verify(token(current))).account_id == "a1"
    assert (await v.verify(token(previous))).account_id == "a1"  # signed before the rotation
    assert jwks.fetches == 1
    assert v.kids == {current.kid, previous.kid}


async def test_a_token_signed_by_a_key_that_is_not_published_is_refused():
    published, stranger = SigningKey.generate(), SigningKey.generate()
    jwks, clock = Jwks(published), Clock()
    v = verifier(jwks, clock)
    await v.verify(token(published))
    # a published kid over a signature of another key
    assert await refused(v, token(stranger, kid=published.kid)) == "invalid_token"
    # its own kid, which identity never published
    assert await refused(v, token(stranger)) == "invalid_token"
    # a token with no kid, or one that is not a string, is refused without a fetch
    fetches = jwks.fetches
    no_kid = jwt.encode({"sub": "a1"}, published.private_key, algorithm="EdDSA")
    assert await refused(v, no_kid) == "invalid_token"
    good = token(published).split(".")
    numeric_kid = b64(json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": 7}).encode())
    assert await refused(v, ".".join([numeric_kid, *good[1:]])) == "invalid_token"
    assert jwks.fetches == fetches


async def test_an_unknown_kid_is_refused_after_one_refetch_and_refetches_are_rate_limited():
    known = SigningKey.generate()
    jwks, clock = Jwks(known), Clock()
    v = verifier(jwks, clock, refetch_seconds=30)
    await v.verify(token(known))
    assert jwks.fetches == 1

    forged = SigningKey.generate()
    assert await refused(v, token(forged)) == "invalid_token"
    assert jwks.fetches == 2  # one refetch, the kid still unknown: refused

    # a flood of made-up kids within the interval costs identity nothing more
    for i in range(50):
        assert await refused(v, token(forged, kid=f"made-up-{i}")) == "invalid_token"
    clock.now += 29
    assert await refused(v, token(forged)) == "invalid_token"
    assert jwks.fetches == 2
    # known kids are served from the cache all along
    assert (await v.verify(token(known))).account_id == "a1"

    clock.now += 1.5  # the interval has passed: the next unknown kid may fetch again
    assert await refused(v, token(forged)) == "invalid_token"
    assert jwks.fetches == 3


async def test_concurrent_tokens_with_an_unknown_kid_share_one_fetch():
    known, fresh = SigningKey.generate(), SigningKey.generate()
    jwks, clock = Jwks(known), Clock()
    v = verifier(jwks, clock)
    await v.verify(token(known))
    jwks.keys.append(fresh)
    results = await asyncio.gather(*(v.verify(token(fresh)) for _ in range(20)))
    assert all(p.account_id == "a1" for p in results)
    assert jwks.fetches == 2


async def test_rotation_a_new_key_is_fetched_and_the_old_ones_tokens_keep_verifying():
    old = SigningKey.generate()
    jwks, clock = Jwks(old), Clock()
    v = verifier(jwks, clock)
    before = token(old)
    await v.verify(before)

    # identity restarts with a new current key and the old one as previous
    new = SigningKey.generate()
    jwks.keys = [new, old]
    clock.now += 31
    assert (await v.verify(token(new))).account_id == "a1"
    assert jwks.fetches == 2
    assert (await v.verify(before)).account_id == "a1"

    # the next rotation drops the old key: once the cached set is refreshed, its tokens fail
    newer = SigningKey.generate()
    jwks.keys = [newer, new]
    clock.now += 31
    await v.verify(token(newer))
    assert await refused(v, before) == "invalid_token"


async def test_a_key_identity_no_longer_publishes_stops_verifying_within_the_max_age():
    withdrawn, other = SigningKey.generate(), SigningKey.generate()
    jwks, clock = Jwks(withdrawn, other), Clock()
    v = verifier(jwks, clock, max_age_seconds=300)
    tok = token(withdrawn)
    await v.verify(tok)
    jwks.keys = [other]
    clock.now += 299
    await v.verify(tok)  # still in the cached set
    assert jwks.fetches == 1
    clock.now += 2
    assert await refused(v, tok) == "invalid_token"
    assert jwks.fetches == 2


async def test_while_identity_is_down_cached_keys_keep_working_and_fetches_are_spaced():
    key = SigningKey.generate()
    jwks, clock = Jwks(key), Clock()
    v = verifier(jwks, clock, retry_seconds=2, max_age_seconds=300)
    jwks.down = True
    # never fetched: each request may not try again before retry_seconds
    for _ in range(10):
        assert await refused(v, token(key)) == "invalid_token"
    assert jwks.fetches == 1
    clock.now += 2
    jwks.down = False
    await v.verify(token(key))
    assert jwks.fetches == 2

    jwks.down = True
    clock.now += 301  # the set is stale; the refresh fails, the cached key stays in use
    for _ in range(10):
        await v.verify(token(key))
    assert jwks.fetches == 3


async def test_the_first_load_does_not_use_up_the_refetch_interval():
    first, second = SigningKey.generate(), SigningKey.generate()
    jwks, clock = Jwks(first), Clock()
    v = verifier(jwks, clock, refetch_seconds=30)
    await v.verify(token(first))
    jwks.keys.append(second)  # rotated right after the verifier started
    clock.now += 1
    await v.verify(token(second))
    assert jwks.fetches == 2


def test_a_bad_jwks_entry_is_left_out_not_the_whole_set():
    good = SigningKey.generate()
    keys = parse_jwks(
        {
            "keys": [
                {"kty": "OKP", "crv": "Ed25519", "x": "not base64!"},  # no kid
                {"kid": "broken", "kty": "OKP", "crv": "Ed25519"},  # no x
                "not an object",
                good.public_jwk,
            ]
        }
    )
    assert set(keys) == {good.kid}
    assert parse_jwks({"keys": "nope"}) == {}
