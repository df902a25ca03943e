"""Access tokens (EdDSA JWTs, the public keys published as JWKS) and opaque refresh tokens.

Where the keys come from (a file or secret, or a development key): services/identity/signing_keys.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

ALGORITHM = "EdDSA"


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key and its public JWK; the ``kid`` is the key's RFC 7638 thumbprint,
    so it follows from the key alone (every replica names the same key the same way)."""

    kid: str
    private_key: Ed25519PrivateKey
    public_jwk: dict[str, str]

    @classmethod
    def from_private(cls, private: Ed25519PrivateKey) -> SigningKey:
        jwk: dict[str, str] = OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)
        kid = _thumbprint(jwk)
        public = {**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"}
        return cls(kid=kid, private_key=private, public_jwk=public)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls.from_private(Ed25519PrivateKey.generate())

    def to_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (what ``openssl genpkey`` writes)."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def _thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url)."""
    canonical = json.dumps(
        {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def claims_for(account: dict[str, Any]) -> dict[str, Any]:
    """The identity claims of an account document (role, e-mail, its seeker/employer and office)."""
    claims: dict[str, Any] = {"role": account["role"], "email": account["email"]}
    seeker = account.get("seeker") or {}
    employer = account.get("employer") or {}
    if seeker:
        claims["seeker_id"] = seeker["seeker_id"]
    if employer:
        claims["employer_id"] = employer["employer_id"]
    office = account.get("office_code") or seeker.get("office_code") or employer.get("office_code")
    if office:
        claims["office_code"] = office
    return claims


class TokenIssuer:
    """Signs access tokens with the service's key; serves the JWKS (also to its own verifier)."""

    def __init__(self, *, issuer: str, audience: str, access_minutes: int) -> None:
        self.issuer = issuer
        self.audience = audience
        self.access_ttl = timedelta(minutes=access_minutes)
        self._key: SigningKey | None = None
        self._previous: SigningKey | None = None

    def use(self, key: SigningKey, previous: SigningKey | None = None) -> None:
        """Sign with ``key``; publish ``previous`` beside it (it signs nothing, but the tokens it
        signed keep verifying until they expire)."""
        self._key = key
        self._previous = previous if previous is not None and previous.kid != key.kid else None

    @property
    def key(self) -> SigningKey:
        if self._key is None:
            raise RuntimeError("the signing key is not loaded yet")
        return self._key

    @property
    def previous(self) -> SigningKey | None:
        return self._previous

    def published(self) -> list[SigningKey]:
        """The keys in the JWKS: the current one first, then the previous one, if any."""
        return [k for k in (self._key, self._previous) if k is not None]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk for k in self.published()]}

    async def fetch_jwks(self) -> dict[str, Any]:
        """A ``servicekit.auth.JwksFetcher`` that answers from memory."""
        return self.jwks()

    def access_token(self, *, account: dict[str, Any], session_id: str, now: datetime) -> str:
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": account["_id"],
            **claims_for(account),
            "sid": session_id,
            # the account's token epoch: a password reset revokes every token of a lower one
            "tep": int(account.get("token_epoch", 0)),
            "iat": int(now.timestamp()),
            "exp": int((now + self.access_ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(
            payload, self.key.private_key, algorithm=ALGORITHM, headers={"kid": self.key.kid}
        )

    def session_of(self, token: str) -> str | None:
        """The session id of one of our own access tokens (already verified by the caller), signed
        with the current or the previous key."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            (key,) = [k for k in self.published() if k.kid == kid]
        except (jwt.PyJWTError, ValueError):
            return None
        try:
            claims = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
            )
        except jwt.PyJWTError:
            return None
        sid = claims.get("sid")
        return str(sid) if sid else None


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
