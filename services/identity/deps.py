"""FastAPI dependencies shared by identity's routers."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from fastapi import Depends, Request

from servicekit.errors import PROBLEM, wants_english
from services.identity.service import Identity


def get_identity(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


IdentityDep = Annotated[Identity, Depends(get_identity)]


def locale(request: Request) -> Literal["ja", "en"]:
    return "en" if wants_english(request) else "ja"


Locale = Annotated[Literal["ja", "en"], Depends(locale)]


def client_ip(request: Request) -> str | None:
    """The first X-Forwarded-For entry (set by the gateway) when trusted, else the socket peer."""
    identity = get_identity(request)
    if identity.settings.trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.client.host if request.client else None


ClientIp = Annotated[str | None, Depends(client_ip)]


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: these statuses answer application/problem+json."""
    return {
        status: {"description": "problem+json with a stable `code`", "content": {PROBLEM: {}}}
        for status in statuses
    }
