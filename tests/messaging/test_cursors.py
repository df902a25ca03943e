"""Issue 13: a crafted cursor is a 400 ``invalid_cursor`` (problem+json, Japanese detail) on
every messaging list, never a 500."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.messaging.conftest import MsgEnv

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


AT = "2026-11-24T03:00:00+00:00"
CRAFTED = [
    b64({"s": "wage", "v": "1" + "0" * 30, "i": "a"}),  # the cursor of the issue
    b64([10**30, "a"]),
    b64(["1" + "0" * 30, "a"]),
    b64(["2026-11-24T03:00:00", "a"]),  # no UTC offset
    b64(["0001-01-01T00:00:00+01:00", "a"]),  # before year 1 in UTC
    b64(["2026-13-45T99:00:00Z", "a"]),
    b64([1_700_000_000, "a"]),
    b64([AT, "a" * 300]),
    b64([AT, {"$gt": ""}]),
    b64([AT, 1]),
    b64([AT, "a", "b"]),
    b64([AT]),
    b64({"at": AT, "id": "a"}),
    b64(b"\xff\xfe\x00"),
    b64(b"not json"),
    b64(b"[" * 200 + b"]" * 200),
    b64(None),
    "!!",
    "a",
    "x" * 600,
    "  ",
]


async def test_crafted_cursors_are_refused_by_every_messaging_list(msg: MsgEnv):
    cid, seeker_id, employer_id, _ = await msg.opened_pair()
    seeker, employer = msg.tokens.seeker(seeker_id), msg.tokens.employer(employer_id)
    lists: list[tuple[str, dict[str, str], dict[str, str]]] = [
        ("/api/v1/conversations", {}, seeker),
        ("/api/v1/conversations", {"status": "open"}, employer),
        ("/api/v1/conversations", {"seeker_id": seeker_id}, msg.tokens.staff()),
        ("/api/v1/conversations", {}, msg.tokens.staff()),  # nothing to show: still checked
        (f"/api/v1/conversations/{cid}/messages", {}, seeker),
        (f"/api/v1/conversations/{cid}/messages", {}, employer),
        ("/api/v1/staff/notices", {}, msg.tokens.staff()),
        ("/api/v1/staff/notices", {}, msg.tokens.admin()),
        ("/api/v1/me/notices", {}, seeker),
        ("/api/v1/me/notices", {"unread": "true"}, seeker),
    ]
    for path, params, headers in lists:
        for cursor in CRAFTED:
            r = await msg.client.get(path, params={**params, "cursor": cursor}, headers=headers)
            assert r.status_code == 400, (path, cursor, r.status_code, r.text)
            assert r.headers["content-type"].startswith(PROBLEM)
            assert r.json()["code"] == "invalid_cursor"
            assert "cursor" in r.json()["detail"] and not r.json()["detail"].isascii()
        # a well-formed cursor still pages (nothing before the epoch)
        r = await msg.client.get(
            path, params={**params, "cursor": b64(["1970-01-01T00:00:00Z", "0"])}, headers=headers
        )
        assert r.status_code == 200 and r.json()["items"] == [], (path, r.text)
