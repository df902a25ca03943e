"""求職情報 (the seeker's profile) and the registration: view with the office's annotations
(ハローワーク追記, read-only), change, 公開/非公開 with a preview of exactly what employers see
(the API's ``public_preview``), cancel the registration (取消). The export (登録情報のダウンロード)
is pages_seeker_export.

Routes (included by pages_seeker):
- ``GET /mypage/profile``                  view, annotations, 公開/非公開 and the preview
- ``POST /mypage/profile/visibility``      ``visibility=public|private`` → PUT …/visibility
- ``GET|POST /mypage/profile/edit``        change the profile (PATCH)
- ``GET|POST /mypage/cancel``              confirm, then cancel the registration
- ``GET /mypage/cancel/done``              what cancelling did
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web.auth import api
from web.deps import FormDep, SeekerOnly, field, render
from web.gateway import ApiError
from web.pages_jobs import (
    WAGE_UNIT_CHOICES,
    occupation_groups,
    occupation_list,
    read_wage,
)
from web.reference import EMPLOYMENT_TYPE_NAMES, PREFECTURE_CODES, PREFECTURES, half_width
from web.seeker_kit import done_message, field_errors

router = APIRouter()

MAX_DESIRED = 3
SELF_PR_MAX = 2000
REASON_MAX = 300
EDIT_FIELDS = {
    "desired_occupations",
    "desired_prefectures",
    "desired_places",
    "employment_types",
    "desired_wage_min",
    "desired_wage_unit",
    "working_hours",
    "working_days",
    "education",
    "licenses",
    "self_pr",
    "accepts_direct_requests",
}
LABELS = {
    "desired_occupations": "希望職種",
    "desired_prefectures": "希望勤務地",
    "employment_types": "希望する雇用形態",
    "desired_wage_min": "希望賃金",
    "desired_wage_unit": "賃金の支払形態",
    "working_hours": "希望就業時間",
    "working_days": "希望就業日数",
    "education": "学歴",
    "licenses": "免許・資格",
    "self_pr": "自己PR",
    "accepts_direct_requests": "リクエストの受付",
}
SEEKER_STATUS = {
    "registered": "登録中",
    "provisional": "仮登録（ハローワークでの確認待ち）",
    "cancelled": "取消済み",
    "lapsed": "有効期限切れ",
}


async def _profile_context(request: Request) -> dict[str, Any]:
    occupations = await occupation_list(request)
    return {
        "occupation_names": dict(occupations),
        "occupation_groups": occupation_groups(occupations),
        "wage_units": WAGE_UNIT_CHOICES,
        "wage_unit_names": dict(WAGE_UNIT_CHOICES),
        "prefecture_names": dict(PREFECTURES),
        "labels": LABELS,
        "seeker_statuses": SEEKER_STATUS,
    }


@router.get("/mypage/profile", response_class=HTMLResponse)
async def profile(request: Request, session: SeekerOnly) -> Response:
    me = await api(request, "GET", "/api/v1/me/profile")
    return await render(
        request,
        "seeker_profile.html",
        profile=me,
        done=done_message(request),
        error=None,
        **await _profile_context(request),
    )


@router.post("/mypage/profile/visibility", response_class=HTMLResponse)
async def visibility(request: Request, session: SeekerOnly, form: FormDep) -> Response:
    wanted = field(form, "visibility")
    if wanted not in ("public", "private"):
        return RedirectResponse("/mypage/profile", status_code=303)
    try:
        await api(request, "PUT", "/api/v1/me/profile/visibility", json={"visibility": wanted})
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        me = await api(request, "GET", "/api/v1/me/profile")
        return await render(
            request,
            "seeker_profile.html",
            status=exc.status,
            profile=me,
            done=None,
            error=exc.detail,
            **await _profile_context(request),
        )
    return RedirectResponse(f"/mypage/profile?done={wanted}#visibility", status_code=303)


def _values_of(me: dict[str, Any]) -> dict[str, Any]:
    """The form's values from the stored profile."""
    wage = me.get("desired_wage_min")
    return {
        "desired_occupations": list(me.get("desired_occupations") or []),
        "desired_prefectures": list(me.get("desired_prefectures") or []),
        "employment_types": list(me.get("employment_types") or []),
        "desired_wage_min": str(wage) if wage is not None else "",
        "desired_wage_unit": me.get("desired_wage_unit") or "",
        "working_hours": me.get("working_hours") or "",
        "working_days": me.get("working_days") or "",
        "education": me.get("education") or "",
        "licenses": "\n".join(me.get("licenses") or []),
        "self_pr": me.get("self_pr") or "",
        "accepts_direct_requests": bool(me.get("accepts_direct_requests")),
    }


@router.get("/mypage/profile/edit", response_class=HTMLResponse)
async def edit_page(request: Request, session: SeekerOnly) -> Response:
    me = await api(request, "GET", "/api/v1/me/profile")
    return await render(
        request,
        "seeker_profile_edit.html",
        values=_values_of(me),
        errors={},
        error=None,
        **await _profile_context(request),
    )


def _picked(form: Any, name: str, allowed: set[str] | frozenset[str]) -> list[str]:
    values = [half_width(v).upper() for v in form.getlist(name) if isinstance(v, str)]
    return list(dict.fromkeys(v for v in values if v and v in allowed))


