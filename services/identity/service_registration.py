"""Registrations made by the office: seekers and establishments at the counter, and staff
accounts from the command line."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import structlog
from pydantic import TypeAdapter, ValidationError

from contracts import Message
from contracts.identity import EmployerRegistered, SeekerRegistered
from servicekit import outbox
from servicekit.auth import Principal
from servicekit.errors import DomainError, Forbidden
from services.identity.domain import (
    OFFICE_CODE_RE,
    EmailTaken,
    PasswordPolicyError,
    establishment_number,
    normalize_email,
    seeker_number,
)
from services.identity.domain_seeker import stored_time, today_jst
from services.identity.password_policy import check_password
from services.identity.repository import ACCOUNTS
from services.identity.schemas import Email, EmployerCreate
from services.identity.schemas_seekers import SeekerCreate, SeekerPersonal
from services.identity.service import Identity
from services.identity.service_profile import merged_profile
from services.identity.service_seekers import new_seeker, profile_updated

log = structlog.get_logger()


def _office_of(staff: Principal) -> str:
    if not staff.office_code or not OFFICE_CODE_RE.match(staff.office_code):
        raise Forbidden(
            "no_office",
            ja="この職員アカウントには所属安定所が設定されていません。",
            en="This staff account has no office.",
        )
    return staff.office_code


async def _ensure_email_free(identity: Identity, email: str) -> None:
    # a cheap early answer; the unique index decides races
    if await identity.repo.account_by_email(email) is not None:
        raise EmailTaken()


def _new_account(
    *,
    email: str,
    role: str,
    status: str,
    now: datetime,
    account_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    return {
        "_id": account_id or uuid.uuid4().hex,
        "email": email,
        "role": role,
        "status": status,
        "password_hash": None,
        "token_epoch": 0,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        **fields,
    }


def personal_of(form: SeekerPersonal) -> dict[str, Any]:
    return {
        "name": form.name,
        "name_kana": form.name_kana,
        "birth_date": form.birth_date.isoformat(),
        "phone": form.phone,
        "postal_code": form.postal_code,
        "address": form.address,
    }


def registration_events(
    seeker: dict[str, Any], *, account_id: str, version: int, with_profile: bool, now: datetime
) -> list[Message]:
    """SeekerRegistered, and the profile snapshot when the registration brought profile data."""
    today = today_jst(now)
    events: list[Message] = [
        SeekerRegistered(
            seeker_id=seeker["seeker_id"],
            account_id=account_id,
            seeker_number=seeker["seeker_number"],
            office_code=seeker["office_code"],
            status=seeker["status"],
            registered_on=date.fromisoformat(seeker["registered_on"]),
            expires_on=date.fromisoformat(seeker["expires_on"]),
            version=version,
        )
    ]
    if with_profile:
        events.append(profile_updated(seeker, version, today))
    return events


async def register_seeker(
    identity: Identity, *, staff: Principal, form: SeekerCreate
) -> dict[str, Any]:
    office = _office_of(staff)
    profile = merged_profile({}, form.profile_changes())
    await _ensure_email_free(identity, form.email)
    number = seeker_number(office, await identity.repo.next_serial(f"seeker_number:{office}"))
    now = stored_time(identity.clock.now())
    seeker_id, account_id = uuid.uuid4().hex, uuid.uuid4().hex
    seeker = new_seeker(
        seeker_id=seeker_id,
        seeker_number=number,
        office_code=office,
        status="registered",
        kind="counter",
        personal=personal_of(form),
        profile=profile,
        registered_by=staff.account_id,
        now=now,
    )
    events = registration_events(
        seeker, account_id=account_id, version=1, with_profile=bool(profile), now=now
    )
    doc = _new_account(
        account_id=account_id,
        email=form.email,
        role="seeker",
        status="unopened",
        now=now,
        name=form.name,
        seeker=seeker,
        **outbox.initial(*(identity.envelope(e, subject=seeker_id) for e in events)),
    )
    if not await identity.repo.insert_account(doc):
        raise EmailTaken()
    identity.kick(ACCOUNTS, doc["_id"])
    log.info("identity.seeker.registered", seeker_id=seeker_id, office_code=office)
    return doc


async def register_employer(
    identity: Identity, *, staff: Principal, form: EmployerCreate
) -> dict[str, Any]:
    office = _office_of(staff)
    await _ensure_email_free(identity, form.email)
    serial = await identity.repo.next_serial(f"establishment_number:{office[:4]}")
    number = establishment_number(office, serial)
    now = identity.clock.now()
    employer_id = uuid.uuid4().hex
    employer = {
        "employer_id": employer_id,
        "establishment_number": number,
        "office_code": office,
        "status": "registered",
        "name": form.name,
        "address": form.address,
        "industry": form.industry,
        "registered_on": today_jst(now).isoformat(),
        "registered_by": staff.account_id,
    }
    event = EmployerRegistered(
        employer_id=employer_id,
        establishment_number=employer["establishment_number"],
        name=form.name,
        office_code=office,
        industry=form.industry,
        has_mypage=False,
        version=1,
    )
    doc = _new_account(
        email=form.email,
        role="employer",
        status="unopened",
        now=now,
        name=form.name,
        employer=employer,
        **outbox.initial(identity.envelope(event, subject=employer_id)),
    )
    if not await identity.repo.insert_account(doc):
        raise EmailTaken()
    identity.kick(ACCOUNTS, doc["_id"])
    log.info("identity.employer.registered", employer_id=employer_id, office_code=office)
    return doc


class InvalidStaffInput(DomainError):
    status, code = 422, "validation_error"


async def create_staff(
    identity: Identity,
    *,
    email: str,
    office_code: str,
    password: str,
    admin: bool = False,
    name: str | None = None,
) -> dict[str, Any]:
    """A staff (or admin) account that can log in at once. Used by ``create-staff`` and tests."""
    try:
        email = TypeAdapter(Email).validate_python(normalize_email(email))
    except ValidationError as exc:
        raise InvalidStaffInput(
            ja="メールアドレスの形式が正しくありません。", en="Invalid e-mail address."
        ) from exc
    if not OFFICE_CODE_RE.match(office_code):
        raise InvalidStaffInput(
            ja="安定所番号は5桁の数字です。", en="The office code must be five digits."
        )
    violations = check_password(password)
    if violations:
        raise PasswordPolicyError(violations)
    await _ensure_email_free(identity, email)
    password_hash = await identity.hasher.hash(password)
    now = identity.clock.now()
    doc = _new_account(
        email=email,
        role="admin" if admin else "staff",
        status="active",
        now=now,
        office_code=office_code,
        name=name,
        password_hash=password_hash,
        opened_at=now,
    )
    if not await identity.repo.insert_account(doc):
        raise EmailTaken()
    log.info(
        "identity.staff.created", account_id=doc["_id"], role=doc["role"], office_code=office_code
    )
    return doc
