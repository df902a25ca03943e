"""Direct requests from employer systems over AMQP (see EMPLOYER_SYSTEMS.md).

- exchange ``<prefix>employer.requests`` (topic, durable): each employer system publishes with its
  own RabbitMQ user ``employer-<employer_id>``, which may write only there; RabbitMQ refuses a
  message whose ``user_id`` property is not the connection's user, so ``user_id`` is the sender.
- queue ``<prefix>applications.employer-requests`` (quorum, dead-letter and retry queues like every
  consumer queue) bound with ``#``.
- exchange ``<prefix>employer.replies`` (direct, durable): answers for employer systems, routing
  key = employer id; each employer system reads its own queue ``<prefix>employer-<id>.replies``.

The body is the plain JSON of ``EmployerRequestSubmitted`` (the standard envelope around it is
accepted too). A valid message is handled by the same use case as ``POST /api/v1/requests``; an
invalid, unauthorised or refused one is dead-lettered with the reason and — when the sender is an
employer system — answered with ``applications.request.rejected.v1``. One message id, one effect.

A message that comes back from our retry queue or from a dead-letter replay arrives through the
default exchange (which employer users cannot write to) without its ``user_id``. The sender we
validated travels with it in the ``hataraku-sender`` header, **signed** (``hataraku-sender-sig``,
HMAC-SHA256 over sender, message id and body with a key kept in this service's database): a
header an employer system wrote itself — kept, for example, in the dead letter of a message that
had no ``user_id`` — has no valid signature, so a replay is checked exactly as the first delivery
was and never carries more authority than its original.

Limits: a body larger than ``MAX_BODY_BYTES`` (256 KiB; setting ``employer_request_max_bytes``)
is refused before it is parsed. The queue's length is bounded by the policy that
``deploy/local/employer-user.sh`` sets (``max-length`` with ``overflow: reject-publish``: the
sender's publisher confirm is a nack), and each employer user has connection and channel limits.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from datetime import datetime
from typing import Any

import structlog
from aio_pika.abc import AbstractIncomingMessage
from faststream import AckPolicy
from faststream.message import StreamMessage
from faststream.rabbit import ExchangeType, QueueType, RabbitExchange, RabbitQueue
from pydantic import ValidationError
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts import Envelope
from contracts.applications import EmployerRequestSubmitted, RequestRejected
from servicekit import context, outbox
from servicekit.bus import (
    EVENTS_CONSUMED,
    HANDLER_SECONDS,
    IN_FLIGHT,
    Bus,
    Consumer,
    DeadLetter,
    type_label,
)
from servicekit.errors import DomainError
from services.applications.core import Core
from services.applications.domain import clean_text
from services.applications.handlers import replies_exchange
from services.applications.repository import REJECTIONS
from services.applications.service_requests import RequestService

log = structlog.get_logger()

QUEUE = "applications.employer-requests"
EMPLOYER_USER = re.compile(r"^employer-([0-9a-f]{32})$")
SENDER_HEADER = "hataraku-sender"
SIGNATURE_HEADER = "hataraku-sender-sig"
KEY_ID = "employer-sender-key"
# the metrics label of what arrives here (a contracts type: bounded)
REQUEST_LABEL = type_label(EmployerRequestSubmitted.TYPE)
MESSAGE_MAX = 1000
# a body above this is refused before it is parsed (the JSON of a request is well under 8 KiB)
MAX_BODY_BYTES = 256 * 1024


async def _raw_body(message: StreamMessage[Any]) -> bytes:
    return bytes(message.body)


class Rejection(Exception):
    def __init__(self, code: str, ja: str, en: str) -> None:
        super().__init__(code)
        self.code, self.ja, self.en = code, ja, en


def _invalid(en: str) -> Rejection:
    return Rejection("invalid_message", f"メッセージの形式が正しくありません: {en}", en)


class EmployerRequestConsumer(Consumer):
    def __init__(
        self,
        bus: Bus,
        *,
        db: AsyncDatabase[dict[str, Any]],
        core: Core,
        requests: RequestService,
    ) -> None:
        # Consumer.__init__ is not called: this queue's subscriber needs a decoder that never
        # parses the body (an employer system may send anything; _handle validates it)
        self.bus = bus
        self.name = bus.topology.queue(QUEUE)
        self._inflight: set[Any] = set()
        self.handlers = {EmployerRequestSubmitted.TYPE: (EmployerRequestSubmitted, self._never)}
        self.processed = db["processed_messages"]
        self.keys = db["amqp_keys"]
        self._key = b""
        self.max_body_bytes = int(
            bus.settings.employer_request_max_bytes  # type: ignore[attr-defined]
        )
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
        self.subscriber = bus.broker.subscriber(
            self.queue,
            ack_policy=AckPolicy.MANUAL,
            no_reply=True,
            decoder=_raw_body,
            title=self.name,
            description="Direct requests from employer systems (exchange employer.requests; "
            "the sender is the validated user_id `employer-<employer_id>`). Refusals are "
            "dead-lettered and answered with applications.request.rejected.v1 on the "
            "employer.replies exchange (routing key = employer id).\n\nConsumes: "
            + EmployerRequestSubmitted.TYPE,
        )
        self.subscriber(self._on_message)
        prefix = bus.topology.prefix
        self.exchange = RabbitExchange(
            f"{prefix}employer.requests", type=ExchangeType.TOPIC, durable=True
        )
        self.replies = replies_exchange(bus)
        self.core = core
        self.requests = requests
        bus.consumers.append(self)
        self._document(bus)

    def _document(self, bus: Bus) -> None:
        """AsyncAPI: what employer systems publish, and what they get back."""
        bus.broker.publisher(
            routing_key=EmployerRequestSubmitted.TYPE,
            exchange=self.exchange,
            persist=True,
            title=f"employer.requests:{EmployerRequestSubmitted.TYPE}",
            description="Published BY employer systems (their own RabbitMQ user, user_id set, "
            "message_id required), consumed from applications.employer-requests. Body: this "
            "object as plain JSON (or the standard envelope around it).",
            schema=EmployerRequestSubmitted,
        )
        bus.broker.publisher(
            routing_key="<employer_id>",
            exchange=self.replies,
            persist=True,
            title=f"employer.replies:{RequestRejected.TYPE}",
            description="Answers to employer systems, routing key = employer id: the envelope "
            "of applications.request.rejected.v1 (and of applications.request.sent.v1 for "
            "requests that came over AMQP); headers employer_id, client_reference.",
            schema=RequestRejected,
        )

    async def _never(self, payload: Any, envelope: Envelope) -> None:  # pragma: no cover
        raise NotImplementedError  # dispatch is in _handle

    async def declare(self) -> None:
        broker = self.bus.broker
        await broker.declare_exchange(self.exchange)
        await broker.declare_exchange(self.replies)
        queue = await broker.declare_queue(self.queue)
        await queue.bind(self.exchange.name, routing_key="#")
        await self._declare_side_queues()
        self._key = await self._signing_key()

    async def _signing_key(self) -> bytes:
        """The key that signs the sender header: made once, shared by every replica."""
        for _ in range(3):
            try:
                doc = await self.keys.find_one_and_update(
                    {"_id": KEY_ID},
                    {"$setOnInsert": {"key": secrets.token_bytes(32)}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:  # another replica made it at the same moment
                continue
            if doc is not None:
                return bytes(doc["key"])
        raise RuntimeError("the sender signing key could not be read")

    # --- one message ---------------------------------------------------------------------------

    def _signature(self, user: str, raw: AbstractIncomingMessage) -> str:
        digest = hashlib.sha256(raw.body).hexdigest()
        signed = "\n".join((user, raw.message_id or "", digest)).encode()
        return hmac.new(self._key, signed, hashlib.sha256).hexdigest()

    def _sender(self, raw: AbstractIncomingMessage) -> str:
        """The validated sender: on the employer exchange RabbitMQ's ``user_id`` (and nothing
        else); on the default exchange (our retries, replays) the sender header only when our
        signature over it, the message id and the body holds."""
        if raw.exchange == self.exchange.name:
            return raw.user_id or ""
        if raw.exchange:  # any other exchange: nobody we know
            return ""
        headers = raw.headers or {}
        user = str(headers.get(SENDER_HEADER) or "")
        signature = str(headers.get(SIGNATURE_HEADER) or "")
        if user and self._key and hmac.compare_digest(signature, self._signature(user, raw)):
            return user
        return ""

    async def _handle(self, raw: AbstractIncomingMessage) -> None:
        user = self._sender(raw)
        match = EMPLOYER_USER.match(user)
        # what travels on with the message (retries, the dead letter, a replay): the sender we
        # validated, signed — or no sender at all, whatever header the message came with
        incoming: Any = raw
        headers = {
            k: v
            for k, v in (raw.headers or {}).items()
            if k not in (SENDER_HEADER, SIGNATURE_HEADER)
        }
        if match is not None:
            headers[SENDER_HEADER] = user
            headers[SIGNATURE_HEADER] = self._signature(user, raw)
        incoming.headers = headers
        if match is None:
            log.warning("applications.employer_request.unauthorised", user_id=user or None)
            raise DeadLetter(f"unauthorised: sender {user!r} is not an employer system user")
        employer_id = match.group(1)
        message_id = raw.message_id or ""
        token = context.correlation_id.set(raw.correlation_id or message_id or None)
        bound = structlog.contextvars.bind_contextvars(
            employer_id=employer_id, message_id=message_id
        )
        # the same handler metrics as every other consumer (servicekit/bus.py)
        in_flight = IN_FLIGHT.labels(self.name, REQUEST_LABEL)
        in_flight.inc()
        started = time.perf_counter()
        try:
            await self._handle_from(raw, employer_id, message_id)
        finally:
            in_flight.dec()
            HANDLER_SECONDS.labels(self.name, REQUEST_LABEL).observe(time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars(*bound)
            context.correlation_id.reset(token)

    async def _handle_from(
        self, raw: AbstractIncomingMessage, employer_id: str, message_id: str
    ) -> None:
        if len(raw.body) > self.max_body_bytes:  # before anything reads it
            log.warning("applications.employer_request.too_large", size=len(raw.body))
            rejection = Rejection(
                "message_too_large",
                f"メッセージが大きすぎます（上限 {self.max_body_bytes} バイト）。",
                f"the body has {len(raw.body)} bytes, more than {self.max_body_bytes}",
            )
            await self._reject(employer_id, message_id, {}, rejection)
        if not message_id:
            rejection = _invalid("the message_id property is required")
            await self._reject(employer_id, message_id, {}, rejection)
        key = f"{self.name}:employer-{employer_id}:{message_id}"
        claim = await self._claim(key, EmployerRequestSubmitted.TYPE)
        if claim == "done":
            EVENTS_CONSUMED.labels(self.name, REQUEST_LABEL, "duplicate").inc()
            log.info("applications.employer_request.duplicate_skipped")
            return
        if isinstance(claim, datetime):  # being handled elsewhere: wait for its lease
            await self._wait_for_lease(raw, claim)
            return
        data: dict[str, Any] = {}
        try:
            data = self._payload(raw.body)
            command = self._command(data, employer_id)
            doc = await self.requests.send(
                employer_id=employer_id,
                seeker_id=command.seeker_id,
                job_id=command.job_id,
                message=clean_text(command.message),
                via="amqp",
                client_reference=command.client_reference,
            )
        except (Rejection, DomainError) as exc:
            await self.processed.delete_one({"_id": key})  # a replay is handled anew
            rejection = exc if isinstance(exc, Rejection) else Rejection(exc.code, exc.ja, exc.en)
            EVENTS_CONSUMED.labels(self.name, REQUEST_LABEL, "refused").inc()
            await self._reject(employer_id, message_id, data, rejection)
        except Exception as exc:
            await self.processed.delete_one({"_id": key})  # release the claim for the retry
            await self._retry_or_dead(raw, exc)
            return
        await self.processed.update_one({"_id": key}, {"$set": {"state": "done", "outcome": "ok"}})
        EVENTS_CONSUMED.labels(self.name, REQUEST_LABEL, "ok").inc()
        log.info("applications.employer_request.accepted", direct_request_id=doc["_id"])

    @staticmethod
    def _payload(body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # nesting too deep too
            raise _invalid("the body is not JSON") from exc
        if not isinstance(data, dict):
            raise _invalid("the body is not a JSON object")
        if "data" in data and "type" in data:  # the standard envelope
            try:
                envelope = Envelope.model_validate(data)
            except ValidationError as exc:
                raise _invalid("the envelope is not valid") from exc
            if envelope.type != EmployerRequestSubmitted.TYPE:
                raise _invalid(f"unknown message type {envelope.type}")
            return dict(envelope.data)
        return data

    @staticmethod
    def _command(data: dict[str, Any], employer_id: str) -> EmployerRequestSubmitted:
        claimed = data.get("employer_id")
        if claimed is not None and claimed != employer_id:
            raise Rejection(
                "employer_mismatch",
                "送信者と異なる事業所を名乗るメッセージは受け付けられません。",
                "The message names another employer than its sender.",
            )
        try:
            command = EmployerRequestSubmitted.model_validate(data)
        except ValidationError as exc:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
            raise _invalid(f"invalid fields: {fields}") from exc
        message = clean_text(command.message)
        if not message or len(message) > MESSAGE_MAX:
            raise _invalid(f"message must be 1 to {MESSAGE_MAX} characters")
        return command

    async def _reject(
        self, employer_id: str, message_id: str, data: dict[str, Any], rejection: Rejection
    ) -> None:
        """Answer the employer system (once per message id), then dead-letter the message."""

        def text(name: str) -> str | None:
            value = data.get(name)
            return value[:100] if isinstance(value, str) else None

        event = RequestRejected(
            employer_id=employer_id,
            message_id=message_id or "(none)",
            client_reference=text("client_reference"),
            job_id=text("job_id"),
            seeker_id=text("seeker_id"),
            code=rejection.code,
            detail=rejection.ja,
            detail_en=rejection.en,
        )
        doc_id = f"{employer_id}:{message_id or uuid.uuid4().hex}"
        doc = {
            "_id": doc_id,
            "employer_id": employer_id,
            "code": rejection.code,
            "at": self.core.now(),
            **outbox.initial(self.core.envelope(event, employer_id)),
        }
        if await self.core.records.insert_rejection(doc):
            self.core.relay.kick(REJECTIONS, doc_id)
        log.warning("applications.employer_request.rejected", code=rejection.code)
        raise DeadLetter(f"rejected: {rejection.code}: {rejection.en}"[:1000])