def _text(form: Any, name: str) -> str:
    """Free text as typed (several lines), with the browser's CR LF as LF."""
    return str(form.get(name) or "").replace("\r\n", "\n")


def _read_profile(
    form: Any, occupations: set[str]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    """(the form's values as typed, the PATCH body, errors found here)."""
    values: dict[str, Any] = {
        "desired_occupations": _picked(form, "desired_occupations", occupations),
        "desired_prefectures": _picked(form, "desired_prefectures", PREFECTURE_CODES),
        "employment_types": [
            t for t in form.getlist("employment_types") if t in EMPLOYMENT_TYPE_NAMES
        ],
        "desired_wage_min": field(form, "desired_wage_min"),
        "desired_wage_unit": field(form, "desired_wage_unit"),
        "working_hours": field(form, "working_hours"),
        "working_days": field(form, "working_days"),
        "education": field(form, "education"),
        "licenses": _text(form, "licenses").strip(),
        "self_pr": _text(form, "self_pr").strip(),
        "accepts_direct_requests": field(form, "accepts_direct_requests") == "1",
    }
    errors: dict[str, list[str]] = {}
    wage = None
    try:
        wage = read_wage(values["desired_wage_min"])
    except ValueError:
        errors["desired_wage_min"] = [
            "希望賃金は 1〜10,000,000 の数字で入力してください（例：250000）。"
        ]
    unit = values["desired_wage_unit"]
    if unit not in {code for code, _ in WAGE_UNIT_CHOICES}:
        unit = ""
    if wage is not None and not unit:
        errors["desired_wage_unit"] = ["希望賃金の支払形態（月給・日給・時給）を選んでください。"]
    if len(values["self_pr"]) > SELF_PR_MAX:
        errors["self_pr"] = [f"自己PRは{SELF_PR_MAX}文字以内で入力してください。"]
    licenses = [line.strip() for line in values["licenses"].split("\n") if line.strip()]
    body = {
        "desired_occupations": values["desired_occupations"][:MAX_DESIRED],
        "desired_prefectures": values["desired_prefectures"][:MAX_DESIRED],
        "employment_types": list(dict.fromkeys(values["employment_types"])),
        "desired_wage_min": wage,
        "desired_wage_unit": unit or None,
        "working_hours": values["working_hours"] or None,
        "working_days": values["working_days"] or None,
        "education": values["education"] or None,
        "licenses": licenses,
        "self_pr": values["self_pr"] or None,
        "accepts_direct_requests": values["accepts_direct_requests"],
    }
    return values, body, errors


@router.post("/mypage/profile/edit", response_class=HTMLResponse)
async def edit(request: Request, session: SeekerOnly, form: FormDep) -> Response:
    context = await _profile_context(request)
    values, body, errors = _read_profile(form, set(context["occupation_names"]))
    error = None
    status = 400
    if not errors:
        try:
            await api(request, "PATCH", "/api/v1/me/profile", json=body)
        except ApiError as exc:
            if exc.status >= 500 or exc.code == "maintenance":
                raise
            status, error = exc.status, exc.detail
            errors = field_errors(exc, EDIT_FIELDS)
            if "desired_places" in errors:
                errors.setdefault("desired_prefectures", []).extend(errors.pop("desired_places"))
        else:
            return RedirectResponse("/mypage/profile?done=profile_saved", status_code=303)
    general = errors.pop("", [])
    return await render(
        request,
        "seeker_profile_edit.html",
        status=status,
        values=values,
        errors=errors,
        error=error or (general[0] if general else None),
        **context,
    )


# --- cancelling the registration ----------------------------------------------------------------


@router.get("/mypage/cancel", response_class=HTMLResponse)
async def cancel_page(request: Request, session: SeekerOnly) -> Response:
    me = await api(request, "GET", "/api/v1/me")
    return await render(request, "seeker_cancel.html", me=me, values={}, errors={}, error=None)


@router.post("/mypage/cancel", response_class=HTMLResponse)
async def cancel(request: Request, session: SeekerOnly, form: FormDep) -> Response:
    reason = " ".join(field(form, "reason").split())
    confirmed = field(form, "confirm") == "1"
    errors: dict[str, list[str]] = {}
    if not confirmed:
        errors["confirm"] = ["取り消す場合は、確認のチェックを入れてください。"]
    if len(reason) > REASON_MAX:
        errors["reason"] = [f"理由は{REASON_MAX}文字以内で入力してください。"]
    error = None
    status = 400
    if not errors:
        try:
            await api(
                request,
                "POST",
                "/api/v1/me/registration/cancel",
                json={"reason": reason} if reason else None,
            )
        except ApiError as exc:
            if exc.status >= 500 or exc.code == "maintenance":
                raise
            status, error = exc.status, exc.detail
            errors = field_errors(exc, {"reason"})
            errors.pop("", None)
        else:
            return RedirectResponse("/mypage/cancel/done", status_code=303)
    me = await api(request, "GET", "/api/v1/me")
    return await render(
        request,
        "seeker_cancel.html",
        status=status,
        me=me,
        values={"reason": reason, "confirm": confirmed},
        errors=errors,
        error=error,
    )


@router.get("/mypage/cancel/done", response_class=HTMLResponse)
async def cancel_done(request: Request, session: SeekerOnly) -> Response:
    me = await api(request, "GET", "/api/v1/me")
    return await render(request, "seeker_cancel_done.html", forms=False, me=me)
