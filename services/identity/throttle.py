"""Login throttling, kept in MongoDB so every replica sees the same counts.

Each key counts failures in a window that starts with its first failure; reaching the limit
locks the key for ``login_lockout_seconds`` and counting starts afresh once the lock ends:

- ``account_ip:<address>|<e-mail>``: an account from one client address. Wrong passwords lock
  the account for that address only, so a stranger cannot lock anyone else out.
- ``account:<e-mail>``: the account from all addresses together, a much higher backstop against
  guessing spread over many addresses.
- ``ip:<address>``: one address against any accounts (password spraying).

An unknown e-mail is counted like a known one, so a lock does not tell which addresses exist.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import timedelta

import structlog

from services.identity.domain import TooManyAttempts
from services.identity.service import Identity

log = structlog.get_logger()


@dataclass(frozen=True)
class Limit:
    key: str
    max_failures: int


def login_limits(identity: Identity, *, email: str, ip: str | None) -> list[Limit]:
    """The (address, account) limit first, then the account's backstop, then the address's."""
    s = identity.settings
    limits = [
        Limit(f"account_ip:{ip or '-'}|{email}", s.login_max_failures_per_account_ip),
        Limit(f"account:{email}", s.login_max_failures_per_account),
    ]
    if ip:
        limits.append(Limit(f"ip:{ip}", s.login_max_failures_per_ip))
    return limits


async def ensure_not_locked(identity: Identity, limits: list[Limit]) -> int:
    """Raise 429 (with Retry-After: the longest lock) while any key is locked; else the failures
    of the (address, account) pair. One query for all the keys."""
    now = identity.clock.now()
    states = await identity.repo.throttle_states([limit.key for limit in limits])
    locks = [
        until
        for state in states.values()
        if (until := state.get("locked_until")) is not None and until > now
    ]
    if locks:
        raise TooManyAttempts(retry_after=math.ceil((max(locks) - now).total_seconds()))
    return int(states.get(limits[0].key, {}).get("failures", 0))


async def record_failure(identity: Identity, limits: list[Limit]) -> None:
    """Count one failure in each key's window (all at once); reaching a limit locks that key."""
    await asyncio.gather(*(_count_failure(identity, limit) for limit in limits))


async def _count_failure(identity: Identity, limit: Limit) -> None:
    window = timedelta(seconds=identity.settings.login_window_seconds)
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


async def record_success(identity: Identity, limits: list[Limit], *, failures: int) -> None:
    """Forget the pair's failures (the backstop keeps counting: they may be someone else's)."""
    if failures:
        await identity.repo.throttle_clear(limits[0].key)
