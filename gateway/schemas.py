"""The gateway's own HTTP models (maintenance)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator


class MaintenanceUpdate(BaseModel):
    """Start maintenance now (``active: true``), schedule it (``active: true`` with a future
    ``starts_at``; it is in effect from ``starts_at`` until ``ends_at``, if given) or end it
    (``active: false``). Times are ISO 8601; without a zone they are taken as UTC."""

    model_config = ConfigDict(extra="forbid")

    active: bool
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    message: str | None = Field(default=None, max_length=2000, description="shown to users")

    @model_validator(mode="after")
    def _window(self) -> MaintenanceUpdate:
        if self.starts_at and self.ends_at and _aware(self.ends_at) <= _aware(self.starts_at):
            raise ValueError("終了日時は開始日時より後にしてください。")
        return self


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class Window(BaseModel):
    starts_at: datetime | None = Field(description="null: already started")
    ends_at: datetime | None = Field(description="null: no announced end")


class Status(BaseModel):
    """Readable by anyone at any time, also during maintenance."""

    maintenance: bool = Field(description="maintenance is in effect now")
    window: Window | None = Field(description="the current or next announced maintenance window")
    message: str | None = None
