"""The routes the gateway answers itself on its public port: status and maintenance, the merged
OpenAPI and its Swagger UI, liveness. Readiness, metrics and the upstreams' state are on the
internal listener (gateway/listeners.py)."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from pymongo.errors import PyMongoError

from gateway import docs
from gateway.core import Gateway
from gateway.maintenance import Maintenance
from gateway.schemas import MaintenanceUpdate, Status
from gateway.tokens import KeysUnavailable
from servicekit.auth import Principal, bearer_token
from servicekit.errors import DomainError, Forbidden, NotFound, Unauthorized, wants_english

log = structlog.get_logger()

router = APIRouter()


def gateway(request: Request) -> Gateway:
    gw: Gateway = request.app.state.gateway
    return gw


GatewayDep = Annotated[Gateway, Depends(gateway)]


async def admin(request: Request, gw: GatewayDep) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized()
    try:
        principal = await gw.tokens.verify(token)
    except KeysUnavailable as exc:
        raise DomainError(
            "service_unavailable",
            status=503,
            ja="ただいまログイン情報を確認できません。しばらくしてから再度お試しください。",
            en="Tokens cannot be checked right now. Please try again later.",
        ) from exc
    if principal.role != "admin":
        raise Forbidden()
    return principal


AdminDep = Annotated[Principal, Depends(admin)]


def _status(gw: Gateway) -> Status:
    state, now = gw.maintenance.state, gw.clock.now()
    window = state.window(now)
    return Status.model_validate(
        {
            "maintenance": state.in_effect(now),
            "window": window,
            "message": state.message if window else None,
        }
    )


@router.get("/api/v1/status", tags=["operations"], summary="Maintenance status")
async def status(gw: GatewayDep) -> Status:
    return _status(gw)


@router.put(
    "/api/v1/admin/maintenance",
    tags=["operations"],
    summary="Start, schedule or end maintenance",
    responses={401: {"description": "no or bad token"}, 403: {"description": "not an admin"}},
)
async def set_maintenance(
    request: Request, body: MaintenanceUpdate, gw: GatewayDep, who: AdminDep
) -> Status:
    state = Maintenance.of(
        active=body.active, starts_at=body.starts_at, ends_at=body.ends_at, message=body.message
    )
    if state.ends_at is not None and state.ends_at <= gw.clock.now():
        raise DomainError(
            "validation_error",
            status=422,
            ja="入力内容に誤りがあります。",
            en="The input is not valid.",
            errors=[
                {
                    "field": "ends_at",
                    "code": "in_past",
                    "message": (
                        "The end is in the past."
                        if wants_english(request)
                        else "終了日時が過ぎています。"
                    ),
                }
            ],
        )
    try:
        await gw.maintenance.save(state, by=who.account_id)
    except PyMongoError as exc:
        log.error("gateway.maintenance.save_failed", error=repr(exc))
        raise DomainError(
            "service_unavailable",
            status=503,
            ja="ただいま設定を保存できません。しばらくしてから再度お試しください。",
            en="The setting cannot be saved right now. Please try again later.",
        ) from exc
    return _status(gw)


@router.get("/api/openapi.json", tags=["operations"], summary="Merged OpenAPI of every service")
async def openapi_json(request: Request, gw: GatewayDep) -> dict[str, Any]:
    return await gw.docs(request.app.openapi())


@router.get("/api/docs", include_in_schema=False)
async def docs_page() -> HTMLResponse:
    return HTMLResponse(docs.PAGE, headers=docs.PAGE_HEADERS)


@router.get("/api/docs/{name}", include_in_schema=False)
async def docs_file(name: str) -> Response:
    found = docs.asset(name)
    if found is None:
        raise NotFound()
    return found


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok", "service": "gateway"}
