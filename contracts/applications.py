"""Events published by the applications service, and the command employer systems send over AMQP.

Applications (応募) and direct requests (リクエスト) are aggregates with a ``version`` that grows by
one with every change; each event about them carries the version it produced, for order-safe
projections. ``applications.request.rejected.v1`` is an answer to an employer system, not an
aggregate change, and has no version.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Command, Event

Route = Literal["referral", "direct"]
ApplicationStatus = Literal[
    "referral_requested",
    "applied",
    "referred",
    "screening",
    "interview",
    "offered",
    "hired",
    "rejected",
    "withdrawn",
    "declined",
]
ActorRole = Literal["seeker", "employer", "staff", "admin", "system"]
OFFICE = r"^\d{5}$"
JOB_NUMBER = r"^\d{5}-\d{8}$"
REFERRAL_NUMBER = r"^\d{5}-R-\d{4}-\d{6}$"
# the working conditions a hire (or an offer) may differ in from the posting (労働条件の相違)
ConditionsItemKind = Literal["wage", "hours", "holidays", "place", "contract_type", "other"]


class ConditionsItem(BaseModel):
    """One working condition that differs from the posting, in the employer's words."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    item: ConditionsItemKind
    text: str = Field(min_length=1, max_length=200)


class ApplicationSubmitted(Event):
    """A seeker applied to a posting, through the office (``referral``: waits for staff) or
    straight to the employer (``direct``). Extends the seeker's registration (identity)."""

    TYPE: ClassVar[str] = "applications.application.submitted.v1"
    application_id: str
    seeker_id: str
    seeker_number: str | None = None
    employer_id: str
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER)
    title: str
    revision: int = Field(ge=1, description="the posting revision applied to")
    route: Route
    status: Literal["referral_requested", "applied"]
    office_code: str = Field(pattern=OFFICE, description="the seeker's office")
    submitted_on: date = Field(description="Japan date")
    request_id: str | None = Field(default=None, description="the direct request answered")
    version: int = Field(ge=1, description="application version (1)")


class ReferralIssued(Event):
    """Staff issued the referral letter (紹介状): the application goes to the employer.
    Extends the seeker's registration (identity)."""

    TYPE: ClassVar[str] = "applications.application.referral_issued.v1"
    application_id: str
    seeker_id: str
    employer_id: str
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER)
    referral_number: str = Field(pattern=REFERRAL_NUMBER, description="e.g. 13010-R-2026-000123")
    office_code: str = Field(pattern=OFFICE, description="the issuing office")
    office_name: str
    issued_on: date = Field(description="Japan date")
    issued_by: str = Field(description="the staff account id")
    version: int = Field(ge=1)


class ReferralDeclined(Event):
    """Staff declined to refer; the seeker sees the reason."""

    TYPE: ClassVar[str] = "applications.application.referral_declined.v1"
    application_id: str
    seeker_id: str
    job_id: str
    office_code: str = Field(pattern=OFFICE)
    reason: str
    declined_by: str = Field(description="the staff account id")
    version: int = Field(ge=1)


class ApplicationStatusChanged(Event):
    """The employer (or staff) moved the application on: screening, interview, offer, hire,
    rejection."""

    TYPE: ClassVar[str] = "applications.application.status_changed.v1"
    application_id: str
    seeker_id: str
    employer_id: str
    job_id: str
    from_status: ApplicationStatus
    to_status: ApplicationStatus
    note: str | None = None
    interview_at: datetime | None = None
    interview_place: str | None = None
    conditions_differ: bool | None = Field(
        default=None, description="hiring conditions differ from the posting (offer/hire)"
    )
    conditions_note: str | None = Field(
        default=None,
        description="how they differ, one text: the employer's note, else the items joined",
    )
    conditions_items: tuple[ConditionsItem, ...] | None = Field(
        default=None, description="what differs, item by item (absent in older messages)"
    )
    by_role: ActorRole
    by_id: str
    version: int = Field(ge=1)


