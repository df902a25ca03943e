"""Consumers (queues ``jobs.events``, ``jobs.matching`` and ``jobs.search``): each validates
nothing itself (the consumer machinery did) and calls one use case. Every handler is idempotent
and order-safe."""

from __future__ import annotations

from contracts import Envelope
from contracts.identity import (
    EmployerRegistered,
    MypageOpened,
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
from services.jobs.service_indexing import IndexingService
from services.jobs.service_matches import MatchService
from services.jobs.service_projections import ProjectionService

PostingEvent = PostingPublished | PostingChanged | PostingClosed | PostingExpired | PostingRenewed


class EventHandlers:
    def __init__(
        self, *, projections: ProjectionService, matches: MatchService, indexing: IndexingService
    ) -> None:
        self.projections = projections
        self.matches = matches
        self.indexing = indexing

    async def on_employer_registered(self, event: EmployerRegistered, _: Envelope) -> None:
        await self.projections.employer_registered(event)

    async def on_mypage_opened(self, event: MypageOpened, _: Envelope) -> None:
        await self.projections.mypage_opened(event)

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

    async def on_posting_published(self, event: PostingPublished, _: Envelope) -> None:
        """Our own event: matching runs after the posting is safely stored and announced."""
        await self.matches.posting_published(job_id=event.job_id)

    async def on_posting_event(self, event: PostingEvent, _: Envelope) -> None:
        """Our own events: the search index follows the posting (its current state, read from
        MongoDB, at its version)."""
        await self.indexing.posting_event(job_id=event.job_id)
