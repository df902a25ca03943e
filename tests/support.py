"""Test support shared by the service suites: access tokens signed by the test (EdDSA, kid
header, a JWKS of the test's own, verified by a TokenVerifier the service is given), and a spy
queue on the events exchange that sees what a service publishes."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from contracts import Envelope
from servicekit.auth import TokenVerifier
from servicekit.settings import ServiceSettings
from tests.conftest import AMQP_URL, eventually

OFFICE = "13010"
OTHER_OFFICE = "27010"


class Tokens:
    """Signs access tokens the way identity does, with a key of the test's own."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.kid = uuid.uuid4().hex[:12]
        self.settings = settings
        jwk = OKPAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        self.jwks = {"keys": [{**jwk, "kid": self.kid, "alg": "EdDSA", "use": "sig"}]}

    def verifier(self) -> TokenVerifier:
        async def fetch() -> dict[str, Any]:
            return self.jwks

        return TokenVerifier(
            fetch, issuer=self.settings.token_issuer, audience=self.settings.token_audience
        )

    def token(self, role: str, *, ttl: int = 600, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": self.settings.token_issuer,
            "aud": self.settings.token_audience,
            "sub": claims.pop("sub", uuid.uuid4().hex),
            "role": role,
            "iat": now,
            "exp": now + ttl,
            **claims,
        }
        return jwt.encode(body, self.key, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, role: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, **claims)}"}

    def seeker(self, seeker_id: str, office: str = OFFICE, **kw: Any) -> dict[str, str]:
        return self.headers("seeker", seeker_id=seeker_id, office_code=office, **kw)

    def employer(self, employer_id: str, office: str = OFFICE, **kw: Any) -> dict[str, str]:
        return self.headers("employer", employer_id=employer_id, office_code=office, **kw)

    def staff(self, office: str = OFFICE) -> dict[str, str]:
        return self.headers("staff", office_code=office)

    def admin(self) -> dict[str, str]:
        return self.headers("admin", office_code="00000")


@dataclass
class Spy:
    """A queue of the test's own on the events exchange: what other services would receive."""

    exchange: str
    pattern: str = "#"
    received: list[Envelope] = field(default_factory=list)
    connection: aio_pika.abc.AbstractRobustConnection | None = None

    async def start(self) -> None:
        self.connection = await aio_pika.connect_robust(AMQP_URL)
        channel = await self.connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(self.exchange, routing_key=self.pattern)

        async def on_message(msg: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with msg.process():
                self.received.append(Envelope.model_validate_json(msg.body))

        await queue.consume(on_message)

    async def stop(self) -> None:
        if self.connection is not None:
            await self.connection.close()

    def of(self, event_type: str, **data: Any) -> list[Envelope]:
        return [
            e
            for e in self.received
            if e.type == event_type and all(e.data.get(k) == v for k, v in data.items())
        ]

    async def wait_for(self, event_type: str, count: int = 1, **data: Any) -> list[Envelope]:
        await eventually(lambda: len(self.of(event_type, **data)) >= count)
        return self.of(event_type, **data)
