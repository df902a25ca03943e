"""Consumers of the notifier's commands (queue ``notifier.commands``)."""

from __future__ import annotations

from contracts import Envelope
from contracts.notifier import SendEmail
from servicekit.bus import DeadLetter
from services.notifier.domain import PermanentMailError
from services.notifier.service import EmailService


class CommandHandlers:
    def __init__(self, service: EmailService) -> None:
        self.service = service

    async def on_send_email(self, command: SendEmail, envelope: Envelope) -> None:
        """Transient failures propagate: the consumer retries with backoff, then dead-letters.
        A command that can never become a mail is dead-lettered at once with the reason."""
        try:
            await self.service.send_email(command=command, envelope=envelope)
        except PermanentMailError as exc:
            raise DeadLetter(exc.reason) from exc
