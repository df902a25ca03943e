"""HTTP model of the seeker's activity record (求職活動実績)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ActivityItem(BaseModel):
    on: date = Field(description="応募日・活動日 (Japan date)")
    kind: Literal["application", "referral", "interview", "consultation"]
    kind_label: str = Field(examples=["求人への応募"], description="求職活動の方法")
    employer_name: str | None = Field(default=None, description="事業所名")
    job_number: str | None = Field(default=None, description="求人番号")
    title: str | None = Field(default=None, description="職種 (the posting's title)")
    method: str | None = Field(
        default=None,
        description="応募方法 (直接応募・ハローワークの紹介), or the kind of consultation",
    )
    result: str | None = Field(default=None, description="結果 so far (選考中, 採用, 不採用 …)")
    status: str | None = Field(default=None, description="the application's status key")
    application_id: str | None = None
    referral_number: str | None = None
    interview_at: datetime | None = None
    consultation_kind: str | None = None
    office_code: str | None = Field(default=None, description="the consultation's office")


class ActivityRecord(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    seeker_number: str
    name: str | None = None
    office_code: str
    generated_at: datetime
    count: int
    items: list[ActivityItem]
