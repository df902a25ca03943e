"""RabbitMQ wiring over FastStream: topology, confirmed publishing, and the consumer machinery
(envelope validation, idempotency, bounded retries with backoff, dead-lettering with a reason).

Topology (names take ``settings.bus_prefix`` in front):

- ``hataraku.events``   topic exchange; every event, routing key = event type
- ``hataraku.commands`` direct exchange; commands, routing key = command type
- ``hataraku.dead``     direct exchange; ``<queue>.dead`` bound with routing key ``<queue>``
- ``<queue>``           quorum queue per consuming service, one binding per consumed type
- ``<queue>.delayed``   classic queue where a message waits for its retry backoff or for a busy
                        claim (header ``x-due-at``); the consumer's own delay relay holds it
                        unacknowledged until it is due, publishes it back into ``<queue>`` with a
                        publisher confirm, and only then acknowledges it: at least once, whatever
                        dies when (a broker's TTL dead-lettering from a classic queue is at most
                        once, and lost messages when RabbitMQ was killed)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from aio_pika.abc import AbstractIncomingMessage
from aiormq.exceptions import ChannelInvalidStateError
from faststream import AckPolicy
from faststream.message import StreamMessage
from faststream.prometheus import ConsumeAttrs
from faststream.prometheus.middleware import PrometheusMiddleware
from faststream.rabbit import (
    Channel,
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitMessage,
    RabbitQueue,
)
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from faststream.rabbit.prometheus.provider import RabbitMetricsSettingsProvider
from faststream.rabbit.response import RabbitPublishCommand
from faststream.rabbit.subscriber import RabbitSubscriber
from opentelemetry import context as otel_context
from opentelemetry import trace
from prometheus_client import REGISTRY as REGISTRY_PROM
from prometheus_client import Counter, Gauge, Histogram
from pydantic import ValidationError
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts import REGISTRY, Envelope, Message
from servicekit import context, tracing
from servicekit.db import ensure_indexes
from servicekit.errors import DomainError
from servicekit.settings import ServiceSettings

log = structlog.get_logger()

Handler = Callable[[Any, Envelope], Awaitable[None]]

PROCESSED_KEEP_DAYS = 30
# a delivery whose event another delivery is handling comes back after this long
CLAIM_WAIT_MS = 1000
# the longest retry backoff; a delayed message is never held longer than this
MAX_DELAY_MS = 60_000
# how many delayed messages one consumer's delay relay holds at once (each a timer, no CPU)
DELAY_PREFETCH = 1000

EVENTS_CONSUMED = Counter(
    "hataraku_events_consumed_total", "Messages handled by consumers", ["queue", "type", "outcome"]
)
EVENTS_PUBLISHED = Counter("hataraku_events_published_total", "Messages published", ["type"])
# per queue and event type: how long the handler took (claim, handler and the write that records
# it, whatever the outcome), how many are being handled now, and how old the event was when its
# handling began (now − the envelope's occurred_at: the whole way through outbox, relay, broker,
# retries and the queue)
HANDLER_SECONDS = Histogram(
    "hataraku_consumer_handler_seconds",
    "Time a consumer spent handling one event",
    ["queue", "type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
IN_FLIGHT = Gauge(
    "hataraku_consumer_in_flight", "Events being handled right now", ["queue", "type"]
)
EVENT_LAG = Histogram(
    "hataraku_event_lag_seconds",
    "Age of an event when a consumer began handling it (now − occurred_at)",
    ["queue", "type"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
UNKNOWN = "unknown"


def type_label(message_type: str | None) -> str:
    """A message type as a label value: a type of the contracts' registry, else "unknown".
    ``type`` is set by whoever published (employer systems too), so any other value would let
    them grow a metric's series without bound."""
    return message_type if message_type in REGISTRY else UNKNOWN


def destination_label(exchange: str, routing_key: str) -> str:
    """``<exchange>.<routing key>`` for FastStream's metrics, bounded: the routing key only when
    it is a registered type or a queue name our code chose (the default and dead-letter
    exchanges), else "other" (employer systems pick their routing keys; replies carry an
    employer id)."""
    exchange = exchange or "default"
    if routing_key in REGISTRY or exchange == "default" or exchange.endswith("hataraku.dead"):
        return f"{exchange}.{routing_key}"
    return f"{exchange}.other"


