"""Events published by the identity service."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from contracts.envelope import Event

OfficeCode = str  # five digits, e.g. "13010"


class SeekerRegistered(Event):
    """Staff registered a seeker at the counter (or a provisional online application arrived)."""

    TYPE: ClassVar[str] = "identity.seeker.registered.v1"
    seeker_id: str
    seeker_number: str = Field(pattern=r"^\d{5}-\d{8}$")
    office_code: OfficeCode = Field(pattern=r"^\d{5}$")
    status: Literal["registered", "provisional"]
    registered_on: date
    version: int = Field(ge=1, description="aggregate version, for order-safe projections")


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


EVENTS: tuple[type[Event], ...] = (
    SeekerRegistered,
    EmployerRegistered,
    MypageOpened,
    PasswordChanged,
)
