"""Events published by the messaging service: conversations between a seeker and an employer,
their messages and read markers, and notices (お知らせ) from the office.

Message and notice bodies never travel in events: a message event names who sent it to whom and
when; a notice event carries its title and audience. (Nothing here ever becomes an e-mail.)
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Event

ConversationKind = Literal["application", "request"]
SenderRole = Literal["seeker", "employer", "system"]


class Party(BaseModel):
    """One side of a conversation: the seeker (by ``seeker_id``) or the employer (by
    ``employer_id``; every account of the establishment shares it)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    role: Literal["seeker", "employer"]
    id: str = Field(min_length=1, max_length=64, description="seeker_id or employer_id")


class Audience(BaseModel):
    """Who a notice is for: everyone, one office's seekers, or listed seekers."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    kind: Literal["all", "office", "seekers"]
    office_code: str | None = Field(default=None, pattern=r"^\d{5}$")
    seeker_ids: tuple[str, ...] = Field(default=(), max_length=1000)


class ConversationOpened(Event):
    """A conversation opened between a seeker and an employer with an employer My Page: one per
    application (``app-<application_id>``) and one per direct request (``req-<request_id>``)."""

    TYPE: ClassVar[str] = "messaging.conversation.opened.v1"
    conversation_id: str
    kind: ConversationKind
    application_id: str | None = None
    request_id: str | None = None
    seeker_id: str
    employer_id: str
    job_id: str
    title: str = Field(description="the posting's title")
    opened_at: datetime


class ConversationClosed(Event):
    """The conversation is read-only from now on: the application ended 90 days ago, or the
    seeker's registration was cancelled."""

    TYPE: ClassVar[str] = "messaging.conversation.closed.v1"
    conversation_id: str
    seeker_id: str
    employer_id: str
    reason: Literal["ended", "seeker_cancelled"]
    closed_at: datetime


class MessageSent(Event):
    """A message was posted in a conversation (WITHOUT its body). ``recipients`` are the sides
    whose unread count it raises; a system message (a state change of the application) may have
    one or both sides."""

    TYPE: ClassVar[str] = "messaging.message.sent.v1"
    message_id: str
    conversation_id: str
    kind: Literal["user", "system"]
    sender_role: SenderRole
    sender_id: str | None = Field(
        default=None, description="seeker_id / employer_id; none for system"
    )
    recipients: tuple[Party, ...]
    sent_at: datetime
    sender_name: str | None = Field(
        default=None,
        description="how recipients know the sender: the employer's name, or the seeker number",
    )
    title: str | None = Field(default=None, description="the posting's title (the conversation's)")


class ConversationRead(Event):
    """One side read the conversation up to ``read_up_to``: every message sent to it at or before
    that time is read."""

    TYPE: ClassVar[str] = "messaging.conversation.read.v1"
    conversation_id: str
    reader: Party
    read_up_to: datetime
    read_at: datetime


class NoticePublished(Event):
    """Staff published a notice (お知らせ) from the office. The body stays in the messaging
    service; seekers read it on their My Page."""

    TYPE: ClassVar[str] = "messaging.notice.published.v1"
    notice_id: str
    title: str
    audience: Audience
    office_code: str = Field(pattern=r"^\d{5}$", description="the publishing staff's office")
    published_at: datetime


class NoticeRead(Event):
    """A seeker opened a notice (first time only)."""

    TYPE: ClassVar[str] = "messaging.notice.read.v1"
    notice_id: str
    seeker_id: str
    read_at: datetime


EVENTS: tuple[type[Event], ...] = (
    ConversationOpened,
    ConversationClosed,
    MessageSent,
    ConversationRead,
    NoticePublished,
    NoticeRead,
)
