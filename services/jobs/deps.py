"""FastAPI dependencies shared by the jobs routers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from servicekit.auth import Principal, require
from servicekit.errors import PROBLEM, wants_english
from services.jobs.service_lists import ListsService
from services.jobs.service_postings import PostingService
from services.jobs.service_recommendations import RecommendationService
from services.jobs.service_search import SearchService


@dataclass(frozen=True)
class JobsServices:
    postings: PostingService
    search: SearchService
    lists: ListsService
    recommendations: RecommendationService


# async: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop per request
async def get_services(request: Request) -> JobsServices:
    services: JobsServices = request.app.state.jobs
    return services


async def english(request: Request) -> bool:
    return wants_english(request)


Services = Annotated[JobsServices, Depends(get_services)]
English = Annotated[bool, Depends(english)]
EmployerOrStaff = Annotated[Principal, Depends(require("employer", "staff"))]

JOB_ID = r"^[0-9a-f]{32}$"


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: these statuses answer application/problem+json."""
    return {
        status: {"description": "problem+json with a stable `code`", "content": {PROBLEM: {}}}
        for status in statuses
    }