class _BoundedMetricsProvider(RabbitMetricsSettingsProvider):
    def get_consume_attrs_from_message(self, msg: StreamMessage[Any]) -> ConsumeAttrs:
        raw = msg.raw_message
        return {
            "destination_name": destination_label(raw.exchange or "", raw.routing_key or ""),
            "message_size": len(msg.body),
            "messages_count": 1,
        }

    def get_publish_destination_name_from_cmd(self, cmd: RabbitPublishCommand) -> str:
        return destination_label(cmd.exchange.name or "", cmd.destination)


def middlewares(service: str) -> tuple[Any, ...]:
    """FastStream's middlewares on every broker: OpenTelemetry while spans are recorded (a span
    per publish, the ``traceparent`` header on every message, a CONSUMER span continuing it
    around every handler) and Prometheus (``faststream_*`` per queue/destination, into the default registry
    that ``/metrics`` serves; destination labels bounded by ``destination_label``)."""
    prometheus = PrometheusMiddleware(
        settings_provider_factory=lambda _: _BoundedMetricsProvider(),
        registry=REGISTRY_PROM,
        app_name=service,
    )
    if not tracing.recording():
        # no spans go anywhere: the trace context travels without them (publish_raw,
        # Consumer._on_message), at no cost
        return (prometheus,)
    return (RabbitTelemetryMiddleware(), prometheus)


