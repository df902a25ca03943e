"""求人検索 (anyone) and one posting (求人票).

Routes:
- ``GET /jobs``            search with every condition of the API: keywords (full- or half-width:
                           the API normalises), prefecture, occupation (the classification from
                           ``GET /api/v1/occupations``, kept in this process), employment types,
                           minimum wage and its unit, new within N days, direct application, remote,
                           no experience, order (new | wage), paging by cursor. A logged-in seeker
                           also gets the "save these conditions" form (→ ``POST
                           /mypage/saved-searches``, pages_seeker).
- ``GET /jobs/{job_id}``   the posting; a logged-in seeker also gets the favourite button and the
                           link to the apply page (``/jobs/{job_id}/apply``, pages_seeker_apply).

The conditions are read the same way from a query string and from a POSTed form
(``read_conditions``), sent to the API (``api_params``), saved (``saved_conditions``), turned back
into a search link (``search_url``) and described in Japanese (``describe``)."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any, Protocol
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from web.auth import api
from web.deps import SessionDep, WebDep, render, role_of, segment
from web.gateway import ApiError
from web.reference import EMPLOYMENT_TYPE_NAMES, PREFECTURE_CODES, PREFECTURES, half_width

OCCUPATIONS_TTL = 3600.0

WAGE_UNIT_CHOICES = [("monthly", "月給"), ("daily", "日給"), ("hourly", "時給")]
NEW_WITHIN_CHOICES = [("1", "1日以内"), ("3", "3日以内"), ("7", "1週間以内"), ("14", "2週間以内"),
                      ("30", "1か月以内")]  # fmt: skip
SORT_CHOICES = [("new", "新着順"), ("wage", "賃金の高い順")]
# the yes/no conditions: (name, label); unchecked means "either"
FLAGS = [
    ("accepts_direct_application", "オンライン自主応募ができる求人"),
    ("remote", "リモートワーク可"),
    ("no_experience_required", "未経験可（経験不問）"),
]
PREFECTURE_NAMES = dict(PREFECTURES)
WAGE_UNIT_NAMES = dict(WAGE_UNIT_CHOICES)
NEW_WITHIN_NAMES = dict(NEW_WITHIN_CHOICES)

router = APIRouter(prefix="/jobs")


class Params(Protocol):
    """A query string or a POSTed form."""

    def getlist(self, key: str) -> list[Any]: ...


# --- conditions --------------------------------------------------------------------------------


def _values(params: Params, name: str, limit: int = 200) -> list[str]:
    out = []
    for raw in params.getlist(name):
        if isinstance(raw, str) and raw.strip():
            out.append(raw.strip()[:limit])
    return out


def _first(params: Params, name: str, limit: int = 200) -> str:
    values = _values(params, name, limit)
    return values[0] if values else ""


def read_wage(raw: str) -> int | None:
    """ "２５００００", "250,000円", "25万" → 250000; ValueError when it is not an amount."""
    text = re.sub(r"[\s,円¥]", "", half_width(raw))
    if not text:
        return None
    man = text.endswith("万")
    text = text.removesuffix("万")
    if not text.isdigit():
        raise ValueError(text)
    amount = int(text) * (10_000 if man else 1)
    if not 1 <= amount <= 10_000_000:
        raise ValueError(text)
    return amount


async def read_conditions(
    request: Request, params: Params
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The conditions of a search form (anything the form cannot send is dropped rather than
    refused) and the errors of what a person typed."""
    codes = {code for code, _ in await occupation_list(request)}
    errors: dict[str, list[str]] = {}
    conditions: dict[str, Any] = {
        "q": " ".join(half_width(_first(params, "q")).split()),
        "prefecture": [p for p in _values(params, "prefecture") if p in PREFECTURE_CODES][:3],
        "occupation": [
            o for o in (half_width(v).upper() for v in _values(params, "occupation")) if o in codes
        ][:3],
        "employment_type": list(
            dict.fromkeys(
                t for t in _values(params, "employment_type") if t in EMPLOYMENT_TYPE_NAMES
            )
        ),
        "wage_min": None,
        "wage_min_text": _first(params, "wage_min", 20),
        "wage_unit": "",
        "new_within_days": "",
    }
    unit = _first(params, "wage_unit")
    conditions["wage_unit"] = unit if unit in WAGE_UNIT_NAMES else ""
    try:
        conditions["wage_min"] = read_wage(conditions["wage_min_text"])
    except ValueError:
        errors["wage_min"] = ["賃金の下限は 1〜10,000,000 の数字で入力してください（例：200000）。"]
    if conditions["wage_min"] is not None and not conditions["wage_unit"]:
        conditions["wage_unit"] = "monthly"
    days = half_width(_first(params, "new_within_days"))
    conditions["new_within_days"] = days if days in NEW_WITHIN_NAMES else ""
    for name, _ in FLAGS:
        conditions[name] = _first(params, name) in ("1", "true", "on", "yes")
    return conditions, errors


