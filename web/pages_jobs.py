"""求人検索 (anyone) and one posting (求人票).

Routes:
- ``GET /jobs``            search, results first: the keywords and the three most used conditions
                           (prefecture, occupation, employment types) on top; the others (wage and
                           its unit, new within N days, direct application, remote, no experience,
                           municipality, up to 5 job numbers, the fields searched) in a panel that
                           folds away, beside the counts per prefecture / occupation / employment
                           type (links narrowing the search); the matched words highlighted; four
                           orders (relevance | new | wage | deadline); paging by cursor. A
                           logged-in seeker also gets the "save these conditions" form (→ ``POST
                           /mypage/saved-searches``, pages_seeker). Search unavailable (503): the
                           page says so, with its form; a next page left too long (410
                           cursor_expired) says to search again from the first page.
- ``GET /jobs/{job_id}``   the posting; a logged-in seeker also gets the favourite button and the
                           link to the apply page (``/jobs/{job_id}/apply``, pages_seeker_apply).

The conditions (web/search_conditions.py) are read the same way from a query string and from a
POSTed form (``read_conditions``: here with the occupation classification, asked of the API), sent
to the API, saved, turned back into search links and described in Japanese. The answer's facets
(first page only) and highlights (either may be missing: then none are shown) are prepared by
web/search_results.py."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from web.auth import api
from web.deps import SessionDep, Web, WebDep, login_url, render, role_of, segment
from web.gateway import ApiError
from web.reference import EMPLOYMENT_TYPE_NAMES
from web.search_conditions import (
    CHOICES,
    FIELD_CHOICES,
    FLAGS,
    NEW_WITHIN_CHOICES,
    WAGE_UNIT_CHOICES,
    Params,
    api_params,
    describe,
    folded_count,
    read_sort,
    saved_conditions,
    search_url,
    sort_options,
)
from web.search_conditions import read_conditions as parse_conditions
from web.search_conditions import read_wage as read_wage  # for pages_seeker_profile
from web.search_results import facet_groups, present

OCCUPATIONS_TTL = 3600.0
UNAVAILABLE_JA = (
    "ただいま求人検索を一時的にご利用いただけません。しばらくしてからもう一度お試しください。"
)
CURSOR_EXPIRED_JA = "検索結果の有効期限が切れました。最初のページから検索し直してください。"

router = APIRouter(prefix="/jobs")


async def read_conditions(
    request: Request, params: Params
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """``search_conditions.read_conditions`` with the occupation codes of the classification."""
    return parse_conditions(params, {code for code, _ in await occupation_list(request)})


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


async def find(web: Web, conditions: dict[str, Any], order: str, cursor: str) -> dict[str, Any]:
    """One page of ``GET /api/v1/jobs``, its results ready for the template."""
    params: dict[str, Any] = {**api_params(conditions), "sort": order}
    params["limit"] = web.settings.page_size
    if cursor:
        params["cursor"] = cursor
    raw = await web.gateway.call("GET", "/api/v1/jobs", params=params)
    result = dict(raw) if isinstance(raw, dict) else {}
    items = result.get("items")
    result["items"] = [present(i) for i in items if isinstance(i, dict)] if items else []
    return result


@router.get("", response_class=HTMLResponse)
async def search(
    request: Request,
    web: WebDep,
    session: SessionDep,
    sort: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    conditions, errors = await read_conditions(request, request.query_params)
    order = read_sort(sort, conditions["q"])
    result: dict[str, Any] | None = None
    error: ApiError | None = None
    if not errors:
        try:
            result = await find(web, conditions, order, cursor)
        except ApiError as exc:
            # 503 (search_unavailable: the engine is away; or the jobs service is down) is said
            # on this page, with its form; other failures get the error page
            if exc.code == "maintenance" or (exc.status >= 500 and exc.status != 503):
                raise
            # 410 cursor_expired (a page left too long): said, with a link to the first page
            error = exc
    query = saved_conditions(conditions)
    # the order in links only when it is not the default one
    sort_param = order if order != read_sort("", conditions["q"]) else ""

    def link(conditions: dict[str, Any], **extra: str) -> str:
        return search_url(conditions, sort=sort_param, **extra)

    cursor_next = str((result or {}).get("next_cursor") or "")
    occupations = await occupation_list(request)
    seeker = session.logged_in and role_of(session) == "seeker"
    status = 400 if errors else error.status if error else 200
    return await render(
        request,
        "jobs_search.html",
        status=status,
        forms=seeker,
        conditions=conditions,
        errors=errors,
        result=result,
        error=error,
        unavailable=error is not None and error.status == 503,
        unavailable_message=UNAVAILABLE_JA,
        expired_message=CURSOR_EXPIRED_JA,
        facets=facet_groups(
            (result or {}).get("facets"),
            query,
            link=link,
            occupation_names=dict(occupations),
        ),
        next_url=link(query, cursor=cursor_next) if cursor_next else None,
        first_url=link(query),
        paged=bool(cursor),
        seeker=seeker,
        save_login_url=login_url(link(query)),
        saved=query,
        described=describe(query, dict(occupations)),
        folded=folded_count(conditions),
        occupation_groups=occupation_groups(occupations),
        flags=FLAGS,
        choices=CHOICES,
        fields=FIELD_CHOICES,
        wage_units=WAGE_UNIT_CHOICES,
        new_within=NEW_WITHIN_CHOICES,
        sorts=sort_options(conditions["q"]),
        sort_param=sort_param,
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
