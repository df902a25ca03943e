"""Rebuild the search indices from MongoDB (the truth), without downtime.

    python -m services.jobs.reindex [--quiet]

Reads every open posting (and every saved search) into new indices (bulk, each posting at its
version), then points the aliases at them in one atomic step and drops the old ones. Writes the
running service made meanwhile went to the old index: the postings changed since the rebuild
started are read again and written through the alias (external versions: never older over
newer). Progress goes to standard error. Uses the service's settings (environment variables)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from typing import Any

from servicekit.db import connect
from services.jobs import search_index
from services.jobs.repository import Store
from services.jobs.repository_lists import ListsRepository
from services.jobs.repository_postings import PostingsRepository
from services.jobs.repository_search import SearchEngine, stamp
from services.jobs.service_indexing import MARGIN, IndexingService, Progress
from services.jobs.settings import JobsSettings

Doc = dict[str, Any]


async def reindex(settings: JobsSettings, *, show: bool = True) -> Doc:
    client, db = connect(settings.mongodb_url, settings.database)
    store = Store(db)
    engine = SearchEngine(settings)
    postings = PostingsRepository(store)
    indexing = IndexingService(engine=engine, postings=postings, lists=ListsRepository(store))
    started_at = datetime.now(UTC)
    t0 = time.perf_counter()
    try:
        await engine.ensure()  # first run: the aliases exist, so they can be swapped
        kuromoji = await engine.kuromoji()
        suffix = f"v{search_index.MAPPING_VERSION}-{stamp()}"
        new_postings = f"{engine.postings}-{suffix}"
        new_saved = f"{engine.saved_searches}-{suffix}"
        await engine.create_index(
            new_postings, search_index.index_body(kuromoji, refresh_interval="-1")
        )
        progress = Progress("postings", await postings.count_open(), show=show)
        count = await indexing.write_postings(postings.all_open(), new_postings, progress)
        progress.end()
        await engine.set_refresh(new_postings, settings.search_refresh_interval)
        await engine.refresh(new_postings)
        await engine.create_index(new_saved, search_index.percolator_body(kuromoji))
        saved = await indexing.write_saved_searches(
            new_saved, Progress("saved searches", 0, show=False)
        )
        await engine.refresh(new_saved)
        dropped = await engine.swap_alias(engine.postings, new_postings)
        dropped += await engine.swap_alias(engine.saved_searches, new_saved)
        for name in dropped:
            await engine.delete_index(name)
        caught_up = await indexing.write_postings(
            postings.updated_since(started_at - MARGIN), engine.postings
        )
        return {
            "postings": count,
            "saved_searches": saved,
            "caught_up": caught_up,
            "index": new_postings,
            "dropped": dropped,
            "seconds": round(time.perf_counter() - t0, 1),
        }
    finally:
        await engine.close()
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args()
    result = asyncio.run(reindex(JobsSettings(), show=not args.quiet))
    print(
        f"reindexed {result['postings']:,} postings and {result['saved_searches']:,} saved "
        f"searches into {result['index']} in {result['seconds']} s "
        f"(then {result['caught_up']} written meanwhile; dropped {', '.join(result['dropped']) or 'nothing'})",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
