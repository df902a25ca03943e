"""お知らせ (staff): write a notice for the seekers' My Pages — to the own office's seekers, to
listed seekers (seeker numbers or ids), or, administrators only, to everyone — and the notices
the office has published.

Routes:
- ``GET|POST /staff/notices/new``    お知らせを作成する
- ``GET /staff/notices``             掲載したお知らせ (newest first)
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.auth import api
from web.deps import FormDep, StaffOnly, WebDep, field, next_page_url, render
from web.gateway import ApiError
from web.pages_staff_common import Errors, done_message, form_errors, is_admin, office_of
from web.reference import half_width
from web.sessions import Session

router = APIRouter(prefix="/staff/notices")

TITLE_MAX = 100
BODY_MAX = 4000
# each seeker number is looked up before sending: keep a form's list reasonable
LIST_MAX = 100
SEEKER_NUMBER = re.compile(r"^\d{5}-\d{8}$")
SEEKER_ID = re.compile(r"^[0-9a-f]{32}$")
SEPARATORS = re.compile(r"[\s,、，;；]+")
LABELS = {"title": "件名", "body": "本文", "audience": "宛先", "seekers": "宛先の求職者"}
AUDIENCES = {
    "office": "所属安定所の求職者全員",
    "seekers": "指定した求職者",
    "all": "全国のすべての求職者（システム管理者のみ）",
}
DONE = {"published": "お知らせを掲載しました。宛先の求職者のマイページに表示されます。"}


def _audiences(session: Session) -> list[tuple[str, str]]:
    names = ["office", "seekers"] + (["all"] if is_admin(session) else [])
    return [(n, AUDIENCES[n]) for n in names]


@router.get("/new", response_class=HTMLResponse)
async def notice_form(request: Request, session: StaffOnly) -> Response:
    return await _page(request, session, values={"audience": "office"}, errors={})


async def _page(
    request: Request,
    session: Session,
    *,
    values: dict[str, str],
    errors: Errors,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return await render(
        request,
        "staff_notice_new.html",
        status=status,
        values=values,
        errors=errors,
        error=error,
        labels=LABELS,
        audiences=_audiences(session),
        office_code=office_of(session),
        title_max=TITLE_MAX,
        body_max=BODY_MAX,
        list_max=LIST_MAX,
    )


async def _seeker_ids(request: Request, entries: list[str]) -> tuple[dict[str, str], list[str]]:
    """(seeker id → the entry it came from, the entries that are neither a seeker number of the
    office nor an id). A number is looked up in the office's seekers; an id is checked by the
    API."""
    ids: dict[str, str] = {}
    unknown: list[str] = []
    for entry in entries:
        if SEEKER_ID.match(entry.lower()):
            ids.setdefault(entry.lower(), entry)
        elif SEEKER_NUMBER.match(entry):
            page = await api(
                request,
                "GET",
                "/api/v1/staff/seekers",
                params={"seeker_number": entry, "limit": 2},
            )
            match = [s for s in page.get("items") or [] if s.get("seeker_number") == entry]
            if match:
                ids.setdefault(str(match[0]["seeker_id"]), entry)
            else:
                unknown.append(entry)
        else:
            unknown.append(entry)
    return ids, unknown


@router.post("/new", response_class=HTMLResponse)
async def publish(request: Request, session: StaffOnly, form: FormDep) -> Response:
    values = {
        "title": field(form, "title"),
        "body": str(form.get("body") or "").strip(),
        "audience": field(form, "audience"),
        "seekers": field(form, "seekers"),
    }
    errors: Errors = {}
    if not values["title"]:
        errors["title"] = ["件名を入力してください。"]
    elif len(values["title"]) > TITLE_MAX:
        errors["title"] = [f"件名は{TITLE_MAX}文字以内で入力してください。"]
    if not values["body"]:
        errors["body"] = ["本文を入力してください。"]
    elif len(values["body"]) > BODY_MAX:
        errors["body"] = [f"本文は{BODY_MAX}文字以内で入力してください。"]
    kind = values["audience"]
    if kind not in dict(_audiences(session)):
        errors["audience"] = ["宛先を選んでください。"]
    audience: dict[str, Any] = {"kind": kind}
    sent: list[str] = []  # the entries behind audience.seeker_ids, in order
    entries = list(dict.fromkeys(e for e in SEPARATORS.split(half_width(values["seekers"])) if e))
    if kind == "seekers":
        if not entries:
            errors["seekers"] = ["宛先の求職番号を入力してください。"]
        elif len(entries) > LIST_MAX:
            errors["seekers"] = [f"一度に指定できるのは{LIST_MAX}人までです。"]
        else:
            ids, unknown = await _seeker_ids(request, entries)
            if unknown:
                errors["seekers"] = [
                    "所属安定所の求職者の求職番号ではありません：" + "、".join(unknown[:20])
                ]
            audience["seeker_ids"] = list(ids)
            sent = list(ids.values())
    elif kind == "office":
        audience["office_code"] = office_of(session)
    if errors:
        return await _page(request, session, values=values, errors=errors, status=400)
    try:
        await api(
            request,
            "POST",
            "/api/v1/staff/notices",
            json={"title": values["title"], "body": values["body"], "audience": audience},
        )
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        errors, detail = _publish_errors(exc, sent)
        return await _page(
            request, session, values=values, errors=errors, error=detail, status=exc.status
        )
    return RedirectResponse("/staff/notices?done=published", status_code=303)


def _publish_errors(exc: ApiError, entries: list[str]) -> tuple[Errors, str]:
    """The API's errors on the form; ``audience.seeker_ids.N`` names the N-th listed seeker."""
    if exc.code == "unknown_seekers":
        named = []
        for err in exc.errors:
            last = str(err.get("field") or "").rsplit(".", 1)[-1]
            if last.isdigit() and int(last) < len(entries):
                named.append(entries[int(last)])
        message = exc.detail + ("（" + "、".join(named) + "）" if named else "")
        return {"seekers": [message]}, exc.detail
    return form_errors(exc, LABELS.keys(), {"audience_not_allowed": "audience"})


@router.get("", response_class=HTMLResponse)
async def published(
    request: Request,
    session: StaffOnly,
    web: WebDep,
    cursor: Annotated[str, Query(max_length=500)] = "",
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    params: dict[str, Any] = {"limit": web.settings.page_size}
    if cursor:
        params["cursor"] = cursor
    result = await api(request, "GET", "/api/v1/staff/notices", params=params)
    next_url = next_page_url("/staff/notices", result)
    return await render(
        request,
        "staff_notices.html",
        forms=False,
        result=result,
        next_url=next_url,
        done=done_message(DONE, done),
        audiences=AUDIENCES,
    )
