"""Integration: the search index as a projection of the posting events — written at the
posting's version (late and repeated writes never win), visible within a second, rebuilt from
MongoDB behind the alias; saved searches kept as stored queries."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from services.jobs import search_index
from services.jobs.reindex import reindex
from services.jobs.repository_search import SearchEngine, mapping_version
from tests.conftest import eventually
from tests.jobs.support import create, marker, searchable

pytestmark = pytest.mark.integration


async def test_writes_at_the_postings_version_never_go_back(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    created = await create(jobs.client, headers, title="倉庫スタッフ", description=m)
    job_id = created["job_id"]
    await searchable(jobs.client, 1, q=f"倉庫 {m}")
    old = await jobs.services.postings.postings.get(job_id)

    resp = await jobs.client.patch(
        f"/api/v1/jobs/{job_id}", json={"title": "検品スタッフ"}, headers=headers
    )
    assert resp.status_code == 200
    await searchable(jobs.client, 1, q=f"検品 {m}")
    engine = jobs.services.search.engine
    # the first version arriving late (a redelivery) is refused by the engine
    assert await engine.put(job_id, search_index.document(old), old["version"]) is False
    # the current one again (a repeated event) changes nothing either
    indexing = jobs.app.state.indexing
    await indexing.posting_event(job_id=job_id)
    await engine.refresh(engine.postings)
    assert await searchable(jobs.client, 1, q=f"検品 {m}") == [job_id]
    assert await searchable(jobs.client, 0, q=f"倉庫 {m}") == []


async def test_published_changed_closed_reach_search(jobs) -> None:
    """Each write reaches the index by itself (no refresh asked for). How soon — within a
    second — is measured by benchmarks/search.py (c), not asserted on a shared machine."""
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    created = await create(jobs.client, headers, title="調理補助", description=m)
    await searchable(jobs.client, 1, q=f"調理 {m}")

    job = f"/api/v1/jobs/{created['job_id']}"
    await jobs.client.patch(job, json={"title": "盛付スタッフ"}, headers=headers)
    await searchable(jobs.client, 1, q=f"盛付 {m}")

    await jobs.client.post(job + "/close", headers=headers)
    await searchable(jobs.client, 0, q=m)


async def test_reindex_rebuilds_behind_the_alias(jobs) -> None:
    headers = jobs.tokens.employer(await jobs.employer())
    m = marker()
    a = await create(jobs.client, headers, title="清掃スタッフ", description=m)
    b = await create(jobs.client, headers, title="警備スタッフ", description=m)
    await jobs.client.post(f"/api/v1/jobs/{b['job_id']}/close", headers=headers)
    await searchable(jobs.client, 1, q=m)
    engine = jobs.services.search.engine
    before = await engine.indices_of(engine.postings)

    result = await reindex(jobs.settings, show=False)
    after = await engine.indices_of(engine.postings)
    assert after == [result["index"]] and after != before
    assert set(result["dropped"]) >= set(before)
    for name in before:
        assert await engine.count(name) == 0  # dropped
    assert await searchable(jobs.client, 1, q=m) == [a["job_id"]]
    # events keep flowing into the new index
    c = await create(jobs.client, headers, title="清掃リーダー", description=m)
    assert set(await searchable(jobs.client, 2, q=m)) == {a["job_id"], c["job_id"]}


async def test_saved_searches_are_stored_queries(jobs) -> None:
    seeker = await jobs.seeker()
    engine = jobs.services.search.engine
    resp = await jobs.client.post(
        "/api/v1/me/saved-searches",
        json={"name": "介護", "conditions": {"q": "介護", "prefecture": "13"}},
        headers=jobs.tokens.seeker(seeker),
    )
    saved_id = resp.json()["saved_search_id"]

    async def stored() -> int:
        _, body = await engine.call(
            "POST",
            f"/{engine.saved_searches}/_search",
            {"query": {"term": {"saved_search_id": saved_id}}},
        )
        return int(body["hits"]["total"]["value"])

    assert await eventually(stored) == 1
    resp = await jobs.client.delete(
        f"/api/v1/me/saved-searches/{saved_id}", headers=jobs.tokens.seeker(seeker)
    )
    assert resp.status_code == 204
    assert await stored() == 0


async def test_an_index_of_the_first_mapping_gets_the_condition_fields(jobs) -> None:
    """An index made before the 求人票 condition fields (mapping version 1) gets them at
    start-up: new writes carry them and saved searches can name them."""
    settings = jobs.settings.model_copy(update={"search_index_prefix": f"upgrade-{marker()}"})
    engine = SearchEngine(settings)
    added = set(search_index.CONDITION_PROPERTIES)
    try:
        for alias, body in (
            (engine.postings, search_index.index_body(False, refresh_interval="1s")),
            (engine.saved_searches, search_index.percolator_body(False)),
        ):
            for name in added:
                del body["mappings"]["properties"][name]
            body["aliases"] = {alias: {}}
            assert await engine.create_index(f"{alias}-v1", body)
        with capture_logs() as logs:
            assert await engine.ensure() is False  # nothing made: both were there
        # what cannot change in place (mapping version 3's index sort) waits for a rebuild
        (outdated,) = [e for e in logs if e["event"] == "jobs.search.index_outdated"]
        assert outdated["indices"] == [f"{engine.postings}-v1"]
        assert outdated["hint"] == "python -m services.jobs.reindex"
        for alias in (engine.postings, engine.saved_searches):
            _, mapping = await engine.call("GET", f"/{alias}/_mapping")
            (index,) = mapping.values()
            assert added <= set(index["mappings"]["properties"]), alias
    finally:
        await engine.delete_indices(f"{engine.prefix}-*")
        await engine.close()


def test_mapping_version_of_an_index_name() -> None:
    assert mapping_version("jobs-postings-v3") == 3
    assert mapping_version("jobs-postings-v12-20261205093000") == 12
    assert mapping_version("jobs-postings") == 0 and mapping_version("v3-postings") == 0
