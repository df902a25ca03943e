"""Test support for the applications service: signed tokens, identity's and jobs' events published
on the real broker (the way those services publish them), a spy on the applications events, and
employer systems with their own RabbitMQ users."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aio_pika
import aiohttp

from contracts import Envelope, Message
from servicekit import outbox
from servicekit.bus import Bus
from servicekit.settings import ServiceSettings
from tests.conftest import AMQP_URL
from tests.support import OFFICE, OTHER_OFFICE, Tokens  # noqa: F401 - the suite's tests import them from here
from tests.support import Spy as SharedSpy

ROOT = Path(__file__).resolve().parents[2]


class Feed:
    """Publishes other services' events onto the test's broker namespace, as they would."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.bus = Bus(settings)

    async def start(self) -> None:
        await self.bus.broker.connect()

    async def stop(self) -> None:
        await self.bus.broker.stop()

    async def publish(self, event: Message, subject: str, producer: str = "identity") -> Envelope:
        env = outbox.envelope(event, producer=producer, subject=subject)
        await self.bus.publish(env)
        return env


def snapshot(
    job_id: str, employer_id: str, *, revision: int = 1, office: str = OFFICE, **overrides: Any
) -> dict[str, Any]:
    """A PostingSnapshot as jobs publishes it."""
    body: dict[str, Any] = {
        "job_id": job_id,
        "job_number": f"{office}-{uuid.uuid4().int % 10**8:08d}",
        "revision": revision,
        "employer_id": employer_id,
        "employer_name": "株式会社テスト商事",
        "office_code": office,
        "title": "社内システムエンジニア",
        "description": "自社の業務システムの開発と保守。",
        "occupation_code": "10",
        "occupation_name": "情報処理・通信技術者",
        "places": [
            {
                "prefecture": "13",
                "prefecture_name": "東京都",
                "municipality": "新宿区",
                "nearest_station": "新宿駅",
            }
        ],
        "employment_type": "full_time",
        "fixed_term": False,
        "wage_min": 250000,
        "wage_max": 350000,
        "wage_unit": "monthly",
        "bonus": True,
        "working_hours": "9:00〜18:00",
        "overtime": False,
        "public_holidays_off": True,
        "two_day_weekend": "every_week",
        "education_required": "none",
        "experience_required": False,
        "openings": 2,
        "remote": "none",
        "accepts_online_referral": True,
        "accepts_direct_application": True,
        "published_at": datetime.now(UTC).isoformat(),
        "valid_until": (date.today() + timedelta(days=60)).isoformat(),
    }
    body.update(overrides)
    return body


# --- employer systems over AMQP ----------------------------------------------------------------


def management() -> tuple[str, dict[str, str]]:
    parsed = urlparse(AMQP_URL)
    auth = aiohttp.encode_basic_auth(parsed.username or "guest", parsed.password or "guest")
    return f"http://{parsed.hostname}:15672/api", {"Authorization": auth}


@dataclass
class EmployerSystem:
    """An employer system: its RabbitMQ user made by deploy/local/employer-user.sh, a connection
    AS that user, publishing on employer.requests and reading its own reply queue."""

    employer_id: str
    prefix: str
    password: str = field(default_factory=lambda: uuid.uuid4().hex)
    connection: aio_pika.abc.AbstractConnection | None = None

    @property
    def user(self) -> str:
        return f"employer-{self.employer_id}"

    def create_user(self) -> None:
        env = {**os.environ, "BUS_PREFIX": self.prefix}
        done = subprocess.run(
            ["bash", str(ROOT / "deploy/local/employer-user.sh"), self.employer_id, self.password],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr

    async def connect(self) -> None:
        host = urlparse(AMQP_URL)
        url = f"amqp://{self.user}:{self.password}@{host.hostname}:{host.port or 5672}/"
        self.connection = await aio_pika.connect(url)

    async def publish(
        self,
        body: dict[str, Any] | bytes,
        *,
        message_id: str | None = None,
        user_id: str | None = "self",
    ) -> None:
        assert self.connection is not None
        channel = await self.connection.channel(publisher_confirms=True)
        try:
            exchange = await channel.get_exchange(f"{self.prefix}employer.requests", ensure=False)
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            await exchange.publish(
                aio_pika.Message(
                    raw,
                    content_type="application/json",
                    message_id=message_id or str(uuid.uuid4()),
                    user_id=self.user if user_id == "self" else user_id,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key="employer.request.submitted.v1",
            )
        finally:
            await channel.close()

    async def replies(self, count: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
        """Read (and acknowledge) replies from the own queue until ``count`` arrived."""
        assert self.connection is not None
        channel = await self.connection.channel()
        queue = await channel.get_queue(f"{self.prefix}employer-{self.employer_id}.replies")
        got: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            while len(got) < count and asyncio.get_running_loop().time() < deadline:
                msg = await queue.get(fail=False)
                if msg is None:
                    await asyncio.sleep(0.1)
                    continue
                await msg.ack()
                got.append({"headers": dict(msg.headers or {}), **json.loads(msg.body)})
        finally:
            await channel.close()
        return got

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
        base, auth = management()
        async with aiohttp.ClientSession(headers=auth) as session:
            await session.delete(f"{base}/users/{self.user}")


async def dead_letters(queue: str) -> list[dict[str, Any]]:
    """Messages in ``<queue>.dead`` (requeued: the queue keeps them)."""
    base, auth = management()
    async with (
        aiohttp.ClientSession(headers=auth) as session,
        session.post(
            f"{base}/queues/%2F/{queue}.dead/get",
            json={"count": 100, "ackmode": "ack_requeue_true", "encoding": "auto"},
        ) as resp,
    ):
        if resp.status != 200:
            return []
        items: list[dict[str, Any]] = await resp.json()
        return items


@dataclass
class Spy(SharedSpy):
    """The spy on what this service publishes."""

    pattern: str = "applications.#"
