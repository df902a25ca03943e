"""Messaging service wiring.

Routes: none yet (conversations and notices arrive with the messaging issue).
Consumes (queue ``messaging.events``): identity.employer.registered.v1, identity.mypage.opened.v1.
Publishes: nothing yet.
"""

from __future__ import annotations

from fastapi import FastAPI

from contracts.identity import EmployerRegistered, MypageOpened
from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.messaging import handlers
from services.messaging.settings import MessagingSettings


def create_app(settings: MessagingSettings, *, clock: Clock | None = None) -> FastAPI:
    rt = Runtime(settings, clock=clock)
    rt.consume(
        "messaging.events",
        {
            EmployerRegistered: handlers.on_employer_registered,
            MypageOpened: handlers.on_mypage_opened,
        },
        description="Which employers have an employer My Page (conversations need one).",
    )
    return rt.build_app(title="hataraku messaging", routers=[])
