"""Order-safe projections: keep a copy of another service's data from its events, where an older
event arriving after a newer one never wins.

Each event carries its aggregate's ``version``. A projection document keeps, per *facet* (a group
of fields one kind of event sets), the version that last wrote it:

    await apply_if_newer(coll, seeker_id, event.version, {"visibility": ...}, facet="visibility")

A snapshot event that carries several facets calls this once per facet, so a newer partial event
(say, visibility only) does not make an older snapshot's other fields stale-forever.

On MongoDB the check and the write are one atomic conditional update. FerretDB 1.24 makes
conditional updates neither atomic nor indexed (any filter but ``{_id}`` reads the whole
collection), so there the helper reads by ``_id``, decides, and writes by ``_id``: as safe as
FerretDB allows, and cheap.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from servicekit.db import is_ferretdb


async def apply_if_newer(
    collection: AsyncCollection[dict[str, Any]],
    doc_id: str,
    version: int,
    fields: dict[str, Any],
    *,
    facet: str = "all",
) -> bool:
    """Set ``fields`` on the document unless this facet already holds ``version`` or newer.
    Creates the document when it does not exist. Returns True when the fields were applied."""
    marker = f"versions.{facet}"
    update = {"$set": {**fields, marker: version}}
    if await is_ferretdb(collection.database):
        doc = await collection.find_one({"_id": doc_id}, {"versions": 1})
        if doc is None:
            try:
                await collection.insert_one({"_id": doc_id, **fields, "versions": {facet: version}})
                return True
            except DuplicateKeyError:
                doc = await collection.find_one({"_id": doc_id}, {"versions": 1}) or {}
        if int((doc.get("versions") or {}).get(facet, 0)) >= version:
            return False
        await collection.update_one({"_id": doc_id}, update)
        return True
    try:
        result = await collection.update_one(
            {"_id": doc_id, "$or": [{marker: {"$lt": version}}, {marker: {"$exists": False}}]},
            update,
            upsert=True,
        )
    except DuplicateKeyError:
        return False  # the document exists with this version or a newer one
    return result.upserted_id is not None or result.modified_count == 1


async def apply_facets_if_newer(
    collection: AsyncCollection[dict[str, Any]],
    doc_id: str,
    version: int,
    facets: dict[str, dict[str, Any]],
) -> list[str]:
    """``apply_if_newer`` for several facets of one event at once: on FerretDB one read and at
    most one write (each write reads the whole collection there). Returns the facets applied."""
    if not await is_ferretdb(collection.database):
        return [
            f
            for f, fields in facets.items()
            if await apply_if_newer(collection, doc_id, version, fields, facet=f)
        ]
    doc = await collection.find_one({"_id": doc_id}, {"versions": 1})
    if doc is None:
        merged = {k: v for fields in facets.values() for k, v in fields.items()}
        try:
            await collection.insert_one(
                {"_id": doc_id, **merged, "versions": dict.fromkeys(facets, version)}
            )
            return list(facets)
        except DuplicateKeyError:
            doc = await collection.find_one({"_id": doc_id}, {"versions": 1}) or {}
    versions = doc.get("versions") or {}
    newer = [f for f in facets if int(versions.get(f, 0)) < version]
    if newer:
        update: dict[str, Any] = {}
        for f in newer:
            update.update(facets[f])
            update[f"versions.{f}"] = version
        await collection.update_one({"_id": doc_id}, {"$set": update})
    return newer
