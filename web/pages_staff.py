"""職員メニュー (office staff and administrators): counter registrations here; the seekers, the
referral queue, notices and maintenance in the modules this router includes.

Routes:
- ``GET /staff``                                   職員メニュー (office code, every staff page)
- ``GET|POST /staff/seekers/new``                  求職者の窓口登録
- ``GET /staff/seekers/{seeker_id}/registered``    登録完了: the seeker number, how to open the My
                                                   Page
- ``GET|POST /staff/employers/new``                事業所登録
- ``GET /staff/employers/registered``              登録完了: the establishment number
- ``/staff/seekers…``                              求職者の一覧・詳細 (pages_staff_seekers)
- ``/staff/referrals…``                            紹介状の発行待ち (pages_staff_referrals)
- ``/staff/notices…``                              お知らせの作成 (pages_staff_notices)
- ``/admin/maintenance``                           メンテナンス設定, administrators only
                                                   (pages_staff_admin)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from web import pages_staff_admin, pages_staff_notices, pages_staff_referrals, pages_staff_seekers
from web.auth import api
from web.deps import FormDep, StaffOnly, WebDep, field, render, segment
from web.gateway import ApiError
from web.pages_staff_common import Errors, form_errors, is_admin, office_of
from web.reference import EMPLOYMENT_TYPE_NAMES, PREFECTURE_CODES, half_width, parse_date

router = APIRouter()

SEEKER_FIELDS = (
    "email",
    "name",
    "name_kana",
    "birth_date",
    "phone",
    "postal_code",
    "address",
    "desired_prefectures",
    "employment_types",
    "desired_wage_min",
    "desired_wage_unit",
)
SEEKER_LABELS = {
    "email": "メールアドレス",
    "name": "氏名",
    "name_kana": "氏名（フリガナ）",
    "birth_date": "生年月日",
    "phone": "電話番号",
    "postal_code": "郵便番号",
    "address": "住所",
    "desired_prefectures": "希望勤務地",
    "employment_types": "希望する雇用形態",
    "desired_wage_min": "希望賃金（下限）",
    "desired_wage_unit": "賃金の単位",
}
EMPLOYER_FIELDS = ("name", "email", "address", "industry")
EMPLOYER_LABELS = {
    "name": "事業所名",
    "email": "メールアドレス",
    "address": "所在地",
    "industry": "産業（業種）",
}
WAGE_UNITS = [("monthly", "月給"), ("daily", "日給"), ("hourly", "時給")]
BY_CODE = {"email_taken": "email"}


@router.get("/staff", response_class=HTMLResponse)
async def home(request: Request, session: StaffOnly) -> Response:
    return await render(
        request,
        "staff_home.html",
        forms=False,
        office_code=office_of(session),
        admin=is_admin(session),
    )


# --- seekers at the counter -------------------------------------------------------------------


@router.get("/staff/seekers/new", response_class=HTMLResponse)
async def seeker_form(request: Request, session: StaffOnly) -> Response:
    return await _seeker_page(request, values={"desired_wage_unit": "monthly"}, errors={})


async def _seeker_page(
    request: Request,
    *,
    values: dict[str, Any],
    errors: Errors,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return await render(
        request,
        "staff_seeker_new.html",
        status=status,
        values=values,
        errors=errors,
        error=error,
        labels=SEEKER_LABELS,
        wage_units=WAGE_UNITS,
    )


def _seeker_body(form: FormData) -> tuple[dict[str, Any], dict[str, Any], Errors]:
    """(what the form showed, the API's body, the errors found before asking the API)."""
    text = {name: field(form, name) for name in SEEKER_FIELDS if name != "employment_types"}
    for name in ("email", "phone", "postal_code", "birth_date", "desired_wage_min"):
        text[name] = half_width(text[name])
    types = [str(t) for t in form.getlist("employment_types") if t in EMPLOYMENT_TYPE_NAMES]
    values: dict[str, Any] = {**text, "employment_types": types}
    errors: Errors = {}
    if not text["email"]:
        errors["email"] = ["メールアドレスを入力してください。"]
    if not text["name"]:
        errors["name"] = ["氏名を入力してください。"]
    birth = parse_date(text["birth_date"])
    if birth is None:
        errors["birth_date"] = ["生年月日を「1990-04-01」の形で入力してください。"]
    body: dict[str, Any] = {
        "email": text["email"],
        "name": text["name"],
        "birth_date": birth.isoformat() if birth else "",
    }
    for name in ("name_kana", "phone", "postal_code", "address"):
        if text[name]:
            body[name] = text[name]
    if text["desired_prefectures"] in PREFECTURE_CODES:
        body["desired_prefectures"] = [text["desired_prefectures"]]
    if types:
        body["employment_types"] = types
    wage = text["desired_wage_min"].replace(",", "").replace("円", "")
    if wage:
        if not wage.isdigit():
            errors["desired_wage_min"] = ["希望賃金は数字で入力してください（例：250000）。"]
        else:
            body["desired_wage_min"] = int(wage)
            unit = text["desired_wage_unit"]
            body["desired_wage_unit"] = unit if unit in dict(WAGE_UNITS) else "monthly"
    return values, body, errors


@router.post("/staff/seekers/new", response_class=HTMLResponse)
async def register_seeker(request: Request, session: StaffOnly, form: FormDep) -> Response:
    values, body, errors = _seeker_body(form)
    if errors:
        return await _seeker_page(request, values=values, errors=errors, status=400)
    try:
        created = await api(request, "POST", "/api/v1/staff/seekers", json=body)
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        errors, detail = form_errors(exc, SEEKER_FIELDS, BY_CODE)
        return await _seeker_page(
            request, values=values, errors=errors, error=detail, status=exc.status
        )
    seeker_id = segment(str(created.get("seeker_id") or ""))
    return RedirectResponse(f"/staff/seekers/{seeker_id}/registered", status_code=303)


@router.get("/staff/seekers/{seeker_id}/registered", response_class=HTMLResponse)
async def seeker_registered(request: Request, session: StaffOnly, seeker_id: str) -> Response:
    seeker = await api(request, "GET", f"/api/v1/staff/seekers/{segment(seeker_id, '求職者')}")
    return await render(request, "staff_seeker_registered.html", forms=False, seeker=seeker)


# --- establishments ---------------------------------------------------------------------------


@router.get("/staff/employers/new", response_class=HTMLResponse)
async def employer_form(request: Request, session: StaffOnly) -> Response:
    return await _employer_page(request, values={}, errors={})


async def _employer_page(
    request: Request,
    *,
    values: dict[str, str],
    errors: Errors,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return await render(
        request,
        "staff_employer_new.html",
        status=status,
        values=values,
        errors=errors,
        error=error,
        labels=EMPLOYER_LABELS,
    )


@router.post("/staff/employers/new", response_class=HTMLResponse)
async def register_employer(
    request: Request, session: StaffOnly, form: FormDep, web: WebDep
) -> Response:
    values = {name: field(form, name) for name in EMPLOYER_FIELDS}
    values["email"] = half_width(values["email"])
    errors: Errors = {
        name: [f"{EMPLOYER_LABELS[name]}を入力してください。"]
        for name in EMPLOYER_FIELDS
        if not values[name]
    }
    if errors:
        return await _employer_page(request, values=values, errors=errors, status=400)
    try:
        created = await api(request, "POST", "/api/v1/staff/employers", json=values)
    except ApiError as exc:
        if exc.status >= 500 or exc.code == "maintenance":
            raise
        errors, detail = form_errors(exc, EMPLOYER_FIELDS, BY_CODE)
        return await _employer_page(
            request, values=values, errors=errors, error=detail, status=exc.status
        )
    # no API reads an establishment back: the result page shows what the answer said
    session.data["staff_employer_registered"] = {
        "employer_id": created.get("employer_id"),
        "establishment_number": created.get("establishment_number"),
        "name": values["name"],
        "email": values["email"],
    }
    await web.sessions.save(session)
    return RedirectResponse("/staff/employers/registered", status_code=303)


@router.get("/staff/employers/registered", response_class=HTMLResponse)
async def employer_registered(request: Request, session: StaffOnly) -> Response:
    employer = session.data.get("staff_employer_registered")
    if not employer:
        return RedirectResponse("/staff/employers/new", status_code=303)
    return await render(request, "staff_employer_registered.html", forms=False, employer=employer)


# after the routes above: /staff/seekers/new must win over /staff/seekers/{seeker_id}
for _sub in (
    pages_staff_seekers.router,
    pages_staff_referrals.router,
    pages_staff_notices.router,
    pages_staff_admin.router,
):
    router.include_router(_sub)
