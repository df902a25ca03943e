"""MongoDB wiring with PyMongo's native async client (one client per event loop)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

log = structlog.get_logger()

Doc = dict[str, Any]


def connect(url: str, name: str) -> tuple[AsyncMongoClient[Doc], AsyncDatabase[Doc]]:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(
        url, tz_aware=True, serverSelectionTimeoutMS=5000, connectTimeoutMS=3000, appname=name
    )
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
    """Create indexes at start-up, one at a time so that a server which lacks one kind (FerretDB
    1.24 answers NotImplemented for TTL indexes) still gets the others."""
    for index in indexes:
        try:
            await db[collection].create_indexes([index])
        except OperationFailure as exc:
            if "expireAfterSeconds" in str(index.document) or exc.code in (115, 238):
                log.warning(
                    "db.index_not_supported", collection=collection, index=index.document["name"]
                )
                continue
            raise


_FERRETDB: dict[int, bool] = {}


async def is_ferretdb(db: AsyncDatabase[Doc]) -> bool:
    """True when the server is FerretDB (it says so in buildInfo); asked once per client."""
    key = id(db.client)
    if key not in _FERRETDB:
        info = await db.client.admin.command("buildInfo")
        _FERRETDB[key] = "ferretdbVersion" in info
    return _FERRETDB[key]
