"""What a mail needs and what can happen to a delivery; no I/O.

A delivery is keyed by the command's envelope id. Its states:

    (none) ──claim──▶ sending ──▶ sent
                         │  ▲
              SMTP error ▼  │ claim again (a retry, a replay, or a redelivery after the lease)
                        failed

``params`` of the command (they hold the auth key) are checked here, used to render the mail, and
never stored or logged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

AUTH_KEY = re.compile(r"^[A-Za-z0-9-]{4,64}$")
MINUTES = re.compile(r"^[0-9]{1,4}$")
DEFAULT_VALID_MINUTES = 50


class DeliveryStatus(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class MailError(Exception):
    """Base of the notifier's own failures. Messages never contain params or the body."""


class PermanentMailError(MailError):
    """The command can never become a mail (bad params, recipient refused): dead-letter it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidMailParams(PermanentMailError):
    pass


class RecipientRefused(PermanentMailError):
    pass


class TransientMailError(MailError):
    """Worth retrying later: the consumer backs off and tries again, then dead-letters."""


class SmtpUnavailable(TransientMailError):
    pass


class DeliveryInFlight(TransientMailError):
    """Another attempt holds this delivery right now; look again later."""


@dataclass(frozen=True)
class MailParams:
    """The typed, checked ``params`` of an account-flow mail."""

    auth_key: str
    valid_minutes: int = DEFAULT_VALID_MINUTES
    # wording only ("求職者マイページ" …); any other role gets the generic wording
    account_type: Literal["seeker", "employer"] | None = None
    # shown as the key's deadline when given (an aware ISO 8601 time)
    expires_at: datetime | None = None


def parse_params(params: Mapping[str, str]) -> MailParams:
    """Check the params every account-flow template needs. The key and its validity are
    required and strict; ``account_type`` and ``expires_at`` only change the wording and are
    dropped when unusable. Reasons name the param, never its value. Unknown params are ignored
    (a producer may add optional ones)."""
    key = params.get("auth_key")
    if key is None:
        raise InvalidMailParams("params.auth_key is missing")
    if not AUTH_KEY.match(key):
        raise InvalidMailParams("params.auth_key is not 4-64 letters, digits or hyphens")
    minutes = params.get("valid_minutes", str(DEFAULT_VALID_MINUTES))
    if not MINUTES.match(minutes) or int(minutes) == 0:
        raise InvalidMailParams("params.valid_minutes is not a positive whole number")
    account_type = params.get("account_type")
    return MailParams(
        auth_key=key,
        valid_minutes=int(minutes),
        account_type=account_type if account_type in ("seeker", "employer") else None,  # type: ignore[arg-type]
        expires_at=_aware(params.get("expires_at")),
    )


def _aware(value: str | None) -> datetime | None:
    if not value or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


@dataclass(frozen=True)
class Claim:
    """Outcome of trying to take a delivery for sending."""

    outcome: Literal["claimed", "already_sent", "in_flight"]
    attempt: int = 0
    token: str = ""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body: str
