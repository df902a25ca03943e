"""HTTP request and response models of the messaging service (never reused as events).

Bodies are plain text: clients must show them as text (never interpret them as HTML or
Markdown); the service stores what the person typed, NFC-normalised, without control characters
other than line feeds and tabs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

OFFICE = r"^\d{5}$"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MessageCreate(Body):
    body: str = Field(min_length=1, max_length=8000, description="plain text, ≤ 2000 characters")


class Sender(BaseModel):
    role: Literal["seeker", "employer", "system"]
    id: str | None = Field(default=None, description="seeker_id / employer_id; none for system")
    name: str | None = Field(
        default=None, description="the employer's name, or the seeker number (for the employer)"
    )


class MessagePublic(BaseModel):
    message_id: str
    conversation_id: str
    kind: Literal["user", "system"]
    sender: Sender
    mine: bool = Field(description="sent by the caller's side")
    body: str = Field(description="plain text; show as text, never as HTML")
    system_code: str | None = Field(
        default=None, description="system messages: what changed (e.g. status_interview)"
    )
    created_at: datetime


class MessagePage(BaseModel):
    items: list[MessagePublic]
    next_cursor: str | None


class Counterpart(BaseModel):
    role: Literal["seeker", "employer"]
    id: str
    name: str | None = Field(default=None, description="employer: the establishment's name")
    seeker_number: str | None = Field(default=None, description="seeker: the seeker number")


class LastMessage(BaseModel):
    message_id: str
    kind: Literal["user", "system"]
    sender_role: Literal["seeker", "employer", "system"]
    preview: str
    created_at: datetime


class ConversationPublic(BaseModel):
    conversation_id: str
    kind: Literal["application", "request"]
    status: Literal["open", "closed"]
    application_id: str | None
    request_id: str | None
    job_id: str
    title: str = Field(description="the posting's title")
    counterpart: Counterpart | None = Field(
        description="the other side (staff and admins see the employer)"
    )
    seeker_id: str
    employer_id: str
    last_message: LastMessage | None
    unread: int = Field(description="messages to the caller's side it has not read")
    can_write: bool
    opened_at: datetime
    closed_at: datetime | None = None
    closed_reason: str | None = None


class ConversationPage(BaseModel):
    items: list[ConversationPublic]
    next_cursor: str | None


class ReadResult(BaseModel):
    conversation_id: str
    read_up_to: datetime
    unread: int


class AudienceIn(Body):
    kind: Literal["all", "office", "seekers"]
    office_code: str | None = Field(default=None, pattern=OFFICE)
    seeker_ids: list[str] | None = Field(default=None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _shape(self) -> AudienceIn:
        if self.kind == "office" and not self.office_code:
            raise ValueError("office には office_code が必要です。")
        if self.kind == "seekers" and not self.seeker_ids:
            raise ValueError("seekers には seeker_ids が必要です。")
        if self.kind != "office" and self.office_code:
            raise ValueError("office_code は kind が office のときだけ指定できます。")
        if self.kind != "seekers" and self.seeker_ids:
            raise ValueError("seeker_ids は kind が seekers のときだけ指定できます。")
        for s in self.seeker_ids or []:
            if not (1 <= len(s) <= 64):
                raise ValueError("seeker_ids の値が正しくありません。")
        return self


class NoticeCreate(Body):
    title: str = Field(min_length=1, max_length=400, description="≤ 100 characters")
    body: str = Field(min_length=1, max_length=16000, description="plain text, ≤ 4000 characters")
    audience: AudienceIn


class AudiencePublic(BaseModel):
    kind: Literal["all", "office", "seekers"]
    office_code: str | None = None
    seeker_count: int | None = Field(default=None, description="kind seekers: how many")


class NoticePublic(BaseModel):
    notice_id: str
    title: str
    body: str = Field(description="plain text; show as text, never as HTML")
    office_code: str = Field(description="the publishing office")
    published_at: datetime
    read: bool | None = Field(default=None, description="seekers: opened already")
    read_at: datetime | None = None
    audience: AudiencePublic | None = Field(default=None, description="staff only")


class NoticePage(BaseModel):
    items: list[NoticePublic]
    next_cursor: str | None
