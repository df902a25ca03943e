"""Direct requests (リクエスト): an employer with an employer My Page sends one of its open postings
and a message to a seeker whose profile is public. At most once per seeker and posting, at most
``request_quota`` seekers per posting: a unique index on (posting, seeker) and one conditional
``$inc`` of the posting's counter decide both under concurrency. The same ``send`` serves the
HTTP API and employer systems over AMQP."""

from __future__ import annotations

import uuid
from typing import Literal

import structlog

from contracts.applications import RequestDeclined, RequestExpired, RequestSent
from servicekit import outbox
from servicekit.auth import Principal
from services.applications import access
from services.applications.core import Core, Decision, change, entry
from services.applications.domain import (
    AlreadyRequested,
    DirectApplicationNotAccepted,
    EmployerMypageRequired,
    EmployerUnknown,
    JobNotFound,
    NotPostingOwner,
    PostingClosed,
    ProfileNotPublic,
    RequestJobMismatch,
    RequestNotFound,
    RequestNotPending,
    RequestQuotaExceeded,
    RequestsNotAccepted,
    posting_state,
    seeker_state,
    sort_key,
)
from services.applications.repository import REQUESTS, Doc

log = structlog.get_logger()

ExpiryReason = Literal["posting_closed", "posting_expired", "seeker_cancelled"]


class RequestService:
    def __init__(self, core: Core) -> None:
        self.core = core

    # --- sending -------------------------------------------------------------------------------

    async def send(
        self,
        *,
        employer_id: str,
        seeker_id: str,
        job_id: str,
        message: str,
        via: Literal["http", "amqp"],
        client_reference: str | None = None,
    ) -> Doc:
        employer = await self.core.projections.employer(employer_id)
        if employer is None:
            raise EmployerUnknown()
        if not employer["has_mypage"]:
            raise EmployerMypageRequired()
        posting = await self.core.projections.posting(job_id)
        if posting is None:
            raise JobNotFound()
        if posting["employer_id"] != employer_id:
            raise NotPostingOwner()
        if posting_state(posting, self.core.today()) != "open":
            raise PostingClosed()
        if not posting.get("accepts_direct_application"):
            raise DirectApplicationNotAccepted()
        seeker = await self.core.projections.seeker(seeker_id)
        if (
            seeker_state(seeker) not in ("registered", "provisional")
            or (seeker or {}).get("visibility") != "public"
        ):
            raise ProfileNotPublic()
        assert seeker is not None
        if not seeker.get("accepts_direct_requests"):
            raise RequestsNotAccepted()

        if await self.core.records.requested(job_id, seeker_id):
            raise AlreadyRequested()
        limit = self.core.settings.request_quota
        if not await self.core.projections.take_request_slot(job_id, limit):
            raise RequestQuotaExceeded()
        request_id = uuid.uuid4().hex
        doc = self._build(request_id, employer, posting, seeker_id, message, via, client_reference)
        if not await self.core.records.insert_request(doc):  # the same seeker, in parallel
            await self.core.projections.return_request_slot(job_id)
            raise AlreadyRequested()
        self.core.relay.kick(REQUESTS, request_id)
        log.info("applications.request.sent", direct_request_id=request_id, job_id=job_id, via=via)
        doc.pop("outbox", None)
        return doc

    def _build(
        self,
        request_id: str,
        employer: Doc,
        posting: Doc,
        seeker_id: str,
        message: str,
        via: Literal["http", "amqp"],
        client_reference: str | None,
    ) -> Doc:
        now = self.core.now()
        snapshot = posting["posting"]
        event = RequestSent(
            request_id=request_id,
            seeker_id=seeker_id,
            employer_id=employer["_id"],
            employer_name=employer["name"],
            job_id=posting["_id"],
            job_number=snapshot["job_number"],
            title=snapshot["title"],
            message=message,
            via=via,
            client_reference=client_reference,
            sent_at=now,
            version=1,
        )
        by = ("employer", employer["_id"])
        return {
            "_id": request_id,
            "seq": sort_key(now, request_id),
            "seeker_id": seeker_id,
            "employer_id": employer["_id"],
            "employer_name": employer["name"],
            "job_id": posting["_id"],
            "job_number": snapshot["job_number"],
            "title": snapshot["title"],
            "revision": int(posting["revision"]),
            "message": message,
            "status": "pending",
            "version": 1,
            "via": via,
            "client_reference": client_reference,
            "sent_at": now,
            "application_id": None,
            "timeline": [entry(version=1, status="pending", action="sent", at=now, by=by)],
            **outbox.initial(self.core.envelope(event, request_id)),
        }

    def quota(self, posting: Doc) -> dict[str, int]:
        limit = self.core.settings.request_quota
        used = int(posting.get("requests_used") or 0)
        return {"limit": limit, "used": used, "remaining": max(limit - used, 0)}

    # --- the seeker's side ---------------------------------------------------------------------

    async def answerable(self, seeker_id: str, request_id: str, job_id: str) -> Doc:
        request = await self.core.records.get(REQUESTS, request_id)
        if request is None or request["seeker_id"] != seeker_id:
            raise RequestNotFound()
        if request["job_id"] != job_id:
            raise RequestJobMismatch()
        if request["status"] != "pending":
            raise RequestNotPending()
        return request

    async def mark_answered(self, request: Doc, application_id: str) -> None:
        """The seeker applied with this request: it is answered (no event of its own — the
        application's submitted event names the request)."""
        at = self.core.now()

        async def build(doc: Doc) -> Decision | None:
            if doc["status"] != "pending":
                return None
            fields = {"status": "answered", "application_id": application_id, "answered_at": at}
            step = entry(
                version=doc["version"] + 1,
                status="answered",
                action="answered",
                at=at,
                by=("seeker", doc["seeker_id"]),
                application_id=application_id,
            )
            return fields, step, []

        if (
            await change(self.core, REQUESTS, request["_id"], build, missing=RequestNotFound)
            is None
        ):
            log.warning("applications.request.answer_late", direct_request_id=request["_id"])

    async def decline(self, principal: Principal, request_id: str) -> Doc:
        seeker_id = access.seeker_id(principal)
        at = self.core.now()

        async def build(doc: Doc) -> Decision | None:
            if doc["seeker_id"] != seeker_id:
                raise RequestNotFound()
            if doc["status"] != "pending":
                raise RequestNotPending()
            version = doc["version"] + 1
            event = RequestDeclined(
                request_id=doc["_id"],
                seeker_id=seeker_id,
                employer_id=doc["employer_id"],
                job_id=doc["job_id"],
                version=version,
            )
            step = entry(
                version=version,
                status="declined",
                action="declined",
                at=at,
                by=("seeker", seeker_id),
            )
            return {"status": "declined", "declined_at": at}, step, [event]

        result = await change(self.core, REQUESTS, request_id, build, missing=RequestNotFound)
        assert result is not None
        return result

    async def expire(self, request_id: str, reason: ExpiryReason) -> None:
        at = self.core.now()

        async def build(doc: Doc) -> Decision | None:
            if doc["status"] != "pending":
                return None  # answered, declined or expired already: nothing to do
            version = doc["version"] + 1
            event = RequestExpired(
                request_id=doc["_id"],
                seeker_id=doc["seeker_id"],
                employer_id=doc["employer_id"],
                job_id=doc["job_id"],
                reason=reason,
                version=version,
            )
            step = entry(
                version=version, status="expired", action=reason, at=at, by=("system", reason)
            )
            return {"status": "expired", "expired_reason": reason}, step, [event]

        await change(self.core, REQUESTS, request_id, build, missing=RequestNotFound)
