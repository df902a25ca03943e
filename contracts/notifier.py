"""Commands the notifier receives."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import EmailStr, Field

from contracts.envelope import Command

EmailTemplate = Literal["mypage_opening", "account_creation", "password_reset"]


class SendEmail(Command):
    """Send one account-flow e-mail. Only account mails exist: messages and notices never go by
    e-mail. ``params`` may carry an auth key, so this command travels only on the notifier's own
    queue and is never logged."""

    TYPE: ClassVar[str] = "notifier.email.send.v1"
    to: EmailStr
    template: EmailTemplate
    locale: Literal["ja", "en"] = "ja"
    params: dict[str, str] = Field(default_factory=dict)


COMMANDS: tuple[type[Command], ...] = (SendEmail,)
