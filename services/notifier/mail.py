"""MIME composition and the SMTP client (aiosmtplib)."""

from __future__ import annotations

import email.policy
import uuid
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

import aiosmtplib

from services.notifier.domain import RecipientRefused, RenderedMail, SmtpUnavailable
from services.notifier.settings import NotifierSettings


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


def message_id(delivery_id: uuid.UUID, domain: str) -> str:
    """The same command always yields the same Message-ID, so a repeat is recognisable."""
    return f"<{delivery_id.hex}.notifier@{domain}>"


def compose(
    *,
    settings: NotifierSettings,
    rendered: RenderedMail,
    to: str,
    delivery_id: uuid.UUID,
    locale: str,
    at: datetime,
) -> EmailMessage:
    """A text/plain UTF-8 message. Headers hold only the sender and help texts from settings,
    the validated recipient, the template's subject (RFC 2047-encoded by the policy) and ids; the
    email package refuses any header value with a line break."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = settings.sender
    msg["To"] = to
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = message_id(delivery_id, settings.mail_domain)
    msg["Auto-Submitted"] = "auto-generated"
    # 8bit UTF-8 keeps the file readable; aiosmtplib re-encodes when a relay lacks 8BITMIME
    msg.set_content(rendered.body, subtype="plain", charset="utf-8", cte="8bit")
    msg["Content-Language"] = locale  # after set_content, which drops Content-* headers
    return msg


class SmtpMailer:
    """One connection per mail: account mails are few, and nothing stays open to go stale."""

    def __init__(self, settings: NotifierSettings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
        s = self.settings
        # log in only with a user name (an empty SMTP_USERNAME means no authentication)
        username = s.smtp_username or None
        password = s.smtp_password.get_secret_value() if username and s.smtp_password else None
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=username,
                password=password,
                use_tls=s.smtp_tls,
                start_tls=s.smtp_starttls,
                timeout=s.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({r.code for r in exc.recipients})
            if all(500 <= c < 600 for c in codes):
                raise RecipientRefused(f"smtp refused the recipient ({codes})") from exc
            raise SmtpUnavailable(f"smtp deferred the recipient ({codes})") from exc
        except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as exc:
            if 500 <= exc.code < 600:
                raise RecipientRefused(f"smtp rejected the message ({exc.code})") from exc
            raise SmtpUnavailable(f"smtp deferred the message ({exc.code})") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SmtpUnavailable(
                f"smtp {s.smtp_host}:{s.smtp_port} unavailable: {type(exc).__name__}"
            ) from exc
