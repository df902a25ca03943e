"""HTTP request and response models (never reused as events). Free text is NFKC-normalised with
control characters removed before its length is checked."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from services.applications.domain import Action, Status, clean_text

ID = r"^[0-9a-f]{32}$"
CURSOR = r"^[0-9]{14}-[0-9a-f]{32}$"


def _clean(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


Motivation = Annotated[str, BeforeValidator(_clean), Field(min_length=1, max_length=2000)]
RequestMessage = Annotated[str, BeforeValidator(_clean), Field(min_length=1, max_length=1000)]
Note = Annotated[str, BeforeValidator(_clean), Field(min_length=1, max_length=1000)]
Reason = Annotated[str, BeforeValidator(_clean), Field(min_length=1, max_length=500)]
Place = Annotated[str, BeforeValidator(_clean), Field(min_length=1, max_length=200)]
Id = Annotated[str, Field(pattern=ID, description="32 hex digits")]
ConditionsText = Annotated[str, BeforeValidator(_clean), Field(min_length=1, max_length=200)]
CONDITIONS_ITEMS = ("wage", "hours", "holidays", "place", "contract_type", "other")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- request bodies --------------------------------------------------------------------------


class ApplyBody(Body):
    job_id: Id
    route: Literal["referral", "direct"] = Field(
        description="referral: オンライン紹介 (staff issue a letter); direct: オンライン自主応募"
    )
    motivation: Motivation = Field(description="志望動機, ≤ 2000 characters")
    request_id: Id | None = Field(default=None, description="the direct request this answers")

    @model_validator(mode="after")
    def _request_is_direct(self) -> ApplyBody:
        if self.request_id is not None and self.route != "direct":
            raise ValueError("リクエストへの応募は自主応募（direct）で行ってください。")
        return self


class ConditionsItemBody(Body):
    item: Literal["wage", "hours", "holidays", "place", "contract_type", "other"] = Field(
        description="賃金, 労働時間, 休日, 就業場所, 雇用形態・契約期間, その他"
    )
    text: ConditionsText = Field(description="what differs, ≤ 200 characters")


class StatusBody(Body):
    status: Literal["screening", "interview", "offered", "hired", "rejected"]
    note: Note | None = None
    interview_at: AwareDatetime | None = Field(default=None, description="required for interview")
    interview_place: Place | None = Field(default=None, description="required for interview")
    conditions_differ: bool | None = Field(
        default=None, description="offered/hired: hiring conditions differ from the posting"
    )
    conditions_note: Note | None = Field(
        default=None,
        description="how they differ overall; conditions_differ true needs items or this note",
    )
    conditions_items: list[ConditionsItemBody] | None = Field(
        default=None,
        max_length=len(CONDITIONS_ITEMS),
        description="what differs, item by item (each item once); only with conditions_differ",
    )

    @model_validator(mode="after")
    def _consistent(self) -> StatusBody:
        if self.status == "interview":
            if self.interview_at is None or self.interview_place is None:
                raise ValueError("面接の日時（interview_at）と場所（interview_place）が必要です。")
        elif self.interview_at is not None or self.interview_place is not None:
            raise ValueError("面接の日時と場所は面接（interview）のときだけ指定できます。")
        if self.status not in ("offered", "hired") and (
            self.conditions_differ is not None
            or self.conditions_note is not None
            or self.conditions_items is not None
        ):
            raise ValueError(
                "労働条件の相違は内定（offered）・採用（hired）のときだけ指定できます。"
            )
        if self.conditions_differ and self.conditions_note is None and not self.conditions_items:
            raise ValueError(
                "求人票と異なる労働条件の項目（conditions_items）か内容（conditions_note）を"
                "入力してください。"
            )
        if not self.conditions_differ and (
            self.conditions_items is not None or self.conditions_note is not None
        ):
            raise ValueError(
                "労働条件の相違の内容は、相違がある（conditions_differ: true）ときだけ指定できます。"
            )
        kinds = [i.item for i in self.conditions_items or []]
        if len(set(kinds)) != len(kinds):
            raise ValueError("労働条件の相違の項目は、同じ項目を一度だけ指定してください。")
        return self


class DeclineBody(Body):
    reason: Reason = Field(description="shown to the seeker")


class WithdrawBody(Body):
    reason: Reason | None = None


class RequestBody(Body):
    seeker_id: Id
    job_id: Id
    message: RequestMessage = Field(description="≤ 1000 characters")


# --- responses -------------------------------------------------------------------------------


class ConditionsItemOut(BaseModel):
    item: str
    text: str


class TimelineEntry(BaseModel):
    version: int
    status: Status
    action: str = Field(description="submitted, issue_referral, screening, …, withdraw, …")
    at: datetime
    by_role: str
    by_id: str | None = Field(default=None, description="shown to staff only")
    note: str | None = None
    reason: str | None = None
    interview_at: datetime | None = None
    interview_place: str | None = None
    conditions_differ: bool | None = None
    conditions_note: str | None = None
    conditions_items: list[ConditionsItemOut] | None = None
    referral_number: str | None = None
    request_id: str | None = None


class Interview(BaseModel):
    at: datetime
    place: str


class Conditions(BaseModel):
    """The employer's answer, with the offer or the hire, whether the working conditions match
    the posting (the newest answer counts)."""

    differ: bool
    note: str | None = None
    items: list[ConditionsItemOut] = Field(default_factory=list, description="what differs")
    status: str | None = Field(default=None, description="offered or hired: answered with it")
    at: datetime | None = None


class ReferralSummary(BaseModel):
    referral_number: str
    issued_on: date
    office_code: str
    office_name: str
    letter_url: str


class PostingNotice(BaseModel):
    reason: Literal["closed", "expired"]
    at: datetime


class DesiredPlace(BaseModel):
    prefecture: str
    municipality: str | None = None


class DesiredConditions(BaseModel):
    """The public profile's desired conditions: never a name or contact details."""

    desired_occupations: list[str] = []
    desired_places: list[DesiredPlace] = []
    employment_types: list[str] = []
    desired_wage_min: int | None = None
    desired_wage_unit: str | None = None
    working_hours: str | None = None
    working_days: str | None = None


