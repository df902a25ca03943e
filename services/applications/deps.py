"""FastAPI dependencies shared by the applications routers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request

from servicekit import cursors
from servicekit.auth import Principal, require
from servicekit.cursors import CursorParam
from servicekit.errors import PROBLEM
from services.applications.letter import LetterRenderer
from services.applications.schemas import CURSOR, ID
from services.applications.service_apply import ApplyService
from services.applications.service_progress import ProgressService
from services.applications.service_requests import RequestService
from services.applications.service_views import ViewService


@dataclass(frozen=True)
class ApplicationServices:
    apply: ApplyService
    progress: ProgressService
    requests: RequestService
    views: ViewService
    letters: LetterRenderer


def get_services(request: Request) -> ApplicationServices:
    services: ApplicationServices = request.app.state.applications
    return services


Services = Annotated[ApplicationServices, Depends(get_services)]
EmployerOrStaff = Annotated[Principal, Depends(require("employer", "staff"))]
ApplicationId = Annotated[str, Path(pattern=ID, description="the application's id")]
RequestId = Annotated[str, Path(pattern=ID, description="the direct request's id")]
Limit = Annotated[int, Query(ge=1, le=100)]
_CURSOR = re.compile(CURSOR)


def _cursor(cursor: CursorParam = None) -> str | None:
    """A list cursor (``domain.sort_key`` of the last item): a bad one is 400 invalid_cursor."""
    return cursors.checked(cursor, _CURSOR)


Cursor = Annotated[str | None, Depends(_cursor)]
JobFilter = Annotated[str | None, Query(pattern=ID)]


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: these statuses answer application/problem+json."""
    return {
        status: {"description": "problem+json with a stable `code`", "content": {PROBLEM: {}}}
        for status in statuses
    }
