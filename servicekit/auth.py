"""Access-token verification against identity's JWKS (EdDSA). Every service checks the token
itself; no service trusts a header alone."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, Protocol

import aiohttp
import jwt
import structlog
from fastapi import Depends, Request
from pydantic import BaseModel

from servicekit.errors import Forbidden, Unauthorized

log = structlog.get_logger()

Role = Literal["seeker", "employer", "staff", "admin"]


class Principal(BaseModel):
    account_id: str
    role: Role
    email: str | None = None
    seeker_id: str | None = None
    employer_id: str | None = None
    office_code: str | None = None
    # the login session (claim ``sid``) and the account's token epoch (``tep``) the token was
    # issued in: what a revocation names (servicekit.revocations)
    session_id: str | None = None
    token_epoch: int = 0

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]


class RevocationCheck(Protocol):
    def revoked(self, claims: Principal, /) -> bool: ...


def revoked_token() -> Unauthorized:
    return Unauthorized(
        "token_revoked",
        ja="このログインは終了しています。再度ログインしてください。",
        en="The session of this access token has ended (logout or password reset).",
    )


def http_jwks_fetcher(url: str) -> JwksFetcher:
    async def fetch() -> dict[str, Any]:
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as resp:
            resp.raise_for_status()
            data: dict[str, Any] = await resp.json()
            return data

    return fetch


class TokenVerifier:
    """Caches the JWKS; refreshes it when a token names an unknown ``kid`` (at most every 5 s)."""

    def __init__(self, fetch: JwksFetcher, *, issuer: str, audience: str) -> None:
        self._fetch = fetch
        self.issuer = issuer
        self.audience = audience
        self._keys: dict[str, Any] = {}
        self._last_refresh = 0.0
        self._lock = asyncio.Lock()
        # ended sessions and account cut-offs (servicekit.revocations), set by the Runtime
        self.revocations: RevocationCheck | None = None

    async def refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._last_refresh < 5 and self._keys:
                return
            self._last_refresh = time.monotonic()
            data = await self._fetch()
            keys = {}
            for jwk in data.get("keys", []):
                keys[jwk["kid"]] = jwt.PyJWK.from_json(json.dumps(jwk)).key
            self._keys = keys

    async def _key(self, kid: str) -> Any:
        if kid not in self._keys:
            try:
                await self.refresh()
            except Exception as exc:
                log.warning("auth.jwks_unavailable", error=repr(exc))
        return self._keys.get(kid)

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized(
                "invalid_token", ja="ログイン情報が正しくありません。", en="Invalid token."
            ) from exc
        key = await self._key(str(header.get("kid", "")))
        if key is None:
            raise Unauthorized(
                "invalid_token", ja="ログイン情報が正しくありません。", en="Invalid token."
            )
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "role"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized(
                "token_expired",
                ja="ログインの有効期限が切れました。再度ログインしてください。",
                en="The access token has expired.",
            ) from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(
                "invalid_token", ja="ログイン情報が正しくありません。", en="Invalid token."
            ) from exc
        sid, tep = claims.get("sid"), claims.get("tep", 0)
        principal = Principal(
            account_id=claims["sub"],
            role=claims["role"],
            email=claims.get("email"),
            seeker_id=claims.get("seeker_id"),
            employer_id=claims.get("employer_id"),
            office_code=claims.get("office_code"),
            session_id=str(sid) if sid else None,
            token_epoch=tep if isinstance(tep, int) else 0,
        )
        if self.revocations is not None and self.revocations.revoked(principal):
            raise revoked_token()
        return principal


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token.strip()


async def current_principal(request: Request) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized()
    verifier: TokenVerifier = request.app.state.verifier
    principal = await verifier.verify(token)
    structlog.contextvars.bind_contextvars(account_id=principal.account_id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that admits only these roles (``staff`` admits admin too)."""
    allowed = set(roles) | ({"admin"} if "staff" in roles else set())

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden()
        return principal

    return check


SeekerPrincipal = Annotated[Principal, Depends(require("seeker"))]
EmployerPrincipal = Annotated[Principal, Depends(require("employer"))]
StaffPrincipal = Annotated[Principal, Depends(require("staff"))]
AdminPrincipal = Annotated[Principal, Depends(require("admin"))]