class ApplicantSummary(BaseModel):
    seeker_id: str
    seeker_number: str | None = None
    age_band: str | None = None
    desired: DesiredConditions | None = Field(
        default=None, description="only while the seeker's profile is public"
    )


class ApplicationOut(BaseModel):
    application_id: str
    status: Status
    route: Literal["referral", "direct"]
    job_id: str
    job_number: str
    title: str
    revision: int = Field(description="the posting revision applied to")
    employer_id: str
    employer_name: str | None = None
    seeker_id: str
    seeker_number: str | None = None
    office_code: str = Field(description="the seeker's office")
    motivation: str
    submitted_at: datetime
    submitted_on: date
    updated_at: datetime
    request_id: str | None = None
    timeline: list[TimelineEntry]
    referral: ReferralSummary | None = None
    interview: Interview | None = None
    conditions: Conditions | None = None
    decline_reason: str | None = None
    withdrawn_reason: str | None = None
    posting_notice: PostingNotice | None = None
    next_actions: list[Action] = Field(
        default_factory=list,
        description="what the caller may do next from this status (the state machine's moves "
        "for the caller's role): e.g. screening, interview, offered, hired, rejected, withdraw",
    )
    posting: dict[str, Any] | None = Field(
        default=None, description="snapshot of the revision applied to (seeker, staff)"
    )
    applicant: ApplicantSummary | None = Field(default=None, description="employer, staff")


class ApplicationPage(BaseModel):
    items: list[ApplicationOut]
    next_cursor: str | None = None


class SeekerCard(BaseModel):
    seeker_id: str = Field(description="opaque; use it to send a direct request")
    age_band: str | None = None
    desired: DesiredConditions
    accepts_direct_requests: bool


class SeekerPage(BaseModel):
    items: list[SeekerCard]
    next_cursor: str | None = None


class RequestOut(BaseModel):
    request_id: str
    status: Literal["pending", "answered", "declined", "expired"]
    job_id: str
    job_number: str
    title: str
    employer_id: str
    employer_name: str
    seeker_id: str
    message: str
    sent_at: datetime
    application_id: str | None = None
    expired_reason: str | None = None
    via: Literal["http", "amqp"] | None = Field(default=None, description="employer only")
    client_reference: str | None = Field(default=None, description="employer only")


class Quota(BaseModel):
    limit: int
    used: int
    remaining: int


class RequestPage(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None = None
    quota: Quota | None = Field(default=None, description="with job_id: the posting's quota")


class LetterOffice(BaseModel):
    code: str
    name: str


class ReferralLetter(BaseModel):
    """紹介状: the seeker is identified by the seeker number (the name is kept by identity)."""

    application_id: str
    referral_number: str
    issued_on: date
    office: LetterOffice
    seeker_id: str
    seeker_number: str | None
    employer_id: str
    employer_name: str | None
    status: Status
    posting: dict[str, Any]
