"""The authorization matrix: every route of every service and of the gateway, collected from the
code (each ``create_app(...).routes``), against the expectations committed beside this file in
``authz_matrix.json`` — written from the role column of docs/API.md (the design's API.md), not
from what the code happens to do.

Each entry is keyed ``"METHOD /path/{param}"``:

    {"service": "applications", "who": "<API.md's role column>",
     "expect": {"anonymous": "401", "seeker": "allow", "seeker_other": "404", ...},
     "note": "why an expectation is what it is, where API.md leaves room"}

The roles (tests/security/world.py builds one account of each): ``anonymous``; ``seeker`` (A,
the owner of every seeker-owned resource in a path), ``seeker_other`` (B: same office, not the
owner); ``employer`` (X, owns the postings, applicants and conversation), ``employer_other``
(Y); ``staff`` (office 13010, A's office), ``staff_other`` (office 27010); ``admin``.

An expectation is one of:

- ``allow``: the role may call the route: no 401/403/404, no 5xx (a 400/409/422 of the
  business rules is fine: the call got past authorization);
- ``401`` / ``403`` / ``404``: exactly that status (404: the resource is hidden from the role,
  as if it did not exist);
- ``deny``: 403 or 404 (another owner's resource where API.md does not say which).

Routes a service serves that are not public (health, readiness, metrics, AsyncAPI, a service's
own OpenAPI) are entries ``{"service": ..., "internal": true}``: the gateway must not route them
to that service, and its public port answers them 404 (or answers them itself).

A route in the code without an entry fails the suite. Add one by hand, or run

    .venv/bin/python -m tests.security.authz_matrix --write

which adds an entry per new route with expectations guessed from the route's dependencies,
marked ``"review": true`` — the suite fails on such marks until a person has checked every
expectation against API.md and removed the mark. ``--write`` also drops entries of routes that
are gone.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from gateway.routes import GATEWAY, RouteTable

MATRIX = Path(__file__).with_name("authz_matrix.json")
ROLES = (
    "anonymous",
    "seeker",
    "seeker_other",
    "employer",
    "employer_other",
    "staff",
    "staff_other",
    "admin",
)
OUTCOMES = frozenset({"allow", "401", "403", "404", "deny"})
HOW_TO_ADD = (
    "add an entry per route to tests/security/authz_matrix.json with the expectations of "
    "API.md's role column (or run `.venv/bin/python -m tests.security.authz_matrix --write`, "
    'check each generated expectation against API.md and remove its "review" mark)'
)


@dataclass(frozen=True)
class CodeRoute:
    service: str
    method: str
    path: str
    # the roles the route's dependencies admit, when they say (a guess for --write)
    admits: frozenset[str] | None
    # the route declares a principal dependency at all
    authenticated: bool
    in_schema: bool

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _apps() -> Iterator[tuple[str, FastAPI]]:
    """Every service's app and the gateway's, built with default settings (nothing starts)."""
    from gateway.app import create_app as gateway_app
    from gateway.settings import GatewaySettings
    from services.applications.app import create_app as applications_app
    from services.applications.settings import ApplicationsSettings
    from services.identity.app import create_app as identity_app
    from services.identity.settings import IdentitySettings
    from services.jobs.app import create_app as jobs_app
    from services.jobs.settings import JobsSettings
    from services.messaging.app import create_app as messaging_app
    from services.messaging.settings import MessagingSettings
    from services.notifier.app import create_app as notifier_app
    from services.notifier.settings import NotifierSettings

    yield "identity", identity_app(IdentitySettings())
    yield "jobs", jobs_app(JobsSettings())
    yield "applications", applications_app(ApplicationsSettings())
    yield "messaging", messaging_app(MessagingSettings())
    yield "notifier", notifier_app(NotifierSettings())
    yield GATEWAY, gateway_app(GatewaySettings())


def _flatten(routes: Iterable[Any]) -> Iterator[Any]:
    """Routes as served: FastAPI ≥ 0.16x keeps included routers as ``_IncludedRouter`` nodes;
    their effective routes carry the full path."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            yield from contexts()
        else:
            yield route


def _principal_deps(route: Any) -> tuple[bool, frozenset[str] | None]:
    """(whether a principal is required, the roles admitted if a ``require(...)`` says)."""
    original = getattr(route, "original_route", route)
    dependant = getattr(original, "dependant", None)
    if dependant is None:
        return False, None
    found = False
    admitted: set[str] | None = None
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        stack.extend(dep.dependencies)
        call = dep.call
        name = getattr(call, "__name__", "")
        if name in ("current_principal", "admin"):
            found = True
            if name == "admin":
                admitted = {"admin"}
        for cell in getattr(call, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, (set, frozenset)) and value <= {
                "seeker",
                "employer",
                "staff",
                "admin",
            }:
                found = True
                admitted = set(value) if admitted is None else admitted & set(value)
    return found, frozenset(admitted) if admitted is not None else None


