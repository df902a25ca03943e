"""Projections of identity's and jobs' facts, and the reactions they cause.

Seekers (facets): ``number`` (seeker number), ``office``, ``status`` (provisional | registered |
cancelled), ``validity`` (lapsed or not), ``profile`` (the public projection: age band and desired
conditions — never personal data), ``visibility`` (public/private, accepts direct requests).
Employers: ``registration`` (name, office, registered with a My Page), ``mypage`` (opened later).
Postings: ``snapshot`` (the revision's full snapshot and flags), ``status`` (open | closed |
expired), ``validity`` (last valid day).

Reactions, idempotent and order-safe: a cancelled registration withdraws the seeker's open
applications and expires their pending requests; a closed or expired posting expires its pending
requests and puts a note on each open application.
"""

from __future__ import annotations

from typing import Any, Literal

import structlog

from contracts.identity import (
    EmployerRegistered,
    MatchingProfile,
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
    PostingSnapshot,
)
from services.applications.core import Core
from services.applications.domain import seeker_state, sort_key
from services.applications.service_progress import ProgressService
from services.applications.service_requests import RequestService

log = structlog.get_logger()


def profile_fields(profile: MatchingProfile) -> dict[str, Any]:
    """The profile and the flat fields the employers' search filters on."""
    return {
        "profile": profile.model_dump(mode="json"),
        "p_occupations": list(profile.desired_occupations),
        "p_prefectures": sorted({p.prefecture for p in profile.desired_places}),
        "p_employment_types": list(profile.employment_types),
        "p_wage_min": profile.desired_wage_min,
        "p_wage_unit": profile.desired_wage_unit,
    }


def snapshot_fields(snapshot: PostingSnapshot) -> dict[str, Any]:
    return {
        "posting": snapshot.model_dump(mode="json"),
        "revision": snapshot.revision,
        "employer_id": snapshot.employer_id,
        "office_code": snapshot.office_code,
        "job_number": snapshot.job_number,
        "accepts_online_referral": snapshot.accepts_online_referral,
        "accepts_direct_application": snapshot.accepts_direct_application,
    }