class ApplicationWithdrawn(Event):
    """The seeker withdrew (辞退), or the application ended because the registration was
    cancelled (``by_role`` system)."""

    TYPE: ClassVar[str] = "applications.application.withdrawn.v1"
    application_id: str
    seeker_id: str
    employer_id: str
    job_id: str
    from_status: ApplicationStatus
    reason: str | None = None
    by_role: ActorRole
    employer_notified: bool = Field(description="the employer had already received it")
    version: int = Field(ge=1)


class ApplicationPostingClosed(Event):
    """The posting of an open application was closed or expired: no effect on the application's
    status, a note for the seeker and the employer."""

    TYPE: ClassVar[str] = "applications.application.posting_closed.v1"
    application_id: str
    seeker_id: str
    employer_id: str
    job_id: str
    status: ApplicationStatus
    reason: Literal["closed", "expired"]
    version: int = Field(ge=1)


class RequestSent(Event):
    """An employer sent a direct request (リクエスト): a posting and a message for the seeker's
    My Page. The messaging service opens the conversation with ``message``."""

    TYPE: ClassVar[str] = "applications.request.sent.v1"
    request_id: str
    seeker_id: str
    employer_id: str
    employer_name: str
    job_id: str
    job_number: str = Field(pattern=JOB_NUMBER)
    title: str
    message: str
    via: Literal["http", "amqp"]
    client_reference: str | None = Field(default=None, description="the employer system's id")
    sent_at: datetime
    version: int = Field(ge=1, description="request version (1)")


class RequestDeclined(Event):
    """The seeker declined a direct request."""

    TYPE: ClassVar[str] = "applications.request.declined.v1"
    request_id: str
    seeker_id: str
    employer_id: str
    job_id: str
    version: int = Field(ge=1)


class RequestExpired(Event):
    """A pending direct request can no longer be answered: the posting closed or expired, or the
    seeker's registration was cancelled."""

    TYPE: ClassVar[str] = "applications.request.expired.v1"
    request_id: str
    seeker_id: str
    employer_id: str
    job_id: str
    reason: Literal["posting_closed", "posting_expired", "seeker_cancelled"]
    version: int = Field(ge=1)


class RequestRejected(Event):
    """An employer system's request message was refused (invalid, unauthorised or against the
    rules). Forwarded to the employer's reply queue (exchange ``employer.replies``, routing key =
    employer id)."""

    TYPE: ClassVar[str] = "applications.request.rejected.v1"
    employer_id: str
    message_id: str = Field(description="the AMQP message_id of the refused message")
    client_reference: str | None = None
    job_id: str | None = None
    seeker_id: str | None = None
    code: str = Field(description="machine code, e.g. request_quota_exceeded, invalid_message")
    detail: str = Field(description="Japanese explanation")
    detail_en: str


class EmployerRequestSubmitted(Command):
    """A direct request from an employer system, published on the ``employer.requests`` exchange
    by the employer's own RabbitMQ user with the ``user_id`` property set (RabbitMQ checks it).
    The sender is that user, never a field of the message. Body: this object as plain JSON (or
    inside the standard envelope); ``message_id`` property required (duplicates have one effect).
    """

    TYPE: ClassVar[str] = "employer.request.submitted.v1"
    job_id: str = Field(min_length=1, max_length=64)
    seeker_id: str = Field(min_length=1, max_length=64)
    message: str = Field(min_length=1, max_length=4000, description="≤ 1000 after normalising")
    client_reference: str | None = Field(default=None, max_length=100)


EVENTS: tuple[type[Event], ...] = (
    ApplicationSubmitted,
    ReferralIssued,
    ReferralDeclined,
    ApplicationStatusChanged,
    ApplicationWithdrawn,
    ApplicationPostingClosed,
    RequestSent,
    RequestDeclined,
    RequestExpired,
    RequestRejected,
)
COMMANDS: tuple[type[Command], ...] = (EmployerRequestSubmitted,)
