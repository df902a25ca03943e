"""Consumers of identity's events. The seeker and employer projections they will feed arrive with
the applications issue; until then each handler takes the validated event and logs it."""

from __future__ import annotations

import structlog

from contracts import Envelope
from contracts.identity import EmployerRegistered, MypageOpened, SeekerRegistered

log = structlog.get_logger()


async def on_seeker_registered(event: SeekerRegistered, envelope: Envelope) -> None:
    log.info("applications.seeker_registered.noted", seeker_id=event.seeker_id, status=event.status)


async def on_employer_registered(event: EmployerRegistered, envelope: Envelope) -> None:
    log.info("applications.employer_registered.noted", employer_id=event.employer_id)


async def on_mypage_opened(event: MypageOpened, envelope: Envelope) -> None:
    log.info("applications.mypage_opened.noted", account_type=event.account_type)