def saved_conditions(conditions: dict[str, Any]) -> dict[str, Any]:
    """The conditions as the API takes them (search and saved searches): only those set."""
    out: dict[str, Any] = {}
    if conditions.get("q"):
        out["q"] = conditions["q"]
    for name in ("prefecture", "occupation", "employment_type"):
        if conditions.get(name):
            out[name] = list(conditions[name])
    if conditions.get("wage_min") is not None:
        out["wage_min"] = conditions["wage_min"]
        out["wage_unit"] = conditions.get("wage_unit") or "monthly"
    if conditions.get("new_within_days"):
        out["new_within_days"] = int(conditions["new_within_days"])
    for name, _ in FLAGS:
        if conditions.get(name):
            out[name] = True
    return out


def api_params(conditions: dict[str, Any]) -> dict[str, Any]:
    """Query parameters of ``GET /api/v1/jobs`` (lists repeated, flags as "true")."""
    return {k: ("true" if v is True else v) for k, v in saved_conditions(conditions).items()}


def search_url(saved: dict[str, Any], **extra: str) -> str:
    """``/jobs?…`` for conditions in the API's form (a saved search's, or ``saved_conditions``)."""
    query: list[tuple[str, str]] = []
    for name, value in saved.items():
        if value is None or value is False or value == [] or value == "":
            continue
        if isinstance(value, list):
            query.extend((name, str(v)) for v in value)
        elif value is True:
            query.append((name, "1"))
        else:
            query.append((name, str(value)))
    query.extend((k, v) for k, v in extra.items() if v)
    return "/jobs?" + urlencode(query) if query else "/jobs"


def describe(saved: dict[str, Any], occupation_names: dict[str, str]) -> list[tuple[str, str]]:
    """The conditions in Japanese, as (label, value) pairs."""
    out: list[tuple[str, str]] = []
    if saved.get("q"):
        out.append(("キーワード", str(saved["q"])))
    if saved.get("prefecture"):
        names = [PREFECTURE_NAMES.get(c, c) for c in saved["prefecture"]]
        out.append(("勤務地", "、".join(names)))
    if saved.get("occupation"):
        out.append(("職種", "、".join(occupation_names.get(c, c) for c in saved["occupation"])))
    if saved.get("employment_type"):
        names = [EMPLOYMENT_TYPE_NAMES.get(t, t) for t in saved["employment_type"]]
        out.append(("雇用形態", "、".join(names)))
    if saved.get("wage_min"):
        unit = WAGE_UNIT_NAMES.get(str(saved.get("wage_unit") or "monthly"), "")
        out.append(("賃金", f"{unit} {int(saved['wage_min']):,}円以上"))
    if saved.get("new_within_days"):
        days = str(saved["new_within_days"])
        out.append(("新着", NEW_WITHIN_NAMES.get(days, f"{days}日以内")))
    for name, label in FLAGS:
        if saved.get(name):
            out.append(("条件", label))
    return out or [("条件", "指定なし（すべての求人）")]


