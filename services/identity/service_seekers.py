"""What every seeker use case shares: the seeker document, the events that describe it, and
``change_seeker`` — read, decide, write the change with its events in one single-document write
conditional on the version decided on, publish.

The seeker's ``version`` is its account document's: every change of the document bumps it, and
every seeker event carries the version of the change that raised it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import structlog

from contracts import Message
from contracts.identity import SeekerProfileUpdated, SeekerVisibilityChanged
from servicekit.auth import Principal
from servicekit.errors import Forbidden
from services.identity.domain import OFFICE_CODE_RE
from services.identity.domain_seeker import (
    ConcurrentChange,
    OtherOffice,
    SeekerNotFound,
    SeekerNotRegistered,
    accepts_requests_now,
    effective_status,
    matching_profile,
    next_due_on,
    stored_time,
    today_jst,
    valid_until,
)
from services.identity.repository import ACCOUNTS, Doc
from services.identity.repository_seekers import search_name
from services.identity.schemas_profile import PROFILE_FIELDS
from services.identity.service import Identity

log = structlog.get_logger()

ATTEMPTS = 8

EMPTY_PROFILE: dict[str, Any] = {
    "desired_occupations": [],
    "desired_places": [],
    "employment_types": [],
    "desired_wage_min": None,
    "desired_wage_unit": None,
    "working_hours": None,
    "working_days": None,
    "work_history": [],
    "education": None,
    "licenses": [],
    "self_pr": None,
    # visibility is private until the seeker publishes; then requests are welcome unless declined
    "accepts_direct_requests": True,
}
assert set(EMPTY_PROFILE) == set(PROFILE_FIELDS)


def new_seeker(
    *,
    seeker_id: str,
    seeker_number: str,
    office_code: str,
    status: str,
    kind: str,
    personal: dict[str, Any],
    profile: dict[str, Any],
    registered_by: str,
    now: datetime,
) -> Doc:
    """A fresh registration, valid to the end of the month after next."""
    today = today_jst(now)
    expires_on = valid_until(today)
    return {
        "seeker_id": seeker_id,
        "seeker_number": seeker_number,
        "office_code": office_code,
        "status": status,
        "kind": kind,
        **personal,
        "search_name": search_name(personal.get("name"), personal.get("name_kana")),
        "registered_on": today.isoformat(),
        "registered_by": registered_by,
        "confirmed_on": None,
        "confirmed_by": None,
        "expires_on": expires_on.isoformat(),
        "due_on": next_due_on(expires_on, []).isoformat(),
        "notices": [],
        "visibility": "private",
        "profile": {**EMPTY_PROFILE, **profile},
        "annotations": [],
        "consultations": [],
        "cancelled_on": None,
        "cancelled_by": None,
        "lapsed_on": None,
        "updated_at": now,
    }


def seeker_of(account: Doc) -> Doc:
    seeker: Doc | None = account.get("seeker")
    if not seeker:
        raise SeekerNotRegistered()
    return seeker


# --- events ----------------------------------------------------------------------------------


def profile_updated(seeker: Doc, version: int, today: date) -> SeekerProfileUpdated:
    """The whole matching profile with the visibility; ``accepts_direct_requests`` says whether
    an employer may send a direct request now (public, active and accepted by the seeker)."""
    return SeekerProfileUpdated(
        seeker_id=seeker["seeker_id"],
        office_code=seeker["office_code"],
        status=effective_status(seeker, today),
        visibility=seeker["visibility"],
        accepts_direct_requests=accepts_requests_now(seeker, today),
        profile=matching_profile(seeker, today),
        version=version,
    )


def visibility_changed(seeker: Doc, version: int, today: date) -> SeekerVisibilityChanged:
    return SeekerVisibilityChanged(
        seeker_id=seeker["seeker_id"],
        visibility=seeker["visibility"],
        accepts_direct_requests=accepts_requests_now(seeker, today),
        version=version,
    )


# --- the versioned change ----------------------------------------------------------------------


@dataclass
class Change:
    """A decision: the seeker document after the change, the events it raises, other account
    fields to set, and a word for the caller (what happened)."""

    seeker: Doc
    events: list[Message] = field(default_factory=list)
    account: Doc = field(default_factory=dict)
    outcome: str = "changed"


# (account, the version this change will have, today in Japan) → a change, or None for nothing
Decide = Callable[[Doc, int, date], Change | None]


@dataclass
class Changed:
    account: Doc
    change: Change | None


async def change_seeker(
    identity: Identity, account_id: str, decide: Decide, *, needs_seeker: bool = True
) -> Changed:
    """Read the account, decide, write if the version is still the one read; retried when
    another writer was first. ``decide`` is pure and may raise a DomainError (nothing is written
    then)."""
    for _ in range(ATTEMPTS):
        account = await identity.repo.account_by_id(account_id)
        if account is None:
            raise SeekerNotRegistered()
        if needs_seeker:
            seeker_of(account)
        now = stored_time(identity.clock.now())
        today = today_jst(now)
        current = int(account.get("version", 1))
        version = current + 1
        change = decide(account, version, today)
        if change is None:
            return Changed(account, None)
        subject = change.seeker["seeker_id"]
        change.seeker["updated_at"] = now
        written = await identity.seekers.write(
            account_id,
            expect_version=current,
            version=version,
            set_={"seeker": change.seeker, "updated_at": now, **change.account},
            events=tuple(identity.envelope(e, subject=subject) for e in change.events),
        )
        if not written:
            continue
        if change.events:
            identity.kick(ACCOUNTS, account_id)
        updated = {**account, **change.account, "seeker": change.seeker, "version": version}
        return Changed(updated, change)
    log.warning("identity.seeker.change_contended", account_id=account_id)
    raise ConcurrentChange()


# --- staff access ----------------------------------------------------------------------------


def staff_office(staff: Principal) -> str:
    if not staff.office_code or not OFFICE_CODE_RE.match(staff.office_code):
        raise Forbidden(
            "no_office",
            ja="この職員アカウントには所属安定所が設定されていません。",
            en="This staff account has no office.",
        )
    return staff.office_code


def check_office(staff: Principal, seeker: Doc) -> None:
    """Staff act for their own office's seekers only; an administrator for every office."""
    if staff.is_admin:
        return
    if staff_office(staff) != seeker.get("office_code"):
        raise OtherOffice()


async def account_for_staff(identity: Identity, staff: Principal, seeker_id: str) -> Doc:
    account = await identity.seekers.account_of_seeker(seeker_id)
    if account is None or not account.get("seeker"):
        raise SeekerNotFound()
    check_office(staff, account["seeker"])
    return account


def staff_decide(staff: Principal, decide: Decide) -> Decide:
    """The office check again on the document the change is decided on."""

    def checked(account: Doc, version: int, today: date) -> Change | None:
        check_office(staff, seeker_of(account))
        return decide(account, version, today)

    return checked
