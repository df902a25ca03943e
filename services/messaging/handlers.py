"""Consumers of identity's events. Conversations open from applications' events (messaging
issue); until then the employer My Page facts are taken, validated, and logged."""

from __future__ import annotations

import structlog

from contracts import Envelope
from contracts.identity import EmployerRegistered, MypageOpened

log = structlog.get_logger()


async def on_employer_registered(event: EmployerRegistered, envelope: Envelope) -> None:
    log.info("messaging.employer_registered.noted", employer_id=event.employer_id)


async def on_mypage_opened(event: MypageOpened, envelope: Envelope) -> None:
    log.info("messaging.mypage_opened.noted", account_type=event.account_type)