class Topology:
    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        # events that no service is bound to (yet) are kept in `hataraku.unrouted` through the
        # alternate exchange: detected (queue depth) and not lost, and the outbox is not blocked
        # by them. Commands have no alternate: one that cannot reach its receiver raises.
        self.unrouted = RabbitExchange(
            f"{prefix}hataraku.unrouted", type=ExchangeType.FANOUT, durable=True
        )
        self.unrouted_queue = RabbitQueue(f"{prefix}hataraku.unrouted", durable=True)
        self.events = RabbitExchange(
            f"{prefix}hataraku.events",
            type=ExchangeType.TOPIC,
            durable=True,
            arguments={"alternate-exchange": self.unrouted.name},
        )
        self.commands = RabbitExchange(
            f"{prefix}hataraku.commands", type=ExchangeType.DIRECT, durable=True
        )
        self.dead = RabbitExchange(f"{prefix}hataraku.dead", type=ExchangeType.DIRECT, durable=True)
        self.default = RabbitExchange("")

    def queue(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def exchange_for(self, message_type: type[Message]) -> RabbitExchange:
        return self.commands if message_type.KIND == "command" else self.events


def make_broker(settings: ServiceSettings) -> RabbitBroker:
    return RabbitBroker(
        settings.amqp_url,
        # publisher confirms, and a mandatory publish that no queue takes raises instead of vanishing
        default_channel=Channel(
            prefetch_count=settings.prefetch, publisher_confirms=True, on_return_raises=True
        ),
        app_id=settings.service_name,
        graceful_timeout=15.0,
        reconnect_interval=1.0,
        log_level=logging.DEBUG,
        fail_fast=True,
        middlewares=middlewares(settings.service_name),
    )


class Bus:
    """One per process: the broker, the topology and confirmed publishing."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.topology = Topology(settings.bus_prefix)
        self.broker = make_broker(settings)
        self.consumers: list[Consumer] = []

    async def declare(self) -> None:
        topo = self.topology
        for exchange in (topo.unrouted, topo.events, topo.commands, topo.dead):
            await self.broker.declare_exchange(exchange)
        unrouted = await self.broker.declare_queue(topo.unrouted_queue)
        await unrouted.bind(topo.unrouted.name)
        for consumer in self.consumers:
            await consumer.declare()

    async def publish_raw(
        self,
        body: bytes,
        *,
        message_type: str,
        message_id: str,
        correlation_id: str | None,
        exchange: RabbitExchange,
        routing_key: str,
        headers: dict[str, Any] | None = None,
        expiration: float | None = None,
    ) -> None:
        # the current trace travels with the message (FastStream's middleware, when it runs,
        # replaces it with its own publish span's); a republished message keeps its own
        headers = {**tracing.carrier(), **(headers or {})}
        await self.broker.publish(
            body,
            exchange=exchange,
            routing_key=routing_key,
            persist=True,
            mandatory=True,
            message_id=message_id,
            correlation_id=correlation_id,
            message_type=message_type,
            content_type="application/json",
            headers=headers,
            expiration=expiration,
            timeout=10,
        )

    async def publish(self, envelope: Envelope) -> None:
        """Publish one envelope now and wait for the broker's confirm. Services normally go through
        the outbox instead; this is what the relay calls."""
        model = REGISTRY.get(envelope.type)
        exchange = (
            self.topology.commands if model and model.KIND == "command" else self.topology.events
        )
        await self.publish_raw(
            envelope.model_dump_json().encode(),
            message_type=envelope.type,
            message_id=str(envelope.id),
            correlation_id=envelope.correlation_id,
            exchange=exchange,
            routing_key=envelope.type,
        )
        EVENTS_PUBLISHED.labels(type_label(envelope.type)).inc()

    def consumer(
        self,
        queue: str,
        handlers: Mapping[type[Message], Handler],
        *,
        db: AsyncDatabase[dict[str, Any]],
        description: str = "",
    ) -> Consumer:
        consumer = Consumer(self, queue=queue, handlers=handlers, db=db, description=description)
        self.consumers.append(consumer)
        return consumer

    async def consumers_attached(self) -> bool:
        """True when every consumer of this process is consuming: its channel is open and
        restored, and the broker counts a consumer on its queue."""
        return all([await c.attached() for c in self.consumers])

    def connected(self) -> bool:
        connection = self.broker._connection
        return bool(
            connection is not None
            and connection.connected.is_set()
            and connection.transport is not None
        )

    async def force_reconnect(self, reason: str) -> None:
        """Close the transport: aio-pika reconnects and restores every channel and consumer from
        its own registry (the same consumer tags, so never a second consumer), and the broker
        requeues whatever the old connection held unacknowledged."""
        connection = self.broker._connection
        transport = getattr(connection, "transport", None)
        if transport is None:
            return
        log.warning("bus.forced_reconnect", reason=reason)
        await asyncio.wait_for(
            transport.connection.close(ConnectionError(f"forced reconnect: {reason}")), 10
        )


async def raw_body(message: Any) -> bytes:
    """A FastStream decoder that leaves the body alone."""
    body: bytes = message.body
    return body


class DeadLetter(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Consumer:
    """Consumes one queue and dispatches by envelope type to typed handlers.

    - the body must be a valid envelope whose ``data`` validates against the registered model,
      otherwise the message goes straight to ``<queue>.dead`` with the reason;
    - a message whose event id was already handled by this queue is acknowledged and skipped;
    - a ``DomainError`` from a handler is a refusal: logged, acknowledged, not retried;
    - any other exception is retried after a backoff (``<queue>.delayed``), at most
      ``retry_max_attempts`` times, then dead-lettered with the error as the reason.
    """

    def __init__(
        self,
        bus: Bus,
        *,
        queue: str,
        handlers: Mapping[type[Message], Handler],
        db: AsyncDatabase[dict[str, Any]],
        description: str,
    ) -> None:
        self.bus = bus
        self.name = bus.topology.queue(queue)
        self._inflight: set[asyncio.Future[None]] = set()
        self.handlers = {model.TYPE: (model, handler) for model, handler in handlers.items()}
        self.processed = db["processed_messages"]
        self.settings = bus.settings
        topo = bus.topology
        self.queue = RabbitQueue(
            self.name,
            queue_type=QueueType.QUORUM,
            durable=True,
            arguments={
                "x-dead-letter-exchange": topo.dead.name,
                "x-dead-letter-routing-key": self.name,
                "x-delivery-limit": self.settings.delivery_limit,
            },
        )
        self._side_queues()
        consumed = ", ".join(sorted(self.handlers)) or "nothing"
        self.subscriber: RabbitSubscriber = bus.broker.subscriber(
            self.queue,
            ack_policy=AckPolicy.MANUAL,
            no_reply=True,
            # never let FastStream parse the body: a body that claims JSON but is not would fail
            # before our handler and stay unacknowledged; _handle validates it and dead-letters
            decoder=raw_body,
            title=self.name,
            description=(description + "\n\nConsumes: " + consumed).strip(),
        )
        self.subscriber(self._on_message)

    async def declare(self) -> None:
        broker, topo = self.bus.broker, self.bus.topology
        queue = await broker.declare_queue(self.queue)
        for message_type, (model, _) in self.handlers.items():
            exchange = topo.exchange_for(model)
            await queue.bind(exchange.name, routing_key=message_type)
        await self._declare_side_queues()
        # records of handled events expire (a redelivery later than this is not expected)
        await ensure_indexes(
            self.processed.database,
            self.processed.name,
            [
                IndexModel(
                    "at", name="processed_ttl", expireAfterSeconds=PROCESSED_KEEP_DAYS * 86400
                )
            ],
        )

    def _side_queues(self) -> None:
        """``<queue>.dead``, and ``<queue>.delayed`` where a message waits before it comes back
        (a retry's backoff, a busy claim), with the delay relay that consumes it. Every delayed
        message is held by its own timer, so a long backoff never holds back a shorter one."""
        self.dead_queue = RabbitQueue(f"{self.name}.dead", durable=True, routing_key=self.name)
        self.delay_queue = RabbitQueue(f"{self.name}.delayed", durable=True)
        self._waiting: set[asyncio.Future[None]] = set()
        self.delay_subscriber: RabbitSubscriber = self.bus.broker.subscriber(
            self.delay_queue,
            channel=Channel(prefetch_count=DELAY_PREFETCH, publisher_confirms=True),
            ack_policy=AckPolicy.MANUAL,
            no_reply=True,
            decoder=raw_body,
            include_in_schema=False,
        )
        self.delay_subscriber(self._on_delayed)

    def _delay_ms(self, attempt: int) -> int:
        return int(min(self.settings.retry_base_delay_ms * 2 ** (attempt - 1), MAX_DELAY_MS))

    async def _declare_side_queues(self) -> None:
        broker = self.bus.broker
        dead = await broker.declare_queue(self.dead_queue)
        await dead.bind(self.bus.topology.dead.name, routing_key=self.name)
        await broker.declare_queue(self.delay_queue)

    async def broker_consumers(self, queue: str | None = None) -> int | None:
        """How many consumers the broker counts on this queue (a passive declare on a throwaway
        channel of the current transport, so nothing is registered for aio-pika to restore), or
        None while there is no connection."""
        connection = self.bus.broker._connection
        transport = getattr(connection, "transport", None)
        if transport is None or not self.bus.connected():
            return None
        try:
            channel = await transport.connection.channel(publisher_confirms=False, timeout=5)
            try:
                ok = await channel.queue_declare(queue or self.name, passive=True, timeout=5)
            finally:
                await channel.close()
        except Exception:
            return None
        return int(ok.consumer_count or 0)

    def channel_restored(self) -> bool:
        """The subscriber's (robust) channel is open: aio-pika finished restoring it."""
        queue = getattr(self.subscriber, "_queue_obj", None)
        return queue is not None and not queue.channel.is_closed

    async def attached(self) -> bool:
        if not getattr(self.subscriber, "running", False) or not self.channel_restored():
            return False
        return bool(await self.broker_consumers()) and bool(
            await self.broker_consumers(self.delay_queue.name)
        )

    async def _on_message(self, message: RabbitMessage) -> None:
        """Handle one delivery in a task of its own, shielded: a lost connection cancels the
        delivery's task (aiormq), and a handler cancelled half-way would leave its claim held
        until its lease ran out (every redelivery parked meanwhile). Shielded, it finishes; its
        acknowledgement is then lost with the channel, and the broker's redelivery is a
        duplicate the claim skips."""
        # without FastStream's span (nothing recorded), continue the sender's trace here: the
        # task takes this context, so its logs and the handler's outbox entries carry it
        remote = None
        if not trace.get_current_span().get_span_context().is_valid:
            remote = tracing.from_carrier(message.headers)
        token = otel_context.attach(remote) if remote is not None else None
        try:
            task = asyncio.ensure_future(self._process(message))
        finally:
            if token is not None:
                otel_context.detach(token)
        self._inflight.add(task)
        task.add_done_callback(self._finished)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if self._channel_gone(message.raw_message):
                log.info("bus.delivery_interrupted", queue=self.name, message_id=message.message_id)
                return
            raise

    def _finished(self, task: asyncio.Future[None]) -> None:
        self._inflight.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.warning("bus.delivery_failed", queue=self.name, error=repr(exc))

    @staticmethod
    def _channel_gone(raw: AbstractIncomingMessage) -> bool:
        try:
            return bool(raw.channel.is_closed)  # aio-pika raises when the channel is closed
        except ChannelInvalidStateError:
            return True

    async def _settle(self, message: RabbitMessage, *, requeue: bool | None = None) -> None:
        """Ack (requeue None) or nack. On a channel that is gone there is nothing to settle: the
        broker has given the message back to the queue already."""
        try:
            if requeue is None:
                await message.ack()
            else:
                await message.nack(requeue=requeue)
        except Exception as exc:
            if not self._channel_gone(message.raw_message):
                raise
            log.info(
                "bus.settle_lost_with_channel",
                queue=self.name,
                message_id=message.message_id,
                error=repr(exc),
            )

    async def _process(self, message: RabbitMessage) -> None:
        raw: AbstractIncomingMessage = message.raw_message
        try:
            try:
                await self._handle(raw)
            except DeadLetter as dead:
                await self._dead_letter(raw, dead.reason)
        except Exception as exc:
            # the retry or dead-letter publish itself failed (broker trouble): give the message
            # back to the queue after a pause rather than lose it or hold it unacknowledged
            log.warning("bus.requeued", queue=self.name, error=repr(exc))
            await asyncio.sleep(1)
            await self._settle(message, requeue=True)
            return
        await self._settle(message)

    async def _handle(self, raw: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.model_validate_json(raw.body)
        except ValidationError as exc:
            EVENTS_CONSUMED.labels(self.name, type_label(raw.type), "invalid").inc()
            raise DeadLetter(f"invalid envelope: {_short(exc)}") from exc
        entry = self.handlers.get(envelope.type)
        label = type_label(envelope.type)
        if entry is None:
            EVENTS_CONSUMED.labels(self.name, label, "unknown").inc()
            raise DeadLetter(f"no handler for type {envelope.type} on {self.name}")
        model, handler = entry
        try:
            payload = model.model_validate(envelope.data)
        except ValidationError as exc:
            EVENTS_CONSUMED.labels(self.name, label, "invalid").inc()
            raise DeadLetter(f"invalid {envelope.type} payload: {_short(exc)}") from exc
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute("hataraku.event_type", envelope.type)
            span.set_attribute("hataraku.event_id", str(envelope.id))
        EVENT_LAG.labels(self.name, label).observe(
            max((datetime.now(UTC) - envelope.occurred_at).total_seconds(), 0.0)
        )
        in_flight = IN_FLIGHT.labels(self.name, label)
        in_flight.inc()
        started = time.perf_counter()
        try:
            await self._dispatch(raw, envelope, payload, handler, label)
        finally:
            in_flight.dec()
            HANDLER_SECONDS.labels(self.name, label).observe(time.perf_counter() - started)

    async def _dispatch(
        self,
        raw: AbstractIncomingMessage,
        envelope: Envelope,
        payload: Any,
        handler: Handler,
        label: str,
    ) -> None:
        key = f"{self.name}:{envelope.id}"
        claim = await self._claim(key, envelope.type)
        if claim == "done":
            EVENTS_CONSUMED.labels(self.name, label, "duplicate").inc()
            log.info(
                "bus.duplicate_skipped",
                queue=self.name,
                event_id=str(envelope.id),
                type=envelope.type,
            )
            return
        if isinstance(
            claim, datetime
        ):  # another delivery holds it until then: wait, no attempt used
            await self._wait_for_lease(raw, claim)
            return

        tokens = (
            context.correlation_id.set(envelope.correlation_id),
            context.causation_id.set(str(envelope.id)),
        )
        bound = structlog.contextvars.bind_contextvars(
            event_id=str(envelope.id), event_type=envelope.type
        )
        try:
            await handler(payload, envelope)
            outcome = "ok"
        except DomainError as exc:
            outcome = "refused"
            log.warning("bus.handler_refused", queue=self.name, code=exc.code)
        except DeadLetter:
            # the handler's verdict: this message can never be processed, so no retries; the
            # claim is released so that a replay from the dead-letter queue is handled again
            await self.processed.delete_one({"_id": key})
            EVENTS_CONSUMED.labels(self.name, label, "dead").inc()
            raise
        except Exception as exc:
            await self.processed.delete_one({"_id": key})  # release the claim for the retry
            await self._retry_or_dead(raw, exc)
            return
        finally:
            structlog.contextvars.unbind_contextvars(*bound)
            context.correlation_id.reset(tokens[0])
            context.causation_id.reset(tokens[1])
        await self.processed.update_one(
            {"_id": key}, {"$set": {"state": "done", "outcome": outcome}}
        )
        EVENTS_CONSUMED.labels(self.name, label, outcome).inc()

    async def _claim(self, key: str, message_type: str) -> str | datetime:
        """Atomically take the right to handle one event: "claimed", "done" (handled before), or
        the time until which another delivery holds it (a live lease). One conditional upsert:
        it creates the claim, or takes over a lease that ran out (a crashed holder, or a write
        that failed after the handler); a live or finished claim makes it a duplicate key."""
        now = datetime.now(UTC)
        lease = now + timedelta(seconds=self.settings.claim_lease_seconds)
        try:
            await self.processed.update_one(
                {"_id": key, "state": "processing", "lease_until": {"$lte": now}},
                {
                    "$set": {"lease_until": lease},
                    "$setOnInsert": {"type": message_type, "at": now},
                },
                upsert=True,
            )
            return "claimed"
        except DuplicateKeyError:
            pass
        doc = await self.processed.find_one({"_id": key}, {"state": 1, "lease_until": 1})
        if doc is None:  # released between our write and our read
            return now + timedelta(seconds=1)
        if doc.get("state") == "done":
            return "done"
        until: datetime = doc["lease_until"]
        return until

    async def _wait_for_lease(self, raw: AbstractIncomingMessage, until: datetime) -> None:
        """Park the message in ``<queue>.delayed`` (it comes back after ``CLAIM_WAIT_MS``) without
        counting an attempt: the holder either finishes (then this copy is a duplicate) or died
        (then its lease, until ``until``, runs out and this copy takes over)."""
        log.info(
            "bus.claim_busy",
            queue=self.name,
            message_id=raw.message_id,
            held_for_s=round(max((until - datetime.now(UTC)).total_seconds(), 0), 1),
        )
        await self._park(raw, CLAIM_WAIT_MS, dict(raw.headers or {}))

    async def _park(
        self, raw: AbstractIncomingMessage, delay_ms: int, headers: dict[str, Any]
    ) -> None:
        """Put the message in ``<queue>.delayed``, due ``delay_ms`` from now (confirmed before the
        original is acknowledged)."""
        headers["x-due-at"] = int(time.time() * 1000) + delay_ms
        await self.bus.publish_raw(
            raw.body,
            message_type=raw.type or "",
            message_id=raw.message_id or "",
            correlation_id=raw.correlation_id,
            exchange=self.bus.topology.default,
            routing_key=self.delay_queue.name,
            headers=headers,
        )

    async def _on_delayed(self, message: RabbitMessage) -> None:
        """One message from ``<queue>.delayed``: a timer of its own holds it (unacknowledged, up
        to the delay channel's prefetch) until it is due; the delivery itself returns at once."""
        task = asyncio.ensure_future(self._return_when_due(message))
        self._waiting.add(task)
        task.add_done_callback(self._waited)

    def _waited(self, task: asyncio.Future[None]) -> None:
        self._waiting.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.warning("bus.delay_failed", queue=self.name, error=repr(exc))

    async def _return_when_due(self, message: RabbitMessage) -> None:
        raw: AbstractIncomingMessage = message.raw_message
        headers = dict(raw.headers or {})
        due = headers.pop("x-due-at", None)
        try:
            wait_s = (float(str(due)) - time.time() * 1000) / 1000 if due is not None else 0.0
        except ValueError:
            wait_s = 0.0
        await asyncio.sleep(min(max(wait_s, 0.0), MAX_DELAY_MS / 1000))
        if self._channel_gone(raw):
            return  # the broker gave it back to <queue>.delayed: a new timer holds it now
        try:
            await self.bus.publish_raw(
                raw.body,
                message_type=raw.type or "",
                message_id=raw.message_id or "",
                correlation_id=raw.correlation_id,
                exchange=self.bus.topology.default,
                routing_key=self.name,
                headers=headers,
            )
        except Exception as exc:
            log.warning("bus.delay_return_failed", queue=self.name, error=repr(exc))
            await asyncio.sleep(1)
            await self._settle(message, requeue=True)
            return
        # acknowledged only after the confirm: a crash in between returns a duplicate, which
        # the claim skips, never a loss
        await self._settle(message)

    async def _retry_or_dead(self, raw: AbstractIncomingMessage, exc: Exception) -> None:
        headers = dict(raw.headers or {})
        attempt = int(str(headers.get("x-attempt") or 0)) + 1
        if attempt > self.settings.retry_max_attempts:
            EVENTS_CONSUMED.labels(self.name, type_label(raw.type), "dead").inc()
            log.error(
                "bus.retries_exhausted", queue=self.name, attempts=attempt - 1, error=repr(exc)
            )
            raise DeadLetter(f"failed after {attempt - 1} retries: {exc!r}"[:1000]) from exc
        delay = self._delay_ms(attempt) / 1000
        log.warning(
            "bus.retry_scheduled", queue=self.name, attempt=attempt, delay_s=delay, error=repr(exc)
        )
        headers["x-attempt"] = attempt
        headers["x-last-error"] = repr(exc)[:500]
        EVENTS_CONSUMED.labels(self.name, type_label(raw.type), "retry").inc()
        await self._park(raw, self._delay_ms(attempt), headers)

    async def _dead_letter(self, raw: AbstractIncomingMessage, reason: str) -> None:
        log.error("bus.dead_lettered", queue=self.name, message_id=raw.message_id, reason=reason)
        headers = dict(raw.headers or {})
        headers.update(
            {
                "x-dead-reason": reason,
                "x-dead-queue": self.name,
                "x-dead-at": datetime.now(UTC).isoformat(),
                "x-original-exchange": raw.exchange or "",
                "x-original-routing-key": raw.routing_key or "",
            }
        )
        await self.bus.publish_raw(
            raw.body,
            message_type=raw.type or "",
            message_id=raw.message_id or "",
            correlation_id=raw.correlation_id,
            exchange=self.bus.topology.dead,
            routing_key=self.name,
            headers=headers,
        )


def _short(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]]
    return "; ".join(parts)[:800]


async def watch_consumers(
    bus: Bus, stop: asyncio.Event, interval: float = 5.0, grace: float = 30.0
) -> None:
    """Watch that every consumer is attached after a reconnect, and repair only through aio-pika.

    aio-pika restores channels, queues and consumers itself (same consumer tags) and re-consumes
    a consumer the broker cancelled. What it cannot get out of: a restore stuck in a
    ``basic.consume`` that the broker never answers (a quorum queue without a leader after a
    broker restart; no RPC timeout), or a consumer gone on the broker while the client still
    holds its tag. If a consumer stays missing for ``grace`` seconds while connected, the
    connection is closed so that aio-pika's own restore runs again; the broker requeues what the
    old connection held. The FastStream subscriber is never stopped and started again: that made
    a second consumer beside the restored one, and a stopped subscriber drops deliveries without
    acknowledging them (FastStream issue #2758 is why this watchdog exists)."""
    missing_since: float | None = None
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
            return
        except TimeoutError:
            pass
        try:
            if not bus.connected():
                missing_since = None  # aio-pika is reconnecting: nothing to judge yet
                continue
            if await bus.consumers_attached():
                missing_since = None
                continue
            now = loop.time()
            missing_since = missing_since if missing_since is not None else now
            if now - missing_since >= grace:
                missing_since = None
                await bus.force_reconnect(f"a consumer missing for {grace:.0f} s")
        except Exception as exc:
            log.warning("bus.watchdog_failed", error=repr(exc))
