"""The shared projection helper on the real database: an older event never wins."""

from __future__ import annotations

import uuid

import pytest
from pymongo import AsyncMongoClient

from servicekit.projection import apply_if_newer
from tests.conftest import MONGODB_URL, RUN_ID

pytestmark = pytest.mark.integration


@pytest.fixture
async def coll(infra):
    client: AsyncMongoClient[dict] = AsyncMongoClient(MONGODB_URL)
    yield client[f"t{RUN_ID}_projection"][uuid.uuid4().hex[:8]]
    await client.close()


async def test_an_older_profile_update_after_a_newer_one_never_wins(coll):
    assert await apply_if_newer(coll, "s1", 3, {"wage": 300000}, facet="profile")
    assert not await apply_if_newer(coll, "s1", 2, {"wage": 200000}, facet="profile")
    assert not await apply_if_newer(coll, "s1", 3, {"wage": 999}, facet="profile")  # a repeat
    doc = await coll.find_one({"_id": "s1"})
    assert doc["wage"] == 300000 and doc["versions"]["profile"] == 3
    assert await apply_if_newer(coll, "s1", 4, {"wage": 310000}, facet="profile")
    assert (await coll.find_one({"_id": "s1"}))["wage"] == 310000


async def test_facets_are_versioned_apart(coll):
    # visibility v6 arrives before the full profile snapshot v5
    assert await apply_if_newer(coll, "s2", 6, {"visibility": "private"}, facet="visibility")
    assert await apply_if_newer(coll, "s2", 5, {"wage": 250000}, facet="profile")
    assert not await apply_if_newer(coll, "s2", 5, {"visibility": "public"}, facet="visibility")
    doc = await coll.find_one({"_id": "s2"})
    assert doc["visibility"] == "private" and doc["wage"] == 250000


async def test_out_of_order_sequence_ends_at_the_newest(coll):
    for version in [2, 5, 1, 4, 3]:
        await apply_if_newer(coll, "s3", version, {"v": version})
    assert (await coll.find_one({"_id": "s3"}))["v"] == 5


async def test_several_facets_at_once_keep_each_facets_order(coll):
    from servicekit.projection import apply_facets_if_newer

    assert await apply_if_newer(coll, "s4", 7, {"status": "closed"}, facet="status")
    applied = await apply_facets_if_newer(
        coll, "s4", 6, {"snapshot": {"title": "事務"}, "status": {"status": "open"}}
    )
    assert applied == ["snapshot"]
    doc = await coll.find_one({"_id": "s4"})
    assert doc["status"] == "closed" and doc["title"] == "事務"
    assert await apply_facets_if_newer(coll, "s4", 6, {"snapshot": {"title": "x"}}) == []
    assert await apply_facets_if_newer(coll, "new", 1, {"a": {"x": 1}, "b": {"y": 2}}) == ["a", "b"]
    assert (await coll.find_one({"_id": "new"}))["versions"] == {"a": 1, "b": 1}


async def test_facets_of_a_new_document_arriving_together_are_all_applied(coll):
    """Two events of different facets racing to create the same document: both are kept."""
    import asyncio

    ids = [f"race{i}" for i in range(40)]
    results = await asyncio.gather(
        *(
            apply_if_newer(coll, doc_id, 1, {facet: True}, facet=facet)
            for doc_id in ids
            for facet in ("profile", "visibility", "status")
        )
    )
    assert all(results)
    docs = await coll.find({"_id": {"$in": ids}}).to_list(None)
    assert len(docs) == len(ids)
    assert all(d["profile"] and d["visibility"] and d["status"] for d in docs)
