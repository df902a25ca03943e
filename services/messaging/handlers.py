"""Consumers (queue ``messaging.events``): identity's employer and seeker facts, applications'
application and request facts. Each handler is idempotent (facts and messages are inserted with
ids derived from the event) and order-safe (facts are combined, whatever arrives first)."""

from __future__ import annotations

from contracts import Envelope
from contracts.applications import (
    ApplicationPostingClosed,
    ApplicationStatusChanged,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    ReferralDeclined,
    ReferralIssued,
    RequestDeclined,
    RequestExpired,
    RequestSent,
)
from contracts.identity import (
    EmployerRegistered,
    MypageOpened,
    SeekerCancelled,
    SeekerConfirmed,
    SeekerRegistered,
)
from services.messaging import system_texts
from services.messaging.domain import conversation_id
from services.messaging.service_lifecycle import LifecycleService, request_base
from services.messaging.service_projections import ProjectionService


class EventHandlers:
    def __init__(self, *, projections: ProjectionService, lifecycle: LifecycleService) -> None:
        self.projections = projections
        self.lifecycle = lifecycle

    # --- identity -------------------------------------------------------------------------------

    async def on_employer_registered(self, event: EmployerRegistered, _: Envelope) -> None:
        await self.projections.employer_registered(event)

    async def on_mypage_opened(self, event: MypageOpened, _: Envelope) -> None:
        await self.projections.mypage_opened(event)

    async def on_seeker_registered(self, event: SeekerRegistered, _: Envelope) -> None:
        await self.projections.seeker_registered(event)

    async def on_seeker_confirmed(self, event: SeekerConfirmed, _: Envelope) -> None:
        await self.projections.seeker_confirmed(event)

    async def on_seeker_cancelled(self, event: SeekerCancelled, env: Envelope) -> None:
        await self.lifecycle.seeker_cancelled(event.seeker_id, at=env.occurred_at)

    # --- applications ---------------------------------------------------------------------------

    async def on_application_submitted(self, event: ApplicationSubmitted, _: Envelope) -> None:
        await self.lifecycle.record_base(
            conversation_id(application_id=event.application_id),
            {
                "kind": "application",
                "application_id": event.application_id,
                "seeker_id": event.seeker_id,
                "employer_id": event.employer_id,
                "job_id": event.job_id,
                "title": event.title,
                "route": event.route,
                "seeker_number": event.seeker_number,
                "office_code": event.office_code,
            },
        )

    async def on_referral_issued(self, event: ReferralIssued, env: Envelope) -> None:
        """Through the office the employer gets the application only now: the conversation
        opens with the letter."""
        cid = conversation_id(application_id=event.application_id)
        await self.lifecycle.record_reachable(cid, event.employer_id)
        await self.lifecycle.post_system(
            cid,
            event_id=str(env.id),
            occurred_at=env.occurred_at,
            text=system_texts.referral_issued(event),
            recipients_of="staff",
        )

    async def on_referral_declined(self, event: ReferralDeclined, env: Envelope) -> None:
        await self.lifecycle.record_state(
            conversation_id(application_id=event.application_id),
            version=event.version,
            status="declined",
            at=env.occurred_at,
        )

    async def on_status_changed(self, event: ApplicationStatusChanged, env: Envelope) -> None:
        cid = conversation_id(application_id=event.application_id)
        await self.lifecycle.record_state(
            cid, version=event.version, status=event.to_status, at=env.occurred_at
        )
        text = system_texts.status_changed(event)
        if text is not None:
            await self.lifecycle.post_system(
                cid,
                event_id=str(env.id),
                occurred_at=env.occurred_at,
                text=text,
                recipients_of=event.by_role,
            )

    async def on_withdrawn(self, event: ApplicationWithdrawn, env: Envelope) -> None:
        cid = conversation_id(application_id=event.application_id)
        await self.lifecycle.record_state(
            cid, version=event.version, status="withdrawn", at=env.occurred_at
        )
        await self.lifecycle.post_system(
            cid,
            event_id=str(env.id),
            occurred_at=env.occurred_at,
            text=system_texts.withdrawn(event),
            recipients_of=event.by_role,
        )

    async def on_posting_closed(self, event: ApplicationPostingClosed, env: Envelope) -> None:
        await self.lifecycle.post_system(
            conversation_id(application_id=event.application_id),
            event_id=str(env.id),
            occurred_at=env.occurred_at,
            text=system_texts.posting_closed(event),
            recipients_of="system",
        )

    async def on_request_sent(self, event: RequestSent, _: Envelope) -> None:
        await self.lifecycle.record_base(
            conversation_id(request_id=event.request_id),
            request_base(
                request_id=event.request_id,
                seeker_id=event.seeker_id,
                employer_id=event.employer_id,
                employer_name=event.employer_name,
                job_id=event.job_id,
                title=event.title,
                message=event.message,
                sent_at=event.sent_at,
            ),
        )

    async def on_request_declined(self, event: RequestDeclined, env: Envelope) -> None:
        cid = conversation_id(request_id=event.request_id)
        await self.lifecycle.record_state(
            cid, version=event.version, status="declined", at=env.occurred_at
        )
        await self.lifecycle.post_system(
            cid,
            event_id=str(env.id),
            occurred_at=env.occurred_at,
            text=system_texts.request_declined(event),
            recipients_of="seeker",
        )

    async def on_request_expired(self, event: RequestExpired, env: Envelope) -> None:
        cid = conversation_id(request_id=event.request_id)
        await self.lifecycle.record_state(
            cid, version=event.version, status="expired", at=env.occurred_at
        )
        await self.lifecycle.post_system(
            cid,
            event_id=str(env.id),
            occurred_at=env.occurred_at,
            text=system_texts.request_expired(event),
            recipients_of="system",
        )
