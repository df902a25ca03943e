"""HTTP models of seeker registrations: counter registration and online application (with the
profile basics), the profile as the seeker and staff read it, annotations, consultations, the
registration's lifecycle and the staff list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.identity.domain_seeker import ConsultationKind
from services.identity.fields_profile import Line300, RequiredProse2000
from services.identity.schemas import BirthDate, Email, PersonName, RequestBody
from services.identity.schemas_profile import ProfileFields

SeekerStatus = Literal["provisional", "registered", "cancelled", "lapsed"]
Visibility = Literal["public", "private"]
PHONE = r"^\+?[0-9][0-9-]{8,18}[0-9]$"
POSTAL_CODE = r"^\d{3}-?\d{4}$"
OFFICE_CODE = r"^(0[1-9]|[1-3][0-9]|4[0-7])\d{3}$"


# --- registration --------------------------------------------------------------------------


class SeekerPersonal(ProfileFields):
    name: PersonName
    name_kana: PersonName | None = None
    birth_date: BirthDate
    phone: str | None = Field(default=None, pattern=PHONE)
    postal_code: str | None = Field(default=None, pattern=POSTAL_CODE)
    address: str | None = Field(default=None, min_length=1, max_length=200)


class SeekerCreate(SeekerPersonal):
    """Counter registration by staff: e-mail, name, birth date, and any profile basics."""

    email: Email


class SeekerCreated(BaseModel):
    seeker_id: str
    seeker_number: str = Field(examples=["13010-00000001"])
    status: Literal["registered"]
    account_id: str
    expires_on: date


class SeekerApplication(SeekerPersonal):
    """Online seeker application (求職申込み) by an account holder: provisional until staff
    confirm it."""

    office_code: str = Field(
        pattern=OFFICE_CODE,
        description="the five-digit code of the office to register with",
        examples=["13010"],
    )


class SeekerApplied(BaseModel):
    seeker_id: str
    seeker_number: str = Field(examples=["13010-00000002"])
    status: Literal["provisional"]
    expires_on: date


# --- the profile as read ---------------------------------------------------------------------


class DesiredPlace(BaseModel):
    prefecture: str
    municipality: str | None = None


class WorkHistoryItem(BaseModel):
    company: str | None = Field(default=None, description="never shown to employers")
    occupation: str
    from_: str = Field(alias="from", serialization_alias="from")
    to: str | None = None
    description: str | None = None


class Annotation(BaseModel):
    annotation_id: str
    body: str
    source: Literal["office"] = "office"
    label: str = Field(default="ハローワーク追記", description="shown beside the annotation")
    office_code: str
    added_at: datetime


class PublicView(BaseModel):
    """Exactly what employers see while the profile is public: no name, address, birth date,
    e-mail, phone or company names."""

    seeker_id: str
    age_band: str | None = None
    desired_occupations: list[str] = []
    desired_places: list[DesiredPlace] = []
    employment_types: list[str] = []
    desired_wage_min: int | None = None
    desired_wage_unit: str | None = None
    working_hours: str | None = None
    working_days: str | None = None
    licenses: list[str] = []
    education: str | None = None
    experience: str | None = None
    self_pr: str | None = None
    accepts_direct_requests: bool = False


class MissingField(BaseModel):
    field: str = Field(examples=["desired_occupations"], description="the profile field's name")
    label: str = Field(examples=["希望職種"])


class Listing(BaseModel):
    """Whether employers' seeker search lists the profile now."""

    listed: bool
    reason: Literal["private", "cancelled", "lapsed", "missing_fields"] | None = Field(
        description="why it is not listed; null when listed"
    )
    missing_fields: list[MissingField] = Field(
        description="fields the search needs that are empty (also while private: fill them "
        "before publishing)"
    )
    message: str = Field(description="the state in Japanese, for the seeker")


class Profile(BaseModel):
    """The seeker profile (求職情報) with the registration it belongs to."""

    seeker_id: str
    seeker_number: str
    office_code: str
    status: SeekerStatus
    registered_on: date
    expires_on: date | None = None
    cancelled_on: date | None = None
    name: str
    name_kana: str | None = None
    birth_date: date
    phone: str | None = None
    postal_code: str | None = None
    address: str | None = None
    visibility: Visibility
    desired_occupations: list[str] = []
    desired_prefectures: list[str] = []
    desired_places: list[DesiredPlace] = []
    employment_types: list[str] = []
    desired_wage_min: int | None = None
    desired_wage_unit: str | None = None
    working_hours: str | None = None
    working_days: str | None = None
    work_history: list[WorkHistoryItem] = []
    education: str | None = None
    licenses: list[str] = []
    self_pr: str | None = None
    accepts_direct_requests: bool = False
    annotations: list[Annotation] = Field(
        default=[], description="added by the office (ハローワーク追記); read-only for the seeker"
    )
    public_view: PublicView | None = Field(
        description="exactly what employers see; null while they see nothing (private, "
        "cancelled or lapsed)"
    )
    public_preview: PublicView = Field(description="what employers would see if it were public")
    listing: Listing = Field(description="whether employers' seeker search lists it, and why not")
    version: int
    updated_at: datetime | None = None


class Consultation(BaseModel):
    consultation_id: str
    on: date = Field(description="the day of the consultation (Japan date)")
    kind: ConsultationKind
    kind_label: str = Field(examples=["職業相談"])
    note: str
    office_code: str
    recorded_at: datetime
    extended_to: date | None = Field(
        default=None, description="the new last valid day, when this consultation extended it"
    )


class StaffSeekerView(Profile):
    """A seeker as their office sees them."""

    account_id: str
    email: str
    account_status: str = Field(description="unopened (no My Page yet) or active")
    registration_kind: Literal["counter", "online"]
    consultations: list[Consultation] = []


# --- changes -------------------------------------------------------------------------------


class VisibilityChange(RequestBody):
    visibility: Visibility


class CancelRequest(RequestBody):
    reason: Line300 = None


class Registration(BaseModel):
    seeker_id: str
    status: SeekerStatus
    expires_on: date | None = None
    cancelled_on: date | None = None


class AnnotationCreate(RequestBody):
    body: RequiredProse2000 = Field(description="shown to the seeker as ハローワーク追記")


class ConsultationCreate(RequestBody):
    note: RequiredProse2000 = Field(description="what was discussed at the counter (≤ 2000)")
    kind: ConsultationKind = Field(
        default="career",
        description="職業相談 career, 応募書類 documents, 面接指導 interview_practice, 求人情報 "
        "job_search, セミナー seminar, 職業訓練 training, その他 other",
    )
    on: date | None = Field(
        default=None,
        description="the day it took place (default today); not in the future, at most a year back",
    )


class ConsultationRecorded(Consultation):
    expires_on: date


# --- staff list ------------------------------------------------------------------------------


class SeekerSummary(BaseModel):
    seeker_id: str
    seeker_number: str
    office_code: str
    name: str
    name_kana: str | None = None
    status: SeekerStatus
    registered_on: date
    expires_on: date | None = None
    visibility: Visibility


class SeekerPage(BaseModel):
    items: list[SeekerSummary]
    next_cursor: str | None = None


class Export(BaseModel):
    """Everything identity holds about the account holder (other services' parts join later)."""

    exported_at: datetime
    account: dict[str, Any]
    agreements: dict[str, Any] | None = None
    registration: dict[str, Any] | None = None
    profile: dict[str, Any] | None = None
    annotations: list[dict[str, Any]] = []
    consultations: list[dict[str, Any]] = []
    login_history: list[dict[str, Any]] = []
