"""MongoDB wiring with PyMongo's native async client (one client per event loop)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

log = structlog.get_logger()

Doc = dict[str, Any]


# waits on an unreachable server, unless MONGODB_URL sets its own (a keyword argument would
# override the URL's option)
TIMEOUTS_MS = {"serverSelectionTimeoutMS": 5000, "connectTimeoutMS": 3000}


def connect(url: str, name: str) -> tuple[AsyncMongoClient[Doc], AsyncDatabase[Doc]]:
    query = url.partition("?")[2].lower()
    timeouts: dict[str, Any] = {
        k: v for k, v in TIMEOUTS_MS.items() if f"{k.lower()}=" not in query
    }
    client: AsyncMongoClient[Doc] = AsyncMongoClient(url, tz_aware=True, appname=name, **timeouts)
    return client, client[name]


async def ping(db: AsyncDatabase[Doc]) -> bool:
    try:
        await db.command("ping")
        return True
    except Exception:
        return False


async def ensure_indexes(
    db: AsyncDatabase[Doc], collection: str, indexes: Sequence[IndexModel]
) -> None:
    """Create indexes at start-up (idempotent). Every index a query relies on is declared here,
    TTL and partial ones included: MongoDB and the embedded SecantusDB both build them."""
    if indexes:
        await db[collection].create_indexes(list(indexes))
