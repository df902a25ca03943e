"""The envelope every event and command travels in, and the base classes of the payloads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Message(BaseModel):
    """Base of every typed payload. ``TYPE`` is the versioned name and the routing key."""

    # consumers ignore fields they do not know: adding an optional field is not a new version
    model_config = ConfigDict(frozen=True, extra="ignore")

    TYPE: ClassVar[str]
    KIND: ClassVar[Literal["event", "command"]] = "event"


class Event(Message):
    """A fact, past tense: ``<service>.<aggregate>.<fact>.v<N>``."""

    KIND: ClassVar[Literal["event", "command"]] = "event"


class Command(Message):
    """An instruction to one receiver, imperative: ``notifier.email.send.v1``."""

    KIND: ClassVar[Literal["event", "command"]] = "command"


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID
    type: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+)+\.v[0-9]+$", max_length=120)
    occurred_at: AwareDatetime
    producer: str = Field(min_length=1, max_length=60)
    correlation_id: str = Field(min_length=1, max_length=100)
    causation_id: str | None = Field(default=None, max_length=100)
    subject: str = Field(min_length=1, max_length=200)
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        message: Message,
        *,
        producer: str,
        subject: str,
        correlation_id: str,
        causation_id: str | None = None,
        occurred_at: datetime | None = None,
        event_id: uuid.UUID | None = None,
    ) -> Envelope:
        return cls(
            id=event_id or uuid.uuid4(),
            type=message.TYPE,
            occurred_at=occurred_at or datetime.now(UTC),
            producer=producer,
            correlation_id=correlation_id,
            causation_id=causation_id,
            subject=subject,
            data=message.model_dump(mode="json"),
        )
