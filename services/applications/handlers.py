"""Consumers (queue ``applications.events``): identity's and jobs' facts feed the projections
(service_projections), and the service's own answers to employer systems are forwarded to the
``employer.replies`` exchange, routing key = employer id. Every handler is idempotent."""

from __future__ import annotations

from faststream.rabbit import ExchangeType, RabbitExchange

from contracts import Envelope
from contracts.applications import RequestRejected, RequestSent
from contracts.identity import (
    EmployerRegistered,
    MypageOpened,
    RegistrationExtended,
    RegistrationLapsed,
    SeekerCancelled,
    SeekerConfirmed,
    SeekerProfileUpdated,
    SeekerRegistered,
    SeekerVisibilityChanged,
)
from contracts.jobs import (
    PostingChanged,
    PostingClosed,
    PostingExpired,
    PostingPublished,
    PostingRenewed,
)
from servicekit.bus import Bus
from services.applications.service_projections import ProjectionService


class EventHandlers:
    def __init__(self, *, projections: ProjectionService, bus: Bus) -> None:
        self.projections = projections
        self.bus = bus

    # --- identity ------------------------------------------------------------------------------

    async def on_seeker_registered(self, event: SeekerRegistered, _: Envelope) -> None:
        await self.projections.seeker_registered(event)

    async def on_seeker_confirmed(self, event: SeekerConfirmed, _: Envelope) -> None:
        await self.projections.seeker_confirmed(event)

    async def on_profile_updated(self, event: SeekerProfileUpdated, _: Envelope) -> None:
        await self.projections.profile_updated(event)

    async def on_visibility_changed(self, event: SeekerVisibilityChanged, _: Envelope) -> None:
        await self.projections.visibility_changed(event)

    async def on_seeker_cancelled(self, event: SeekerCancelled, _: Envelope) -> None:
        await self.projections.seeker_cancelled(event)

    async def on_registration_lapsed(self, event: RegistrationLapsed, _: Envelope) -> None:
        await self.projections.registration_lapsed(event)

    async def on_registration_extended(self, event: RegistrationExtended, _: Envelope) -> None:
        await self.projections.registration_extended(event)

    async def on_employer_registered(self, event: EmployerRegistered, _: Envelope) -> None:
        await self.projections.employer_registered(event)

    async def on_mypage_opened(self, event: MypageOpened, _: Envelope) -> None:
        await self.projections.mypage_opened(event)

    # --- jobs ----------------------------------------------------------------------------------

    async def on_posting_published(self, event: PostingPublished, _: Envelope) -> None:
        await self.projections.posting_published(event)

    async def on_posting_changed(self, event: PostingChanged, _: Envelope) -> None:
        await self.projections.posting_changed(event)

    async def on_posting_closed(self, event: PostingClosed, _: Envelope) -> None:
        await self.projections.posting_closed(event)

    async def on_posting_expired(self, event: PostingExpired, _: Envelope) -> None:
        await self.projections.posting_expired(event)

    async def on_posting_renewed(self, event: PostingRenewed, _: Envelope) -> None:
        await self.projections.posting_renewed(event)

    # --- our own answers to employer systems ---------------------------------------------------

    async def on_request_rejected(self, event: RequestRejected, envelope: Envelope) -> None:
        await self._forward(envelope, event.employer_id, event.client_reference)

    async def on_request_sent(self, event: RequestSent, envelope: Envelope) -> None:
        if event.via == "amqp":  # an employer system learns the request id of its message
            await self._forward(envelope, event.employer_id, event.client_reference)

    async def _forward(
        self, envelope: Envelope, employer_id: str, client_reference: str | None
    ) -> None:
        """At least once (the employer system drops repeats by message id = event id). An
        employer without a reply queue: the message goes to ``hataraku.unrouted``."""
        headers = {"employer_id": employer_id}
        if client_reference:
            headers["client_reference"] = client_reference
        await self.bus.publish_raw(
            envelope.model_dump_json().encode(),
            message_type=envelope.type,
            message_id=str(envelope.id),
            correlation_id=envelope.correlation_id,
            exchange=replies_exchange(self.bus),
            routing_key=employer_id,
            headers=headers,
        )


def replies_exchange(bus: Bus) -> RabbitExchange:
    return RabbitExchange(
        f"{bus.topology.prefix}employer.replies",
        type=ExchangeType.DIRECT,
        durable=True,
        arguments={"alternate-exchange": bus.topology.unrouted.name},
    )
