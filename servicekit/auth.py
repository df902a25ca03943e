"""Access-token verification against identity's JWKS (EdDSA). Every service checks the token
itself; no service trusts a header alone.

Identity publishes its current signing key and, after a rotation, the previous one (see
SECURITY.md, "Token signing keys"); the verifier picks the key by the token's ``kid`` and fetches
the set again, rate-limited, when a token names a kid it does not know."""

from __future__ import annotations

import asyncio
import math
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


def parse_jwks(data: dict[str, Any]) -> dict[str, Any]:
    """The public keys of a JWKS by ``kid``; an entry without a kid or that does not parse is
    left out (and logged), so one bad entry does not take the others with it."""
    keys: dict[str, Any] = {}
    entries = data.get("keys") if isinstance(data, dict) else None
    for jwk in entries if isinstance(entries, list) else []:
        kid = jwk.get("kid") if isinstance(jwk, dict) else None
        if not isinstance(kid, str) or not kid:
            log.warning("auth.jwks_entry_skipped", reason="no kid")
            continue
        try:
            keys[kid] = jwt.PyJWK.from_dict(jwk).key
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
            log.warning("auth.jwks_entry_skipped", kid=kid[:64], reason=repr(exc))
    return keys


def http_jwks_fetcher(url: str) -> JwksFetcher:
    async def fetch() -> dict[str, Any]:
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as resp:
            resp.raise_for_status()
            data: dict[str, Any] = await resp.json()
            return data

    return fetch


class TokenVerifier:
    """Checks access tokens against identity's JWKS, picking the key by the token's ``kid``.

    The key set is cached. A token naming a ``kid`` the cache does not hold makes the verifier
    fetch the set again (a key identity started signing with since), but at most once per
    ``refetch_seconds``: a stream of tokens with made-up kids costs identity one fetch per
    interval, not one per token. A kid still unknown after that is refused. The set is also
    fetched again when it is older than ``max_age_seconds`` (a key identity no longer publishes
    — retired after a rotation, or withdrawn — stops verifying within that time), and a failed
    fetch may be retried after ``retry_seconds`` (the cached keys stay in use meanwhile)."""

    def __init__(
        self,
        fetch: JwksFetcher,
        *,
        issuer: str,
        audience: str,
        refetch_seconds: float = 30.0,
        retry_seconds: float = 2.0,
        max_age_seconds: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.issuer = issuer
        self.audience = audience
        self.refetch_seconds = refetch_seconds
        self.retry_seconds = retry_seconds
        self.max_age_seconds = max_age_seconds
        self._now = monotonic
        self._keys: dict[str, Any] | None = None  # None: never fetched successfully
        self._fetched_at = 0.0
        self._next_fetch = -math.inf  # no fetch before this
        self._lock = asyncio.Lock()
        # ended sessions and account cut-offs (servicekit.revocations), set by the Runtime
        self.revocations: RevocationCheck | None = None

    @property
    def kids(self) -> frozenset[str]:
        """The key ids of the cached set."""
        return frozenset(self._keys or ())

    async def refresh(self) -> None:
        """Fetch the key set now, whatever the limits (start-up, tests); raises if it fails."""
        async with self._lock:
            await self._load()

    async def _load(self) -> None:
        first = self._keys is None
        now = self._now()
        try:
            data = await self._fetch()
        except Exception:
            self._next_fetch = now + self.retry_seconds
            raise
        self._keys = parse_jwks(data)
        self._fetched_at = now
        # a first load was not asked for by a token's kid, so it does not use up the interval:
        # a key identity publishes just after (a rotation right after start-up) is fetched at once
        self._next_fetch = now if first else now + self.refetch_seconds

    async def _key(self, kid: str) -> Any:
        keys = self._keys
        fresh = self._now() - self._fetched_at < self.max_age_seconds
        if keys is not None and kid in keys and fresh:
            return keys[kid]
        async with self._lock:
            keys, now = self._keys, self._now()
            stale = keys is not None and now - self._fetched_at >= self.max_age_seconds
            if keys is not None and kid in keys and not stale:
                return keys[kid]  # fetched by another request while this one waited
            # while identity cannot be reached, one try per retry_seconds, not one per request
            if now >= self._next_fetch:
                try:
                    await self._load()
                except Exception as exc:
                    log.warning("auth.jwks_unavailable", error=repr(exc))
            return (self._keys or {}).get(kid)

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized(
                "invalid_token", ja="ログイン情報が正しくありません。", en="Invalid token."
            ) from exc
        kid = header.get("kid")
        # no kid, or not a string: nothing to look up (and no reason to fetch the keys again)
        key = await self._key(kid) if isinstance(kid, str) and 0 < len(kid) <= 256 else None
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
