"""Reading: one application, the lists (the seeker's history, the employer's applicants, the
office's referral queue), the referral letter, the employer's search of public profiles, and the
lists of direct requests. Each reader sees only what is theirs (access.py)."""

from __future__ import annotations

from typing import Any

from servicekit.auth import Principal
from servicekit.errors import Forbidden
from services.applications import access, views
from services.applications.core import Core
from services.applications.domain import (
    EmployerMypageRequired,
    EmployerUnknown,
    JobNotFound,
    NotPostingOwner,
    ReferralLetterNotIssued,
    SeekerProfileNotFound,
)
from services.applications.repository import APPLICATIONS, Doc
from services.applications.service_requests import RequestService


def page(docs: list[Doc], limit: int, key: str = "seq") -> tuple[list[Doc], str | None]:
    """Cut the extra document that tells whether a next page exists."""
    if len(docs) > limit:
        return docs[:limit], str(docs[limit - 1][key])
    return docs, None


class ViewService:
    def __init__(self, core: Core, requests: RequestService) -> None:
        self.core = core
        self.requests = requests

    # --- applications --------------------------------------------------------------------------

    async def application(self, principal: Principal, application_id: str) -> Doc:
        app = access.check_visible(
            principal, await self.core.records.get(APPLICATIONS, application_id)
        )
        return await self.render(principal, app)

    async def render(self, principal: Principal, app: Doc) -> Doc:
        audience = views.audience_of(principal.role)
        seeker = None
        if audience != "seeker":
            seeker = await self.core.projections.seeker(app["seeker_id"])
        return views.application(app, audience, seeker)

    async def _render_page(
        self, principal: Principal, docs: list[Doc], limit: int
    ) -> dict[str, Any]:
        items, cursor = page(docs, limit)
        audience = views.audience_of(principal.role)
        seekers: dict[str, Doc] = {}
        if audience != "seeker":
            seekers = await self.core.projections.seekers(sorted({d["seeker_id"] for d in items}))
        return {
            "items": [views.application(d, audience, seekers.get(d["seeker_id"])) for d in items],
            "next_cursor": cursor,
        }

    async def mine(self, principal: Principal, *, cursor: str | None, limit: int) -> dict[str, Any]:
        seeker_id = access.seeker_id(principal)
        docs = await self.core.records.applications(
            {"seeker_id": seeker_id}, cursor=cursor, limit=limit
        )
        return await self._render_page(principal, docs, limit)

    async def employer_applicants(
        self,
        principal: Principal,
        *,
        job_id: str | None,
        status: str | None,
        cursor: str | None,
        limit: int,
    ) -> dict[str, Any]:
        employer_id = access.employer_id(principal)
        query: dict[str, Any] = {"employer_id": employer_id, "employer_visible": True}
        if job_id:
            query["job_id"] = job_id
        if status:
            query["status"] = status
        docs = await self.core.records.applications(query, cursor=cursor, limit=limit)
        return await self._render_page(principal, docs, limit)

    async def office_queue(
        self,
        principal: Principal,
        *,
        status: str | None,
        office_code: str | None,
        cursor: str | None,
        limit: int,
    ) -> dict[str, Any]:
        """Staff: their office's applications, oldest first (a queue). Admins may name an office
        or see every office."""
        if not principal.is_staff:
            raise Forbidden()
        office = office_code if principal.is_admin else principal.office_code
        if office_code and not principal.is_admin and office_code != principal.office_code:
            raise Forbidden()
        query: dict[str, Any] = {}
        if office:
            query["office_code"] = office
        if status:
            query["status"] = status
        docs = await self.core.records.applications(
            query, cursor=cursor, limit=limit, newest_first=False
        )
        return await self._render_page(principal, docs, limit)

    async def differing_hires(
        self, principal: Principal, *, office_code: str | None, cursor: str | None, limit: int
    ) -> dict[str, Any]:
        """Staff: hires of their office's seekers whose working conditions differ from the
        posting, newest hire first. Admins may name an office or see every office."""
        if not principal.is_staff:
            raise Forbidden()
        if office_code and not principal.is_admin and office_code != principal.office_code:
            raise Forbidden()
        office = office_code if principal.is_admin else principal.office_code
        docs = await self.core.records.differing_hires(office, cursor=cursor, limit=limit)
        items, next_cursor = page(docs, limit, key="differing_hire_seq")
        audience = views.audience_of(principal.role)
        seekers = await self.core.projections.seekers(sorted({d["seeker_id"] for d in items}))
        return {
            "items": [views.application(d, audience, seekers.get(d["seeker_id"])) for d in items],
            "next_cursor": next_cursor,
        }

    async def letter(self, principal: Principal, application_id: str) -> Doc:
        app = access.check_visible(
            principal, await self.core.records.get(APPLICATIONS, application_id)
        )
        if not app.get("referral"):
            raise ReferralLetterNotIssued()
        return views.letter(app)

    # --- employers: public profiles ------------------------------------------------------------

    async def _employer_with_mypage(self, principal: Principal) -> str:
        employer_id = access.employer_id(principal)
        employer = await self.core.projections.employer(employer_id)
        if employer is None:
            raise EmployerUnknown()
        if not employer["has_mypage"]:
            raise EmployerMypageRequired()
        return employer_id

    async def search_seekers(
        self,
        principal: Principal,
        *,
        occupation: str | None,
        prefecture: str | None,
        employment_type: str | None,
        wage: int | None,
        wage_unit: str,
        cursor: str | None,
        limit: int,
    ) -> dict[str, Any]:
        await self._employer_with_mypage(principal)
        filters: dict[str, Any] = {}
        if occupation:
            filters["p_occupations"] = occupation
        if prefecture:
            filters["p_prefectures"] = prefecture
        if employment_type:
            filters["p_employment_types"] = employment_type
        if wage is not None:
            # seekers whose wish this wage meets (same unit), and those who named no wage
            filters["$or"] = [
                {"p_wage_unit": wage_unit, "p_wage_min": {"$lte": wage}},
                {"p_wage_min": None},
            ]
        docs = await self.core.projections.public_seekers(filters, cursor=cursor, limit=limit)
        items, next_cursor = page(docs, limit, key="profile_seq")
        return {"items": [views.seeker_card(d) for d in items], "next_cursor": next_cursor}

    async def public_seeker(self, principal: Principal, seeker_id: str) -> dict[str, Any]:
        """One public profile as the search shows it; 404 for a private, lapsed, cancelled or
        unknown one alike (whether a seeker exists is not told)."""
        await self._employer_with_mypage(principal)
        seeker = await self.core.projections.public_seeker(seeker_id)
        if seeker is None:
            raise SeekerProfileNotFound()
        return views.seeker_card(seeker)

    # --- direct requests -----------------------------------------------------------------------

    async def sent_requests(
        self, principal: Principal, *, job_id: str | None, cursor: str | None, limit: int
    ) -> dict[str, Any]:
        employer_id = access.employer_id(principal)
        query: dict[str, Any] = {"employer_id": employer_id}
        quota = None
        if job_id:
            posting = await self.core.projections.posting(job_id)
            if posting is None:
                raise JobNotFound()
            if posting["employer_id"] != employer_id:
                raise NotPostingOwner()
            query["job_id"] = job_id
            quota = self.requests.quota(posting)
        docs = await self.core.records.requests(query, cursor=cursor, limit=limit)
        items, next_cursor = page(docs, limit)
        return {
            "items": [views.request(d, "employer") for d in items],
            "next_cursor": next_cursor,
            "quota": quota,
        }

    async def my_requests(
        self, principal: Principal, *, cursor: str | None, limit: int
    ) -> dict[str, Any]:
        seeker_id = access.seeker_id(principal)
        docs = await self.core.records.requests(
            {"seeker_id": seeker_id}, cursor=cursor, limit=limit
        )
        items, next_cursor = page(docs, limit)
        return {"items": [views.request(d, "seeker") for d in items], "next_cursor": next_cursor}
