"""Saved-search matches: when a posting is published, the search engine finds the saved searches
it matches (each saved search is a stored percolator query; the posting is percolated once) and
it is recorded on each one's document of the day; the first match of a day announces it
(jobs.saved_search.matched.v1), later ones that day are only added to the document. MongoDB has
the last word: a saved search deleted (or silenced) there is not announced."""

from __future__ import annotations

import structlog

from contracts.jobs import MatchedJob, SavedSearchMatched
from servicekit import outbox
from servicekit.clock import Clock
from servicekit.outbox import OutboxRelay
from services.jobs import search_index
from services.jobs.criteria import SearchConditions
from services.jobs.domain import effective_status, today_jst
from services.jobs.repository_lists import ListsRepository
from services.jobs.repository_postings import PostingsRepository
from services.jobs.repository_recommendations import RecommendationsRepository
from services.jobs.repository_search import SearchEngine

log = structlog.get_logger()


class MatchService:
    def __init__(
        self,
        *,
        postings: PostingsRepository,
        lists: ListsRepository,
        recommendations: RecommendationsRepository,
        engine: SearchEngine,
        clock: Clock,
        relay: OutboxRelay,
    ) -> None:
        self.postings = postings
        self.lists = lists
        self.repo = recommendations
        self.engine = engine
        self.clock = clock
        self.relay = relay

    async def posting_published(self, *, job_id: str) -> int:
        """Idempotent: a repeat adds the job id again to a set and announces nothing."""
        doc = await self.postings.get(job_id, bulk=True)
        now = self.clock.now()
        if doc is None or effective_status(doc, now) != "open":
            return 0
        day = today_jst(now)
        announced = 0
        job = MatchedJob(
            job_id=job_id,
            job_number=doc["job_number"],
            title=doc["body"]["title"],
            employer_name=doc["employer_name"],
        )
        hits = await self.engine.matching_saved_searches(search_index.document(doc))
        stored = await self.lists.saved_searches_of([h["seeker_id"] for h in hits])
        for hit in hits:
            saved = next(
                (
                    {**s, "seeker_id": hit["seeker_id"]}
                    for s in stored.get(hit["seeker_id"], [])
                    if s["saved_search_id"] == hit["saved_search_id"]
                ),
                None,
            )
            if saved is None or not saved.get("notify", True):
                continue
            conditions = SearchConditions.model_validate(saved["conditions"])
            match_id = f"{saved['saved_search_id']}:{day.isoformat()}"
            event = SavedSearchMatched(
                saved_search_id=saved["saved_search_id"],
                seeker_id=saved["seeker_id"],
                name=saved["name"],
                date=day,
                jobs=(job,),
                query=conditions.query_string(),
            )
            env = outbox.envelope(event, producer="jobs", subject=saved["saved_search_id"])
            fields = {
                "saved_search_id": saved["saved_search_id"],
                "seeker_id": saved["seeker_id"],
                "date": day.isoformat(),
                "created_at": now,
            }
            if await self.repo.record_match(match_id, job_id, fields, env):
                self.relay.kick("saved_search_matches", match_id)
                announced += 1
        log.info("jobs.saved_search.matched", job_id=job_id, announced=announced)
        return announced
