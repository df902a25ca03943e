"""FastAPI dependencies shared by the messaging routers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from servicekit.auth import Principal, require
from servicekit.cursors import CursorParam
from servicekit.errors import PROBLEM
from services.messaging.service_lifecycle import LifecycleService
from services.messaging.service_messages import MessageService
from services.messaging.service_notices import NoticeService


@dataclass(frozen=True)
class MessagingServices:
    messages: MessageService
    notices: NoticeService
    lifecycle: LifecycleService


def get_services(request: Request) -> MessagingServices:
    services: MessagingServices = request.app.state.messaging
    return services


Services = Annotated[MessagingServices, Depends(get_services)]
Participant = Annotated[Principal, Depends(require("seeker", "employer", "staff"))]
Limit = Annotated[int, Query(ge=1, le=100, description="page size (≤ 100)")]
Cursor = CursorParam  # checked by servicekit.cursors: a bad one is 400 invalid_cursor


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: these statuses answer application/problem+json."""
    return {
        status: {"description": "problem+json with a stable `code`", "content": {PROBLEM: {}}}
        for status in statuses
    }
