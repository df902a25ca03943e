"""The merged OpenAPI document served at /api/docs: the gateway's own routes plus every service's
/openapi.json. Only paths the route table sends to that service are kept; a component whose
name another service already uses for something else is renamed ``<service>_<name>`` (and every
reference to it in that service's document rewritten). A service that is down is left out and
named in ``info.description``."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import structlog

log = structlog.get_logger()

Spec = dict[str, Any]
_REF = "#/components/"


async def fetch_specs(
    session: aiohttp.ClientSession, bases: Mapping[str, str], *, timeout: float = 5.0
) -> dict[str, Spec | None]:
    async def one(name: str, base: str) -> Spec | None:
        try:
            async with asyncio.timeout(timeout), session.get(base + "/openapi.json") as resp:
                if resp.status != 200:
                    log.warning("gateway.docs.upstream_failed", upstream=name, status=resp.status)
                    return None
                spec: Spec = await resp.json(content_type=None)
                return spec
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("gateway.docs.upstream_failed", upstream=name, error=repr(exc))
            return None

    names = list(bases)
    results = await asyncio.gather(*(one(n, bases[n]) for n in names))
    return dict(zip(names, results, strict=True))


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    """A copy of ``node`` with every ``$ref`` to a renamed component pointing at its new name
    (``renames`` maps "schemas/Item" → "schemas/jobs_Item")."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF):
                value = _REF + renames.get(value[len(_REF) :], value[len(_REF) :])
            else:
                value = _rewrite_refs(value, renames)
            out[key] = value
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, renames) for v in node]
    return node


def _add_service(
    merged: Spec, service: str, spec: Spec, owns: Callable[[str], bool], op_ids: set[str]
) -> None:
    components: dict[str, dict[str, Any]] = merged.setdefault("components", {})
    theirs: dict[str, dict[str, Any]] = spec.get("components") or {}
    renames: dict[str, str] = {}
    # rename until stable: a rename can make another component differ from its namesake
    while True:
        rewritten = _rewrite_refs(theirs, renames)
        new = {
            f"{section}/{name}": f"{section}/{service}_{name}"
            for section, items in rewritten.items()
            for name, value in (items or {}).items()
            if f"{section}/{name}" not in renames
            and name in components.get(section, {})
            and components[section][name] != value
        }
        if not new:
            break
        renames.update(new)
    for section, items in rewritten.items():
        target = components.setdefault(section, {})
        for name, value in (items or {}).items():
            key = renames.get(f"{section}/{name}", f"{section}/{name}").split("/", 1)[1]
            target.setdefault(key, value)
    paths = merged.setdefault("paths", {})
    for path, item in (spec.get("paths") or {}).items():
        if not owns(path) or path in paths:
            continue
        item = _rewrite_refs(item, renames)
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                if operation["operationId"] in op_ids:
                    operation["operationId"] = f"{service}_{operation['operationId']}"
                op_ids.add(operation["operationId"])
        paths[path] = item
    for tag in spec.get("tags") or []:
        known = {t.get("name") for t in merged.setdefault("tags", [])}
        if tag.get("name") not in known:
            merged["tags"].append(tag)


def _owned_by(owner: Callable[[str], str | None], service: str) -> Callable[[str], bool]:
    return lambda path: owner(path) == service


def merge(own: Spec, specs: Mapping[str, Spec | None], owner: Callable[[str], str | None]) -> Spec:
    """``own`` is the gateway's document; ``owner(path)`` names the service a path goes to."""
    merged: Spec = {
        "openapi": own.get("openapi", "3.1.0"),
        "info": {"title": "Hataraku API", "version": "1.0.0"},
        "paths": {},
        "components": {},
    }
    op_ids: set[str] = set()
    _add_service(merged, "gateway", copy.deepcopy(own), lambda _: True, op_ids)
    for service, spec in specs.items():
        if spec is not None:
            _add_service(merged, service, spec, _owned_by(owner, service), op_ids)
    missing = [name for name, spec in specs.items() if spec is None]
    description = (
        "The public HTTP API of Hataraku, merged from every service behind the gateway. "
        "Errors are application/problem+json with a stable `code`; `detail` is Japanese, "
        "English with `Accept-Language: en`."
    )
    if missing:
        description += f"\n\nNot available right now (left out): {', '.join(missing)}."
    merged["info"]["description"] = description
    merged["info"]["x-missing-services"] = missing
    if not merged["components"]:
        del merged["components"]
    return merged
