"""Every query a service sends during the test run is recorded (PyMongo command monitoring), one
example per query shape, and explained against the same database at the end of the run
(``scans`` below, called by the session teardown in ``tests/conftest.py``, in every pytest
worker before its databases are dropped): a collection scan of a collection that grows with use
fails the run, naming the query.

The shape of a query is its collection, kind, filter with the values taken out, sort and hint, so
one explain stands for every query of that shape whatever the values. Updates, deletes,
find-and-modify, counts and the ``$match`` of an aggregation are explained as the ``find`` of the
same filter, sort and hint: the plan that selects their documents.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymongo import monitoring

ROOT = str(Path(__file__).resolve().parents[1]) + "/"
TESTS = ROOT + "tests/"
HERE = __file__


def from_the_project() -> bool:
    """True when the command was sent by project code (a service, servicekit, the gateway),
    False when a test sent it itself (a test's own look at the database is not a finding). The
    first frame of this repository below the driver's decides; awaiting coroutines chain their
    frames, so the caller of an async driver call is on the stack."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(ROOT) and name != HERE and "/.venv/" not in name:
            return not name.startswith(TESTS)
        frame = frame.f_back  # type: ignore[assignment]
    return True


# collections that stay small whatever the use: a scan of them is not a finding
SMALL = frozenset(
    {
        "counters",  # one document per counter name
        "secrets",  # the signing key pair
        "maintenance",  # one document
        "system.indexes",
    }
)


def shape(value: Any) -> Any:
    """The structure of a filter without its values: operators and field names stay."""
    if isinstance(value, dict):
        return tuple(sorted((k, shape(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("[]", *sorted({repr(shape(v)) for v in value}))
    return type(value).__name__


@dataclass
class Query:
    database: str
    collection: str
    kind: str
    filter: dict[str, Any]
    sort: dict[str, Any] | None = None
    hint: Any = None
    seen: int = 1
    plan: str = field(default="")

    def describe(self) -> str:
        return (
            f"{self.database.split('_', 1)[-1]}.{self.collection} {self.kind} "
            f"filter={self.filter!r} sort={self.sort!r} hint={self.hint!r}"
        )


def _queries(command_name: str, cmd: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any, Any]]:
    """(collection, filter, sort, hint) for each selection a command makes."""
    if command_name == "find":
        return [(cmd["find"], cmd.get("filter") or {}, cmd.get("sort"), cmd.get("hint"))]
    if command_name == "update":
        return [(cmd["update"], u.get("q") or {}, None, u.get("hint")) for u in cmd["updates"]]
    if command_name == "delete":
        return [(cmd["delete"], d.get("q") or {}, None, d.get("hint")) for d in cmd["deletes"]]
    if command_name == "findAndModify":
        coll = cmd["findAndModify"]
        return [(coll, cmd.get("query") or {}, cmd.get("sort"), cmd.get("hint"))]
    if command_name == "count":
        return [(cmd["count"], cmd.get("query") or {}, None, cmd.get("hint"))]
    if command_name == "distinct":
        return [(cmd["distinct"], cmd.get("query") or {}, None, cmd.get("hint"))]
    if command_name == "aggregate" and isinstance(cmd.get("aggregate"), str):
        pipeline = cmd.get("pipeline") or []
        match = pipeline[0].get("$match") if pipeline else None
        sort = pipeline[1].get("$sort") if len(pipeline) > 1 else None
        if match is None and pipeline and "$sort" in pipeline[0]:
            match, sort = {}, pipeline[0]["$sort"]
        if match is None:
            match = {}
        return [(cmd["aggregate"], match, sort, cmd.get("hint"))]
    return []


class QueryRecorder(monitoring.CommandListener):
    def __init__(self, database_prefix: str) -> None:
        self.prefix = database_prefix
        self.queries: dict[tuple[Any, ...], Query] = {}
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not event.database_name.startswith(self.prefix) or not from_the_project():
            return
        try:
            found = _queries(event.command_name, dict(event.command))
        except (KeyError, TypeError, AttributeError):
            return
        for collection, flt, sort, hint in found:
            if not isinstance(collection, str) or collection.startswith("system."):
                continue
            key = (
                event.database_name,
                collection,
                shape(flt),
                shape(dict(sort)) if sort else None,
                repr(hint),
            )
            with self._lock:
                if key in self.queries:
                    self.queries[key].seen += 1
                else:
                    self.queries[key] = Query(
                        event.database_name,
                        collection,
                        event.command_name,
                        dict(flt),
                        dict(sort) if sort else None,
                        hint,
                    )

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def stages(plan: Any) -> list[str]:
    """Every stage name in an explain plan tree."""
    if isinstance(plan, dict):
        found = [plan["stage"]] if isinstance(plan.get("stage"), str) else []
        for key in ("inputStage", "queryPlan", "winningPlan"):
            if key in plan:
                found += stages(plan[key])
        for child in plan.get("inputStages") or []:
            found += stages(child)
        return found
    return []


async def explain(client: Any, query: Query) -> list[str]:
    spec: dict[str, Any] = {"find": query.collection, "filter": query.filter}
    if query.sort:
        spec["sort"] = query.sort
    if query.hint:
        spec["hint"] = query.hint
    result = await client[query.database].command({"explain": spec, "verbosity": "queryPlanner"})
    return stages(result["queryPlanner"]["winningPlan"])


async def scans(client: Any, queries: list[Query]) -> list[str]:
    """The recorded queries whose plan scans a whole collection (small collections excepted)."""
    existing = set(await client.list_database_names())
    found: list[str] = []
    for query in queries:
        if query.collection in SMALL or query.database not in existing:
            continue
        plan = await explain(client, query)
        if "COLLSCAN" in plan:
            found.append(f"{query.describe()}  (seen {query.seen}×, plan {plan})")
    return found