def collect_routes() -> list[CodeRoute]:
    out: dict[str, CodeRoute] = {}
    for service, app in _apps():
        for route in _flatten(app.routes):
            methods = set(getattr(route, "methods", None) or ())
            path = getattr(route, "path", None)
            if not methods or not path:
                continue
            if "GET" in methods:
                methods.discard("HEAD")
            authenticated, admits = _principal_deps(route)
            original = getattr(route, "original_route", route)
            in_schema = bool(getattr(original, "include_in_schema", True)) and isinstance(
                original, APIRoute
            )
            for method in sorted(methods):
                r = CodeRoute(service, method, path, admits, authenticated, in_schema)
                # every service serves /healthz etc.: one entry per (service, route)
                key = r.key if _public(r) else f"{service}: {r.key}"
                out[key] = r
    return sorted(out.values(), key=lambda r: (r.path, r.method, r.service))


def concrete(path: str) -> str:
    """A path with each ``{param}`` filled, for the gateway's route table."""
    return "/".join("x" if s.startswith("{") else s for s in path.split("/"))


def _public(route: CodeRoute) -> bool:
    """Whether the gateway sends this path to the route's own service (the gateway's own
    routes: whether it answers them on its public port)."""
    found = RouteTable().resolve(concrete(route.path))
    return found is not None and found.target == route.service


def entry_key(route: CodeRoute) -> str:
    return route.key if _public(route) else f"{route.service}: {route.key}"


def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MATRIX.read_text(encoding="utf-8"))
    return data


def guess(route: CodeRoute) -> dict[str, Any]:
    """An entry for a new route, from its dependencies: to be reviewed against API.md."""
    if not _public(route):
        return {"service": route.service, "internal": True, "review": True}
    owner = "{" in route.path
    expect: dict[str, str] = {}
    for role in ROLES:
        base = role.removesuffix("_other")
        if role == "anonymous":
            expect[role] = "401" if route.authenticated else "allow"
        elif route.admits is None:
            expect[role] = "allow"
        elif base in route.admits:
            expect[role] = "deny" if owner and role.endswith("_other") else "allow"
        else:
            expect[role] = "403"
    return {"service": route.service, "who": "?", "expect": expect, "review": True}


def problems_of(data: dict[str, Any], routes: list[CodeRoute]) -> list[str]:
    """What is wrong with the matrix file as such (missing, stale, malformed, unreviewed)."""
    entries: dict[str, Any] = data["routes"]
    found: list[str] = []
    keys = {entry_key(r): r for r in routes}
    for key, route in keys.items():
        if key not in entries:
            found.append(f"{key} ({route.service}) has no entry in the matrix: {HOW_TO_ADD}")
    for key, entry in entries.items():
        if key not in keys:
            found.append(f"{key}: in the matrix but no longer in the code: remove the entry")
            continue
        if entry.get("service") != keys[key].service:
            found.append(f"{key}: served by {keys[key].service}, the matrix says {entry}")
        if entry.get("review"):
            found.append(
                f'{key}: marked "review": check each expectation against API.md, then remove '
                "the mark"
            )
        if entry.get("internal"):
            continue
        expect = entry.get("expect", {})
        if set(expect) != set(ROLES):
            found.append(f"{key}: expectations for {sorted(expect)}, want every role {ROLES}")
        bad = {r: v for r, v in expect.items() if v not in OUTCOMES}
        if bad:
            found.append(f"{key}: unknown outcomes {bad} (one of {sorted(OUTCOMES)})")
    return found


def verdict(expected: str, status: int) -> bool:
    """Whether a status meets an expectation (module docstring)."""
    if status >= 500:
        return False
    if expected == "allow":
        return status not in (401, 403, 404)
    if expected == "deny":
        return status in (403, 404)
    return str(status) == expected


def write(routes: list[CodeRoute], out: Callable[[str], None] = print) -> int:
    data = load() if MATRIX.exists() else {"routes": {}}
    entries: dict[str, Any] = data["routes"]
    keys = {entry_key(r): r for r in routes}
    added = [k for k in keys if k not in entries]
    gone = [k for k in entries if k not in keys]
    for key in added:
        entries[key] = guess(keys[key])
    for key in gone:
        del entries[key]
    data["routes"] = dict(sorted(entries.items(), key=lambda kv: _order(kv[0])))
    MATRIX.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for key in added:
        out(f"added (review it against API.md): {key}")
    for key in gone:
        out(f"removed (no longer in the code): {key}")
    if not added and not gone:
        out("the matrix covers every route")
    return 0


def _order(key: str) -> tuple[int, str, str]:
    internal = ": " in key
    method, _, path = key.rpartition(": ")[2].partition(" ")
    return (1 if internal else 0, path if not internal else key, method)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--write", action="store_true", help="add entries for new routes (marked for review)"
    )
    args = parser.parse_args(argv)
    routes = collect_routes()
    if args.write:
        return write(routes)
    found = problems_of(load(), routes)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
