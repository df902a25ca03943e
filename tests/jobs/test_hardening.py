"""Issue 13: crafted list cursors are a 400 ``invalid_cursor`` on every jobs list (never a 500),
the shared decoder (servicekit.cursors) refuses what its encoder cannot have written, and a
posting's revision history is capped."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any, Literal

import pytest

from servicekit import cursors
from services.jobs import repository_postings
from services.jobs.domain import HISTORY_LIMIT
from tests.jobs.support import create

PROBLEM = "application/problem+json"


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# the cursor of the issue (a wage of 31 digits, beyond BSON int64) and its relatives
ISSUE_CURSOR = b64({"s": "wage", "v": "1" + "0" * 30, "i": "a"})
CRAFTED = [
    ISSUE_CURSOR,
    b64({"s": "wage", "v": 10**30, "i": "a"}),
    b64({"s": "wage", "v": 2**63, "i": "a"}),
    b64({"s": "wage", "v": 1.5, "i": "a"}),
    b64({"s": "wage", "v": True, "i": "a"}),
    b64({"s": "new", "v": "2026-11-24T03:00:00", "i": "a"}),  # no UTC offset
    b64({"s": "new", "v": "0001-01-01T00:00:00+01:00", "i": "a"}),  # before year 1 in UTC
    b64({"s": "new", "v": "2026-13-45T99:00:00Z", "i": "a"}),
    b64({"s": "new", "v": 1_700_000_000, "i": "a"}),
    b64({"s": "new", "v": "2026-11-24T03:00:00Z", "i": "a" * 300}),
    b64({"s": "new", "v": "2026-11-24T03:00:00Z", "i": {"$gt": ""}}),
    b64({"s": "new", "v": "2026-11-24T03:00:00Z", "i": "a", "x": 1}),
    b64({"a": "2026-11-24T03:00:00", "i": "a"}),
    b64({"a": "2026-11-24T03:00:00Z", "i": 7}),
    b64(["2026-11-24T03:00:00Z", "a"]),
    b64(b"\xff\xfe\x00"),
    b64(b"not json"),
    b64(b"[" * 200 + b"]" * 200),
    b64(None),
    b64({}),
    "!!",
    "a",
    "x" * 600,
    "e30=x",
    "  ",
]


def assert_invalid_cursor(resp: Any, cursor: str) -> None:
    assert resp.status_code == 400, (cursor, resp.status_code, resp.text)
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["code"] == "invalid_cursor" and body["status"] == 400
    assert "cursor" in body["detail"] and not body["detail"].isascii()  # Japanese


@pytest.mark.integration
async def test_crafted_cursors_are_refused_by_every_jobs_list(jobs) -> None:
    employer = await jobs.employer()
    seeker = await jobs.seeker()
    await create(jobs.client, jobs.tokens.employer(employer), wage_min=220000, wage_max=250000)
    lists: list[tuple[str, dict[str, str], dict[str, str]]] = [
        ("/api/v1/jobs", {}, {}),
        ("/api/v1/jobs", {"sort": "wage"}, {}),
        ("/api/v1/jobs", {"sort": "new", "q": "システム"}, {}),
        ("/api/v1/jobs/mine", {}, jobs.tokens.employer(employer)),
        ("/api/v1/jobs/mine", {"employer_id": employer}, jobs.tokens.staff()),
        ("/api/v1/me/favorites", {}, jobs.tokens.seeker(seeker)),
        ("/api/v1/me/recommendations", {}, jobs.tokens.seeker(seeker)),
        ("/api/v1/me/recommendations", {"source": "office"}, jobs.tokens.seeker(seeker)),
        ("/api/v1/me/recommendations", {"source": "auto"}, jobs.tokens.seeker(seeker)),
    ]
    for path, params, headers in lists:
        for cursor in CRAFTED:
            resp = await jobs.client.get(path, params={**params, "cursor": cursor}, headers=headers)
            assert_invalid_cursor(resp, cursor)
    # a valid cursor of another list is refused too
    new = b64({"s": "new", "v": "2026-11-24T03:00:00Z", "i": "a"})
    sent = b64({"s": "sent", "v": "2026-11-24T03:00:00Z", "i": "a"})
    favorite = b64({"a": "2026-11-24T03:00:00Z", "i": "a"})
    for path, cursor, headers in (
        ("/api/v1/jobs", sent, {}),
        ("/api/v1/jobs", favorite, {}),
        ("/api/v1/me/recommendations", new, jobs.tokens.seeker(seeker)),
        ("/api/v1/me/favorites", new, jobs.tokens.seeker(seeker)),
    ):
        assert_invalid_cursor(
            await jobs.client.get(path, params={"cursor": cursor}, headers=headers), cursor
        )
    # English on request, the same code
    resp = await jobs.client.get(
        "/api/v1/jobs",
        params={"sort": "wage", "cursor": ISSUE_CURSOR},
        headers={"Accept-Language": "en"},
    )
    assert resp.status_code == 400 and resp.json()["detail"].startswith("The cursor is not valid")


@pytest.mark.integration
async def test_the_largest_wage_a_cursor_may_carry_still_pages(jobs) -> None:
    """At the edge of int64 the cursor is valid and the database answers (no overflow)."""
    edge = b64({"s": "wage", "o": 0, "a": [2**63 - 1, 2**63 - 1, "f" * 32]})
    resp = await jobs.client.get("/api/v1/jobs", params={"sort": "wage", "cursor": edge})
    assert resp.status_code == 200, resp.text
    old = b64({"s": "new", "o": 0, "a": [-62135596800000, "0"]})  # year 1
    resp = await jobs.client.get("/api/v1/jobs", params={"cursor": old})
    assert resp.status_code == 200 and resp.json()["items"] == []
    # beyond int64, not finite, or of another order's shape: refused before the engine
    for crafted in (
        {"s": "wage", "o": 0, "a": [10**30, 0, "f"]},
        {"s": "wage", "o": 0, "a": [1, 2]},
        {"s": "wage", "o": 0, "a": [1, 2, 3]},
        {"s": "wage", "o": 0, "a": [1, 2, "f"], "p": "x" * 3000},
        {"s": "new", "o": 0, "a": [1, "f"], "x": 1},
    ):
        cursor = b64(crafted)
        resp = await jobs.client.get(
            "/api/v1/jobs", params={"sort": crafted["s"], "cursor": cursor}
        )
        assert_invalid_cursor(resp, cursor)
    # a point in time that is not the engine's
    forged = b64({"s": "new", "o": 0, "a": [1, "f"], "p": "bm90IGEgcGl0"})
    resp = await jobs.client.get("/api/v1/jobs", params={"cursor": forged})
    assert resp.status_code in (400, 410) and resp.json()["code"] in (
        "invalid_cursor",
        "cursor_expired",
    )


@pytest.mark.integration
async def test_a_postings_history_keeps_its_newest_revisions_only(jobs, monkeypatch) -> None:
    assert HISTORY_LIMIT == 100
    monkeypatch.setattr(repository_postings, "HISTORY_LIMIT", 3)
    employer = await jobs.employer()
    headers = jobs.tokens.employer(employer)
    created = await create(jobs.client, headers, title="版管理の求人 0")
    job = f"/api/v1/jobs/{created['job_id']}"
    for n in range(1, 7):
        resp = await jobs.client.patch(job, json={"title": f"版管理の求人 {n}"}, headers=headers)
        assert resp.status_code == 200 and resp.json()["revision"] == n + 1
    stored = await jobs.db["postings"].find_one({"_id": created["job_id"]}, {"history": 1})
    assert [h["revision"] for h in stored["history"]] == [4, 5, 6]
    revisions = (await jobs.client.get(f"{job}/revisions", headers=headers)).json()
    assert revisions["current_revision"] == 7
    assert [r["revision"] for r in revisions["items"]] == [7, 6, 5, 4]
    assert revisions["items"][1]["posting"]["title"] == "版管理の求人 5"


# --- the shared decoder (servicekit.cursors), as a unit ----------------------------------------


class Shape(cursors.CursorModel):
    s: Literal["x"]
    v: cursors.Int64
    t: cursors.Instant
    i: cursors.Id


def test_the_decoder_round_trips_and_keeps_values_in_range() -> None:
    at = datetime(2026, 11, 24, 3, 0, 0, 123000, tzinfo=UTC)
    value = Shape(s="x", v=2**63 - 1, t=at, i="a" * 100)
    assert cursors.decode(Shape, cursors.encode(value)) == value
    assert cursors.decode(Shape, None) is None and cursors.decode(Shape, "") is None
    pair = tuple[cursors.Instant, cursors.Id]
    assert cursors.decode(pair, cursors.encode([at, "b"])) == (at, "b")
    # an offset other than UTC is fine and comes back as UTC
    assert cursors.decode(pair, b64(["2026-11-24T12:00:00+09:00", "b"])) == (
        datetime(2026, 11, 24, 3, 0, tzinfo=UTC),
        "b",
    )
    for bad in (
        {"s": "x", "v": 2**63, "t": at.isoformat(), "i": "a"},
        {"s": "x", "v": -(2**63) - 1, "t": at.isoformat(), "i": "a"},
        {"s": "x", "v": "1", "t": at.isoformat(), "i": "a"},
        {"s": "x", "v": 1, "t": "2026-11-24T03:00:00", "i": "a"},
        {"s": "x", "v": 1, "t": "x" * 50, "i": "a"},
        {"s": "x", "v": 1, "t": at.isoformat(), "i": "a" * 101},
        {"s": "x", "v": 1, "t": at.isoformat(), "i": "with space"},
        {"s": "x", "v": 1, "t": at.isoformat(), "i": ""},
        {"s": "y", "v": 1, "t": at.isoformat(), "i": "a"},
    ):
        with pytest.raises(cursors.InvalidCursor):
            cursors.decode(Shape, b64(bad))
    valid_pair = b64(["2026-11-24T03:00:00Z", "a"])
    for bad_cursor in CRAFTED:
        with pytest.raises(cursors.InvalidCursor):
            cursors.decode(Shape, bad_cursor)
        if bad_cursor != valid_pair:
            with pytest.raises(cursors.InvalidCursor):
                cursors.decode(pair, bad_cursor)
