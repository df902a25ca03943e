"""What the staff pages share: safe path segments, API errors mapped onto the fields of a form,
and the office of the logged-in staff member."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from web.deps import role_of
from web.gateway import ApiError
from web.sessions import Session

Errors = dict[str, list[str]]


def form_errors(
    exc: ApiError, fields: Iterable[str], by_code: Mapping[str, str] | None = None
) -> tuple[Errors, str]:
    """The API's field errors on the form's fields (the first known part of a dotted name, so
    ``licenses.0`` lands on ``licenses``), a code that belongs to one field (``email_taken`` →
    ``email``) too; the rest goes into the summary's heading."""
    known = set(fields)
    errors: Errors = {}
    loose: list[str] = []
    for err in exc.errors:
        parts = str(err.get("field") or "").split(".")
        name = next((p for p in parts if p in known), None)
        message = str(err.get("message") or "") or exc.detail
        if name is None:
            loose.append(message)
        else:
            errors.setdefault(name, []).append(message)
    detail = exc.detail
    target = (by_code or {}).get(exc.code)
    if target and target in known and not errors.get(target):
        errors.setdefault(target, []).append(exc.detail)
        detail = "入力内容をご確認ください。"
    if loose:
        detail = detail + " " + " ".join(loose) if detail not in loose else " ".join(loose)
    return errors, detail


def office_of(session: Session) -> str:
    me = session.data.get("me") or {}
    return str(me.get("office_code") or "")


def is_admin(session: Session) -> bool:
    return role_of(session) == "admin"


def done_message(messages: Mapping[str, str], done: str | None) -> str | None:
    """The success message after a redirect (``?done=…``), only one of the page's own."""
    return messages.get(done or "")
