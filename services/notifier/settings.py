"""Notifier settings: SMTP relay, the sender users must allow, and the help desk the mails show.
Environment variables take the field names (``SMTP_HOST``, ``MAIL_FROM``, ``HELPDESK_PHONE`` …)."""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import parseaddr
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator

from servicekit.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    service_name: str = "notifier"
    http_port: int = 8005
    # SMTP down for a few minutes must not lose a mail: 0.5 s doubling to 60 s, ten times (~4 min)
    retry_max_attempts: int = Field(default=10, ge=0, le=50)

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_starttls: bool = False
    # implicit TLS (port 465); STARTTLS and implicit TLS exclude each other
    smtp_tls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=20.0, gt=0)
    # a delivery left "sending" this long (the process died mid-send) may be claimed again
    delivery_lease_seconds: float = Field(default=90.0, gt=0)

    # the sender address users are told to allow (メール受信許可)
    mail_from: str = "Hataraku <system@mail.hataraku.example>"
    site_name: str = "Hataraku"
    helpdesk_phone: str = "0570-000-000"
    helpdesk_hours: str = "月曜～金曜 9:30～18:00（年末年始・祝日を除く）"
    helpdesk_hours_en: str = (
        "Monday to Friday, 9:30–18:00 (except public holidays and the New Year break)"
    )
    helpdesk_email: str = "helpdesk@hataraku.example"

    # live updates (Server-Sent Events): a comment line this often keeps proxies from closing
    # the stream; a stream ends after this long (or when its token expires) and the client
    # reconnects with Last-Event-ID
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0)
    sse_max_seconds: float = Field(default=600.0, gt=0)
    # how many missed events one reconnect replays, and from how far back
    sse_replay_limit: int = Field(default=100, ge=1, le=1000)
    sse_replay_days: int = Field(default=7, ge=1)
    # events one connected client may have waiting before it is disconnected (a slow reader)
    sse_queue_size: int = Field(default=200, ge=10)

    @field_validator(
        "mail_from",
        "site_name",
        "helpdesk_phone",
        "helpdesk_hours",
        "helpdesk_hours_en",
        "helpdesk_email",
        "smtp_host",
    )
    @classmethod
    def _one_line(cls, value: str) -> str:
        if not value.strip() or any(c in value for c in "\r\n\0"):
            raise ValueError("must be one non-empty line")
        return value.strip()

    @field_validator("mail_from")
    @classmethod
    def _mailbox(cls, value: str) -> str:
        _, address = parseaddr(value)
        if "@" not in address or address.startswith("@") or address.endswith("@"):
            raise ValueError("must be a mailbox such as 'Name <user@example.org>'")
        return value

    @model_validator(mode="after")
    def _one_tls_mode(self) -> Self:
        if self.smtp_tls and self.smtp_starttls:
            raise ValueError("smtp_tls (implicit TLS) and smtp_starttls exclude each other")
        return self

    @property
    def sender_address(self) -> str:
        """The bare address of ``mail_from`` (what users allow in their filters)."""
        return parseaddr(self.mail_from)[1]

    @property
    def sender(self) -> Address:
        name, address = parseaddr(self.mail_from)
        return Address(display_name=name, addr_spec=address)

    @property
    def mail_domain(self) -> str:
        return self.sender_address.rsplit("@", 1)[1]
