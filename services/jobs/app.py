"""Jobs service wiring.

Routes: none yet (postings and search arrive with the jobs issue).
Consumes (queue ``jobs.events``): identity.employer.registered.v1, identity.seeker.registered.v1,
identity.mypage.opened.v1. Publishes: nothing yet.
"""

from __future__ import annotations

from fastapi import FastAPI

from contracts.identity import EmployerRegistered, MypageOpened, SeekerRegistered
from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.jobs import handlers
from services.jobs.settings import JobsSettings


def create_app(settings: JobsSettings, *, clock: Clock | None = None) -> FastAPI:
    rt = Runtime(settings, clock=clock)
    rt.consume(
        "jobs.events",
        {
            EmployerRegistered: handlers.on_employer_registered,
            SeekerRegistered: handlers.on_seeker_registered,
            MypageOpened: handlers.on_mypage_opened,
        },
        description="Identity's employer and seeker facts, for the jobs projections.",
    )
    return rt.build_app(title="hataraku jobs", routers=[])