class ProjectionService:
    def __init__(self, core: Core, *, progress: ProgressService, requests: RequestService) -> None:
        self.core = core
        self.repo = core.projections
        self.progress = progress
        self.requests = requests

    # --- seekers -------------------------------------------------------------------------------

    async def _seeker(self, seeker_id: str, version: int, facet: str, **fields: Any) -> None:
        await self.repo.apply_seeker(seeker_id, version, fields, facet=facet)

    async def seeker_registered(self, event: SeekerRegistered) -> None:
        sid, v = event.seeker_id, event.version
        await self._seeker(sid, v, "number", seeker_number=event.seeker_number)
        await self._seeker(sid, v, "office", office_code=event.office_code)
        await self._seeker(sid, v, "status", status=event.status)
        expires = event.expires_on.isoformat() if event.expires_on else None
        await self._seeker(sid, v, "validity", lapsed=False, expires_on=expires)

    async def seeker_confirmed(self, event: SeekerConfirmed) -> None:
        sid, v = event.seeker_id, event.version
        await self._seeker(sid, v, "number", seeker_number=event.seeker_number)
        await self._seeker(sid, v, "office", office_code=event.office_code)
        await self._seeker(sid, v, "status", status="registered")
        await self._seeker(
            sid, v, "validity", lapsed=False, expires_on=event.expires_on.isoformat()
        )

    async def profile_updated(self, event: SeekerProfileUpdated) -> None:
        sid, v = event.seeker_id, event.version
        await self._seeker(sid, v, "office", office_code=event.office_code)
        if event.status == "lapsed":
            await self._seeker(sid, v, "validity", lapsed=True)
        else:
            await self._seeker(sid, v, "status", status=event.status)
            if event.status != "cancelled":
                await self._seeker(sid, v, "validity", lapsed=False)
        now = self.core.now()
        await self.repo.apply_seeker(
            sid,
            v,
            {**profile_fields(event.profile), "profile_seq": sort_key(now, sid)},
            facet="profile",
        )
        await self._seeker(
            sid,
            v,
            "visibility",
            visibility=event.visibility,
            accepts_direct_requests=event.accepts_direct_requests,
        )
        if event.status == "cancelled":
            await self._after_cancellation(sid)

    async def visibility_changed(self, event: SeekerVisibilityChanged) -> None:
        await self._seeker(
            event.seeker_id,
            event.version,
            "visibility",
            visibility=event.visibility,
            accepts_direct_requests=event.accepts_direct_requests,
        )

    async def seeker_cancelled(self, event: SeekerCancelled) -> None:
        await self._seeker(
            event.seeker_id,
            event.version,
            "status",
            status="cancelled",
            cancelled_on=event.cancelled_on.isoformat(),
        )
        await self._after_cancellation(event.seeker_id)

    async def registration_lapsed(self, event: RegistrationLapsed) -> None:
        await self._seeker(event.seeker_id, event.version, "validity", lapsed=True)

    async def registration_extended(self, event: RegistrationExtended) -> None:
        await self._seeker(
            event.seeker_id,
            event.version,
            "validity",
            lapsed=False,
            expires_on=event.expires_on.isoformat(),
        )

    async def _after_cancellation(self, seeker_id: str) -> None:
        """Only when the projection (newest facts) says cancelled: a late cancellation event
        after a newer registration does nothing. Each step is idempotent."""
        if seeker_state(await self.repo.seeker(seeker_id)) != "cancelled":
            return
        for app in await self.core.records.open_applications(seeker_id=seeker_id):
            await self.progress.withdraw_for_cancellation(app["_id"])
        for request in await self.core.records.pending_requests(seeker_id=seeker_id):
            await self.requests.expire(request["_id"], "seeker_cancelled")
        log.info("applications.seeker.cancellation_applied", seeker_id=seeker_id)

    # --- employers -----------------------------------------------------------------------------

    async def employer_registered(self, event: EmployerRegistered) -> None:
        fields = {
            "name": event.name,
            "office_code": event.office_code,
            "establishment_number": event.establishment_number,
            "registered_with_mypage": event.has_mypage,
        }
        await self.repo.apply_employer(
            event.employer_id, event.version, fields, facet="registration"
        )

    async def mypage_opened(self, event: MypageOpened) -> None:
        if event.account_type != "employer" or not event.employer_id:
            return  # a seeker's My Page changes nothing here
        await self.repo.apply_employer(
            event.employer_id, event.version, {"mypage_opened": True}, facet="mypage"
        )

    # --- postings ------------------------------------------------------------------------------

    async def posting_published(self, event: PostingPublished) -> None:
        valid = event.posting.valid_until.isoformat()
        await self.repo.apply_posting_facets(
            event.job_id,
            event.version,
            {
                "snapshot": snapshot_fields(event.posting),
                "status": {"status": "open"},
                "validity": {"valid_until": valid},
            },
        )

    async def posting_changed(self, event: PostingChanged) -> None:
        job, v = event.job_id, event.version
        valid = event.posting.valid_until.isoformat()
        await self.repo.apply_posting_facets(
            job,
            v,
            {
                "snapshot": snapshot_fields(event.posting),
                "status": {"status": event.status},
                "validity": {"valid_until": valid},
            },
        )
        if event.status == "expired":
            await self._after_closing(job, "expired", v)

    async def posting_closed(self, event: PostingClosed) -> None:
        await self.repo.apply_posting(
            event.job_id, event.version, {"status": "closed"}, facet="status"
        )
        await self._after_closing(event.job_id, "closed", event.version)

    async def posting_expired(self, event: PostingExpired) -> None:
        job, v = event.job_id, event.version
        await self.repo.apply_posting(job, v, {"status": "expired"}, facet="status")
        valid = event.valid_until.isoformat()
        await self.repo.apply_posting(job, v, {"valid_until": valid}, facet="validity")
        await self._after_closing(job, "expired", v)

    async def posting_renewed(self, event: PostingRenewed) -> None:
        job, v = event.job_id, event.version
        await self.repo.apply_posting(job, v, {"status": "open"}, facet="status")
        valid = event.valid_until.isoformat()
        await self.repo.apply_posting(job, v, {"valid_until": valid}, facet="validity")

    async def _after_closing(
        self, job_id: str, reason: Literal["closed", "expired"], version: int
    ) -> None:
        """Only when the posting's newest status is still this one (a late closing event after
        a renewal does nothing)."""
        doc = await self.repo.posting_status(job_id)
        if doc is None or doc.get("status") != reason:
            return
        if int((doc.get("versions") or {}).get("status", 0)) != version:
            return
        why: Literal["posting_closed", "posting_expired"] = (
            "posting_closed" if reason == "closed" else "posting_expired"
        )
        for request in await self.core.records.pending_requests(job_id=job_id):
            await self.requests.expire(request["_id"], why)
        for app in await self.core.records.open_applications(job_id=job_id):
            await self.progress.note_posting_closed(app["_id"], reason, version)
        log.info("applications.posting.closing_applied", job_id=job_id, reason=reason)
