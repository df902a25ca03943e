"""Helpers for identity's integration tests: a clock that can jump ahead, a tap on the run's
exchanges that sees what identity publishes (events, and the e-mail commands carrying keys,
as the notifier would receive them), and the HTTP steps most tests share."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aio_pika
import httpx
from fastapi import FastAPI

from contracts import Envelope
from services.identity import service_registration
from services.identity.service import Identity
from services.identity.settings import IdentitySettings
from tests.bus.amqp import drain, spy_queue
from tests.conftest import RUN_ID, eventually

STAFF_PASSWORD = "Shokuin#2026"
GOOD_PASSWORD = "Hataraku-2026"
AGREE = {"agree_privacy_policy": True, "agree_terms": True}


class OffsetClock:
    """The real time plus an offset the test moves (a frozen clock would put tokens' ``iat`` in
    the past or the future of the verifier's real clock)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


class BusTap:
    """Two exclusive queues of the test's own: every event on ``<prefix>hataraku.events`` and
    every ``notifier.email.send.v1`` on ``<prefix>hataraku.commands``."""

    def __init__(self) -> None:
        self.events: list[Envelope] = []
        self.mails: list[Envelope] = []
        self.raw_events: list[bytes] = []
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None

    async def start(self, settings: IdentitySettings) -> BusTap:
        self._connection = await aio_pika.connect_robust(settings.amqp_url)
        channel = await self._connection.channel()
        prefix, tag = settings.bus_prefix, uuid.uuid4().hex[:6]
        events = await channel.declare_queue(f"{prefix}identity-tap.events.{tag}", exclusive=True)
        await events.bind(f"{prefix}hataraku.events", routing_key="#")
        commands = await channel.declare_queue(
            f"{prefix}identity-tap.commands.{tag}", exclusive=True
        )
        await commands.bind(f"{prefix}hataraku.commands", routing_key="notifier.email.send.v1")

        async def on_event(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                self.raw_events.append(message.body)
                self.events.append(Envelope.model_validate_json(message.body))

        async def on_mail(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                self.mails.append(Envelope.model_validate_json(message.body))

        await events.consume(on_event)
        await commands.consume(on_mail)
        return self

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    def mails_to(self, email: str, template: str | None = None) -> list[dict[str, Any]]:
        return [
            m.data
            for m in self.mails
            if m.data["to"] == email and (template is None or m.data["template"] == template)
        ]

    async def key_for(self, email: str, template: str, *, count: int = 1) -> str:
        """The auth key of the ``count``-th mail of this template to this address."""
        await eventually(lambda: len(self.mails_to(email, template)) >= count)
        return str(self.mails_to(email, template)[count - 1]["params"]["auth_key"])

    async def event(self, type_: str, **match: Any) -> Envelope:
        def find() -> Envelope | None:
            for env in self.events:
                if env.type == type_ and all(env.data.get(k) == v for k, v in match.items()):
                    return env
            return None

        found: Envelope = await eventually(find)
        return found


@dataclass
class Env:
    app: FastAPI
    client: httpx.AsyncClient
    clock: OffsetClock
    tap: BusTap
    settings: IdentitySettings
    _staff: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def identity(self) -> Identity:
        identity: Identity = self.app.state.identity
        return identity

    async def staff_headers(self, office_code: str = "13010") -> dict[str, str]:
        """A staff account made through the service layer, logged in over HTTP."""
        if office_code not in self._staff:
            email = f"staff-{uuid.uuid4().hex[:8]}@hataraku.example"
            await service_registration.create_staff(
                self.identity, email=email, office_code=office_code, password=STAFF_PASSWORD
            )
            token = (await self.login(email, STAFF_PASSWORD)).json()["access_token"]
            self._staff[office_code] = {"Authorization": f"Bearer {token}"}
        return self._staff[office_code]

    async def login(self, email: str, password: str, *, ip: str | None = None) -> httpx.Response:
        headers = {"X-Forwarded-For": ip or random_ip()}
        return await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}, headers=headers
        )

    async def register_seeker(
        self, *, birth_date: str = "1990-05-06", office_code: str = "13010", **extra: Any
    ) -> tuple[str, dict[str, Any]]:
        email = new_email()
        r = await self.client.post(
            "/api/v1/staff/seekers",
            headers=await self.staff_headers(office_code),
            json={"email": email, "name": "山田 太郎", "birth_date": birth_date, **extra},
        )
        assert r.status_code == 201, r.text
        return email, r.json()

    async def request_opening(self, email: str, birth_date: str = "1990-05-06") -> httpx.Response:
        body = {"account_type": "seeker", "email": email, "birth_date": birth_date, **AGREE}
        return await self.client.post("/api/v1/mypage/opening", json=body)

    async def complete_opening(
        self, email: str, key: str, password: str = GOOD_PASSWORD
    ) -> httpx.Response:
        body = {"email": email, "auth_key": key, "password": password}
        return await self.client.post("/api/v1/mypage/opening/complete", json=body)

    async def opened_seeker(self) -> tuple[str, dict[str, Any]]:
        """A registered seeker whose My Page is open (password GOOD_PASSWORD)."""
        email, seeker = await self.register_seeker()
        assert (await self.request_opening(email)).status_code == 202
        key = await self.tap.key_for(email, "mypage_opening")
        r = await self.complete_opening(email, key)
        assert r.status_code == 200, r.text
        return email, seeker

    async def seeker_headers(self, **extra: Any) -> tuple[dict[str, str], dict[str, Any]]:
        """A registered seeker with an open My Page, logged in: (headers, registration)."""
        email, seeker = await self.register_seeker(**extra)
        assert (
            await self.request_opening(email, extra.get("birth_date", "1990-05-06"))
        ).status_code == 202
        key = await self.tap.key_for(email, "mypage_opening")
        assert (await self.complete_opening(email, key)).status_code == 200
        tokens = (await self.login(email, GOOD_PASSWORD)).json()
        return bearer(tokens), {**seeker, "email": email}

    async def account_holder(self) -> tuple[str, dict[str, Any]]:
        """An account made on the second path (no seeker registration), logged in."""
        email = new_email()
        r = await self.client.post("/api/v1/accounts", json={"email": email, **AGREE})
        assert r.status_code == 202, r.text
        key = await self.tap.key_for(email, "account_creation")
        body = {"email": email, "auth_key": key, "password": GOOD_PASSWORD}
        r = await self.client.post("/api/v1/accounts/complete", json=body)
        assert r.status_code == 201, r.text
        return email, (await self.login(email, GOOD_PASSWORD)).json()

    def events_for(self, seeker_id: str, type_: str | None = None) -> list[Envelope]:
        return [
            e
            for e in self.tap.events
            if e.subject == seeker_id and (type_ is None or e.type == type_)
        ]


async def admin_headers(env: Env) -> dict[str, str]:
    email = f"admin-{uuid.uuid4().hex[:8]}@hataraku.example"
    await service_registration.create_staff(
        env.identity, email=email, office_code="13010", password=STAFF_PASSWORD, admin=True
    )
    return bearer((await env.login(email, STAFF_PASSWORD)).json())


async def spy(routing_key: str) -> str:
    """A queue of the test's own on the run's events exchange (removed with the run)."""
    name = f"t{RUN_ID}.identity-spy.{uuid.uuid4().hex[:8]}"
    await spy_queue(name, f"t{RUN_ID}.hataraku.events", routing_key)
    return name


async def published(env: Env, queue: str, seeker_id: str) -> Counter[str]:
    """Event id → how many times it arrived, for one seeker, once the outbox is empty."""

    async def drained() -> bool:
        assert env.identity.relay is not None
        return await env.identity.relay.pending() == 0

    await eventually(drained)
    bodies = [json.loads(m.body) for m in await drain(queue, wait=0.5)]
    return Counter(b["id"] for b in bodies if b["subject"] == seeker_id)


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.jp"


def random_ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)


def today() -> date:
    return datetime.now(UTC).date()
