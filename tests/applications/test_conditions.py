"""Integration: 労働条件の相違 — the employer answers, with the offer or the hire, whether the
working conditions match the posting and, where not, what differs item by item; the seeker sees
it with the snapshot of the posting applied to; the seeker's office lists such hires; other
services get it in the status event. And the employer's view of one public seeker profile (whom
a direct request is for)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.applications.support import OFFICE

pytestmark = pytest.mark.integration

ITEMS = [
    {"item": "wage", "text": "月給24万円(求人票は25万円)"},
    {"item": "place", "text": "勤務地が横浜支店"},
]


def an_office() -> str:
    """An office of the test's own, so that its list holds only the test's hires."""
    return f"9{uuid.uuid4().int % 10**4:04d}"


async def hire(apps: Any, office: str, body: dict[str, Any]) -> dict[str, Any]:
    seeker = await apps.seeker(office=office)
    employer = await apps.employer()
    job = await apps.posting(employer)
    made = await apps.applied(seeker, job, route="direct")
    resp = await apps.client.post(
        f"/api/v1/applications/{made['application_id']}/status",
        json=body,
        headers=apps.tokens.employer(employer),
    )
    assert resp.status_code == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


async def differing(apps: Any, headers: dict[str, str], **params: Any) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        resp = await apps.client.get(
            "/api/v1/staff/applications/conditions-differ", params=query, headers=headers
        )
        assert resp.status_code == 200, resp.text
        ids += [i["application_id"] for i in resp.json()["items"]]
        cursor = resp.json()["next_cursor"]
        if not cursor:
            return ids


async def test_a_hire_says_what_differs_and_the_seeker_and_the_office_see_it(apps) -> None:
    office = an_office()
    body = {"status": "hired", "conditions_differ": True, "conditions_items": ITEMS}
    hired = await hire(apps, office, body)
    app_id = hired["application_id"]
    conditions = hired["conditions"]
    assert conditions["differ"] is True and conditions["status"] == "hired"
    assert conditions["items"] == ITEMS and conditions["note"] is None
    assert hired["timeline"][-1]["conditions_items"] == ITEMS

    # the seeker: what differs, and the posting as it was when they applied
    seeker = apps.tokens.seeker(hired["seeker_id"], office)
    mine = await apps.client.get(f"/api/v1/applications/{app_id}", headers=seeker)
    assert mine.status_code == 200
    assert mine.json()["conditions"]["items"] == ITEMS
    assert mine.json()["posting"]["wage_min"] == 250000
    assert mine.json()["posting"]["revision"] == mine.json()["revision"] == 1

    # other services: the items, and one text for those that know no items
    events = await apps.spy.wait_for(
        "applications.application.status_changed.v1", application_id=app_id
    )
    data = events[0].data
    assert data["conditions_differ"] is True and data["conditions_items"] == ITEMS
    assert (
        data["conditions_note"] == "賃金: 月給24万円(求人票は25万円) / 就業場所: 勤務地が横浜支店"
    )

    # the office: its list (staff of another office and the employer do not see it)
    assert await differing(apps, apps.tokens.staff(office)) == [app_id]
    assert app_id not in await differing(apps, apps.tokens.staff(OFFICE))
    assert await differing(apps, apps.tokens.admin(), office_code=office) == [app_id]
    assert app_id in await differing(apps, apps.tokens.admin(), limit=100)  # every office
    other = await apps.client.get(
        "/api/v1/staff/applications/conditions-differ",
        params={"office_code": OFFICE},
        headers=apps.tokens.staff(office),
    )
    assert other.status_code == 403
    employer = apps.tokens.employer(hired["employer_id"])
    refused = await apps.client.get(
        "/api/v1/staff/applications/conditions-differ", headers=employer
    )
    assert refused.status_code == 403


async def test_the_office_list_holds_differing_hires_only_newest_first_in_pages(apps) -> None:
    office = an_office()
    same = await hire(apps, office, {"status": "hired", "conditions_differ": False})
    assert same["conditions"]["differ"] is False
    unanswered = await hire(apps, office, {"status": "hired"})
    assert unanswered["conditions"] is None
    first = await hire(
        apps, office, {"status": "hired", "conditions_differ": True, "conditions_note": "賞与なし"}
    )
    # an offer that said conditions differ, then the hire without a new answer: it counts
    seeker = await apps.seeker(office=office)
    employer = await apps.employer()
    made = await apps.applied(seeker, await apps.posting(employer), route="direct")
    url = f"/api/v1/applications/{made['application_id']}/status"
    emp = apps.tokens.employer(employer)
    offered = {"status": "offered", "conditions_differ": True, "conditions_items": ITEMS[:1]}
    assert (await apps.client.post(url, json=offered, headers=emp)).status_code == 200
    second = await apps.client.post(url, json={"status": "hired"}, headers=emp)
    assert second.status_code == 200
    assert second.json()["conditions"]["status"] == "offered"

    staff = apps.tokens.staff(office)
    assert await differing(apps, staff, limit=1) == [
        made["application_id"],
        first["application_id"],
    ]
    page = await apps.client.get(
        "/api/v1/staff/applications/conditions-differ", params={"limit": 1}, headers=staff
    )
    item = page.json()["items"][0]
    assert item["conditions"]["items"] == ITEMS[:1]
    assert item["posting"]["title"] == "社内システムエンジニア"  # the snapshot
    assert item["applicant"]["seeker_number"].startswith(office)
    bad = await apps.client.get(
        "/api/v1/staff/applications/conditions-differ",
        params={"cursor": "nonsense"},
        headers=staff,
    )
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "body",
    [
        {"status": "hired", "conditions_differ": True},
        {"status": "hired", "conditions_differ": True, "conditions_items": []},
        {"status": "hired", "conditions_items": ITEMS},
        {"status": "hired", "conditions_differ": False, "conditions_items": ITEMS},
        {"status": "hired", "conditions_differ": False, "conditions_note": "なし"},
        {"status": "screening", "conditions_differ": True, "conditions_items": ITEMS},
        {"status": "hired", "conditions_differ": True, "conditions_items": [ITEMS[0], ITEMS[0]]},
        {
            "status": "hired",
            "conditions_differ": True,
            "conditions_items": [{"item": "wage", "text": "あ" * 201}],
        },
        {
            "status": "hired",
            "conditions_differ": True,
            "conditions_items": [{"item": "wage", "text": " \t "}],
        },
        {
            "status": "hired",
            "conditions_differ": True,
            "conditions_items": [{"item": "bonus", "text": "賞与なし"}],
        },
        {
            "status": "hired",
            "conditions_differ": True,
            "conditions_items": [{"item": "other", "text": f"{i}"} for i in range(7)],
        },
    ],
)
async def test_bad_answers_are_refused_with_a_japanese_message(apps, body) -> None:
    seeker = await apps.seeker()
    employer = await apps.employer()
    made = await apps.applied(seeker, await apps.posting(employer), route="direct")
    resp = await apps.client.post(
        f"/api/v1/applications/{made['application_id']}/status",
        json=body,
        headers=apps.tokens.employer(employer),
    )
    assert resp.status_code == 422, resp.text
    problem = resp.json()
    assert problem["code"] == "validation_error"
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert any("\u3040" <= c <= "\u30ff" for c in str(problem))  # Japanese


async def test_an_employer_sees_the_public_view_of_one_seeker(apps) -> None:
    employer = apps.tokens.employer(await apps.employer())
    public = await apps.seeker()
    resp = await apps.client.get(f"/api/v1/employer/seekers/{public}", headers=employer)
    assert resp.status_code == 200, resp.text
    card = resp.json()
    assert card["seeker_id"] == public and card["age_band"] == "25-29"
    assert card["desired"]["desired_occupations"] == ["10"]
    assert card["accepts_direct_requests"] is True
    assert "name" not in card and "seeker_number" not in card

    private = await apps.seeker(visibility="private")
    for seeker_id in (private, uuid.uuid4().hex):
        hidden = await apps.client.get(f"/api/v1/employer/seekers/{seeker_id}", headers=employer)
        assert hidden.status_code == 404
        assert hidden.json()["code"] == "seeker_profile_not_found"
    bad = await apps.client.get("/api/v1/employer/seekers/xyz", headers=employer)
    assert bad.status_code == 422
    no_mypage = apps.tokens.employer(await apps.employer(has_mypage=False))
    refused = await apps.client.get(f"/api/v1/employer/seekers/{public}", headers=no_mypage)
    assert refused.status_code == 403
    as_seeker = await apps.client.get(
        f"/api/v1/employer/seekers/{public}", headers=apps.tokens.seeker(public)
    )
    assert as_seeker.status_code == 403


async def test_a_public_profile_with_nothing_filled_in_shows_no_conditions(apps) -> None:
    employer = apps.tokens.employer(await apps.employer())
    empty = await apps.seeker(profile={})
    resp = await apps.client.get(f"/api/v1/employer/seekers/{empty}", headers=employer)
    assert resp.status_code == 200, resp.text
    desired = resp.json()["desired"]
    assert desired["desired_occupations"] == [] and desired["desired_wage_min"] is None


async def test_the_seeker_search_lists_only_profiles_with_what_it_filters_on(apps) -> None:
    """As identity tells the seeker (``listing``): a public profile without desired occupations,
    places or employment types is not in employers' seeker search, even unfiltered; the
    single public view stays reachable (a request may still be sent)."""
    from tests.applications.conftest import PROFILE

    employer = apps.tokens.employer(await apps.employer())
    listed = await apps.seeker()
    bare = await apps.seeker(profile={**PROFILE, "employment_types": []})

    async def everyone() -> list[str]:
        ids: list[str] = []
        cursor = None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = await apps.client.get(
                "/api/v1/employer/seekers", params=params, headers=employer
            )
            assert page.status_code == 200, page.text
            ids += [i["seeker_id"] for i in page.json()["items"]]
            cursor = page.json().get("next_cursor")
            if not cursor:
                return ids

    found = await everyone()
    assert listed in found and bare not in found
    card = await apps.client.get(f"/api/v1/employer/seekers/{bare}", headers=employer)
    assert card.status_code == 200
