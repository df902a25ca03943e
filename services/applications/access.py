"""Who may see and act on what: pure checks on the token's principal. Anyone who may not see an
application or a request gets the same 404 as for one that does not exist."""

from __future__ import annotations

from typing import Any

from servicekit.auth import Principal
from servicekit.errors import Forbidden
from services.applications.domain import ApplicationNotFound, NoSeekerRegistration

Doc = dict[str, Any]


def seeker_id(principal: Principal) -> str:
    if principal.role != "seeker" or not principal.seeker_id:
        raise NoSeekerRegistration()
    return principal.seeker_id


def employer_id(principal: Principal) -> str:
    if principal.role != "employer" or not principal.employer_id:
        raise Forbidden()
    return principal.employer_id


def staff_office(principal: Principal, office_code: str) -> bool:
    """Staff act for their own office (the seeker's office); admins for every office."""
    return principal.is_admin or (principal.is_staff and principal.office_code == office_code)


def may_see(principal: Principal, app: Doc) -> bool:
    if principal.role == "seeker":
        return bool(principal.seeker_id) and principal.seeker_id == app["seeker_id"]
    if principal.role == "employer":
        return (
            bool(principal.employer_id)
            and principal.employer_id == app["employer_id"]
            and bool(app.get("employer_visible"))
        )
    return staff_office(principal, app["office_code"])


def check_visible(principal: Principal, app: Doc | None) -> Doc:
    if app is None or not may_see(principal, app):
        raise ApplicationNotFound()
    return app


def may_progress(principal: Principal, app: Doc) -> bool:
    """The employer of the posting (once it has the application), or staff of the office."""
    if principal.role == "employer":
        return may_see(principal, app)
    return principal.is_staff and staff_office(principal, app["office_code"])


def actor(principal: Principal) -> tuple[str, str]:
    """(role, id) recorded on each step: the seeker, the establishment, or the staff account."""
    if principal.role == "seeker":
        return "seeker", principal.seeker_id or principal.account_id
    if principal.role == "employer":
        return "employer", principal.employer_id or principal.account_id
    return principal.role, principal.account_id
