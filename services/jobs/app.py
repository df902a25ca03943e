"""Jobs service wiring.

Routes:
- ``GET /api/v1/jobs``                                   search (anyone)            api_search
- ``/api/v1/jobs``, ``/api/v1/jobs/mine``, ``/{job_id}`` (GET, PATCH; DELETE a draft),
  ``/{job_id}/publish|close|renew|revisions``
                                                         postings                   api_postings
- ``/api/v1/me/saved-searches``, ``/api/v1/me/favorites`` a seeker's lists           api_me
- ``/api/v1/staff/seekers/{seeker_id}/recommendations``, ``/api/v1/me/recommendations``
                                                         recommendations            api_recommendations

Consumes (queue ``jobs.events``): identity.employer.registered.v1, identity.mypage.opened.v1,
identity.seeker.registered.v1, identity.seeker.confirmed.v1, identity.seeker.profile_updated.v1,
identity.seeker.visibility_changed.v1, identity.seeker.cancelled.v1 (projections);
identity.export.requested.v1 (a seeker's export: answered with jobs.export.part_ready.v1,
published at once, export.py).
Consumes (queue ``jobs.matching``, bulk work kept apart so it never delays the projections): its
own jobs.posting.published.v1 (saved-search matching on the engine: the posting percolated once).
Consumes (queue ``jobs.search``, apart from matching and projections so indexing never waits
behind them): its own jobs.posting.published.v1, jobs.posting.changed.v1, jobs.posting.closed.v1,
jobs.posting.expired.v1, jobs.posting.renewed.v1 (the search index, a projection of them).

Publishes (outbox on ``postings``): jobs.posting.published.v1, jobs.posting.changed.v1,
jobs.posting.closed.v1, jobs.posting.expired.v1, jobs.posting.renewed.v1; (on
``saved_search_matches``) jobs.saved_search.matched.v1; (on ``recommendations``)
jobs.recommendation.sent.v1.

Engine: OpenSearch at ``opensearch_url`` (repository_search; indices made at start-up when
missing, filled from MongoDB when new; ``python -m services.jobs.reindex`` rebuilds them).

Background: the expiry loop (validity checked in code, every ``expiry_interval_seconds``); the
search catch-up loop (indices made, missed writes re-read, every ``search_catchup_seconds``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from fastapi import FastAPI

from contracts import jobs as jobs_events
from contracts.export import ExportRequested, JobsExportPart
from contracts.identity import (
    EmployerRegistered,
    MypageOpened,
    SeekerCancelled,
    SeekerConfirmed,
    SeekerProfileUpdated,
    SeekerRegistered,
    SeekerVisibilityChanged,
)
from contracts.jobs import (
    PostingChanged,
    PostingClosed,
    PostingExpired,
    PostingPublished,
    PostingRenewed,
)
from servicekit import export
from servicekit.auth import TokenVerifier
from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.jobs import api_me, api_postings, api_recommendations, api_search
from services.jobs.deps import JobsServices
from services.jobs.export import ExportPart
from services.jobs.handlers import EventHandlers
from services.jobs.repository import OUTBOX_COLLECTIONS, Store
from services.jobs.repository_lists import ListsRepository
from services.jobs.repository_postings import PostingsRepository
from services.jobs.repository_projections import ProjectionsRepository
from services.jobs.repository_recommendations import RecommendationsRepository
from services.jobs.repository_search import SearchEngine
from services.jobs.service_indexing import IndexingService
from services.jobs.service_lists import ListsService
from services.jobs.service_matches import MatchService
from services.jobs.service_postings import PostingService
from services.jobs.service_projections import ProjectionService
from services.jobs.service_recommendations import RecommendationService
from services.jobs.service_search import SearchService
from services.jobs.settings import JobsSettings

log = structlog.get_logger()


def create_app(
    settings: JobsSettings, *, clock: Clock | None = None, verifier: TokenVerifier | None = None
) -> FastAPI:
    rt = Runtime(settings, clock=clock, verifier=verifier)
    relay = rt.outbox(OUTBOX_COLLECTIONS)
    rt.publishes(*jobs_events.EVENTS, JobsExportPart)

    store = Store(rt.db)
    postings = PostingsRepository(store)
    projections = ProjectionsRepository(store)
    lists = ListsRepository(store)
    recommendations = RecommendationsRepository(store)
    engine = SearchEngine(settings)
    indexing = IndexingService(engine=engine, postings=postings, lists=lists)

    services = JobsServices(
        postings=PostingService(
            postings=postings, projections=projections, clock=rt.clock, relay=relay
        ),
        search=SearchService(engine=engine, clock=rt.clock),
        lists=ListsService(
            lists=lists,
            postings=postings,
            projections=projections,
            indexing=indexing,
            clock=rt.clock,
        ),
        recommendations=RecommendationService(
            recommendations=recommendations,
            postings=postings,
            projections=projections,
            lists=lists,
            settings=settings,
            clock=rt.clock,
            relay=relay,
        ),
    )
    handlers = EventHandlers(
        projections=ProjectionService(projections=projections, lists=lists, indexing=indexing),
        matches=MatchService(
            postings=postings,
            lists=lists,
            recommendations=recommendations,
            engine=engine,
            clock=rt.clock,
            relay=relay,
        ),
        indexing=indexing,
    )
    rt.consume(
        "jobs.events",
        {
            EmployerRegistered: handlers.on_employer_registered,
            MypageOpened: handlers.on_mypage_opened,
            SeekerRegistered: handlers.on_seeker_registered,
            SeekerConfirmed: handlers.on_seeker_confirmed,
            SeekerProfileUpdated: handlers.on_profile_updated,
            SeekerVisibilityChanged: handlers.on_visibility_changed,
            SeekerCancelled: handlers.on_seeker_cancelled,
            ExportRequested: export.responder(rt.bus, settings.service_name, ExportPart(services)),
        },
        description="Identity's employer and seeker facts (projections that requests need); "
        "a seeker's export.",
    )
    # bulk work on a queue of its own: a load of thousands of postings never delays the
    # projections above (a new employer can post at once)
    rt.consume(
        "jobs.matching",
        {PostingPublished: handlers.on_posting_published},
        description="New postings (saved-search matching, after the posting is stored and "
        "announced).",
    )
    # the search index, a projection of the posting events: its own queue, so a posting is
    # searchable within a second whatever the matching or the projections have to do
    rt.consume(
        "jobs.search",
        {
            PostingPublished: handlers.on_posting_event,
            PostingChanged: handlers.on_posting_event,
            PostingClosed: handlers.on_posting_event,
            PostingExpired: handlers.on_posting_event,
            PostingRenewed: handlers.on_posting_event,
        },
        description="Posting events (the search index: each posting's current state at its "
        "version).",
    )
    rt.on_startup(store.ensure_indexes)
    rt.on_startup(indexing.start)
    rt.on_shutdown(engine.close)
    rt.background(expiry_loop(services.postings, settings.expiry_interval_seconds))
    rt.background(indexing.loop(settings.search_catchup_seconds))

    app = rt.build_app(
        title="hataraku jobs",
        description="Postings (求人票), search, saved searches, favourites, recommendations.",
        routers=[
            api_search.router,
            api_postings.router,
            api_me.router,
            api_recommendations.router,
        ],
    )
    app.state.jobs = services
    app.state.indexing = indexing
    return app


def expiry_loop(
    service: PostingService, interval: float
) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    """Every ``interval`` seconds (the first round too: start-up stays light; search hides
    postings past their validity by itself, so only the events wait for the loop)."""

    async def run(stop: asyncio.Event) -> None:
        while True:
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
                return
            except TimeoutError:
                pass
            try:
                await service.expire_due()
            except Exception as exc:  # the next round tries again
                log.warning("jobs.expiry.failed", error=repr(exc))

    return run
