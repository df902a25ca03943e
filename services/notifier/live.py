"""Live updates across notifier replicas.

The notifier process that stores a notification publishes a small "live" message on the fan-out
exchange ``<prefix>hataraku.live``; every notifier process has its own exclusive, auto-delete
queue bound to it, receives every live message, and hands it to the Server-Sent Events streams
of the matching recipients connected to *this* process (the ``Hub``). Nothing is kept in process
memory beyond the open streams: a stream that missed something (reconnect, replica restart)
replays it from the database by Last-Event-ID.

Live messages are best-effort (not persistent, no confirms): the database is the record; a lost
live message only delays an update until the client's next reconnect or list refresh.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import AbstractIncomingMessage
from prometheus_client import Counter, Gauge

from servicekit.auth import Principal, RevocationCheck
from services.notifier.settings import NotifierSettings

log = structlog.get_logger()

LIVE_STREAMS = Gauge("hataraku_live_streams", "Open Server-Sent Events streams in this process")
LIVE_DELIVERED = Counter("hataraku_live_delivered_total", "Live events handed to streams", ["kind"])


@dataclass(frozen=True)
class Outgoing:
    """One SSE event for a stream; ``id`` None for events that are not replayed (counts)."""

    event: str
    data: dict[str, Any] | None
    id: str | None = None


CLOSE = Outgoing("close", None)


@dataclass(eq=False)
class Stream:
    recipient: str
    seeker_id: str | None
    office_code: str | None
    since: datetime | None
    queue: asyncio.Queue[Outgoing] = field(default_factory=lambda: asyncio.Queue(200))
    # the token that opened it: the stream ends when its session ends (logout, password reset)
    principal: Principal | None = None

    def offer(self, item: Outgoing) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            # a reader this slow reconnects and replays from the database instead
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(CLOSE)

    def end(self) -> None:
        """Close now: nothing queued is delivered any more."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(CLOSE)


def notice_matches(audience: dict[str, Any], stream: Stream) -> bool:
    if stream.seeker_id is None or stream.office_code is None:
        return False
    kind = audience.get("kind")
    if kind == "all":
        return True
    if kind == "office":
        return bool(audience.get("office_code") == stream.office_code)
    return stream.seeker_id in (audience.get("seeker_ids") or ())


class Hub:
    """The streams open in this process, by recipient."""

    def __init__(self, queue_size: int = 200) -> None:
        self.queue_size = queue_size
        self.by_recipient: dict[str, set[Stream]] = {}

    def open(self, stream: Stream) -> Stream:
        stream.queue = asyncio.Queue(self.queue_size)
        self.by_recipient.setdefault(stream.recipient, set()).add(stream)
        LIVE_STREAMS.inc()
        return stream

    def close(self, stream: Stream) -> None:
        streams = self.by_recipient.get(stream.recipient)
        if streams is not None and stream in streams:
            streams.discard(stream)
            LIVE_STREAMS.dec()
            if not streams:
                del self.by_recipient[stream.recipient]

    def close_all(self) -> None:
        for streams in list(self.by_recipient.values()):
            for s in list(streams):
                s.offer(CLOSE)

    def end_revoked(self, check: RevocationCheck) -> int:
        """End the streams opened with a token that is revoked now (their session ended); the
        number ended. Called on every replica as it learns of a revocation."""
        ended = 0
        for streams in list(self.by_recipient.values()):
            for s in list(streams):
                if s.principal is not None and check.revoked(s.principal):
                    s.end()
                    ended += 1
        if ended:
            log.info("notifier.live.sessions_ended", streams=ended)
        return ended

    def deliver(self, payload: dict[str, Any]) -> int:
        kind = payload.get("kind")
        targets: list[Stream] = []
        if kind in ("notification", "unread"):
            targets = list(self.by_recipient.get(str(payload.get("recipient")), ()))
        elif kind == "notice":
            audience = payload.get("audience") or {}
            targets = [
                s
                for streams in self.by_recipient.values()
                for s in streams
                if notice_matches(audience, s)
            ]
        for s in targets:
            if kind == "unread":
                s.offer(Outgoing("unread", None))
            else:
                s.offer(Outgoing(payload["event"], payload["data"], payload["id"]))
        if targets:
            LIVE_DELIVERED.labels(str(kind)).inc(len(targets))
        return len(targets)


class LiveChannel:
    def __init__(self, settings: NotifierSettings, hub: Hub) -> None:
        self.settings = settings
        self.hub = hub
        self.exchange_name = f"{settings.bus_prefix}hataraku.live"
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self.settings.amqp_url)
        channel = await self._connection.channel()
        self._exchange = await channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.FANOUT, durable=True
        )
        # this process's own queue: gone with the process; messages older than a minute are
        # of no use to a live stream
        queue = await channel.declare_queue(
            exclusive=True, auto_delete=True, arguments={"x-message-ttl": 60_000}
        )
        await queue.bind(self._exchange)
        await queue.consume(self._on_message, no_ack=True)
        log.info("notifier.live.started", exchange=self.exchange_name)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            payload = json.loads(message.body)
        except ValueError:
            log.warning("notifier.live.invalid")
            return
        if isinstance(payload, dict):
            self.hub.deliver(payload)

    async def publish(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False, default=str).encode()
        try:
            if self._exchange is None:
                raise RuntimeError("live channel not started")
            await self._exchange.publish(
                aio_pika.Message(body, content_type="application/json"), routing_key=""
            )
        except Exception as exc:
            # the broker is away: this process's own streams still get it
            log.warning("notifier.live.publish_failed", error=repr(exc))
            self.hub.deliver(payload)

    async def stop(self) -> None:
        self.hub.close_all()
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
