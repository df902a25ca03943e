"""Applying (応募): online referral (waits for the office) or online self-application (straight to
the employer), optionally answering a direct request."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Literal

import structlog

from contracts.applications import ApplicationSubmitted
from servicekit import outbox
from servicekit.auth import Principal
from services.applications import access
from services.applications.core import Core, entry
from services.applications.domain import (
    AlreadyApplied,
    ApplicationPending,
    DirectApplicationNotAccepted,
    JobNotFound,
    PostingClosed,
    ProvisionalSeeker,
    ReferralNotAccepted,
    RegistrationLapsed,
    SeekerCancelled,
    SeekerUnknown,
    is_final,
    posting_state,
    seeker_state,
    sort_key,
)
from services.applications.repository import APPLICATIONS, Doc
from services.applications.service_requests import RequestService

log = structlog.get_logger()

Route = Literal["referral", "direct"]


# a claim whose application is missing for this long was left by a process that stopped between
# its two writes
ORPHAN_AFTER = timedelta(seconds=30)
# how long a request that finds a fresh claim waits for the parallel request's insert (2 s)
INSERT_WAIT_STEP = 0.05
INSERT_WAIT_STEPS = 40


def apply_claim(seeker_id: str, job_id: str) -> str:
    return f"apply:{seeker_id}:{job_id}"


class ApplyService:
    def __init__(self, core: Core, requests: RequestService) -> None:
        self.core = core
        self.requests = requests

    async def submit(
        self,
        principal: Principal,
        *,
        job_id: str,
        route: Route,
        motivation: str,
        request_id: str | None = None,
    ) -> Doc:
        seeker_id = access.seeker_id(principal)
        seeker = await self.core.projections.seeker(seeker_id)
        state = seeker_state(seeker)
        if state == "unknown" or seeker is None:
            raise SeekerUnknown()
        if state == "cancelled":
            raise SeekerCancelled()
        if state == "lapsed":
            raise RegistrationLapsed()
        if route == "referral" and state == "provisional":
            raise ProvisionalSeeker()
        posting = await self.core.projections.posting(job_id)
        if posting is None:
            raise JobNotFound()
        if posting_state(posting, self.core.today()) != "open":
            raise PostingClosed()
        if route == "referral" and not posting.get("accepts_online_referral"):
            raise ReferralNotAccepted()
        if route == "direct" and not posting.get("accepts_direct_application"):
            raise DirectApplicationNotAccepted()
        request = None
        if request_id is not None:
            request = await self.requests.answerable(seeker_id, request_id, job_id)

        application_id = uuid.uuid4().hex
        doc = self._build(application_id, seeker, posting, route, motivation, request_id)
        claim = apply_claim(seeker_id, job_id)
        if not await self.core.records.insert_application(doc, claim):
            freed = await self._release_if_ended(claim)
            if freed is None:  # a fresh claim whose application does not exist (yet)
                raise ApplicationPending(headers={"Retry-After": "5"})
            if not freed:
                raise AlreadyApplied()
            if not await self.core.records.insert_application(doc, claim):
                raise AlreadyApplied()
        self.core.relay.kick(APPLICATIONS, application_id)
        log.info(
            "applications.application.submitted",
            application_id=application_id,
            route=route,
            job_id=job_id,
        )
        if request is not None:
            await self.requests.mark_answered(request, application_id)
        doc.pop("outbox", None)
        return doc

    async def _release_if_ended(self, claim: str) -> bool | None:
        """A claim is released when its application ends; one still held by an ended
        application (the process stopped between the two writes), or by an application that
        was never written (the process stopped between the claim and the insert, at least
        ``ORPHAN_AFTER`` ago), is released now. True when the claim is free to take again, False
        when a live application holds it, None when it is younger than ``ORPHAN_AFTER`` and its
        application does not exist: being inserted right now, or lost with a killed process (the
        client is told to retry, never that it has applied)."""
        held = await self.core.store.claim_of(claim)
        if held is None:
            return True  # released meanwhile
        other = await self.core.records.get(APPLICATIONS, held["application_id"])
        at = held.get("at")
        if other is None and at is not None and at > self.core.now() - ORPHAN_AFTER:
            # its application is being inserted right now (a parallel request: wait for it, a
            # few milliseconds as a rule), or was lost with a killed process
            other = await self._await_insert(held["application_id"])
            if other is None:
                return None
        if other is not None and not is_final(other["status"]):
            return False
        await self.core.store.release(claim, application_id=held["application_id"])
        return True

    async def _await_insert(self, application_id: str) -> Doc | None:
        for _ in range(INSERT_WAIT_STEPS):
            await asyncio.sleep(INSERT_WAIT_STEP)
            other = await self.core.records.get(APPLICATIONS, application_id)
            if other is not None:
                return other
        return None

    def _build(
        self,
        application_id: str,
        seeker: Doc,
        posting: Doc,
        route: Route,
        motivation: str,
        request_id: str | None,
    ) -> Doc:
        now = self.core.now()
        today = self.core.today()
        snapshot = posting["posting"]
        status = "referral_requested" if route == "referral" else "applied"
        seeker_id = seeker["_id"]
        event = ApplicationSubmitted(
            application_id=application_id,
            seeker_id=seeker_id,
            seeker_number=seeker.get("seeker_number"),
            employer_id=posting["employer_id"],
            job_id=posting["_id"],
            job_number=snapshot["job_number"],
            title=snapshot["title"],
            revision=int(posting["revision"]),
            route=route,
            status=status,
            office_code=seeker["office_code"],
            submitted_on=today,
            request_id=request_id,
            version=1,
        )
        first = entry(
            version=1,
            status=status,
            action="submitted",
            at=now,
            by=("seeker", seeker_id),
            request_id=request_id,
        )
        return {
            "_id": application_id,
            "seq": sort_key(now, application_id),
            "seeker_id": seeker_id,
            "seeker_number": seeker.get("seeker_number"),
            "office_code": seeker["office_code"],
            "employer_id": posting["employer_id"],
            "employer_name": snapshot.get("employer_name"),
            "job_id": posting["_id"],
            "job_number": snapshot["job_number"],
            "title": snapshot["title"],
            "revision": int(posting["revision"]),
            "posting": snapshot,
            "route": route,
            "request_id": request_id,
            "motivation": motivation,
            "status": status,
            "version": 1,
            "employer_visible": route == "direct",
            "submitted_at": now,
            "submitted_on": today.isoformat(),
            "updated_at": now,
            "timeline": [first],
            "referral": None,
            **outbox.initial(self.core.envelope(event, application_id)),
        }
