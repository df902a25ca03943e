"""The gateway's token check: servicekit's TokenVerifier (identity's JWKS, refreshed on an unknown
``kid``) behind a small cache of verified tokens, since an EdDSA verification costs ~0.1 ms and a
client sends the same token many times. A cached token is still dropped at its ``exp``, and every
token, cached or not, is refused once its session ended (logout, password reset: the revocations
of gateway/revocations.py, kept in memory, so the check costs no I/O)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from servicekit.auth import (
    JwksFetcher,
    Principal,
    RevocationCheck,
    TokenVerifier,
    http_jwks_fetcher,
    revoked_token,
)
from servicekit.errors import Unauthorized


class KeysUnavailable(Exception):
    """The token could not be checked because identity's JWKS could not be fetched."""


class JwksSource:
    """Fetches the JWKS and remembers whether the last attempt failed, so that a token we cannot
    check while identity is down gets a 503, not a 401 that would log the user out."""

    def __init__(self, fetch: JwksFetcher) -> None:
        self._fetch = fetch
        self.failing = False
        self.fetches = 0

    async def __call__(self) -> dict[str, Any]:
        self.fetches += 1
        try:
            data = await self._fetch()
        except Exception:
            self.failing = True
            raise
        self.failing = False
        return data


def _expiry(token: str) -> float:
    """The ``exp`` of a token that was just verified (so its payload is well-formed)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return float(claims["exp"])


class TokenCheck:
    def __init__(self, *, jwks_url: str, issuer: str, audience: str, cache_size: int) -> None:
        self.jwks = JwksSource(http_jwks_fetcher(jwks_url))
        self.verifier = TokenVerifier(self.jwks, issuer=issuer, audience=audience)
        self.cache_size = cache_size
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._revocations: RevocationCheck | None = None

    @property
    def revocations(self) -> RevocationCheck | None:
        return self._revocations

    @revocations.setter
    def revocations(self, check: RevocationCheck | None) -> None:
        self._revocations = self.verifier.revocations = check

    async def verify(self, token: str) -> Principal:
        """The token's principal; raises Unauthorized (invalid_token / token_expired) or
        KeysUnavailable."""
        hit = self._cache.get(token)
        if hit is not None:
            if time.time() < hit[1]:
                if self._revocations is not None and self._revocations.revoked(hit[0]):
                    del self._cache[token]
                    raise revoked_token()
                return hit[0]
            del self._cache[token]
        try:
            principal = await self.verifier.verify(token)
        except Unauthorized as exc:
            if exc.code == "invalid_token" and self.jwks.failing:
                raise KeysUnavailable from exc
            raise
        if self.cache_size:
            if len(self._cache) >= self.cache_size:
                del self._cache[next(iter(self._cache))]
            self._cache[token] = (principal, _expiry(token))
        return principal
