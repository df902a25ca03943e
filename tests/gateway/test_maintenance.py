"""Maintenance mode: start, schedule, end; shared by every gateway replica."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from servicekit.clock import FrozenClock
from tests.conftest import eventually
from tests.gateway.conftest import running_gateway

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(keys, kid) -> dict[str, str]:
    return bearer(keys.token(kid, role="admin"))


async def test_start_now_and_end(gateway_settings, identity, jobs, admin, keys, kid):
    async with running_gateway(gateway_settings(), clock=FrozenClock(NOW)) as client:
        status = await client.get("/api/v1/status")
        assert status.json() == {"maintenance": False, "window": None, "message": None}

        put = await client.put(
            "/api/v1/admin/maintenance",
            headers=admin,
            json={"active": True, "message": "システム更新のため停止しています。"},
        )
        assert put.status_code == 200
        assert put.json()["maintenance"] is True

        blocked = await client.get("/api/v1/jobs", headers=bearer(keys.token(kid)))
        assert blocked.status_code == 503
        assert blocked.headers["content-type"] == "application/problem+json"
        body = blocked.json()
        assert body["code"] == "maintenance"
        assert body["message"] == "システム更新のため停止しています。"
        assert body["window"] == {"starts_at": None, "ends_at": None}
        assert "メンテナンス" in body["detail"]
        assert blocked.headers["retry-after"] == "600"
        assert jobs.seen == []
        for path in ("/api/v1/me", "/api/docs", "/api/v1/nothing"):
            assert (await client.get(path)).status_code == 503, path

        # still answering: status, health, login and refresh (so an admin can act); readiness
        # and metrics are on the internal listener, which maintenance never touches
        status = await client.get("/api/v1/status")
        assert status.status_code == 200
        assert status.json()["maintenance"] is True
        assert status.json()["message"] == "システム更新のため停止しています。"
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/metrics")).status_code == 404  # not on the public port
        assert (await client.post("/api/v1/auth/login", json={})).status_code == 200
        assert (await client.post("/api/v1/auth/refresh", json={})).status_code == 200

        end = await client.put("/api/v1/admin/maintenance", headers=admin, json={"active": False})
        assert end.json() == {"maintenance": False, "window": None, "message": None}
        assert (await client.get("/api/v1/jobs")).status_code == 200


async def test_scheduled_window(gateway_settings, jobs, admin):
    clock = FrozenClock(NOW)
    starts, ends = NOW + timedelta(hours=1), NOW + timedelta(hours=2)
    async with running_gateway(gateway_settings(), clock=clock) as client:
        put = await client.put(
            "/api/v1/admin/maintenance",
            headers=admin,
            json={
                "active": True,
                "starts_at": starts.isoformat(),
                "ends_at": "2026-11-24T11:00:00",
                "message": "11時まで停止します。",
            },
        )
        assert put.status_code == 200
        announced = {"starts_at": "2026-11-24T10:00:00Z", "ends_at": "2026-11-24T11:00:00Z"}
        assert put.json() == {
            "maintenance": False,
            "window": announced,
            "message": "11時まで停止します。",
        }
        assert (await client.get("/api/v1/jobs")).status_code == 200

        clock.set(starts)
        blocked = await client.get("/api/v1/jobs")
        assert blocked.status_code == 503
        assert blocked.headers["retry-after"] == "3600"
        assert blocked.json()["window"]["ends_at"].startswith("2026-11-24T11:00:00")
        assert (await client.get("/api/v1/status")).json()["maintenance"] is True

        clock.set(ends - timedelta(seconds=90))
        assert (await client.get("/api/v1/jobs")).headers["retry-after"] == "90"

        clock.set(ends)
        assert (await client.get("/api/v1/jobs")).status_code == 200
        assert (await client.get("/api/v1/status")).json() == {
            "maintenance": False,
            "window": None,
            "message": None,
        }


async def test_only_an_admin_may_change_it(gateway_settings, keys, kid):
    async with running_gateway(gateway_settings(), clock=FrozenClock(NOW)) as client:
        body = {"active": True}
        anonymous = await client.put("/api/v1/admin/maintenance", json=body)
        assert anonymous.status_code == 401
        for role in ("seeker", "employer", "staff"):
            resp = await client.put(
                "/api/v1/admin/maintenance", json=body, headers=bearer(keys.token(kid, role=role))
            )
            assert resp.status_code == 403, role
            assert resp.json()["code"] == "forbidden"
        bad = await client.put("/api/v1/admin/maintenance", json=body, headers=bearer("nope"))
        assert bad.status_code == 401
        assert (await client.get("/api/v1/status")).json()["maintenance"] is False


async def test_bad_input_is_422(gateway_settings, admin):
    async with running_gateway(gateway_settings(), clock=FrozenClock(NOW)) as client:
        cases = [
            {"active": True, "extra": 1},
            {"message": "no active"},
            {
                "active": True,
                "starts_at": "2026-11-24T12:00:00Z",
                "ends_at": "2026-11-24T11:00:00Z",
            },
            {"active": True, "ends_at": "2026-11-24T08:00:00Z"},  # already over
            {"active": True, "starts_at": "tomorrow"},
        ]
        for body in cases:
            resp = await client.put("/api/v1/admin/maintenance", json=body, headers=admin)
            assert resp.status_code == 422, body
            assert resp.json()["code"] == "validation_error"
            assert resp.json()["errors"], body
        assert (await client.get("/api/v1/status")).json()["maintenance"] is False


async def test_every_replica_follows_the_shared_state(gateway_settings, jobs, admin):
    settings = gateway_settings(maintenance_cache_seconds=0.2)
    async with (
        running_gateway(settings) as one,
        running_gateway(settings) as two,
    ):
        assert (await two.get("/api/v1/jobs")).status_code == 200
        assert (
            await one.put("/api/v1/admin/maintenance", headers=admin, json={"active": True})
        ).status_code == 200

        async def two_blocked() -> bool:
            return (await two.get("/api/v1/jobs")).status_code == 503

        await eventually(two_blocked, timeout=5)
        assert (
            await two.put("/api/v1/admin/maintenance", headers=admin, json={"active": False})
        ).status_code == 200

        async def one_open() -> bool:
            return (await one.get("/api/v1/jobs")).status_code == 200

        await eventually(one_open, timeout=5)
    # a restarted gateway reads the state back
    async with running_gateway(settings) as three:
        assert (await three.get("/api/v1/status")).json()["maintenance"] is False
