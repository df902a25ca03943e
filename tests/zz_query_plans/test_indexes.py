"""Runs last: every query shape the services sent during this test run, explained against the
database it ran on. A collection scan of a collection that grows with use fails, with the query."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.conftest import MONGODB_URL, QUERIES
from tests.query_plans import SMALL, explain

pytestmark = pytest.mark.integration


async def test_every_recorded_query_uses_an_index(infra: None) -> None:
    queries = [q for q in QUERIES.queries.values() if q.collection not in SMALL]
    if not queries:
        pytest.skip("no service test ran in this session, so no query was recorded")
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_URL)
    scans: list[str] = []
    try:
        existing = set(await client.list_database_names())
        for query in queries:
            if query.database not in existing:
                continue
            plan = await explain(client, query)
            if "COLLSCAN" in plan:
                scans.append(f"{query.describe()}  (seen {query.seen}×, plan {plan})")
    finally:
        await client.close()
    print(f"{len(queries)} query shapes of the services explained")
    assert not scans, f"{len(scans)} queries scan a whole collection:\n" + "\n".join(scans)
