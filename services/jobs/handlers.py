"""Consumers of other services' events. The projections they will feed come with the jobs
issue; until then each handler validates the event (the consumer machinery does) and logs it."""

from __future__ import annotations

import structlog

from contracts import Envelope
from contracts.identity import EmployerRegistered, MypageOpened, SeekerRegistered

log = structlog.get_logger()


async def on_employer_registered(event: EmployerRegistered, envelope: Envelope) -> None:
    log.info("jobs.employer_registered.noted", employer_id=event.employer_id)


async def on_seeker_registered(event: SeekerRegistered, envelope: Envelope) -> None:
    log.info("jobs.seeker_registered.noted", seeker_id=event.seeker_id)


async def on_mypage_opened(event: MypageOpened, envelope: Envelope) -> None:
    log.info("jobs.mypage_opened.noted", account_type=event.account_type)
