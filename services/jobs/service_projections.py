"""Projections of identity's facts: employers (name, office, employer My Page) and seekers
(office, provisional/registered/cancelled, matching profile). Every write goes through
``apply_if_newer`` with a facet per kind of fact, so repeats and late arrivals never win."""

from __future__ import annotations

import structlog

from contracts.identity import (
    EmployerRegistered,
    MypageOpened,
    SeekerCancelled,
    SeekerConfirmed,
    SeekerProfileUpdated,
    SeekerRegistered,
    SeekerVisibilityChanged,
)
from services.jobs.repository_lists import ListsRepository
from services.jobs.repository_projections import ProjectionsRepository
from services.jobs.repository_search import EngineUnavailable
from services.jobs.service_indexing import IndexingService

log = structlog.get_logger()


class ProjectionService:
    def __init__(
        self,
        *,
        projections: ProjectionsRepository,
        lists: ListsRepository,
        indexing: IndexingService,
    ) -> None:
        self.repo = projections
        self.lists = lists
        self.indexing = indexing

    # --- employers -----------------------------------------------------------------------------

    async def employer_registered(self, event: EmployerRegistered) -> None:
        fields = {
            "name": event.name,
            "office_code": event.office_code,
            "industry": event.industry,
            "establishment_number": event.establishment_number,
            "registered_with_mypage": event.has_mypage,
        }
        await self.repo.apply_employer(
            event.employer_id, event.version, fields, facet="registration"
        )

    async def mypage_opened(self, event: MypageOpened) -> None:
        if event.account_type != "employer" or not event.employer_id:
            return  # a seeker's My Page changes nothing here
        # the account's version, not the establishment's: a facet of its own
        await self.repo.apply_employer(
            event.employer_id, event.version, {"mypage_opened": True}, facet="mypage"
        )

    # --- seekers -------------------------------------------------------------------------------

    async def seeker_registered(self, event: SeekerRegistered) -> None:
        sid, v = event.seeker_id, event.version
        await self.repo.apply_seeker(sid, v, {"office_code": event.office_code}, facet="office")
        await self.repo.apply_seeker(sid, v, {"status": event.status}, facet="status")

    async def seeker_confirmed(self, event: SeekerConfirmed) -> None:
        sid, v = event.seeker_id, event.version
        await self.repo.apply_seeker(sid, v, {"office_code": event.office_code}, facet="office")
        await self.repo.apply_seeker(sid, v, {"status": "registered"}, facet="status")

    async def profile_updated(self, event: SeekerProfileUpdated) -> None:
        sid, v = event.seeker_id, event.version
        await self.repo.apply_seeker(sid, v, {"office_code": event.office_code}, facet="office")
        await self.repo.apply_seeker(sid, v, {"status": event.status}, facet="status")
        await self.repo.apply_seeker(
            sid, v, {"profile": event.profile.model_dump(mode="json")}, facet="profile"
        )
        await self.repo.apply_seeker(sid, v, {"visibility": event.visibility}, facet="visibility")
        if event.status == "cancelled":
            await self._clear(sid)

    async def visibility_changed(self, event: SeekerVisibilityChanged) -> None:
        await self.repo.apply_seeker(
            event.seeker_id, event.version, {"visibility": event.visibility}, facet="visibility"
        )

    async def seeker_cancelled(self, event: SeekerCancelled) -> None:
        await self.repo.apply_seeker(
            event.seeker_id,
            event.version,
            {"status": "cancelled", "cancelled_on": event.cancelled_on.isoformat()},
            facet="status",
        )
        seeker = await self.repo.seeker(event.seeker_id)
        if seeker is not None and seeker.get("status") == "cancelled":
            await self._clear(event.seeker_id)

    async def _clear(self, seeker_id: str) -> None:
        """A cancelled registration keeps no saved searches or favourites (idempotent)."""
        await self.lists.clear(seeker_id)
        try:  # their stored queries too; matches are checked against MongoDB anyway
            await self.indexing.seeker_cleared(seeker_id)
        except EngineUnavailable as exc:
            log.warning("jobs.search.saved_searches_left", seeker_id=seeker_id, error=str(exc))
        log.info("jobs.seeker.lists_cleared", seeker_id=seeker_id)
