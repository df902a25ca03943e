"""Notifier service wiring.

Routes (in-app, ``api_inapp``): ``GET /api/v1/me/notifications``,
``POST /api/v1/me/notifications/{id}/read``, ``POST /api/v1/me/notifications/read-all``,
``GET /api/v1/me/unread``, ``GET /api/v1/me/events`` (Server-Sent Events); and the operational
ones (``/healthz``, ``/readyz``, ``/metrics``, ``/asyncapi.json``).

Consumes:
- queue ``notifier.commands`` (commands exchange): notifier.email.send.v1 — account-flow e-mails
  only (My Page opening, account creation, password reset). No template exists for a message or a
  notice: those are never e-mailed, and no e-mail announces them.
- queue ``notifier.events``: messaging.message.sent.v1, messaging.conversation.read.v1,
  messaging.notice.published.v1, messaging.notice.read.v1, applications.request.sent.v1,
  applications.application.submitted.v1, …status_changed.v1, …referral_issued.v1,
  …referral_declined.v1, …withdrawn.v1, jobs.recommendation.sent.v1,
  jobs.saved_search.matched.v1, identity.seeker.registration_expiring.v1,
  identity.seeker.registered.v1, identity.seeker.confirmed.v1; identity.export.requested.v1 (a
  seeker's export: answered with notifier.export.part_ready.v1, published at once, export.py).
- its own exclusive queue on the fan-out exchange ``hataraku.live`` (live updates to the streams
  connected to this process; see ``live.py``).

Publishes: no events but notifier.export.part_ready.v1 (live messages on ``hataraku.live``).
"""

from __future__ import annotations

from fastapi import FastAPI

from contracts.applications import (
    ApplicationStatusChanged,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    ReferralDeclined,
    ReferralIssued,
    RequestSent,
)
from contracts.export import ExportRequested, NotifierExportPart
from contracts.identity import RegistrationExpiring, SeekerConfirmed, SeekerRegistered
from contracts.jobs import RecommendationSent, SavedSearchMatched
from contracts.messaging import ConversationRead, MessageSent, NoticePublished, NoticeRead
from contracts.notifier import SendEmail
from servicekit import export
from servicekit.auth import TokenVerifier
from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.notifier import api_inapp, inapp_texts
from services.notifier.api_inapp import InApp
from services.notifier.export import ExportPart
from services.notifier.handlers import CommandHandlers
from services.notifier.inapp_handlers import InAppHandlers
from services.notifier.inapp_repository import InAppRepository
from services.notifier.inapp_service import InAppService
from services.notifier.live import Hub, LiveChannel
from services.notifier.mail import Mailer, SmtpMailer
from services.notifier.rendering import Renderer
from services.notifier.repository import DeliveryRepository
from services.notifier.service import EmailService
from services.notifier.settings import NotifierSettings
from services.notifier.unread import UnreadService


def create_app(
    settings: NotifierSettings,
    *,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    verifier: TokenVerifier | None = None,
) -> FastAPI:
    rt = Runtime(settings, clock=clock, verifier=verifier)

    # e-mail: account flows only
    repo = DeliveryRepository(rt.db)
    service = EmailService(
        settings=settings,
        repo=repo,
        mailer=mailer or SmtpMailer(settings),
        renderer=Renderer(settings),
        clock=rt.clock,
    )
    commands = CommandHandlers(service)
    rt.consume(
        "notifier.commands",
        {SendEmail: commands.on_send_email},
        description="Commands to the notifier: account-flow e-mails (they may carry an auth key).",
    )
    rt.on_startup(repo.ensure_indexes)

    # in-app: notifications, unread counts, live updates
    hub = Hub(settings.sse_queue_size)
    live = LiveChannel(settings, hub)
    inapp_repo = InAppRepository(rt.db)
    inapp = InAppService(repo=inapp_repo, live=live, clock=rt.clock)
    h = InAppHandlers(service=inapp, repo=inapp_repo)
    rt.consume(
        "notifier.events",
        {
            MessageSent: h.on_message_sent,
            ConversationRead: h.on_conversation_read,
            NoticePublished: h.on_notice_published,
            NoticeRead: h.on_notice_read,
            RequestSent: h.notifying(inapp_texts.request_sent),
            RecommendationSent: h.notifying(inapp_texts.recommendation_sent),
            SavedSearchMatched: h.notifying(inapp_texts.saved_search_matched),
            ApplicationSubmitted: h.notifying(inapp_texts.application_submitted),
            ApplicationStatusChanged: h.notifying(inapp_texts.status_changed),
            ReferralIssued: h.notifying(inapp_texts.referral_issued),
            ReferralDeclined: h.notifying(inapp_texts.referral_declined),
            ApplicationWithdrawn: h.notifying(inapp_texts.withdrawn),
            RegistrationExpiring: h.notifying(inapp_texts.registration_expiring),
            SeekerRegistered: h.on_seeker_registered,
            SeekerConfirmed: h.on_seeker_confirmed,
            ExportRequested: export.responder(rt.bus, settings.service_name, ExportPart(inapp)),
        },
        description="Facts that become in-app notifications and unread counts (never e-mail); "
        "a seeker's export.",
    )
    rt.publishes(NotifierExportPart)
    rt.on_startup(inapp_repo.ensure_indexes)
    rt.on_startup(live.start)
    rt.on_shutdown(live.stop)
    # an ended session (logout, password reset) ends its open streams on every replica
    rt.revocations.listen(lambda: hub.end_revoked(rt.revocations))

    app = rt.build_app(
        title="hataraku notifier",
        description="In-app notifications, unread counts and live updates (Server-Sent Events); "
        "e-mail for account flows only — never for messages or notices.",
        routers=[api_inapp.router],
    )
    app.state.inapp = InApp(
        service=inapp,
        unread=UnreadService(repo=inapp_repo, inapp=inapp),
        hub=hub,
        settings=settings,
    )
    return app
