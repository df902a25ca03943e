"""PyMongo access to the projections kept from identity's and jobs' events: ``seekers``,
``employers``, ``postings``. Writes go through ``apply_if_newer`` with one facet per kind of fact,
so a repeated or late event never overwrites a newer one. A posting's document also counts the
direct requests sent for it (``requests_used``), the quota's one counter."""

from __future__ import annotations

from typing import Any

from servicekit.projection import apply_facets_if_newer, apply_if_newer
from services.applications.repository import Doc, Store

PUBLIC_SEEKER = {
    "visibility": "public",
    "status": {"$in": ["registered", "provisional"]},
    "lapsed": {"$ne": True},
    "profile": {"$exists": True},
}
# in employers' seeker search only with what the search filters on (identity's profile says so
# to the seeker: services/identity/domain_seeker.py LISTING_FIELDS)
LISTED_SEEKER = {
    **PUBLIC_SEEKER,
    "p_occupations.0": {"$exists": True},
    "p_prefectures.0": {"$exists": True},
    "p_employment_types.0": {"$exists": True},
}


class ProjectionsRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- seekers -------------------------------------------------------------------------------

    async def seeker(self, seeker_id: str) -> Doc | None:
        return await self.store.seekers.find_one({"_id": seeker_id})

    async def seekers(self, seeker_ids: list[str]) -> dict[str, Doc]:
        if not seeker_ids:
            return {}
        docs = await self.store.seekers.find({"_id": {"$in": seeker_ids}}).to_list(None)
        return {d["_id"]: d for d in docs}

    async def apply_seeker(
        self, seeker_id: str, version: int, fields: dict[str, Any], *, facet: str
    ) -> bool:
        return await apply_if_newer(self.store.seekers, seeker_id, version, fields, facet=facet)

    async def public_seeker(self, seeker_id: str) -> Doc | None:
        """The seeker while the profile is public and the registration live (the rule of a
        direct request: also a public profile with nothing filled in yet), else None."""
        query = {k: v for k, v in PUBLIC_SEEKER.items() if k != "profile"}
        return await self.store.seekers.find_one({"_id": seeker_id, **query})

    async def public_seekers(
        self, filters: dict[str, Any], *, cursor: str | None, limit: int
    ) -> list[Doc]:
        query: dict[str, Any] = {**LISTED_SEEKER, **filters}
        if cursor:
            query["profile_seq"] = {"$lt": cursor}
        found = self.store.seekers.find(query).sort("profile_seq", -1).limit(limit + 1)
        return await found.to_list(None)

    # --- employers -----------------------------------------------------------------------------

    async def employer(self, employer_id: str) -> Doc | None:
        doc = await self.store.employers.find_one({"_id": employer_id})
        if doc is None or "name" not in doc:
            return None  # only the My Page facet arrived so far
        doc["has_mypage"] = bool(doc.get("registered_with_mypage") or doc.get("mypage_opened"))
        return doc

    async def apply_employer(
        self, employer_id: str, version: int, fields: dict[str, Any], *, facet: str
    ) -> bool:
        return await apply_if_newer(self.store.employers, employer_id, version, fields, facet=facet)

    # --- postings ------------------------------------------------------------------------------

    async def posting(self, job_id: str) -> Doc | None:
        doc = await self.store.postings.find_one({"_id": job_id})
        if doc is None or "posting" not in doc:
            return None  # only a status event arrived so far
        return doc

    async def apply_posting(
        self, job_id: str, version: int, fields: dict[str, Any], *, facet: str
    ) -> bool:
        return await apply_if_newer(self.store.postings, job_id, version, fields, facet=facet)

    async def apply_posting_facets(
        self, job_id: str, version: int, facets: dict[str, dict[str, Any]]
    ) -> list[str]:
        return await apply_facets_if_newer(self.store.postings, job_id, version, facets)

    async def posting_status(self, job_id: str) -> Doc | None:
        """The status and the facet versions, whether or not the snapshot arrived."""
        return await self.store.postings.find_one({"_id": job_id}, {"status": 1, "versions": 1})

    # --- the direct request quota of a posting ---------------------------------------------------

    async def take_request_slot(self, job_id: str, limit: int) -> bool:
        """Count one more request for the posting unless ``limit`` are counted already (one
        conditional ``$inc``: parallel senders never get past the limit together)."""
        taken = await self.store.postings.update_one(
            {"_id": job_id, "requests_used": {"$not": {"$gte": limit}}},
            {"$inc": {"requests_used": 1}},
        )
        return taken.modified_count == 1

    async def return_request_slot(self, job_id: str) -> None:
        await self.store.postings.update_one({"_id": job_id}, {"$inc": {"requests_used": -1}})
