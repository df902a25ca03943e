"""The query-plan check the session teardown runs (tests/conftest.py): it must catch a scan."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.conftest import MONGODB_URL, RUN_ID
from tests.query_plans import Query, scans

pytestmark = pytest.mark.integration


async def test_a_query_on_an_unindexed_field_is_reported_and_an_indexed_one_is_not(
    infra: None,
) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_URL)
    database = f"t{RUN_ID}_plans"
    try:
        postings = client[database]["postings"]
        await postings.create_index("employer_id")
        await postings.insert_many([{"employer_id": f"e{i}", "title": f"t{i}"} for i in range(50)])
        indexed = Query(database, "postings", "find", {"employer_id": "e1"})
        unindexed = Query(database, "postings", "find", {"title": "t1"})
        small = Query(database, "counters", "find", {"name": "x"})
        found = await scans(client, [indexed, unindexed, small])
        assert len(found) == 1 and "filter={'title': 't1'}" in found[0], found
    finally:
        await client.drop_database(database)
        await client.close()
