"""Unread counts, derived from documents at read time (no counters to lose increments):

- ``messages``: per conversation, the messages sent to the caller's side after its latest read
  marker (from messaging.message.sent.v1 and messaging.conversation.read.v1) — the same rule the
  messaging service applies to its conversation list, so the sums agree once events are in;
- ``notices`` (seekers): the notices addressed to the seeker since registration that it has not
  opened (messaging.notice.published.v1 / messaging.notice.read.v1) — as ``GET /me/notices``;
- ``notifications``: the unread items of ``GET /me/notifications`` (own notifications and
  notices-as-notifications, after the latest read-all).
"""

from __future__ import annotations

from datetime import datetime

from servicekit.auth import Principal
from services.notifier.inapp_repository import InAppRepository
from services.notifier.inapp_service import InAppService, recipient_of


class UnreadService:
    def __init__(self, *, repo: InAppRepository, inapp: InAppService) -> None:
        self.repo = repo
        self.inapp = inapp

    async def counts(self, principal: Principal) -> dict[str, int]:
        recipient = recipient_of(principal)
        return {
            "messages": await self.messages(recipient),
            "notices": await self.notices(principal),
            "notifications": await self.notifications(principal, recipient),
        }

    async def messages(self, recipient: str) -> int:
        marks = await self.repo.marks_of(recipient)
        read: dict[str, datetime] = {}
        for m in marks:
            if m["kind"] == "read":
                c = m["conversation_id"]
                if c not in read or m["up_to"] > read[c]:
                    read[c] = m["up_to"]
        return sum(
            1
            for m in marks
            if m["kind"] == "in"
            and (m["conversation_id"] not in read or m["at"] > read[m["conversation_id"]])
        )

    async def notices(self, principal: Principal) -> int:
        scope = await self.inapp.notice_scope(principal)
        if scope is None:
            return 0
        ids = [n for n, _ in await self.repo.notice_ids(scope)]
        opened, _ = await self.repo.notice_read_sets(principal.seeker_id or "", ids)
        return len(ids) - len(opened)

    async def notifications(self, principal: Principal, recipient: str) -> int:
        watermark = await self.repo.read_all_up_to(recipient)
        own = await self.repo.count_unread_notifications(recipient, watermark)
        scope = await self.inapp.notice_scope(principal)
        if scope is None:
            return own
        notices = await self.repo.notice_ids(scope)
        if watermark is not None:
            notices = [(n, at) for n, at in notices if at > watermark]
        opened, bell = await self.repo.notice_read_sets(
            principal.seeker_id or "", [n for n, _ in notices]
        )
        return own + sum(1 for n, _ in notices if n not in opened and n not in bell)
