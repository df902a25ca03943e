"""Nothing hidden without a word: the profile says whether employers' seeker search lists it,
and if not why — private, cancelled, or the fields the search needs that are empty."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

PROFILE = "/api/v1/me/profile"
VISIBILITY = "/api/v1/me/profile/visibility"


def missing(listing: dict[str, object]) -> list[object]:
    fields = listing["missing_fields"]
    assert isinstance(fields, list)
    return [f["field"] for f in fields]


async def test_a_public_profile_without_what_the_search_needs_says_so(env):
    headers, seeker = await env.seeker_headers()
    profile = (await env.client.get(PROFILE, headers=headers)).json()
    listing = profile["listing"]
    assert listing["listed"] is False and listing["reason"] == "private"
    assert missing(listing) == ["desired_occupations", "desired_places", "employment_types"]
    assert [f["label"] for f in listing["missing_fields"]] == [
        "希望職種",
        "希望勤務地",
        "希望する雇用形態",
    ]
    assert "非公開" in listing["message"]

    r = await env.client.put(VISIBILITY, headers=headers, json={"visibility": "public"})
    assert r.status_code == 200, r.text
    listing = r.json()["listing"]
    assert listing["listed"] is False and listing["reason"] == "missing_fields"
    assert "希望職種、希望勤務地、希望する雇用形態" in listing["message"]

    r = await env.client.patch(
        PROFILE,
        headers=headers,
        json={"desired_occupations": ["C"], "desired_places": [{"prefecture": "13"}]},
    )
    listing = r.json()["listing"]
    assert listing["reason"] == "missing_fields" and missing(listing) == ["employment_types"]

    r = await env.client.patch(PROFILE, headers=headers, json={"employment_types": ["full_time"]})
    listing = r.json()["listing"]
    assert listing == {
        "listed": True,
        "reason": None,
        "missing_fields": [],
        "message": "公開中です。事業所の求職者検索に表示されます。",
    }
    # staff see the same on the seeker's page
    staff = await env.staff_headers()
    view = (
        await env.client.get(f"/api/v1/staff/seekers/{seeker['seeker_id']}", headers=staff)
    ).json()
    assert view["listing"]["listed"] is True

    r = await env.client.post("/api/v1/me/registration/cancel", headers=headers)
    assert r.status_code == 200, r.text
    listing = (await env.client.get(PROFILE, headers=headers)).json()["listing"]
    assert listing["listed"] is False and listing["reason"] == "cancelled"
