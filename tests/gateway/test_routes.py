"""The route table against every path of docs/API.md (pure unit tests)."""

from __future__ import annotations

import pytest

from gateway.routes import RATE_LIMITED_METHODS, ROUTES, Route, RouteTable, exact, tree

TABLE = RouteTable()

API_PATHS = {
    # identity
    "/api/v1/staff/seekers": "identity",
    "/api/v1/staff/seekers/s1": "identity",
    "/api/v1/staff/seekers/s1/annotations": "identity",
    "/api/v1/staff/seekers/s1/confirm": "identity",
    "/api/v1/staff/seekers/s1/cancel": "identity",
    "/api/v1/staff/employers": "identity",
    "/api/v1/staff/employers/e1": "identity",
    "/api/v1/mypage/opening": "identity",
    "/api/v1/mypage/opening/complete": "identity",
    "/api/v1/accounts": "identity",
    "/api/v1/accounts/complete": "identity",
    "/api/v1/me/seeker-application": "identity",
    "/api/v1/auth/login": "identity",
    "/api/v1/auth/refresh": "identity",
    "/api/v1/auth/logout": "identity",
    "/api/v1/auth/password-reset": "identity",
    "/api/v1/auth/password-reset/complete": "identity",
    "/api/v1/me": "identity",
    "/api/v1/me/profile": "identity",
    "/api/v1/me/profile/visibility": "identity",
    "/api/v1/me/registration/cancel": "identity",
    "/api/v1/me/export": "identity",
    "/api/v1/me/export/e1": "identity",
    "/api/v1/me/exports": "identity",
    "/api/v1/occupations": "identity",
    "/.well-known/jwks.json": "identity",
    # jobs
    "/api/v1/jobs": "jobs",
    "/api/v1/jobs/j1": "jobs",
    "/api/v1/jobs/j1/close": "jobs",
    "/api/v1/me/saved-searches": "jobs",
    "/api/v1/me/saved-searches/x1": "jobs",
    "/api/v1/me/favorites": "jobs",
    "/api/v1/me/favorites/j1": "jobs",
    "/api/v1/staff/seekers/s1/recommendations": "jobs",
    "/api/v1/me/recommendations": "jobs",
    # applications
    "/api/v1/applications": "applications",
    "/api/v1/me/applications": "applications",
    "/api/v1/staff/applications/a1/referral": "applications",
    "/api/v1/applications/a1/referral-letter": "applications",
    "/api/v1/employer/applications": "applications",
    "/api/v1/applications/a1/status": "applications",
    "/api/v1/applications/a1/withdraw": "applications",
    "/api/v1/employer/seekers": "applications",
    "/api/v1/requests": "applications",
    "/api/v1/me/requests": "applications",
    "/api/v1/me/requests/r1/decline": "applications",
    # messaging
    "/api/v1/conversations": "messaging",
    "/api/v1/conversations/c1/messages": "messaging",
    "/api/v1/conversations/c1/read": "messaging",
    "/api/v1/staff/notices": "messaging",
    "/api/v1/me/notices": "messaging",
    # notifier
    "/api/v1/me/notifications": "notifier",
    "/api/v1/me/unread": "notifier",
    "/api/v1/me/events": "notifier",
    # the gateway itself
    "/api/v1/status": "gateway",
    "/api/v1/admin/maintenance": "gateway",
    "/api/docs": "gateway",
    "/api/docs/swagger-ui-bundle.js": "gateway",
    "/api/openapi.json": "gateway",
    "/healthz": "gateway",
    # the internal listener's: 404 on the public port, never passed on to web
    "/readyz": "internal",
    "/metrics": "internal",
    "/metrics/": "internal",
    "/status/upstreams": "internal",
}


