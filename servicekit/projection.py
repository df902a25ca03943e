"""Order-safe projections: keep a copy of another service's data from its events, where an older
event arriving after a newer one never wins.

Each event carries its aggregate's ``version``. A projection document keeps, per *facet* (a group
of fields one kind of event sets), the version that last wrote it:

    await apply_if_newer(coll, seeker_id, event.version, {"visibility": ...}, facet="visibility")

A snapshot event that carries several facets calls this once per facet, so a newer partial event
(say, visibility only) does not make an older snapshot's other fields stale-forever.

The check and the write are one atomic conditional update (an upsert when the document is new).
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError


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
    newer = {"_id": doc_id, "$or": [{marker: {"$lt": version}}, {marker: {"$exists": False}}]}
    try:
        result = await collection.update_one(newer, update, upsert=True)
    except DuplicateKeyError:
        # the document exists: with this facet at this version or newer, or it was just created
        # by a concurrent event of another facet (mongod retries a racing upsert only for
        # equality filters) — so try once more as a plain conditional update
        result = await collection.update_one(newer, update)
        return result.modified_count == 1
    return result.upserted_id is not None or result.modified_count == 1


async def apply_facets_if_newer(
    collection: AsyncCollection[dict[str, Any]],
    doc_id: str,
    version: int,
    facets: dict[str, dict[str, Any]],
) -> list[str]:
    """``apply_if_newer`` for several facets of one event at once. Returns the facets applied."""
    return [
        f
        for f, fields in facets.items()
        if await apply_if_newer(collection, doc_id, version, fields, facet=f)
    ]
