"""Identity's facts kept here: which employers have an employer My Page (conversations need
one), their names; seekers' numbers, offices and registration dates (staff access, notices)."""

from __future__ import annotations

from contracts.identity import (
    EmployerRegistered,
    MypageOpened,
    SeekerConfirmed,
    SeekerRegistered,
)
from services.messaging.repository_conversations import ConversationsRepository
from services.messaging.service_lifecycle import LifecycleService


class ProjectionService:
    def __init__(
        self, *, conversations: ConversationsRepository, lifecycle: LifecycleService
    ) -> None:
        self.conversations = conversations
        self.lifecycle = lifecycle

    async def employer_registered(self, event: EmployerRegistered) -> None:
        await self.conversations.apply_employer(
            event.employer_id,
            event.version,
            {"name": event.name, "office_code": event.office_code, "has_mypage": event.has_mypage},
        )
        if event.has_mypage:
            await self.lifecycle.employer_has_mypage(event.employer_id)

    async def mypage_opened(self, event: MypageOpened) -> None:
        if event.account_type != "employer" or not event.employer_id:
            return
        await self.conversations.employer_opened_mypage(event.employer_id)
        await self.lifecycle.employer_has_mypage(event.employer_id)

    async def seeker_registered(self, event: SeekerRegistered) -> None:
        await self.conversations.apply_seeker(
            event.seeker_id,
            event.version,
            {
                "seeker_number": event.seeker_number,
                "office_code": event.office_code,
                "status": event.status,
            },
        )
        # a facet of its own: a confirmation (newer) arriving first must not hide it
        await self.conversations.apply_seeker(
            event.seeker_id,
            event.version,
            {"registered_on": event.registered_on.isoformat()},
            facet="registered_on",
        )

    async def seeker_confirmed(self, event: SeekerConfirmed) -> None:
        await self.conversations.apply_seeker(
            event.seeker_id,
            event.version,
            {
                "seeker_number": event.seeker_number,
                "office_code": event.office_code,
                "status": "registered",
            },
        )
