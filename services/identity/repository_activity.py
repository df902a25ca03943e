"""PyMongo calls for the seeker's activity record (求職活動実績): one document per activity
(``activities``) and one per application with its latest status (``seeker_applications``).
Every write is idempotent: an activity's ``_id`` names the fact it records, and a status is
kept only when its version is newer than the one stored."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from services.identity.repository import Doc, Repository

ACTIVITIES = "activities"
SEEKER_APPLICATIONS = "seeker_applications"


class ActivityRepository:
    def __init__(self, repo: Repository) -> None:
        self.accounts = repo.accounts
        self.activities = repo.db[ACTIVITIES]
        self.applications = repo.db[SEEKER_APPLICATIONS]

    async def add(self, doc: Doc) -> None:
        """Record an activity once (a redelivered event finds it there)."""
        try:
            await self.activities.update_one(
                {"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True
            )
        except DuplicateKeyError:
            pass  # a parallel delivery inserted it first

    async def describe(self, application_id: str, fields: dict[str, Any]) -> None:
        """Facts of an application that do not change (posting, title, employer, route)."""
        try:
            await self.applications.update_one(
                {"_id": application_id}, {"$set": fields}, upsert=True
            )
        except DuplicateKeyError:
            await self.applications.update_one({"_id": application_id}, {"$set": fields})

    async def set_status(
        self, application_id: str, seeker_id: str, status: str, version: int
    ) -> None:
        """The application's status, unless a newer one is already kept."""
        try:
            await self.applications.update_one(
                {
                    "_id": application_id,
                    "$or": [{"version": {"$lt": version}}, {"version": {"$exists": False}}],
                },
                {"$set": {"seeker_id": seeker_id, "status": status, "version": version}},
                upsert=True,
            )
        except DuplicateKeyError:
            pass  # the stored status is newer (the filter missed, the upsert hit the _id)

    async def interviews_of(self, application_ids: list[str]) -> list[Doc]:
        """Every interview of these applications, whatever its day (to see which were moved)."""
        found = self.activities.find(
            {"application_id": {"$in": application_ids}, "kind": "interview"},
            {"application_id": 1, "on": 1, "version": 1, "set_on": 1, "again": 1},
        )
        return await found.to_list(None)

    async def between(self, seeker_id: str, first: str, last: str) -> list[Doc]:
        found = self.activities.find(
            {"seeker_id": seeker_id, "on": {"$gte": first, "$lte": last}}
        ).sort([("on", ASCENDING), ("_id", ASCENDING)])
        return await found.to_list(None)

    async def applications_by_id(self, ids: list[str]) -> dict[str, Doc]:
        if not ids:
            return {}
        docs = await self.applications.find({"_id": {"$in": ids}}).to_list(None)
        return {d["_id"]: d for d in docs}

    async def employer_names(self, employer_ids: list[str]) -> dict[str, str]:
        if not employer_ids:
            return {}
        found = self.accounts.find(
            {"employer.employer_id": {"$in": employer_ids}},
            {"employer.employer_id": 1, "employer.name": 1},
        )
        return {d["employer"]["employer_id"]: d["employer"].get("name") or "" async for d in found}
