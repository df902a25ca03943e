"""Who may act on what: pure checks on the token's principal."""

from __future__ import annotations

from typing import Any

from servicekit.auth import Principal
from servicekit.errors import Forbidden
from services.jobs.domain import NoSeekerRegistration, NotOwner, OtherOffice


def check_office(principal: Principal, office_code: str) -> None:
    """Staff act for their own office; admins for every office."""
    if principal.is_admin:
        return
    if not principal.is_staff or principal.office_code != office_code:
        raise OtherOffice()


def check_posting(principal: Principal, posting: dict[str, Any]) -> None:
    """The owning employer, or staff of the posting's office."""
    if principal.role == "employer":
        if not principal.employer_id or principal.employer_id != posting["employer_id"]:
            raise NotOwner()
    elif principal.is_staff:
        check_office(principal, posting["office_code"])
    else:
        raise Forbidden()


def seeker_id(principal: Principal) -> str:
    if principal.role != "seeker" or not principal.seeker_id:
        raise NoSeekerRegistration()
    return principal.seeker_id


def actor(principal: Principal) -> str:
    return "staff" if principal.is_staff else "employer"
