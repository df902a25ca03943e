"""What every use case of the service works with: repositories, outbox relay, clock, settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from contracts import Envelope, Message
from servicekit import outbox
from servicekit.clock import Clock
from servicekit.errors import DomainError
from servicekit.outbox import OutboxRelay
from services.applications.domain import ConcurrentChange, today_jst
from services.applications.repository import Doc, Store
from services.applications.repository_projections import ProjectionsRepository
from services.applications.repository_records import RecordsRepository
from services.applications.settings import ApplicationsSettings

PRODUCER = "applications"

# what a use case decides about one aggregate: the fields to set, the timeline entry, the events
Decision = tuple[dict[str, Any], Doc | None, list[Message]]
Decide = Callable[[Doc], Awaitable[Decision | None]]


@dataclass(frozen=True)
class Core:
    store: Store
    records: RecordsRepository
    projections: ProjectionsRepository
    relay: OutboxRelay
    clock: Clock
    settings: ApplicationsSettings

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return today_jst(self.clock.now())

    def envelope(self, event: Message, subject: str) -> Envelope:
        return outbox.envelope(event, producer=PRODUCER, subject=subject)


def entry(
    *, version: int, status: str, action: str, at: datetime, by: tuple[str, str], **extra: Any
) -> dict[str, Any]:
    """One step of a timeline; fields that are None are left out."""
    base = {
        "version": version,
        "status": status,
        "action": action,
        "at": at,
        "by_role": by[0],
        "by_id": by[1],
    }
    return {**base, **{k: v for k, v in extra.items() if v is not None}}


async def change(
    core: Core, kind: str, doc_id: str, decide: Decide, *, missing: type[DomainError]
) -> Doc | None:
    """Load the aggregate, let ``decide`` refuse (raise), do nothing (None) or decide a change,
    and write it (one conditional update with its events); decide again on the newer state when
    a parallel change of the same version won. Returns the changed aggregate, or None when there
    was nothing to do."""
    for _ in range(5):
        doc = await core.records.get(kind, doc_id)
        if doc is None:
            raise missing()
        decided = await decide(doc)
        if decided is None:
            return None
        fields, step, events = decided
        envelopes = [core.envelope(e, doc_id) for e in events]
        result = await core.records.change(kind, doc, fields=fields, entry=step, events=envelopes)
        if result is not None:
            if envelopes:
                core.relay.kick(kind, doc_id)
            return result
    raise ConcurrentChange()
