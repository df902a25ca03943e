"""Use cases driven by other services' events: conversations open (exactly once, in whatever
order the facts arrive), system messages tell both sides what changed, conversations close.

Opening needs three facts: the application or request (``facts`` base), that the employer has
an employer My Page (projection of identity), and — for an application through the office —
that the referral letter was issued (before that the employer does not have the application).
Whichever fact arrives last opens the conversation; every handler writes its fact first and
checks the others after, so one of two racing handlers always sees both. The conversation's
``_id`` is deterministic and its insert is the only write that opens it: the first wins.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from contracts.messaging import ConversationClosed, ConversationOpened, Party
from servicekit import outbox
from servicekit.clock import Clock
from servicekit.outbox import OutboxRelay
from services.messaging.domain import (
    ENDED,
    RetryLater,
    first_message_id,
    recipients_after,
    system_message_id,
)
from services.messaging.repository import Doc
from services.messaging.repository_conversations import ConversationsRepository
from services.messaging.settings import MessagingSettings
from services.messaging.system_texts import SystemText
from services.messaging.text import clean, to_ms
from services.messaging.writer import PRODUCER, MessageWriter, NewMessage

log = structlog.get_logger()


class LifecycleService:
    def __init__(
        self,
        *,
        conversations: ConversationsRepository,
        writer: MessageWriter,
        settings: MessagingSettings,
        clock: Clock,
        relay: OutboxRelay,
    ) -> None:
        self.conversations = conversations
        self.writer = writer
        self.settings = settings
        self.clock = clock
        self.relay = relay

    def now(self) -> datetime:
        return to_ms(self.clock.now())

    # --- facts ----------------------------------------------------------------------------------

    async def record_base(self, conversation_id: str, fields: Doc) -> None:
        await self.conversations.add_fact(
            f"{conversation_id}|base",
            {"conversation_id": conversation_id, "fact": "base", **fields},
        )
        await self.try_open(conversation_id)

    async def record_reachable(self, conversation_id: str, employer_id: str) -> None:
        await self.conversations.add_fact(
            f"{conversation_id}|reachable",
            {"conversation_id": conversation_id, "fact": "reachable", "employer_id": employer_id},
        )
        await self.try_open(conversation_id)

    async def record_state(
        self, conversation_id: str, *, version: int, status: str, at: datetime
    ) -> None:
        """An application/request that ended (final: the first end counts) is kept so that a
        conversation that has not opened yet never opens for something already over."""
        if status not in ENDED:
            return
        await self.conversations.add_fact(
            f"{conversation_id}|ended",
            {
                "conversation_id": conversation_id,
                "fact": "ended",
                "version": version,
                "status": status,
                "at": at,
            },
        )
        await self._record_end(conversation_id, at)

    async def _record_end(self, conversation_id: str, at: datetime) -> None:
        """A no-op while the conversation is not open (yet): opening looks at the fact again."""
        due = at + timedelta(days=self.settings.close_after_days)
        if await self.conversations.record_end(conversation_id, ended_at=at, due_at=due):
            log.info("messaging.conversation.end_recorded", conversation_id=conversation_id)

    # --- opening --------------------------------------------------------------------------------

    async def try_open(self, conversation_id: str) -> Doc | None:
        existing = await self.conversations.get(conversation_id)
        if existing is not None:
            await self._first_message(existing)
            return existing
        base = await self.conversations.fact(conversation_id, "base")
        if base is None:
            return None
        if base.get("route") == "referral" and not await self.conversations.fact(
            conversation_id, "reachable"
        ):
            return None
        if await self.conversations.fact(conversation_id, "ended") is not None:
            return None  # only live applications and requests get a conversation
        seeker_id, employer_id = base["seeker_id"], base["employer_id"]
        if await self.conversations.cancelled(seeker_id):
            return None
        employer = await self.conversations.employer(employer_id) or {}
        if not (employer.get("has_mypage") or employer.get("mypage_opened")):
            return None
        seeker = await self.conversations.seeker(seeker_id) or {}
        now = self.now()
        doc: Doc = {
            "_id": conversation_id,
            "kind": base["kind"],
            "application_id": base.get("application_id"),
            "request_id": base.get("request_id"),
            "seeker_id": seeker_id,
            "employer_id": employer_id,
            "job_id": base["job_id"],
            "title": base["title"],
            "employer_name": base.get("employer_name") or employer.get("name"),
            "seeker_number": base.get("seeker_number") or seeker.get("seeker_number"),
            "office_code": base.get("office_code") or seeker.get("office_code"),
            "status": "open",
            "opened_at": now,
            "activity_at": now,
        }
        event = ConversationOpened(
            conversation_id=conversation_id,
            kind=base["kind"],
            application_id=base.get("application_id"),
            request_id=base.get("request_id"),
            seeker_id=seeker_id,
            employer_id=employer_id,
            job_id=base["job_id"],
            title=base["title"],
            opened_at=now,
        )
        env = outbox.envelope(event, producer=PRODUCER, subject=conversation_id)
        stored = doc
        if await self.conversations.insert(doc, env):
            self.relay.kick("conversations", conversation_id)
            log.info("messaging.conversation.opened", conversation_id=conversation_id)
        else:
            stored = await self.conversations.get(conversation_id) or doc
        await self._first_message(stored)
        # facts that arrived while we were opening: written before their handlers looked for us
        ended = await self.conversations.fact(conversation_id, "ended")
        if ended is not None:
            await self._record_end(conversation_id, ended["at"])
        if await self.conversations.cancelled(seeker_id):
            await self.close(conversation_id, reason="seeker_cancelled")
        return stored

    async def _first_message(self, conversation: Doc) -> None:
        """A request's conversation starts with the employer's request message (same id every
        time, so this is safe to repeat)."""
        if conversation["kind"] != "request":
            return
        base = await self.conversations.fact(conversation["_id"], "base")
        if base is None or not base.get("first_message"):
            return
        await self.writer.store(
            conversation,
            NewMessage(
                message_id=first_message_id(conversation["_id"]),
                kind="user",
                sender_role="employer",
                sender_id=conversation["employer_id"],
                body=base["first_message"],
                recipients=[Party(role="seeker", id=conversation["seeker_id"])],
                created_at=min(to_ms(base["first_at"]), conversation["opened_at"]),
            ),
        )

    async def employer_has_mypage(self, employer_id: str) -> int:
        """The employer can now hold conversations: open those of its live applications."""
        opened = 0
        for conversation_id in await self.conversations.waiting_for_employer(employer_id):
            if await self.try_open(conversation_id) is not None:
                opened += 1
        return opened

    # --- system messages ------------------------------------------------------------------------

    async def post_system(
        self,
        conversation_id: str,
        *,
        event_id: str,
        text: SystemText,
        recipients_of: str,
        occurred_at: datetime,
    ) -> None:
        """Post a system message about an application/request change, dated when the change
        happened (so two changes handled in parallel still read in order). When the conversation
        should exist but the fact that opens it has not arrived yet, retry later."""
        conversation = await self.conversations.get(conversation_id) or await self.try_open(
            conversation_id
        )
        if conversation is None:
            if await self.conversations.fact(conversation_id, "base") is None:
                raise RetryLater(f"{conversation_id}: the application is not known yet")
            return  # no conversation for this one (no employer My Page, or not reached yet)
        await self.writer.store(
            conversation,
            NewMessage(
                message_id=system_message_id(event_id, conversation_id),
                kind="system",
                sender_role="system",
                sender_id=None,
                body=text.body,
                recipients=recipients_after(conversation, recipients_of),
                created_at=min(occurred_at, self.now()),
                system_code=text.code,
            ),
        )

    # --- closing --------------------------------------------------------------------------------

    async def close(self, conversation_id: str, *, reason: str) -> bool:
        """Close an open conversation (one conditional update, its event with it). True when
        this call closed it."""
        conversation = await self.conversations.get(conversation_id)
        if conversation is None or conversation["status"] != "open":
            return False
        now = self.now()
        event = ConversationClosed(
            conversation_id=conversation_id,
            seeker_id=conversation["seeker_id"],
            employer_id=conversation["employer_id"],
            reason=reason,
            closed_at=now,
        )
        env = outbox.envelope(event, producer=PRODUCER, subject=conversation_id)
        if not await self.conversations.close(conversation_id, at=now, reason=reason, event=env):
            return False
        self.relay.kick("conversations", conversation_id)
        log.info("messaging.conversation.closed", conversation_id=conversation_id, reason=reason)
        return True

    async def close_due(self) -> int:
        """Close the conversations whose application ended ``close_after_days`` ago (the clock
        decides; no TTL index is relied on)."""
        closed = 0
        for conversation in await self.conversations.due(self.now()):
            if await self.close(conversation["_id"], reason="ended"):
                closed += 1
        return closed

    async def seeker_cancelled(self, seeker_id: str, *, at: datetime) -> int:
        await self.conversations.seeker_cancelled(seeker_id, at)
        closed = 0
        for doc in await self.conversations.open_of_seeker(seeker_id):
            if await self.close(doc["_id"], reason="seeker_cancelled"):
                closed += 1
        return closed


def request_base(
    *,
    request_id: str,
    seeker_id: str,
    employer_id: str,
    employer_name: str,
    job_id: str,
    title: str,
    message: str,
    sent_at: datetime,
) -> Doc:
    return {
        "kind": "request",
        "request_id": request_id,
        "seeker_id": seeker_id,
        "employer_id": employer_id,
        "employer_name": employer_name,
        "job_id": job_id,
        "title": title,
        "route": "request",
        "first_message": clean(message),
        "first_at": sent_at,
    }
