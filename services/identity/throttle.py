"""Login throttling, kept in MongoDB so every replica sees the same counts.

Each key (``account:<e-mail>``, ``ip:<address>``) counts failures in a window that starts with
its first failure; reaching the limit locks the key for ``login_lockout_seconds`` and counting
starts afresh once the lock ends. An unknown e-mail is counted like a known one, so a lock does
not tell which addresses exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from services.identity.domain import TooManyAttempts
from services.identity.service import Identity

log = structlog.get_logger()


@dataclass(frozen=True)
class Limit:
    key: str
    max_failures: int


def login_limits(identity: Identity, *, email: str, ip: str | None) -> list[Limit]:
    """The account's limit first, then the address's."""
    s = identity.settings
    limits = [Limit(f"account:{email}", s.login_max_failures_per_account)]
    if ip:
        limits.append(Limit(f"ip:{ip}", s.login_max_failures_per_ip))
    return limits


async def ensure_not_locked(identity: Identity, limits: list[Limit]) -> int:
    """Raise 429 (with Retry-After) while any key is locked; else the account's failure count."""
    now = identity.clock.now()
    account_failures = 0
    for limit in limits:
        state = await identity.repo.throttle_state(limit.key) or {}
        until: datetime | None = state.get("locked_until")
        if until is not None and until > now:
            raise TooManyAttempts(retry_after=math.ceil((until - now).total_seconds()))
        if limit is limits[0]:
            account_failures = int(state.get("failures", 0))
    return account_failures


async def record_failure(identity: Identity, limits: list[Limit]) -> None:
    """Count one failure in each key's window; reaching a limit locks that key."""
    window = timedelta(seconds=identity.settings.login_window_seconds)
    for limit in limits:
        failures = await identity.repo.throttle_count(
            limit.key, now=identity.clock.now(), window=window
        )
        if failures >= limit.max_failures:
            now = identity.clock.now()
            until = now + timedelta(seconds=identity.settings.login_lockout_seconds)
            await identity.repo.throttle_lock(limit.key, until=until, now=now)
            log.warning(
                "identity.login.locked", scope=limit.key.split(":", 1)[0], until=until.isoformat()
            )


async def record_success(identity: Identity, *, email: str, failures: int) -> None:
    if failures:
        await identity.repo.throttle_clear(f"account:{email}")
