"""Applications service wiring.

Routes: none yet (applications and direct requests arrive with the applications issue).
Consumes (queue ``applications.events``): identity.seeker.registered.v1,
identity.employer.registered.v1, identity.mypage.opened.v1. Publishes: nothing yet.
"""

from __future__ import annotations

from fastapi import FastAPI

from contracts.identity import EmployerRegistered, MypageOpened, SeekerRegistered
from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.applications import handlers
from services.applications.settings import ApplicationsSettings


def create_app(settings: ApplicationsSettings, *, clock: Clock | None = None) -> FastAPI:
    rt = Runtime(settings, clock=clock)
    rt.consume(
        "applications.events",
        {
            SeekerRegistered: handlers.on_seeker_registered,
            EmployerRegistered: handlers.on_employer_registered,
            MypageOpened: handlers.on_mypage_opened,
        },
        description="Identity's seeker and employer facts, for the applications projections.",
    )
    return rt.build_app(title="hataraku applications", routers=[])