# --- the occupation classification ---------------------------------------------------------------


async def occupation_list(request: Request) -> list[tuple[str, str]]:
    """``GET /api/v1/occupations`` as (code, name), asked at most once an hour per process.
    Unavailable: an empty list (the search still works without this condition)."""
    state = request.app.state
    cached = getattr(state, "seeker_occupations", None)
    if cached and time.monotonic() - cached[0] < OCCUPATIONS_TTL:
        return list(cached[1])
    web = request.app.state.web
    try:
        raw = await web.gateway.call("GET", "/api/v1/occupations")
    except ApiError as exc:
        if exc.code == "maintenance":
            raise
        return []
    items = [(str(o["code"]), str(o["name"])) for o in raw if isinstance(o, dict)]
    state.seeker_occupations = (time.monotonic(), items)
    return items


def occupation_groups(items: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Major groups (letters) each with its middle groups (digits), in the API's order."""
    groups: list[dict[str, Any]] = []
    for code, name in items:
        if code.isalpha():
            groups.append({"code": code, "name": name, "middle": []})
        elif groups:
            groups[-1]["middle"].append((code, name))
    return groups


# --- pages ---------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def search(
    request: Request,
    web: WebDep,
    session: SessionDep,
    sort: Annotated[str, Query(max_length=10)] = "new",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    conditions, errors = await read_conditions(request, request.query_params)
    order = sort if sort in dict(SORT_CHOICES) else "new"
    result: dict[str, Any] | None = None
    error: ApiError | None = None
    if not errors:
        params: dict[str, Any] = {**api_params(conditions), "sort": order}
        params["limit"] = web.settings.page_size
        if cursor:
            params["cursor"] = cursor
        try:
            result = await web.gateway.call("GET", "/api/v1/jobs", params=params)
        except ApiError as exc:
            if exc.status >= 500 or exc.code == "maintenance":
                raise
            error = exc
    saved = saved_conditions(conditions)
    next_url = None
    if result and result.get("next_cursor"):
        next_url = search_url(saved, sort=order, cursor=result["next_cursor"])
    seeker = session.logged_in and role_of(session) == "seeker"
    occupations = await occupation_list(request)
    return await render(
        request,
        "jobs_search.html",
        status=400 if errors else 200,
        forms=seeker,
        conditions=conditions,
        sort=order,
        errors=errors,
        result=result,
        error=error,
        next_url=next_url,
        first_url=search_url(saved, sort=order if order != "new" else ""),
        paged=bool(cursor),
        seeker=seeker,
        saved=saved,
        described=describe(saved, dict(occupations)),
        occupation_groups=occupation_groups(occupations),
        flags=FLAGS,
        wage_units=WAGE_UNIT_CHOICES,
        new_within=NEW_WITHIN_CHOICES,
        sorts=SORT_CHOICES,
    )


@router.get("/{job_id}", response_class=HTMLResponse)
async def posting(request: Request, web: WebDep, session: SessionDep, job_id: str) -> Response:
    job = await web.gateway.call("GET", f"/api/v1/jobs/{segment(job_id, '求人')}")
    seeker = session.logged_in and role_of(session) == "seeker"
    favorite = await is_favorite(request, job["job_id"]) if seeker else False
    return await render(
        request,
        "job_detail.html",
        forms=seeker,
        job=job,
        employment_type=EMPLOYMENT_TYPE_NAMES.get(job.get("employment_type", ""), ""),
        seeker=seeker,
        favorite=favorite,
        done=request.query_params.get("done", ""),
    )


async def is_favorite(request: Request, job_id: str) -> bool:
    """Whether the posting is among the seeker's favourites (the API keeps at most 200: two
    pages of 100; it has no single-favourite read)."""
    cursor = None
    for _ in range(2):
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = await api(request, "GET", "/api/v1/me/favorites", params=params)
        if any(item.get("job_id") == job_id for item in page.get("items") or []):
            return True
        cursor = page.get("next_cursor")
        if not cursor:
            return False
    return False
