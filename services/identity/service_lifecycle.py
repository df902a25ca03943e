"""A registration's life after it starts: cancelling (取消, by the seeker or staff), staff
confirming an online application, office annotations and consultations, renewal, and the
extension of the validity by activity in its last month (``record_activity``)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import structlog

from contracts.identity import RegistrationExtended, SeekerCancelled, SeekerConfirmed
from servicekit.auth import Principal
from services.identity.domain_seeker import (
    ACTIVE,
    ANNOTATION_LIMIT,
    CONSULTATION_KINDS,
    CONSULTATION_LIMIT,
    ActivityKind,
    ConsultationKind,
    NotProvisional,
    ProfileInvalid,
    RegistrationCancelled,
    RegistrationLapsed,
    TooManyEntries,
    Violation,
    effective_status,
    extension_for,
    next_due_on,
    stored_time,
    today_jst,
    valid_until,
)
from services.identity.repository import Doc
from services.identity.service import Identity
from services.identity.service_seekers import (
    Change,
    Changed,
    account_for_staff,
    change_seeker,
    seeker_of,
    staff_decide,
)

log = structlog.get_logger()


def _with_expiry(seeker: Doc, expires_on: date) -> Doc:
    """A new last day: the notices of other days no longer apply, the scan key moves."""
    key = expires_on.isoformat()
    notices = [n for n in seeker.get("notices") or [] if n.startswith(key + ":")]
    return {
        **seeker,
        "expires_on": key,
        "notices": notices,
        "due_on": next_due_on(expires_on, notices).isoformat(),
    }


def _not_cancelled(seeker: Doc) -> None:
    if seeker["status"] == "cancelled":
        raise RegistrationCancelled()


# --- cancelling --------------------------------------------------------------------------------


def _cancel(by: str, reason: str | None, actor: str) -> Any:
    def decide(account: Doc, version: int, today: date) -> Change | None:
        seeker = seeker_of(account)
        if seeker["status"] == "cancelled":
            return None  # cancelling twice changes nothing
        new = {
            **seeker,
            "status": "cancelled",
            "cancelled_on": today.isoformat(),
            "cancelled_by": by,
            "cancelled_by_account": actor,
            "cancel_reason": reason,
            "due_on": None,
        }
        event = SeekerCancelled(
            seeker_id=seeker["seeker_id"], cancelled_by=by, cancelled_on=today, version=version
        )
        return Change(new, [event])

    return decide


async def cancel_own(identity: Identity, *, account_id: str, reason: str | None) -> Changed:
    """The seeker cancels: gone from employers' view at once (the event); the login stays for
    reading the history."""
    result = await change_seeker(identity, account_id, _cancel("seeker", reason, account_id))
    if result.change is not None:
        log.info("identity.seeker.cancelled", account_id=account_id, by="seeker")
    return result


async def cancel_by_staff(
    identity: Identity, *, staff: Principal, seeker_id: str, reason: str | None
) -> Changed:
    account = await account_for_staff(identity, staff, seeker_id)
    decide = staff_decide(staff, _cancel("staff", reason, staff.account_id))
    result = await change_seeker(identity, account["_id"], decide)
    if result.change is not None:
        log.info("identity.seeker.cancelled", seeker_id=seeker_id, by="staff")
    return result


# --- confirming an online application ----------------------------------------------------------


async def confirm(identity: Identity, *, staff: Principal, seeker_id: str) -> Changed:
    """仮登録 → registered, with a fresh validity from the day of confirmation."""
    account = await account_for_staff(identity, staff, seeker_id)

    def decide(account: Doc, version: int, today: date) -> Change | None:
        seeker = seeker_of(account)
        _not_cancelled(seeker)
        if seeker.get("kind") != "online" or seeker.get("confirmed_on"):
            raise NotProvisional()
        expires_on = valid_until(today)
        new = {
            **_with_expiry(seeker, expires_on),
            "status": "registered",
            "confirmed_on": today.isoformat(),
            "confirmed_by": staff.account_id,
            "lapsed_on": None,
        }
        event = SeekerConfirmed(
            seeker_id=seeker["seeker_id"],
            seeker_number=seeker["seeker_number"],
            office_code=seeker["office_code"],
            expires_on=expires_on,
            version=version,
        )
        return Change(new, [event])

    result = await change_seeker(identity, account["_id"], staff_decide(staff, decide))
    log.info("identity.seeker.confirmed", seeker_id=seeker_id, staff_id=staff.account_id)
    return result


# --- annotations and consultations -------------------------------------------------------------


async def annotate(
    identity: Identity, *, staff: Principal, seeker_id: str, body: str
) -> dict[str, Any]:
    """Append office information (ハローワーク追記); the seeker sees it and cannot change it."""
    account = await account_for_staff(identity, staff, seeker_id)
    annotation_id = uuid.uuid4().hex

    def decide(account: Doc, version: int, today: date) -> Change | None:
        seeker = seeker_of(account)
        _not_cancelled(seeker)
        annotations = list(seeker.get("annotations") or [])
        if len(annotations) >= ANNOTATION_LIMIT:
            raise TooManyEntries()
        annotations.append(
            {
                "annotation_id": annotation_id,
                "body": body,
                "office_code": staff.office_code or seeker["office_code"],
                "added_by": staff.account_id,
                "added_at": stored_time(identity.clock.now()),
            }
        )
        return Change({**seeker, "annotations": annotations})

    result = await change_seeker(identity, account["_id"], staff_decide(staff, decide))
    log.info("identity.seeker.annotated", seeker_id=seeker_id, staff_id=staff.account_id)
    added: dict[str, Any] = result.account["seeker"]["annotations"][-1]
    return added


def consultation_view(item: Doc) -> dict[str, Any]:
    """A consultation as read; those recorded before kinds and days existed read as a 職業相談
    on the day they were recorded."""
    kind = item.get("kind") or "career"
    on = item.get("on") or today_jst(item["recorded_at"]).isoformat()
    return {**item, "kind": kind, "kind_label": CONSULTATION_KINDS.get(kind, kind), "on": on}


def check_consultation_day(on: date, today: date) -> None:
    if on > today:
        raise ProfileInvalid(
            [
                Violation(
                    "on",
                    "in_future",
                    "相談日に未来の日付は指定できません。",
                    "The day of a consultation cannot be in the future.",
                )
            ]
        )
    if on < today - timedelta(days=366):
        raise ProfileInvalid(
            [
                Violation(
                    "on",
                    "too_old",
                    "相談日は1年以内の日付を指定してください。",
                    "The day of a consultation must be within the last year.",
                )
            ]
        )


async def consult(
    identity: Identity,
    *,
    staff: Principal,
    seeker_id: str,
    note: str,
    kind: ConsultationKind = "career",
    on: date | None = None,
) -> dict[str, Any]:
    """Record a consultation (相談記録: day, kind, note); in the registration's last month it
    extends the validity by a month. It counts in the seeker's 求職活動実績."""
    account = await account_for_staff(identity, staff, seeker_id)
    consultation_id = uuid.uuid4().hex

    def decide(account: Doc, version: int, today: date) -> Change | None:
        seeker = seeker_of(account)
        day = on or today
        check_consultation_day(day, today)
        status = effective_status(seeker, today)
        if status == "cancelled":
            raise RegistrationCancelled()
        if status == "lapsed":
            raise RegistrationLapsed()
        consultations = list(seeker.get("consultations") or [])
        if len(consultations) >= CONSULTATION_LIMIT:
            raise TooManyEntries()
        extended_to = extension_for(date.fromisoformat(seeker["expires_on"]), today)
        consultations.append(
            {
                "consultation_id": consultation_id,
                "on": day.isoformat(),
                "kind": kind,
                "note": note,
                "office_code": staff.office_code or seeker["office_code"],
                "staff_id": staff.account_id,
                "recorded_at": stored_time(identity.clock.now()),
                "extended_to": extended_to.isoformat() if extended_to else None,
            }
        )
        new = {**seeker, "consultations": consultations}
        if extended_to is None:
            return Change(new)
        event = RegistrationExtended(
            seeker_id=seeker["seeker_id"],
            expires_on=extended_to,
            reason="consultation",
            version=version,
        )
        return Change(_with_expiry(new, extended_to), [event])

    result = await change_seeker(identity, account["_id"], staff_decide(staff, decide))
    seeker = result.account["seeker"]
    log.info("identity.seeker.consulted", seeker_id=seeker_id, staff_id=staff.account_id, kind=kind)
    return {**consultation_view(seeker["consultations"][-1]), "expires_on": seeker["expires_on"]}


