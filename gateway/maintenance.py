"""Maintenance mode. One document in the gateway's own database holds the state so every replica
agrees; each replica re-reads it in the background (every ~1 s) and the request path only reads
the copy in memory. While the database is unreachable the last known state stays in force."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from servicekit.clock import Clock

log = structlog.get_logger()

COLLECTION = "maintenance"
DOC_ID = "maintenance"


def _utc_ms(at: datetime | None) -> datetime | None:
    """UTC, millisecond precision (what BSON keeps), so a reloaded state equals the saved one."""
    if at is None:
        return None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


@dataclass(frozen=True, slots=True)
class Maintenance:
    active: bool = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    message: str | None = None

    @classmethod
    def of(
        cls,
        *,
        active: bool,
        starts_at: datetime | None,
        ends_at: datetime | None,
        message: str | None,
    ) -> Maintenance:
        if not active:
            return cls()
        return cls(True, _utc_ms(starts_at), _utc_ms(ends_at), message)

    def in_effect(self, now: datetime) -> bool:
        return (
            self.active
            and (self.starts_at is None or now >= self.starts_at)
            and (self.ends_at is None or now < self.ends_at)
        )

    def announced(self, now: datetime) -> bool:
        """In effect or still to come."""
        return self.active and (self.ends_at is None or now < self.ends_at)

    def retry_after(self, now: datetime, default: int) -> int:
        if self.ends_at is None:
            return default
        return max(1, math.ceil((self.ends_at - now).total_seconds()))

    def window(self, now: datetime) -> dict[str, str | None] | None:
        if not self.announced(now):
            return None
        return {
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
        }


class MaintenanceStore:
    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], *, clock: Clock, refresh_seconds: float
    ) -> None:
        self.collection = db[COLLECTION]
        self.clock = clock
        self.refresh_seconds = refresh_seconds
        self.state = Maintenance()

    def in_effect(self) -> bool:
        return self.state.in_effect(self.clock.now())

    async def load(self) -> bool:
        """Re-read the shared state; False (and the old state kept) when the database fails."""
        try:
            doc = await self.collection.find_one({"_id": DOC_ID})
        except Exception as exc:
            log.warning("gateway.maintenance.load_failed", error=repr(exc))
            return False
        if doc is None:
            self.state = Maintenance()
        else:
            self.state = Maintenance.of(
                active=bool(doc.get("active")),
                starts_at=doc.get("starts_at"),
                ends_at=doc.get("ends_at"),
                message=doc.get("message"),
            )
        return True

    async def save(self, state: Maintenance, *, by: str) -> None:
        await self.collection.replace_one(
            {"_id": DOC_ID},
            {
                "active": state.active,
                "starts_at": state.starts_at,
                "ends_at": state.ends_at,
                "message": state.message,
                "updated_at": self.clock.now(),
                "updated_by": by,
            },
            upsert=True,
        )
        self.state = state
        log.info(
            "gateway.maintenance.changed",
            active=state.active,
            by=by,
            starts_at=str(state.starts_at),
            ends_at=str(state.ends_at),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Re-read the state until stopped."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.refresh_seconds)
            except TimeoutError:
                await self.load()
