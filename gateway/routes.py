"""The route table: which service owns which public path (docs/API.md), and the gateway's own
policy per path (rate limit, maintenance exemption, token check, event stream, body limit). The one place to change routing.

A pattern's segments are literals or ``{name}`` (any one non-empty segment). ``exact`` matches
the path itself; ``tree`` matches the path and everything below it. The most specific route
wins: a longer match beats a shorter one, a literal segment beats ``{name}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

IDENTITY = "identity"
JOBS = "jobs"
APPLICATIONS = "applications"
MESSAGING = "messaging"
NOTIFIER = "notifier"
WEB = "web"
# answered by the gateway itself
GATEWAY = "gateway"
# answered on the internal listener only (gateway/listeners.py): the public port says 404, and
# never passes these paths on to web (whose own /metrics and /readyz are internal too)
INTERNAL = "internal"

SERVICES = (IDENTITY, JOBS, APPLICATIONS, MESSAGING, NOTIFIER)

# the rate limit of a route applies to these methods only
RATE_LIMITED_METHODS = frozenset({"POST"})


@dataclass(frozen=True, slots=True)
class Route:
    pattern: str
    target: str
    subtree: bool = False
    # token bucket (per client IP) for POSTs to this route; routes may share a bucket
    rate_limit: str | None = None
    # the JSON body member naming the account: the bucket is then per (client IP, account), under
    # a generous per-IP ceiling (people behind one address, as at a Hello Work office's PCs); a
    # body without it counts per client IP alone
    rate_limit_account: str | None = None
    # keeps answering while maintenance is in effect
    open_in_maintenance: bool = False
    # the gateway rejects a bad bearer token before forwarding; off where clients obtain or
    # drop tokens, so that a stale access token never blocks a login or a refresh
    check_token: bool = True
    # a long-lived event stream: its own connection pool, open streams capped per account and
    # per client address
    stream: bool = False
    # the largest request body (bytes) this route takes; None: max_request_body_bytes (1 MiB).
    # No route needs more today.
    max_body: int | None = None


def exact(
    pattern: str,
    target: str,
    *,
    rate_limit: str | None = None,
    rate_limit_account: str | None = None,
    open_in_maintenance: bool = False,
    check_token: bool = True,
    stream: bool = False,
    max_body: int | None = None,
) -> Route:
    return Route(
        pattern,
        target,
        subtree=False,
        rate_limit=rate_limit,
        rate_limit_account=rate_limit_account,
        open_in_maintenance=open_in_maintenance,
        check_token=check_token,
        stream=stream,
        max_body=max_body,
    )


def tree(
    pattern: str,
    target: str,
    *,
    rate_limit: str | None = None,
    rate_limit_account: str | None = None,
    open_in_maintenance: bool = False,
    check_token: bool = True,
    stream: bool = False,
    max_body: int | None = None,
) -> Route:
    return Route(
        pattern,
        target,
        subtree=True,
        rate_limit=rate_limit,
        rate_limit_account=rate_limit_account,
        open_in_maintenance=open_in_maintenance,
        check_token=check_token,
        stream=stream,
        max_body=max_body,
    )


ROUTES: tuple[Route, ...] = (
    # identity: accounts, My Page opening, tokens, seekers, employers, profiles
    tree("/api/v1/staff/seekers", IDENTITY),
    tree("/api/v1/staff/employers", IDENTITY),
    tree("/api/v1/mypage", IDENTITY),
    tree("/api/v1/mypage/opening", IDENTITY, rate_limit="opening", check_token=False),
    tree("/api/v1/accounts", IDENTITY, rate_limit="accounts", check_token=False),
    tree("/api/v1/auth", IDENTITY, check_token=False),
    exact(
        "/api/v1/auth/login",
        IDENTITY,
        rate_limit="login",
        rate_limit_account="email",
        open_in_maintenance=True,
        check_token=False,
    ),
    exact("/api/v1/auth/refresh", IDENTITY, open_in_maintenance=True, check_token=False),
    tree("/api/v1/auth/password-reset", IDENTITY, rate_limit="password_reset", check_token=False),
    exact("/api/v1/me", IDENTITY),
    tree("/api/v1/me/profile", IDENTITY),
    tree("/api/v1/me/registration", IDENTITY),
    exact("/api/v1/me/seeker-application", IDENTITY),
    exact("/api/v1/me/activity-record", IDENTITY),  # 求職活動実績
    tree("/api/v1/me/export", IDENTITY),  # and the whole export: /api/v1/me/export/{id}
    exact("/api/v1/me/exports", IDENTITY),
    tree("/api/v1/occupations", IDENTITY),
    exact("/.well-known/jwks.json", IDENTITY),
    # jobs: postings, search, saved searches, favourites, recommendations
    tree("/api/v1/jobs", JOBS),
    tree("/api/v1/me/saved-searches", JOBS),
    tree("/api/v1/me/favorites", JOBS),
    tree("/api/v1/me/recommendations", JOBS),
    tree("/api/v1/staff/seekers/{seeker_id}/recommendations", JOBS),
    # applications: applications, referral letters, direct requests
    tree("/api/v1/applications", APPLICATIONS),
    tree("/api/v1/me/applications", APPLICATIONS),
    tree("/api/v1/staff/applications", APPLICATIONS),
    tree("/api/v1/employer/applications", APPLICATIONS),
    tree("/api/v1/employer/seekers", APPLICATIONS),
    tree("/api/v1/employer/requests", APPLICATIONS),
    tree("/api/v1/requests", APPLICATIONS),
    tree("/api/v1/me/requests", APPLICATIONS),
    # messaging: conversations, messages, notices
    tree("/api/v1/conversations", MESSAGING),
    tree("/api/v1/staff/notices", MESSAGING),
    tree("/api/v1/me/notices", MESSAGING),
    # notifier: in-app notifications, unread counts, live updates
    tree("/api/v1/me/notifications", NOTIFIER),
    exact("/api/v1/me/unread", NOTIFIER),
    exact("/api/v1/me/events", NOTIFIER, stream=True),
    # the gateway itself
    exact("/api/v1/status", GATEWAY, open_in_maintenance=True),
    exact("/api/v1/admin/maintenance", GATEWAY, open_in_maintenance=True),
    exact("/api/openapi.json", GATEWAY),
    tree("/api/docs", GATEWAY),  # Swagger UI and its files
    exact("/healthz", GATEWAY, open_in_maintenance=True),
    # internal listener only
    tree("/readyz", INTERNAL),
    tree("/metrics", INTERNAL),
    tree("/status/upstreams", INTERNAL),
)


@dataclass(slots=True)
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    exact: Route | None = None
    tree: Route | None = None


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/") if path.strip("/") else []


class RouteTable:
    """A segment trie over the routes; ``resolve`` costs one dict lookup per path segment."""

    def __init__(self, routes: Iterable[Route] = ROUTES) -> None:
        self.routes = tuple(routes)
        self._root = _Node()
        for route in self.routes:
            node = self._root
            for seg in _segments(route.pattern):
                if seg.startswith("{") and seg.endswith("}"):
                    node.param = node.param or _Node()
                    node = node.param
                else:
                    node = node.children.setdefault(seg, _Node())
            slot = "tree" if route.subtree else "exact"
            if getattr(node, slot) is not None:
                raise ValueError(f"two routes for {route.pattern}")
            setattr(node, slot, route)

    def resolve(self, path: str) -> Route | None:
        """The route owning ``path`` (decoded, without query), or None. Paths with ``.`` or
        ``..`` segments own nothing: they would mean another path to the upstream. Nor do API
        paths with an empty segment (``/api/v1/auth/login/``, ``//``): a trailing slash must not
        take a request out of its route's policy (a rate limit) into a parent's."""
        segs = path.split("/")[1:] if path.startswith("/") else path.split("/")
        api = is_api(path)
        for seg in segs:
            if seg in (".", "..") or (api and seg == ""):
                return None
        return _find(self._root, segs, 0)


def _find(node: _Node, segs: list[str], i: int) -> Route | None:
    if i == len(segs):
        return node.exact or node.tree
    seg = segs[i]
    found: Route | None = None
    child = node.children.get(seg)
    if child is not None:
        found = _find(child, segs, i + 1)
    if found is None and node.param is not None and seg:
        found = _find(node.param, segs, i + 1)
    return found or node.tree


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")