@pytest.mark.parametrize(("path", "service"), sorted(API_PATHS.items()))
def test_every_api_path_goes_to_its_service(path: str, service: str) -> None:
    route = TABLE.resolve(path)
    assert route is not None, path
    assert route.target == service


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/unknown",
        "/api/v1",
        "/api",
        "/api/v1/me/other",  # /api/v1/me is exact
        "/api/v1/me/unread/x",
        "/api/v1/jobsx",  # a prefix only counts at a segment boundary
        "/api/v1/staff",
        "/api/v1/admin/other",
        "/api/v1/jobs/../admin/maintenance",  # dot segments own nothing
        "/api/v1/jobs/./x",
    ],
)
def test_unknown_paths_have_no_owner(path: str) -> None:
    assert TABLE.resolve(path) is None


def test_the_web_client_paths_are_not_in_the_table() -> None:
    assert TABLE.resolve("/") is None
    assert TABLE.resolve("/mypage/login") is None


def test_no_api_path_with_an_empty_segment_has_a_route() -> None:
    """A trailing slash or ``//`` would otherwise fall back to a parent subtree with another
    policy (``/api/v1/auth/login/`` → ``/api/v1/auth``, without the login rate limit)."""
    for path in ("/api/v1/jobs/", "/api/v1/me/", "/api/v1/auth/login/", "/api/v1//jobs", "/api/"):
        assert TABLE.resolve(path) is None, path
    assert TABLE.resolve("/api/v1/auth/login").rate_limit == "login"  # type: ignore[union-attr]


def test_recommendations_under_a_seeker_go_to_jobs_but_the_seeker_to_identity() -> None:
    assert TABLE.resolve("/api/v1/staff/seekers/abc/recommendations/r1").target == "jobs"  # type: ignore[union-attr]
    assert TABLE.resolve("/api/v1/staff/seekers/abc/profile").target == "identity"  # type: ignore[union-attr]


def test_rate_limited_endpoints() -> None:
    def group(path: str) -> str | None:
        route = TABLE.resolve(path)
        assert route is not None
        return route.rate_limit

    assert group("/api/v1/auth/login") == "login"
    assert group("/api/v1/mypage/opening") == "opening"
    assert group("/api/v1/mypage/opening/complete") == "opening"
    assert group("/api/v1/accounts") == "accounts"
    assert group("/api/v1/accounts/complete") == "accounts"
    assert group("/api/v1/auth/password-reset") == "password_reset"
    assert group("/api/v1/auth/password-reset/complete") == "password_reset"
    assert group("/api/v1/auth/refresh") is None
    assert group("/api/v1/jobs") is None
    assert {"POST"} == RATE_LIMITED_METHODS


def test_open_during_maintenance() -> None:
    open_paths = {
        r.pattern for r in ROUTES if r.open_in_maintenance and r.pattern.startswith("/api/")
    }
    assert open_paths == {
        "/api/v1/status",
        "/api/v1/admin/maintenance",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
    }


def test_token_check_is_skipped_only_where_tokens_are_obtained() -> None:
    unchecked = {r.pattern for r in ROUTES if not r.check_token}
    assert unchecked == {
        "/api/v1/auth",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/password-reset",
        "/api/v1/mypage/opening",
        "/api/v1/accounts",
    }
    assert TABLE.resolve("/api/v1/me").check_token  # type: ignore[union-attr]


def test_literal_beats_parameter_and_deeper_beats_shallower() -> None:
    table = RouteTable(
        [
            tree("/a", "one"),
            tree("/a/{x}/b", "two"),
            exact("/a/lit/b", "three"),
            Route("/a/{x}", "four"),
        ]
    )
    assert table.resolve("/a/lit/b").target == "three"  # type: ignore[union-attr]
    assert table.resolve("/a/other/b").target == "two"  # type: ignore[union-attr]
    assert table.resolve("/a/other/b/c").target == "two"  # type: ignore[union-attr]
    assert table.resolve("/a/lit/b/c").target == "two"  # type: ignore[union-attr]
    assert table.resolve("/a/other").target == "four"  # type: ignore[union-attr]
    assert table.resolve("/a/other/c").target == "one"  # type: ignore[union-attr]
    assert table.resolve("/a").target == "one"  # type: ignore[union-attr]


def test_two_routes_for_one_path_are_refused() -> None:
    with pytest.raises(ValueError, match="two routes"):
        RouteTable([exact("/a", "one"), exact("/a", "two")])
