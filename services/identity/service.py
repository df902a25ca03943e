"""What every identity use case works with: one ``Identity`` per process, handed to the use-case
functions in ``service_*.py`` (``await service_auth.login(identity, email=..., ...)``)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import structlog

from contracts import Envelope, Message
from servicekit import outbox
from servicekit.clock import Clock
from servicekit.outbox import OutboxRelay
from services.identity.passwords import PasswordHasher
from services.identity.repository import Repository
from services.identity.repository_seekers import SeekerRepository
from services.identity.settings import IdentitySettings
from services.identity.tokens import TokenIssuer

log = structlog.get_logger()

PEPPER = "auth_key_pepper"
# where identity kept its token signing key before it came from a file (signing_keys.py): removed
# at start-up, so the private key no longer sits in the database
LEGACY_SIGNING_KEY = "jwt_signing_key"


@dataclass
class Identity:
    settings: IdentitySettings
    repo: Repository
    hasher: PasswordHasher
    tokens: TokenIssuer
    clock: Clock
    relay: OutboxRelay | None = None
    pepper: bytes = field(default=b"", repr=False)
    seekers: SeekerRepository = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.seekers = SeekerRepository(self.repo)

    @classmethod
    def build(
        cls,
        settings: IdentitySettings,
        repo: Repository,
        clock: Clock,
        relay: OutboxRelay | None,
        *,
        tokens: TokenIssuer | None = None,
    ) -> Identity:
        hasher = PasswordHasher(
            memory_kib=settings.argon2_memory_kib,
            time_cost=settings.argon2_time_cost,
            parallelism=settings.argon2_parallelism,
            threads=settings.password_threads,
        )
        tokens = tokens or TokenIssuer(
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            access_minutes=settings.access_token_minutes,
        )
        return cls(
            settings=settings, repo=repo, hasher=hasher, tokens=tokens, clock=clock, relay=relay
        )

    async def start(self) -> None:
        """Indexes, the shared pepper (created once, race-free), the dummy hash. The signing keys
        are loaded before, from their files (create_app)."""
        await self.repo.ensure_indexes()
        await self.load_secrets()
        await self.hasher.warm_up()

    async def load_secrets(self) -> None:
        if await self.repo.delete_secret(LEGACY_SIGNING_KEY):
            # the tokens it signed are refused from now on (their holders refresh or log in)
            log.warning("identity.signing_key.legacy_removed")
        configured = self.settings.auth_key_pepper.get_secret_value()
        if configured:
            self.pepper = configured.encode()
        else:
            stored = await self.repo.secret(PEPPER) or await self.repo.create_secret(
                PEPPER, {"value": secrets.token_hex(32), "created_at": self.clock.now()}
            )
            self.pepper = bytes.fromhex(stored["value"])

    async def stop(self) -> None:
        self.hasher.close()

    def envelope(self, message: Message, *, subject: str) -> Envelope:
        return outbox.envelope(message, producer=self.settings.service_name, subject=subject)

    def kick(self, collection: str, doc_id: str) -> None:
        if self.relay is not None:
            self.relay.kick(collection, doc_id)


@asynccontextmanager
async def uniform_duration(seconds: float) -> AsyncIterator[None]:
    """Answer no sooner than ``seconds``, whatever happened inside: whether an e-mail matched
    must not show in the response time."""
    started = time.monotonic()
    try:
        yield
    except asyncio.CancelledError:
        raise
    except BaseException:
        await _rest_of(seconds, started)  # an error answer waits for the floor too
        raise
    await _rest_of(seconds, started)


async def _rest_of(seconds: float, started: float) -> None:
    remaining = seconds - (time.monotonic() - started)
    if remaining > 0:
        await asyncio.sleep(remaining)
