"""PyMongo access to the projections of identity's employers and seekers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from servicekit.projection import apply_if_newer
from services.jobs.repository import Doc, Store


class ProjectionsRepository:
    def __init__(self, store: Store) -> None:
        self.employers = store.employers
        self.seekers = store.seekers

    async def employer(self, employer_id: str) -> Doc | None:
        doc = await self.employers.find_one({"_id": employer_id})
        if doc is None or "name" not in doc:
            return None  # only the My Page facet arrived so far: not usable yet
        doc["has_mypage"] = bool(doc.get("registered_with_mypage") or doc.get("mypage_opened"))
        return doc

    async def apply_employer(
        self, employer_id: str, version: int, fields: dict[str, Any], *, facet: str
    ) -> bool:
        return await apply_if_newer(self.employers, employer_id, version, fields, facet=facet)

    async def insert_employers(self, docs: Sequence[Doc]) -> None:
        await self.employers.insert_many(list(docs), ordered=False)

    async def seed_employers(self, limit: int) -> list[Doc]:
        return await self.employers.find({"seed": True}).limit(limit).to_list(None)

    async def seeker(self, seeker_id: str) -> Doc | None:
        return await self.seekers.find_one({"_id": seeker_id})

    async def apply_seeker(
        self, seeker_id: str, version: int, fields: dict[str, Any], *, facet: str
    ) -> bool:
        return await apply_if_newer(self.seekers, seeker_id, version, fields, facet=facet)
