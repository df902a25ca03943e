"""The ``deliveries`` collection: one document per send command, ``_id`` = the envelope id.

Stored: recipient, template, locale, status, attempts, timestamps, the Message-ID and the last
error. Never the params (they hold the auth key) and never the body."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from servicekit.db import ensure_indexes
from services.notifier.domain import Claim, DeliveryStatus

COLLECTION = "deliveries"
# a delivery record is kept this long for support questions, then the TTL index removes it
RETENTION_SECONDS = 180 * 24 * 3600


class DeliveryRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db
        self.col = db[COLLECTION]

    async def ensure_indexes(self) -> None:
        await ensure_indexes(
            self.db,
            COLLECTION,
            [
                IndexModel(
                    [("status", ASCENDING), ("updated_at", ASCENDING)], name="status_updated"
                ),
                IndexModel(
                    [("created_at", ASCENDING)],
                    name="created_ttl",
                    expireAfterSeconds=RETENTION_SECONDS,
                ),
            ],
        )

    async def claim(
        self,
        *,
        delivery_id: str,
        to: str,
        template: str,
        locale: str,
        correlation_id: str,
        now: datetime,
        lease: timedelta,
    ) -> Claim:
        """Take the delivery for one send attempt in one conditional upsert: it creates the
        delivery, or takes a failed one or one whose sender's lease ran out; a delivery sent or
        held by a live lease makes the upsert a duplicate key."""
        token = uuid.uuid4().hex
        try:
            taken = await self.col.find_one_and_update(
                {
                    "_id": delivery_id,
                    "status": {"$in": [DeliveryStatus.SENDING.value, DeliveryStatus.FAILED.value]},
                    "lease_until": {"$lte": now},
                },
                {
                    "$set": {
                        "status": DeliveryStatus.SENDING.value,
                        "claim": token,
                        "lease_until": now + lease,
                        "updated_at": now,
                    },
                    "$inc": {"attempts": 1},
                    "$setOnInsert": {
                        "to": to,
                        "template": template,
                        "locale": locale,
                        "correlation_id": correlation_id,
                        "created_at": now,
                    },
                },
                projection={"attempts": 1},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            assert taken is not None  # an upsert returning the document after it
            return Claim("claimed", attempt=int(taken["attempts"]), token=token)
        except DuplicateKeyError:
            pass  # it exists and is not claimable: sent, or held by a live lease
        current = await self.col.find_one({"_id": delivery_id}, {"status": 1})
        if current is not None and current["status"] == DeliveryStatus.SENT.value:
            return Claim("already_sent")
        return Claim("in_flight")

    async def mark_sent(self, *, delivery_id: str, now: datetime, message_id: str) -> None:
        # by _id alone: the mail went out, whoever held the claim
        await self.col.update_one(
            {"_id": delivery_id},
            {
                "$set": {
                    "status": DeliveryStatus.SENT.value,
                    "sent_at": now,
                    "updated_at": now,
                    "message_id": message_id,
                },
                "$unset": {"claim": "", "lease_until": ""},
            },
        )

    async def mark_failed(self, *, delivery_id: str, token: str, now: datetime, error: str) -> None:
        # only while still ours; the lease ends now, so the next retry may claim at once
        await self.col.update_one(
            {"_id": delivery_id, "claim": token, "status": DeliveryStatus.SENDING.value},
            {
                "$set": {
                    "status": DeliveryStatus.FAILED.value,
                    "lease_until": now,
                    "updated_at": now,
                    "last_error": error[:300],
                }
            },
        )

    async def get(self, delivery_id: str) -> dict[str, Any] | None:
        return await self.col.find_one({"_id": delivery_id})
