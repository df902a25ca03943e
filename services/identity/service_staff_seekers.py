"""Staff reading their office's seekers: the list (paginated, by seeker number or name) and one
seeker with everything the office holds."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from servicekit import cursors
from servicekit.auth import Principal
from servicekit.errors import DomainError
from services.identity import service_lifecycle
from services.identity.domain_seeker import OtherOffice, effective_status, today_jst
from services.identity.repository import Doc
from services.identity.repository_seekers import search_name
from services.identity.service import Identity
from services.identity.service_profile import profile_view
from services.identity.service_seekers import account_for_staff, staff_office

NUMBER_PREFIX = re.compile(r"^[0-9-]{1,14}$")


class BadQuery(DomainError):
    status, code = 422, "validation_error"


def staff_view(account: Doc, today: date) -> dict[str, Any]:
    seeker = account["seeker"]
    return {
        **profile_view(account, today),
        "account_id": account["_id"],
        "email": account["email"],
        "account_status": account["status"],
        "registration_kind": seeker.get("kind", "counter"),
        "consultations": [
            service_lifecycle.consultation_view(c) for c in seeker.get("consultations") or []
        ],
    }


async def get_seeker(identity: Identity, *, staff: Principal, seeker_id: str) -> dict[str, Any]:
    account = await account_for_staff(identity, staff, seeker_id)
    return staff_view(account, today_jst(identity.clock.now()))


def summary(seeker: Doc, today: date) -> dict[str, Any]:
    return {
        **{
            k: seeker.get(k)
            for k in (
                "seeker_id",
                "seeker_number",
                "office_code",
                "name",
                "name_kana",
                "registered_on",
                "expires_on",
            )
        },
        "status": effective_status(seeker, today),
        "visibility": seeker.get("visibility", "private"),
    }


async def list_seekers(
    identity: Identity,
    *,
    staff: Principal,
    seeker_number: str | None,
    name: str | None,
    office_code: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    """Own office's seekers (an administrator: any office, or all), by seeker number."""
    office = office_code if staff.is_admin else staff_office(staff)
    if not staff.is_admin and office_code not in (None, office):
        raise OtherOffice()
    number = unicodedata.normalize("NFKC", seeker_number).strip() if seeker_number else None
    if number is not None and not NUMBER_PREFIX.match(number):
        raise BadQuery(
            ja="求職番号は数字とハイフンで指定してください。",
            en="A seeker number has digits and a hyphen.",
        )
    if cursor is not None and len(cursor) > cursors.MAX_LENGTH:
        raise cursors.InvalidCursor()
    after = cursors.checked(
        unicodedata.normalize("NFKC", cursor).strip() if cursor else None, NUMBER_PREFIX
    )
    docs = await identity.seekers.page(
        office_code=office,
        seeker_number=number,
        name=search_name(name) if name else None,
        status=status,
        after=after,
        limit=limit + 1,
    )
    today = today_jst(identity.clock.now())
    items = [summary(d["seeker"], today) for d in docs[:limit]]
    next_cursor = items[-1]["seeker_number"] if len(docs) > limit and items else None
    return {"items": items, "next_cursor": next_cursor}
