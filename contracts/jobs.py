"""Events published by the jobs service. Postings carry a full ``PostingSnapshot`` of the revision
they describe, so that applications and referral letters keep what the seeker applied to."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Event

EmploymentType = Literal["full_time", "contract", "dispatch", "part_time", "other"]
WageUnit = Literal["monthly", "daily", "hourly"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TwoDayWeekend = Literal["every_week", "biweekly", "monthly", "other", "none"]
Insurance = Literal["employment", "workers_comp", "health", "pension"]
Education = Literal["none", "high_school", "vocational", "junior_college", "university", "graduate"]
Remote = Literal["none", "partial", "full"]
# 労働施策総合推進法施行規則 第1条の3 第1項: the legal exceptions that allow an age limit
AgeLimitReason = Literal["1", "2a", "2b", "2c", "2d", "3a", "3b"]
PREFECTURE = r"^(0[1-9]|[1-3][0-9]|4[0-7])$"
JOB_NUMBER = r"^\d{5}-\d{8}$"


class WorkPlace(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    prefecture: str = Field(pattern=PREFECTURE, description="JIS X 0401 code")
    prefecture_name: str
    municipality: str
    nearest_station: str | None = None


class PostingSnapshot(BaseModel):
    """Everything a referral letter or an application needs of one revision of a posting."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER, description="求人番号: office code + serial")
    revision: int = Field(ge=1)
    employer_id: str
    employer_name: str
    office_code: str = Field(pattern=r"^\d{5}$")
    title: str
    description: str
    occupation_code: str = Field(description="MHLW occupation classification, middle group")
    occupation_name: str
    places: tuple[WorkPlace, ...] = Field(min_length=1, description="the first is the main one")
    employment_type: EmploymentType
    fixed_term: bool
    contract_period: str | None = None
    wage_min: int = Field(ge=0)
    wage_max: int | None = None
    wage_unit: WageUnit
    bonus: bool
    bonus_note: str | None = None
    working_hours: str | None = None
    overtime: bool
    overtime_hours_monthly: int | None = None
    days_off: tuple[Weekday, ...] = ()
    public_holidays_off: bool
    annual_holidays: int | None = None
    two_day_weekend: TwoDayWeekend
    insurance: tuple[Insurance, ...] = ()
    age_min: int | None = None
    age_max: int | None = None
    age_limit_reason: AgeLimitReason | None = None
    education_required: Education
    experience_required: bool
    experience_note: str | None = None
    licenses_required: tuple[str, ...] = ()
    openings: int = Field(ge=1)
    remote: Remote
    accepts_online_referral: bool
    accepts_direct_application: bool
    published_at: datetime
    valid_until: date = Field(description="last day the posting is valid (Japan time)")


class PostingPublished(Event):
    """A new posting is open for applications and in search."""

    TYPE: ClassVar[str] = "jobs.posting.published.v1"
    job_id: str
    version: int = Field(ge=1, description="aggregate version, for order-safe projections")
    posting: PostingSnapshot


class PostingChanged(Event):
    """The posting's content changed: a new revision, with its full snapshot."""

    TYPE: ClassVar[str] = "jobs.posting.changed.v1"
    job_id: str
    version: int = Field(ge=1)
    revision: int = Field(ge=2)
    changed_fields: tuple[str, ...]
    status: Literal["open", "expired"]
    posting: PostingSnapshot


class PostingClosed(Event):
    """The employer (or staff) closed the posting: no new applications."""

    TYPE: ClassVar[str] = "jobs.posting.closed.v1"
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER)
    employer_id: str
    version: int = Field(ge=1)
    closed_by: Literal["employer", "staff"]
    reason: str | None = None


class PostingExpired(Event):
    """The posting's validity ended (checked by the jobs service, not by a TTL)."""

    TYPE: ClassVar[str] = "jobs.posting.expired.v1"
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER)
    employer_id: str
    version: int = Field(ge=1)
    valid_until: date


class PostingRenewed(Event):
    """The validity was extended; an expired posting is open again (``reopened``)."""

    TYPE: ClassVar[str] = "jobs.posting.renewed.v1"
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER)
    employer_id: str
    version: int = Field(ge=1)
    revision: int = Field(ge=1)
    valid_until: date
    reopened: bool


class MatchedJob(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER)
    title: str
    employer_name: str


class SavedSearchMatched(Event):
    """A new posting matches a seeker's saved search. At most one per saved search per day (Japan
    time): later matches of the same day are kept by the jobs service, not announced again."""

    TYPE: ClassVar[str] = "jobs.saved_search.matched.v1"
    saved_search_id: str
    seeker_id: str
    name: str
    date: date
    jobs: tuple[MatchedJob, ...] = Field(min_length=1)
    query: str = Field(description="the saved conditions as a query string for GET /api/v1/jobs")


class RecommendationSent(Event):
    """Staff recommended a posting to a seeker of their office (おすすめ求人)."""

    TYPE: ClassVar[str] = "jobs.recommendation.sent.v1"
    recommendation_id: str
    seeker_id: str
    office_code: str = Field(pattern=r"^\d{5}$")
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER)
    title: str
    employer_name: str
    revision: int = Field(ge=1)
    note: str
    sent_by: str = Field(description="the staff account id")


EVENTS: tuple[type[Event], ...] = (
    PostingPublished,
    PostingChanged,
    PostingClosed,
    PostingExpired,
    PostingRenewed,
    SavedSearchMatched,
    RecommendationSent,
)
