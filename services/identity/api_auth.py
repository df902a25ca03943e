"""Login, tokens, JWKS and "who am I"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from servicekit.auth import CurrentPrincipal, bearer_token
from services.identity import service_auth
from services.identity.deps import ClientIp, IdentityDep, problems
from services.identity.schemas import LoginRequest, LogoutRequest, Me, RefreshRequest, TokenPair

router = APIRouter(tags=["auth"])

JWKS_CACHE = "public, max-age=300"


@router.post(
    "/api/v1/auth/login",
    response_model=TokenPair,
    responses=problems(401, 422, 429),
    summary="Log in with e-mail and password",
)
async def login(form: LoginRequest, identity: IdentityDep, ip: ClientIp) -> TokenPair:
    pair = await service_auth.login(identity, email=form.email, password=form.password, ip=ip)
    return TokenPair(**pair)


@router.post(
    "/api/v1/auth/refresh",
    response_model=TokenPair,
    responses=problems(401, 422),
    summary="Exchange a refresh token for a new pair (the old one stops working)",
)
async def refresh(form: RefreshRequest, identity: IdentityDep) -> TokenPair:
    return TokenPair(**await service_auth.refresh(identity, refresh_token=form.refresh_token))


@router.post(
    "/api/v1/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(422),
    summary="End the session of the refresh token (and of the bearer access token, if sent)",
)
async def logout(form: LogoutRequest, request: Request, identity: IdentityDep) -> Response:
    await service_auth.logout(
        identity, refresh_token=form.refresh_token, access_token=bearer_token(request)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/v1/me", response_model=Me, responses=problems(401, 404), summary="Who am I")
async def me(principal: CurrentPrincipal, identity: IdentityDep) -> Me:
    return Me(**await service_auth.me(identity, principal=principal))


@router.get("/.well-known/jwks.json", operation_id="jwks_well_known", summary="Public keys (JWKS)")
@router.get(
    "/api/v1/auth/jwks", operation_id="jwks", summary="Public keys of the access tokens (JWKS)"
)
async def jwks(identity: IdentityDep, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = JWKS_CACHE
    return identity.tokens.jwks()
