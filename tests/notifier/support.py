"""Test support: an SMTP sink of the test's own, a publisher that sends commands the way the
identity service does, and a reader for the dead-letter queue."""

from __future__ import annotations

import asyncio
import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aio_pika
from aiosmtpd.controller import Controller

from contracts import Envelope
from contracts.notifier import SendEmail
from deploy.local.mailsink import EmlWriter
from servicekit import outbox
from servicekit.bus import Bus
from servicekit.settings import ServiceSettings
from tests.conftest import AMQP_URL
from tests.ports import free_port


class Sink:
    """aiosmtpd writing one .eml per mail into ``folder``; can be started late or stopped."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.controller: Controller | None = None

    async def start(self) -> None:
        self.controller = Controller(EmlWriter(self.folder), hostname="127.0.0.1", port=self.port)
        await asyncio.to_thread(self.controller.start)

    async def stop(self) -> None:
        if self.controller is not None:
            await asyncio.to_thread(self.controller.stop)
            self.controller = None

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml")) if self.folder.exists() else []

    def mails(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in self.files()
        ]


class Publisher:
    """A second process's bus (same broker namespace), publishing like identity will."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.bus = Bus(settings)

    async def __aenter__(self) -> Publisher:
        await self.bus.broker.connect()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.bus.broker.stop()

    async def send(self, command: SendEmail, *, subject: str = "account-1") -> Envelope:
        env = outbox.envelope(command, producer="identity", subject=subject)
        await self.bus.publish(env)
        return env


async def take_dead(
    queue: str, message_id: str, *, timeout: float = 10.0
) -> aio_pika.IncomingMessage:
    """Wait for the message with this id on a dead-letter queue and take it off the queue; any
    other message seen on the way goes back."""
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        dead = await channel.declare_queue(queue, passive=True)
        others: list[aio_pika.abc.AbstractIncomingMessage] = []
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            while asyncio.get_running_loop().time() < deadline:
                msg = await dead.get(no_ack=False, fail=False)
                if msg is None:
                    await asyncio.sleep(0.1)
                elif msg.message_id == message_id:
                    await msg.ack()
                    return msg  # type: ignore[return-value]
                else:
                    others.append(msg)  # held unacknowledged so the next get moves on
        finally:
            for other in others:
                await other.nack(requeue=True)
        raise AssertionError(f"{message_id} not dead-lettered on {queue}")
    finally:
        await connection.close()
