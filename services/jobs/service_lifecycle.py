"""A posting's writes: the conditional update with its event in the same document (``_write``)
and the lifecycle use cases built on it — close, renew, expire. ``PostingService``
(service_postings.py) adds create, read and change."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import structlog

from contracts import Message
from contracts.jobs import PostingClosed, PostingExpired, PostingRenewed
from servicekit import outbox
from servicekit.auth import Principal
from servicekit.clock import Clock
from servicekit.errors import Conflict
from servicekit.outbox import OutboxRelay
from services.jobs import documents
from services.jobs.access import actor, check_posting
from services.jobs.domain import (
    DraftNotAllowed,
    JobNotFound,
    PostingClosedError,
    effective_status,
    end_of_month_after_next,
    expires_at,
    today_jst,
)
from services.jobs.repository import Doc
from services.jobs.repository_postings import PostingsRepository
from services.jobs.repository_projections import ProjectionsRepository

log = structlog.get_logger()

PRODUCER = "jobs"
CAS_ATTEMPTS = 3


class ConcurrentChange(Conflict):
    code = "concurrent_change"
    ja = "ほかの操作と重なりました。もう一度お試しください。"
    en = "The posting was changed at the same time; try again."


def ms(now: datetime) -> datetime:
    """MongoDB keeps milliseconds: cut the rest so events and documents agree."""
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class PostingLifecycle:
    def __init__(
        self,
        *,
        postings: PostingsRepository,
        projections: ProjectionsRepository,
        clock: Clock,
        relay: OutboxRelay,
    ) -> None:
        self.postings = postings
        self.projections = projections
        self.clock = clock
        self.relay = relay

    def _envelope(self, message: Message, job_id: str) -> Any:
        return outbox.envelope(message, producer=PRODUCER, subject=job_id)

    async def load(self, job_id: str, *, bulk: bool = False) -> Doc:
        doc = await self.postings.get(job_id, bulk=bulk)
        if doc is None:
            raise JobNotFound()
        return doc

    # --- lifecycle -----------------------------------------------------------------------------

    async def close(self, *, principal: Principal, job_id: str, reason: str | None) -> Doc:
        for _ in range(CAS_ATTEMPTS):
            doc = await self.load(job_id)
            check_posting(principal, doc)
            now = ms(self.clock.now())
            if doc["status"] == "draft":
                raise DraftNotAllowed()
            if doc["status"] == "closed":
                return documents.public_view(doc, now)
            set_ = {"status": "closed", "closed_at": now, "updated_at": now}
            event = PostingClosed(
                job_id=job_id,
                job_number=doc["job_number"],
                employer_id=doc["employer_id"],
                version=doc["version"] + 1,
                closed_by="staff" if principal.is_staff else "employer",
                reason=reason,
            )
            if await self._write(doc, set_, event):
                log.info("jobs.posting.closed", job_id=job_id, by=actor(principal))
                return documents.public_view({**doc, **set_}, now)
        raise ConcurrentChange()

    async def renew(self, *, principal: Principal, job_id: str) -> Doc:
        """Extend the validity to the end of the month after next; reopens an expired posting."""
        for _ in range(CAS_ATTEMPTS):
            doc = await self.load(job_id)
            check_posting(principal, doc)
            now = ms(self.clock.now())
            status = effective_status(doc, now)
            if status == "draft":
                raise DraftNotAllowed()
            if status == "closed":
                raise PostingClosedError()
            valid_until = end_of_month_after_next(today_jst(now))
            if status == "open" and valid_until <= date.fromisoformat(doc["valid_until"]):
                return documents.public_view(doc, now)
            set_ = {
                "status": "open",
                "valid_until": valid_until.isoformat(),
                "expires_at": expires_at(valid_until),
                "updated_at": now,
            }
            event = PostingRenewed(
                job_id=job_id,
                job_number=doc["job_number"],
                employer_id=doc["employer_id"],
                version=doc["version"] + 1,
                revision=doc["revision"],
                valid_until=valid_until,
                reopened=status == "expired",
            )
            if await self._write(doc, set_, event):
                log.info("jobs.posting.renewed", job_id=job_id, valid_until=str(valid_until))
                return documents.public_view({**doc, **set_}, now)
        raise ConcurrentChange()

    async def expire_due(self, *, batch: int = 200) -> int:
        """Mark open postings past their validity as expired and announce it. Safe to run in
        several processes at once: each change is conditional on the version it read."""
        expired = 0
        while True:
            now = ms(self.clock.now())
            due = await self.postings.due_for_expiry(now, batch)
            written = 0
            for doc in due:
                event = PostingExpired(
                    job_id=doc["_id"],
                    job_number=doc["job_number"],
                    employer_id=doc["employer_id"],
                    version=doc["version"] + 1,
                    valid_until=date.fromisoformat(doc["valid_until"]),
                )
                set_ = {"status": "expired", "updated_at": now}
                if await self._write(doc, set_, event, expect={"status": "open"}):
                    written += 1
                    log.info("jobs.posting.expired", job_id=doc["_id"])
            expired += written
            if len(due) < batch or not written:
                return expired

    async def _write(
        self, doc: Doc, set_: Doc, event: Message, *, expect: Doc | None = None
    ) -> bool:
        ok = await self.postings.update(
            doc["_id"],
            expect={"version": doc["version"], **(expect or {})},
            set_=set_,
            events=[self._envelope(event, doc["_id"])],
        )
        if ok:
            self.relay.kick("postings", doc["_id"])
        return ok
