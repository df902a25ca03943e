"""Messaging service wiring.

Routes:
- ``GET /api/v1/conversations``, ``GET /api/v1/conversations/{id}``,
  ``GET|POST /api/v1/conversations/{id}/messages``, ``POST /api/v1/conversations/{id}/read``
                                                          conversations   api_conversations
- ``POST|GET /api/v1/staff/notices``, ``GET /api/v1/staff/notices/{id}``,
  ``GET /api/v1/me/notices``, ``GET /api/v1/me/notices/{id}``, ``POST …/{id}/read``
                                                          notices         api_notices

Consumes (queue ``messaging.events``): identity.employer.registered.v1, identity.mypage.opened.v1,
identity.seeker.registered.v1, identity.seeker.confirmed.v1, identity.seeker.cancelled.v1;
applications.application.submitted.v1, …referral_issued.v1, …referral_declined.v1,
…status_changed.v1, …withdrawn.v1, …posting_closed.v1, applications.request.sent.v1,
…request.declined.v1, …request.expired.v1; identity.export.requested.v1 (a seeker's export:
answered with messaging.export.part_ready.v1, published at once, export.py).

Publishes (outbox): messaging.conversation.opened.v1 and .closed.v1 (``conversations``),
messaging.message.sent.v1 (``messages``), messaging.conversation.read.v1 (``read_marks``),
messaging.notice.published.v1 (``notices``), messaging.notice.read.v1 (``notice_reads``). Never
notifier.email.send.v1: messages and notices are never e-mailed.

Background: the closing loop (conversations close ``close_after_days`` after their application
ended; the injected clock decides). Rate-limit windows expire by their TTL index.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from fastapi import FastAPI

from contracts import messaging as messaging_events
from contracts.applications import (
    ApplicationPostingClosed,
    ApplicationStatusChanged,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    ReferralDeclined,
    ReferralIssued,
    RequestDeclined,
    RequestExpired,
    RequestSent,
)
from contracts.export import ExportRequested, MessagingExportPart
from contracts.identity import (
    EmployerRegistered,
    MypageOpened,
    SeekerCancelled,
    SeekerConfirmed,
    SeekerRegistered,
)
from servicekit import export
from servicekit.auth import TokenVerifier
from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.messaging import api_conversations, api_notices
from services.messaging.deps import MessagingServices
from services.messaging.export import ExportPart
from services.messaging.handlers import EventHandlers
from services.messaging.repository import OUTBOX_COLLECTIONS, Store
from services.messaging.repository_conversations import ConversationsRepository
from services.messaging.repository_messages import MessagesRepository
from services.messaging.repository_notices import NoticesRepository
from services.messaging.service_lifecycle import LifecycleService
from services.messaging.service_messages import MessageService
from services.messaging.service_notices import NoticeService
from services.messaging.service_projections import ProjectionService
from services.messaging.settings import MessagingSettings
from services.messaging.writer import MessageWriter

log = structlog.get_logger()


def create_app(
    settings: MessagingSettings,
    *,
    clock: Clock | None = None,
    verifier: TokenVerifier | None = None,
) -> FastAPI:
    rt = Runtime(settings, clock=clock, verifier=verifier)
    relay = rt.outbox(OUTBOX_COLLECTIONS)
    rt.publishes(*messaging_events.EVENTS, MessagingExportPart)

    store = Store(rt.db)
    conversations = ConversationsRepository(store)
    messages = MessagesRepository(store)
    writer = MessageWriter(messages=messages, conversations=conversations, relay=relay)
    lifecycle = LifecycleService(
        conversations=conversations, writer=writer, settings=settings, clock=rt.clock, relay=relay
    )
    services = MessagingServices(
        messages=MessageService(
            conversations=conversations,
            messages=messages,
            writer=writer,
            settings=settings,
            clock=rt.clock,
            relay=relay,
        ),
        notices=NoticeService(
            notices=NoticesRepository(store),
            conversations=conversations,
            settings=settings,
            clock=rt.clock,
            relay=relay,
        ),
        lifecycle=lifecycle,
    )
    handlers = EventHandlers(
        projections=ProjectionService(conversations=conversations, lifecycle=lifecycle),
        lifecycle=lifecycle,
    )
    rt.consume(
        "messaging.events",
        {
            EmployerRegistered: handlers.on_employer_registered,
            MypageOpened: handlers.on_mypage_opened,
            SeekerRegistered: handlers.on_seeker_registered,
            SeekerConfirmed: handlers.on_seeker_confirmed,
            SeekerCancelled: handlers.on_seeker_cancelled,
            ApplicationSubmitted: handlers.on_application_submitted,
            ReferralIssued: handlers.on_referral_issued,
            ReferralDeclined: handlers.on_referral_declined,
            ApplicationStatusChanged: handlers.on_status_changed,
            ApplicationWithdrawn: handlers.on_withdrawn,
            ApplicationPostingClosed: handlers.on_posting_closed,
            RequestSent: handlers.on_request_sent,
            RequestDeclined: handlers.on_request_declined,
            RequestExpired: handlers.on_request_expired,
            ExportRequested: export.responder(rt.bus, settings.service_name, ExportPart(services)),
        },
        description="Employers with an employer My Page and seekers (identity); applications "
        "and direct requests (conversations open, system messages, closing); a seeker's export.",
    )
    rt.on_startup(store.ensure_indexes)
    rt.background(closing_loop(services, settings.close_interval_seconds))

    app = rt.build_app(
        title="hataraku messaging",
        description="Conversations between seekers and employers (メッセージ), and notices "
        "(お知らせ) from the office. Bodies are plain text. Nothing here is ever e-mailed.",
        routers=[api_conversations.router, api_notices.staff_router, api_notices.me_router],
    )
    app.state.messaging = services
    return app


def closing_loop(
    services: MessagingServices, interval: float
) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    async def run(stop: asyncio.Event) -> None:
        while True:
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
                return
            except TimeoutError:
                pass
            try:
                await services.lifecycle.close_due()
            except Exception as exc:  # the next round tries again
                log.warning("messaging.closing.failed", error=repr(exc))

    return run