# --- validity ----------------------------------------------------------------------------------


async def renew(identity: Identity, *, staff: Principal, seeker_id: str) -> Changed:
    """A lapsed or valid registration gets a fresh validity from today (never a shorter one)."""
    account = await account_for_staff(identity, staff, seeker_id)

    def decide(account: Doc, version: int, today: date) -> Change | None:
        seeker = seeker_of(account)
        _not_cancelled(seeker)
        fresh = valid_until(today)
        current = date.fromisoformat(seeker["expires_on"])
        if seeker["status"] in ACTIVE and current >= fresh:
            return None
        online_unconfirmed = seeker.get("kind") == "online" and not seeker.get("confirmed_on")
        new = {
            **_with_expiry(seeker, max(fresh, current)),
            "status": "provisional" if online_unconfirmed else "registered",
            "lapsed_on": None,
        }
        event = RegistrationExtended(
            seeker_id=seeker["seeker_id"],
            expires_on=max(fresh, current),
            reason="renewal",
            version=version,
        )
        return Change(new, [event])

    result = await change_seeker(identity, account["_id"], staff_decide(staff, decide))
    log.info("identity.seeker.renewed", seeker_id=seeker_id, staff_id=staff.account_id)
    return result


async def record_activity(
    identity: Identity, seeker_id: str, kind: ActivityKind, on: date
) -> date | None:
    """An application, referral or consultation on ``on``: in the registration's last month it
    extends the validity to the end of the following month. Returns the new last day, or None
    when nothing changed (also when called again for the same activity: the month it fell in
    is no longer the last one). For the future consumer of the applications service's events."""
    account = await identity.seekers.account_of_seeker(seeker_id)
    if account is None:
        log.info("identity.activity.unknown_seeker", seeker_id=seeker_id, kind=kind)
        return None

    def decide(account: Doc, version: int, today: date) -> Change | None:
        seeker = seeker_of(account)
        if seeker["status"] not in ACTIVE or not seeker.get("expires_on"):
            return None
        extended_to = extension_for(date.fromisoformat(seeker["expires_on"]), on)
        if extended_to is None:
            return None
        event = RegistrationExtended(
            seeker_id=seeker_id, expires_on=extended_to, reason=kind, version=version
        )
        return Change(_with_expiry(seeker, extended_to), [event])

    result = await change_seeker(identity, account["_id"], decide)
    if result.change is None:
        return None
    log.info("identity.seeker.extended", seeker_id=seeker_id, kind=kind)
    return date.fromisoformat(result.account["seeker"]["expires_on"])
