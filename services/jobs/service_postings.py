"""Use cases of a posting: create, publish a draft, read, list, change (a new revision); close,
renew and expire are in service_lifecycle.py (``PostingLifecycle``, with the write they share)."""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from contracts.jobs import PostingChanged, PostingPublished
from servicekit.auth import Principal
from servicekit.errors import DomainError, Forbidden
from services.jobs import documents
from services.jobs.access import actor, check_office, check_posting
from services.jobs.criteria import decode_cursor, encode_cursor
from services.jobs.domain import (
    DirectApplicationNeedsMypage,
    EmployerIdRequired,
    EmployerNotFound,
    JobNotFound,
    MypageRequired,
    NotADraft,
    NotOwner,
    PostingClosedError,
    effective_status,
    end_of_month_after_next,
    expires_at,
    today_jst,
)
from services.jobs.minimum_wage import check_minimum_wage
from services.jobs.repository import Doc
from services.jobs.schemas import PostingChange, PostingCreate, PostingFields
from services.jobs.service_lifecycle import CAS_ATTEMPTS, ConcurrentChange, PostingLifecycle, ms

log = structlog.get_logger()


class PostingService(PostingLifecycle):
    # --- create --------------------------------------------------------------------------------

    async def employer_for(self, principal: Principal, employer_id: str | None) -> Doc:
        """The employer a new posting is for: the employer's own (with an employer My Page), or
        one of the staff member's office."""
        if principal.role == "employer":
            if not principal.employer_id:
                raise Forbidden()
            if employer_id and employer_id != principal.employer_id:
                raise NotOwner()
            employer = await self.projections.employer(principal.employer_id)
            if employer is None:
                raise EmployerNotFound()
            if not employer["has_mypage"]:
                raise MypageRequired()
            return employer
        if not principal.is_staff:
            raise Forbidden()
        if not employer_id:
            raise EmployerIdRequired()
        employer = await self.projections.employer(employer_id)
        if employer is None:
            raise EmployerNotFound()
        check_office(principal, employer["office_code"])
        return employer

    async def create(self, *, principal: Principal, body: PostingCreate) -> Doc:
        employer = await self.employer_for(principal, body.employer_id)
        if not body.draft:  # a draft is checked when it is published
            check_minimum_wage(body.model_dump(mode="json"))
        if body.accepts_direct_application and not employer["has_mypage"]:
            raise DirectApplicationNeedsMypage()
        serial = await self.postings.next_job_number(employer["office_code"])
        now = ms(self.clock.now())
        doc = documents.new_posting(
            job_id=uuid.uuid4().hex,
            job_number=f"{employer['office_code']}-{serial:08d}",
            employer=employer,
            body=body.model_dump(mode="json", exclude={"employer_id", "draft"}),
            now=now,
            valid_until=end_of_month_after_next(today_jst(now)),
            draft=body.draft,
        )
        if body.draft:
            await self.postings.insert(doc)
            log.info("jobs.posting.drafted", job_id=doc["_id"], by=actor(principal))
            return doc
        event = PostingPublished(job_id=doc["_id"], version=1, posting=documents.snapshot(doc))
        await self.postings.insert(doc, self._envelope(event, doc["_id"]))
        self.relay.kick("postings", doc["_id"])
        log.info(
            "jobs.posting.published",
            job_id=doc["_id"],
            job_number=doc["job_number"],
            by=actor(principal),
        )
        return doc

    # --- read ----------------------------------------------------------------------------------

    async def view(self, *, job_id: str, principal: Principal | None = None) -> Doc:
        """Anyone reads a published posting; a draft only its owner and its office's staff
        (to anyone else it does not exist)."""
        doc = await self.load(job_id)
        if doc["status"] == "draft":
            if principal is None:
                raise JobNotFound()
            try:
                check_posting(principal, doc)
            except DomainError:
                raise JobNotFound() from None
        return documents.public_view(doc, self.clock.now())

    async def publish(self, *, principal: Principal, job_id: str) -> Doc:
        """A draft published: open from now, valid to the end of the month after next, the
        ``jobs.posting.published.v1`` event. Publishing a published posting changes nothing."""
        for _ in range(CAS_ATTEMPTS):
            doc = await self.load(job_id)
            check_posting(principal, doc)
            now = ms(self.clock.now())
            if doc["status"] != "draft":
                raise NotADraft()
            check_minimum_wage(doc["body"])
            if doc["body"]["accepts_direct_application"]:
                employer = await self.projections.employer(doc["employer_id"])
                if employer is None or not employer["has_mypage"]:
                    raise DirectApplicationNeedsMypage()
            valid_until = end_of_month_after_next(today_jst(now))
            set_ = {
                "status": "open",
                "published_at": now,
                "revised_at": now,
                "updated_at": now,
                "valid_until": valid_until.isoformat(),
                "expires_at": expires_at(valid_until),
            }
            after = {**doc, **set_}
            event = PostingPublished(
                job_id=job_id, version=doc["version"] + 1, posting=documents.snapshot(after)
            )
            if await self._write(doc, set_, event, expect={"status": "draft"}):
                log.info("jobs.posting.published", job_id=job_id, by=actor(principal))
                return documents.public_view({**after, "version": doc["version"] + 1}, now)
        raise ConcurrentChange()

    async def delete_draft(self, *, principal: Principal, job_id: str) -> None:
        """A draft deleted by its owner or its office's staff (to anyone else it does not exist);
        a published posting is closed, never deleted (409). No event: a draft announced nothing."""
        for _ in range(CAS_ATTEMPTS):
            doc = await self.load(job_id)
            try:
                check_posting(principal, doc)
            except DomainError:
                raise JobNotFound() from None
            if doc["status"] != "draft":
                raise NotADraft()
            if await self.postings.delete_draft(job_id, doc["version"]):
                log.info("jobs.posting.draft_deleted", job_id=job_id, by=actor(principal))
                return
        raise ConcurrentChange()

    async def revisions(self, *, principal: Principal, job_id: str) -> Doc:
        doc = await self.load(job_id, bulk=True)
        check_posting(principal, doc)
        current = {
            "revision": doc["revision"],
            "revised_at": doc["revised_at"],
            "changed_fields": doc["changed_fields"],
            "posting": documents.snapshot(doc).model_dump(mode="json"),
        }
        items = sorted([current, *doc["history"]], key=lambda r: -int(r["revision"]))
        return {"job_id": job_id, "current_revision": doc["revision"], "items": items}

    async def list_own(
        self, *, principal: Principal, employer_id: str | None, limit: int, cursor: str | None
    ) -> Doc:
        """An employer's postings in every status (the employer's own, or staff for their office)."""
        if principal.role == "employer":
            if not principal.employer_id or (employer_id and employer_id != principal.employer_id):
                raise NotOwner()
            employer_id = principal.employer_id
        else:
            if not principal.is_staff:
                raise Forbidden()
            if not employer_id:
                raise EmployerIdRequired()
            employer = await self.projections.employer(employer_id)
            if employer is None:
                raise EmployerNotFound()
            check_office(principal, employer["office_code"])
        keyset = decode_cursor("new", cursor) if cursor else None
        docs = await self.postings.by_employer(employer_id, keyset, limit + 1)
        now = self.clock.now()
        page = docs[:limit]
        return {
            "items": [documents.summary(d, now) for d in page],
            "next_cursor": encode_cursor("new", page[-1]) if len(docs) > limit else None,
        }

    # --- change --------------------------------------------------------------------------------

    async def change(self, *, principal: Principal, job_id: str, change: PostingChange) -> Doc:
        for _ in range(CAS_ATTEMPTS):
            doc = await self.load(job_id)
            check_posting(principal, doc)
            now = ms(self.clock.now())
            status = effective_status(doc, now)
            if status == "closed":
                raise PostingClosedError()
            body = self._merged(doc["body"], change.changes())
            changed = sorted(k for k in body if body[k] != doc["body"].get(k))
            if not changed:
                return documents.public_view(doc, now)
            if status == "draft":
                if await self._change_draft(doc, body, now):
                    return documents.public_view({**doc, "body": body, "updated_at": now}, now)
                continue
            check_minimum_wage(body)
            if body["accepts_direct_application"] and not doc["body"]["accepts_direct_application"]:
                employer = await self.projections.employer(doc["employer_id"])
                if employer is None or not employer["has_mypage"]:
                    raise DirectApplicationNeedsMypage()
            set_ = {
                "body": body,
                "revision": doc["revision"] + 1,
                "revised_at": now,
                "updated_at": now,
                "changed_fields": changed,
                **documents.search_fields(body, employer_name=doc["employer_name"]),
            }
            after = {**doc, **set_}
            history = {
                "revision": doc["revision"],
                "revised_at": doc["revised_at"],
                "changed_fields": doc["changed_fields"],
                "posting": documents.snapshot(doc).model_dump(mode="json"),
            }
            event = PostingChanged(
                job_id=job_id,
                version=doc["version"] + 1,
                revision=after["revision"],
                changed_fields=tuple(changed),
                status="expired" if status == "expired" else "open",
                posting=documents.snapshot(after),
            )
            if await self.postings.update(
                job_id,
                expect={"version": doc["version"]},
                set_=set_,
                events=[self._envelope(event, job_id)],
                history=history,
            ):
                self.relay.kick("postings", job_id)
                log.info("jobs.posting.changed", job_id=job_id, revision=after["revision"])
                return documents.public_view({**after, "version": doc["version"] + 1}, now)
        raise ConcurrentChange()

    async def _change_draft(self, doc: Doc, body: Doc, now: datetime) -> bool:
        """A draft changes in place: no revision, no history, no event."""
        set_ = {
            "body": body,
            "updated_at": now,
            **documents.search_fields(body, employer_name=doc["employer_name"]),
        }
        return await self.postings.update(doc["_id"], expect={"version": doc["version"]}, set_=set_)

    @staticmethod
    def _merged(body: Doc, changes: Doc) -> Doc:
        try:
            merged = PostingFields.model_validate({**body, **changes})
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from exc
        return merged.model_dump(mode="json")
