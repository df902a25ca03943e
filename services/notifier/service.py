"""Use case: send one account-flow e-mail, exactly once per command."""

from __future__ import annotations

from datetime import timedelta

import structlog

from contracts import Envelope
from contracts.notifier import SendEmail
from servicekit.clock import Clock
from services.notifier.domain import (
    DeliveryInFlight,
    MailError,
    PermanentMailError,
    parse_params,
)
from services.notifier.mail import Mailer, compose, message_id
from services.notifier.rendering import Renderer
from services.notifier.repository import DeliveryRepository
from services.notifier.settings import NotifierSettings

log = structlog.get_logger()


class EmailService:
    def __init__(
        self,
        *,
        settings: NotifierSettings,
        repo: DeliveryRepository,
        mailer: Mailer,
        renderer: Renderer,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.mailer = mailer
        self.renderer = renderer
        self.clock = clock

    async def send_email(self, *, command: SendEmail, envelope: Envelope) -> str:
        """Render, claim, send, record. Returns ``"sent"`` or ``"already_sent"``.

        Raises ``PermanentMailError`` when the command can never become a mail and
        ``TransientMailError`` when a later attempt may succeed (SMTP down, another attempt busy).
        """
        delivery_id = str(envelope.id)
        # a command that cannot be rendered is refused before anything is recorded
        rendered = self.renderer.render(
            command.template, command.locale, parse_params(command.params)
        )
        now = self.clock.now()
        claim = await self.repo.claim(
            delivery_id=delivery_id,
            to=str(command.to),
            template=command.template,
            locale=command.locale,
            correlation_id=envelope.correlation_id,
            now=now,
            lease=timedelta(seconds=self.settings.delivery_lease_seconds),
        )
        if claim.outcome == "already_sent":
            log.info(
                "notifier.email.duplicate_skipped",
                delivery_id=delivery_id,
                template=command.template,
            )
            return "already_sent"
        if claim.outcome == "in_flight":
            raise DeliveryInFlight(f"delivery {delivery_id} is being sent by another attempt")

        msg = compose(
            settings=self.settings,
            rendered=rendered,
            to=str(command.to),
            delivery_id=envelope.id,
            locale=command.locale,
            at=now,
        )
        try:
            await self.mailer.send(msg)
        except MailError as exc:
            await self.repo.mark_failed(
                delivery_id=delivery_id, token=claim.token, now=self.clock.now(), error=str(exc)
            )
            level = log.error if isinstance(exc, PermanentMailError) else log.warning
            level(
                "notifier.email.failed",
                delivery_id=delivery_id,
                template=command.template,
                attempt=claim.attempt,
                error=str(exc),
            )
            raise
        await self.repo.mark_sent(
            delivery_id=delivery_id,
            now=self.clock.now(),
            message_id=message_id(envelope.id, self.settings.mail_domain),
        )
        log.info(
            "notifier.email.sent",
            delivery_id=delivery_id,
            template=command.template,
            locale=command.locale,
            attempt=claim.attempt,
        )
        return "sent"
