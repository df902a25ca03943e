"""Events published by the identity service."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Event

OfficeCode = str  # five digits, e.g. "13010"
SeekerStatus = Literal["provisional", "registered", "cancelled", "lapsed"]
Visibility = Literal["public", "private"]
EmploymentType = Literal["full_time", "contract", "dispatch", "part_time", "other"]
WageUnit = Literal["monthly", "daily", "hourly"]
PREFECTURE = r"^(0[1-9]|[1-3][0-9]|4[0-7])$"


class SeekerRegistered(Event):
    """Staff registered a seeker at the counter (or a provisional online application arrived)."""

    TYPE: ClassVar[str] = "identity.seeker.registered.v1"
    seeker_id: str
    seeker_number: str = Field(pattern=r"^\d{5}-\d{8}$")
    office_code: OfficeCode = Field(pattern=r"^\d{5}$")
    status: Literal["registered", "provisional"]
    registered_on: date
    version: int = Field(ge=1, description="aggregate version, for order-safe projections")
    account_id: str | None = Field(
        default=None, description="set when the seeker already has a login"
    )
    expires_on: date | None = Field(default=None, description="last day the registration is valid")


class EmployerRegistered(Event):
    """Staff registered an establishment (事業所)."""

    TYPE: ClassVar[str] = "identity.employer.registered.v1"
    employer_id: str
    establishment_number: str = Field(pattern=r"^\d{4}-\d{6}-\d$")
    name: str
    office_code: OfficeCode = Field(pattern=r"^\d{5}$")
    industry: str
    has_mypage: bool = False
    version: int = Field(ge=1)


class MypageOpened(Event):
    """A seeker or employer completed the My Page opening: the login now works."""

    TYPE: ClassVar[str] = "identity.mypage.opened.v1"
    account_id: str
    account_type: Literal["seeker", "employer"]
    seeker_id: str | None = None
    employer_id: str | None = None
    version: int = Field(ge=1)


class PasswordChanged(Event):
    """A password was set anew (reset). No password material travels."""

    TYPE: ClassVar[str] = "identity.password.changed.v1"
    account_id: str
    reason: Literal["reset", "change"]


class SessionEnded(Event):
    """A login session ended (logout, a reused refresh token, or a session found invalid): every
    access token of the session (its ``sid`` claim) stops working now, not at its ``exp``. Every
    service and the gateway keep the session id until ``tokens_valid_until`` and refuse its
    tokens; the notifier ends the session's open event streams."""

    TYPE: ClassVar[str] = "identity.session.ended.v1"
    session_id: str
    account_id: str
    reason: Literal["logout", "refresh_token_reused", "invalid"]
    tokens_valid_until: datetime = Field(
        description="the latest ``exp`` an access token of the session can carry; the session "
        "id may be forgotten after it"
    )


class AccountSessionsEnded(Event):
    """Every session of the account up to now ended (a password reset): every access token of the
    account whose token epoch (claim ``tep``; absent means 0) is below ``token_epoch`` stops
    working now. One event per account, not one per session: it also covers sessions a
    consumer never heard of."""

    TYPE: ClassVar[str] = "identity.account.sessions_ended.v1"
    account_id: str
    token_epoch: int = Field(ge=1, description="tokens with a lower ``tep`` are revoked")
    reason: Literal["password_reset"]
    tokens_valid_until: datetime = Field(
        description="the latest ``exp`` a revoked token can carry; the record may be forgotten "
        "after it"
    )


class DesiredPlace(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    prefecture: str = Field(pattern=PREFECTURE, description="JIS X 0401 code")
    municipality: str | None = None


class MatchingProfile(BaseModel):
    """A seeker's desired conditions and experience WITHOUT personal data: never the name, address,
    birth date, e-mail or phone (an age band instead). Employers may see it only while the
    profile's visibility is public; matching (automatic recommendations) may always use it."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    age_band: str | None = Field(default=None, description='e.g. "25-29"')
    desired_occupations: tuple[str, ...] = ()
    desired_places: tuple[DesiredPlace, ...] = ()
    employment_types: tuple[EmploymentType, ...] = ()
    desired_wage_min: int | None = None
    desired_wage_unit: WageUnit | None = None
    working_hours: str | None = None
    working_days: str | None = None
    licenses: tuple[str, ...] = ()
    education: str | None = None
    experience: str | None = None
    self_pr: str | None = None


class SeekerProfileUpdated(Event):
    """The seeker (or staff) changed the profile; carries the whole matching profile."""

    TYPE: ClassVar[str] = "identity.seeker.profile_updated.v1"
    seeker_id: str
    office_code: OfficeCode = Field(pattern=r"^\d{5}$")
    status: SeekerStatus
    visibility: Visibility
    accepts_direct_requests: bool
    profile: MatchingProfile
    version: int = Field(ge=1)


class SeekerVisibilityChanged(Event):
    """公開/非公開 switched. Private: hidden from employers at once, no new direct requests."""

    TYPE: ClassVar[str] = "identity.seeker.visibility_changed.v1"
    seeker_id: str
    visibility: Visibility
    accepts_direct_requests: bool
    version: int = Field(ge=1)


class SeekerCancelled(Event):
    """The registration was cancelled (取消): leave employers' view, close what is open."""

    TYPE: ClassVar[str] = "identity.seeker.cancelled.v1"
    seeker_id: str
    cancelled_by: Literal["seeker", "staff"]
    cancelled_on: date
    version: int = Field(ge=1)


class SeekerConfirmed(Event):
    """Staff confirmed a provisional (online) registration: now a full registration."""

    TYPE: ClassVar[str] = "identity.seeker.confirmed.v1"
    seeker_id: str
    seeker_number: str = Field(pattern=r"^\d{5}-\d{8}$")
    office_code: OfficeCode = Field(pattern=r"^\d{5}$")
    expires_on: date
    version: int = Field(ge=1)


class RegistrationExpiring(Event):
    """The registration ends soon (raised 14, 7 and 1 days before)."""

    TYPE: ClassVar[str] = "identity.seeker.registration_expiring.v1"
    seeker_id: str
    expires_on: date
    days_left: int = Field(ge=0, le=31)
    version: int = Field(ge=1)


class RegistrationLapsed(Event):
    """The registration's validity ended: the My Page is read-only until staff renew it."""

    TYPE: ClassVar[str] = "identity.seeker.registration_lapsed.v1"
    seeker_id: str
    expired_on: date
    version: int = Field(ge=1)


class RegistrationExtended(Event):
    """The validity was extended (activity in the last month) or renewed by staff."""

    TYPE: ClassVar[str] = "identity.seeker.registration_extended.v1"
    seeker_id: str
    expires_on: date
    reason: Literal["application", "referral", "consultation", "renewal"]
    version: int = Field(ge=1)


EVENTS: tuple[type[Event], ...] = (
    SeekerRegistered,
    EmployerRegistered,
    MypageOpened,
    PasswordChanged,
    SessionEnded,
    AccountSessionsEnded,
    SeekerProfileUpdated,
    SeekerVisibilityChanged,
    SeekerCancelled,
    SeekerConfirmed,
    RegistrationExpiring,
    RegistrationLapsed,
    RegistrationExtended,
)
