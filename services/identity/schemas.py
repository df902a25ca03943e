"""HTTP request and response models (never reused as events)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from services.identity.domain import ESTABLISHMENT_NUMBER_RE, normalize_email


def _normalize(value: object) -> object:
    return normalize_email(value) if isinstance(value, str) else value


Email = Annotated[
    EmailStr,
    BeforeValidator(_normalize),
    Field(max_length=254, description="compared after NFKC normalisation and lower-casing"),
]
PersonName = Annotated[str, Field(min_length=1, max_length=100)]
AuthKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=32,
        description="the 8-character key from the e-mail (letters and digits; case, full-width "
        "forms, spaces and hyphens are ignored)",
    ),
]
# the password policy (8–32 characters …) is checked by the service so that each failed rule is
# reported; this bound only keeps absurd inputs away from Argon2
Password = Annotated[str, Field(min_length=1, max_length=1024)]
EstablishmentNumber = Annotated[
    str, Field(pattern=ESTABLISHMENT_NUMBER_RE.pattern, examples=["1301-000001-8"])
]


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _plausible_birth_date(value: date) -> date:
    if not date(1900, 1, 1) <= value <= date.today():
        raise PydanticCustomError("date_out_of_range", "birth date out of range")
    return value


BirthDate = Annotated[date, AfterValidator(_plausible_birth_date), Field(description="YYYY-MM-DD")]


# --- staff -----------------------------------------------------------------------------------


class EmployerCreate(RequestBody):
    name: str = Field(min_length=1, max_length=200)
    email: Email
    address: str = Field(min_length=1, max_length=200)
    industry: str = Field(min_length=1, max_length=100)


class EmployerCreated(BaseModel):
    employer_id: str
    establishment_number: str = Field(examples=["1301-000001-8"])
    status: Literal["registered"]
    account_id: str


# --- My Page opening, account creation, password reset -------------------------------------


class OpeningRequest(RequestBody):
    account_type: Literal["seeker", "employer"]
    email: Email
    birth_date: BirthDate | None = Field(default=None, validate_default=True, description="seekers")
    establishment_number: EstablishmentNumber | None = Field(
        default=None, validate_default=True, description="employers"
    )
    agree_privacy_policy: Literal[True]
    agree_terms: Literal[True]

    @field_validator("birth_date", "establishment_number")
    @classmethod
    def _required_for_type(cls, value: object, info: ValidationInfo) -> object:
        needed = {"birth_date": "seeker", "establishment_number": "employer"}[str(info.field_name)]
        if value is None and info.data.get("account_type") == needed:
            raise PydanticCustomError("missing", "Field required")
        return value


class AccountRequest(RequestBody):
    email: Email
    agree_privacy_policy: Literal[True]
    agree_terms: Literal[True]


class KeyRedemption(RequestBody):
    email: Email
    auth_key: AuthKey
    password: Password


class PasswordResetRequest(RequestBody):
    email: Email


class Accepted(BaseModel):
    status: Literal["accepted"] = "accepted"
    detail: str = Field(
        default="お申し込みを受け付けました。登録されている場合は、認証キーをメールでお送りします。",
        description="the same answer whether or not anything matched",
    )


class Opened(BaseModel):
    status: Literal["opened"] = "opened"


class AccountCreated(BaseModel):
    account_id: str
    status: Literal["active"] = "active"


class PasswordChanged(BaseModel):
    status: Literal["password_changed"] = "password_changed"


# --- login and tokens -----------------------------------------------------------------------


class LoginRequest(RequestBody):
    email: Email
    password: Password


class RefreshRequest(RequestBody):
    refresh_token: str = Field(min_length=1, max_length=200)


class LogoutRequest(RequestBody):
    refresh_token: str | None = Field(default=None, min_length=1, max_length=200)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="seconds until the access token expires")
    refresh_expires_in: int = Field(description="seconds until the refresh token expires")


class Me(BaseModel):
    """``status`` is the login account's (unopened/active); ``seeker_status`` the registration's."""

    account_id: str
    role: Literal["seeker", "employer", "staff", "admin"]
    email: str
    status: str
    name: str | None = None
    seeker_id: str | None = None
    seeker_number: str | None = None
    employer_id: str | None = None
    establishment_number: str | None = None
    office_code: str | None = None
    seeker_status: Literal["provisional", "registered", "cancelled", "lapsed"] | None = Field(
        default=None, description="the seeker registration's status (仮登録 provisional …)"
    )
    expires_on: date | None = Field(
        default=None, description="the last day the seeker registration is valid"
    )
