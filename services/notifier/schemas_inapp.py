"""HTTP response models of in-app notifications and unread counts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

NotificationType = Literal[
    "message",
    "notice",
    "request",
    "recommendation",
    "saved_search",
    "application",
    "registration",
]


class Link(BaseModel):
    web: str = Field(description="where the client shows it, e.g. /mypage/applications/<id>")
    api: str = Field(description="the API path with the details")


class NotificationPublic(BaseModel):
    notification_id: str
    type: NotificationType
    title: str = Field(description="Japanese")
    body: str = Field(description="Japanese, short; never a message's or notice's body")
    link: Link
    created_at: datetime
    read: bool


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    next_cursor: str | None


class Unread(BaseModel):
    messages: int = Field(description="messages to me not read yet (all my conversations)")
    notices: int = Field(description="notices to me not opened yet (seekers)")
    notifications: int = Field(description="unread items of GET /api/v1/me/notifications")


class ReadAll(BaseModel):
    read_up_to: datetime
