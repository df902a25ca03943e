"""Notifier service wiring.

Routes: only the operational ones (``/healthz``, ``/readyz``, ``/metrics``, ``/asyncapi.json``);
in-app notifications, unread counts and live updates arrive with their issue.
Consumes (queue ``notifier.commands``, on the commands exchange): notifier.email.send.v1.
Publishes: nothing yet.
"""

from __future__ import annotations

from fastapi import FastAPI

from contracts.notifier import SendEmail
from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.notifier.handlers import CommandHandlers
from services.notifier.mail import Mailer, SmtpMailer
from services.notifier.rendering import Renderer
from services.notifier.repository import DeliveryRepository
from services.notifier.service import EmailService
from services.notifier.settings import NotifierSettings


def create_app(
    settings: NotifierSettings, *, clock: Clock | None = None, mailer: Mailer | None = None
) -> FastAPI:
    rt = Runtime(settings, clock=clock)
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
    return rt.build_app(title="hataraku notifier", routers=[])
