"""Recommendations (おすすめ求人): staff send a posting to a seeker of their office; matching ranks
open postings against the seeker's profile; the seeker lists and dismisses them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import structlog

from contracts.jobs import RecommendationSent
from servicekit import outbox
from servicekit.auth import Principal
from servicekit.clock import Clock
from servicekit.outbox import OutboxRelay
from services.jobs import documents, matching
from services.jobs.access import check_office, seeker_id
from services.jobs.criteria import decode_cursor, encode_cursor
from services.jobs.domain import (
    AlreadyRecommended,
    JobNotFound,
    PostingNotOpen,
    RecommendationNotFound,
    SeekerCancelled,
    SeekerNotFound,
    SeekerProvisional,
    effective_status,
)
from services.jobs.repository import Doc
from services.jobs.repository_lists import ListsRepository
from services.jobs.repository_postings import PostingsRepository
from services.jobs.repository_projections import ProjectionsRepository
from services.jobs.repository_recommendations import RecommendationsRepository
from services.jobs.schemas_me import RecommendationCreate
from services.jobs.settings import JobsSettings

log = structlog.get_logger()

Source = Literal["all", "office", "auto"]
NAMESPACE = uuid.UUID("6f1c2a52-8a0e-4a8b-9d57-3c1e0f5b7a10")
# what ranking reads of a posting, beside what a list item shows
RANK_PROJECTION = {**documents.SUMMARY_PROJECTION, "occupation_code": 1, "prefectures": 1}


class RecommendationService:
    def __init__(
        self,
        *,
        recommendations: RecommendationsRepository,
        postings: PostingsRepository,
        projections: ProjectionsRepository,
        lists: ListsRepository,
        settings: JobsSettings,
        clock: Clock,
        relay: OutboxRelay,
    ) -> None:
        self.repo = recommendations
        self.postings = postings
        self.projections = projections
        self.lists = lists
        self.settings = settings
        self.clock = clock
        self.relay = relay

    async def send(
        self, *, principal: Principal, seeker_id: str, body: RecommendationCreate
    ) -> Doc:
        seeker = await self.projections.seeker(seeker_id)
        if seeker is None or "office_code" not in seeker:
            raise SeekerNotFound()
        check_office(principal, seeker["office_code"])
        if seeker.get("status") == "provisional":
            raise SeekerProvisional()
        if seeker.get("status") == "cancelled":
            raise SeekerCancelled()
        posting = await self.postings.get(body.job_id)
        if posting is None:
            raise JobNotFound()
        now = self.clock.now()
        if effective_status(posting, now) != "open":
            raise PostingNotOpen()
        rid = uuid.uuid5(NAMESPACE, f"{seeker_id}:{body.job_id}").hex
        doc = {
            "_id": rid,
            "seeker_id": seeker_id,
            "job_id": body.job_id,
            "office_code": seeker["office_code"],
            "note": body.note,
            "revision": posting["revision"],
            "sent_by": principal.account_id,
            "created_at": now,
            "dismissed": False,
        }
        event = RecommendationSent(
            recommendation_id=rid,
            seeker_id=seeker_id,
            office_code=seeker["office_code"],
            job_id=body.job_id,
            job_number=posting["job_number"],
            title=posting["body"]["title"],
            employer_name=posting["employer_name"],
            revision=posting["revision"],
            note=body.note,
            sent_by=principal.account_id,
        )
        env = outbox.envelope(event, producer="jobs", subject=seeker_id)
        if not await self.repo.insert(doc, env):
            raise AlreadyRecommended()
        self.relay.kick("recommendations", rid)
        log.info("jobs.recommendation.sent", recommendation_id=rid, job_id=body.job_id)
        return {
            "recommendation_id": rid,
            "seeker_id": seeker_id,
            "job_id": body.job_id,
            "status": "sent",
            "created_at": now,
        }

    async def received(
        self,
        *,
        principal: Principal,
        source: Source,
        limit: int,
        cursor: str | None,
        english: bool,
    ) -> Doc:
        sid = seeker_id(principal)
        # checked whatever the source, before anything is read: a bad cursor is always a 400
        keyset = decode_cursor("sent", cursor) if cursor else None
        seeker = await self.projections.seeker(sid) or {}
        result: Doc = {"items": [], "next_cursor": None, "provisional": False}
        result["profile_available"] = bool(seeker.get("profile"))
        if seeker.get("status") in ("provisional", "cancelled"):
            result["provisional"] = seeker.get("status") == "provisional"
            return result
        now = self.clock.now()
        if source in ("all", "office"):
            items, result["next_cursor"] = await self._office(sid, limit, keyset, now)
            result["items"].extend(items)
            if source == "all":
                result["next_cursor"] = None  # pages only for one source at a time
        if source in ("all", "auto") and seeker.get("profile"):
            result["items"].extend(await self._auto(seeker, limit, now, english))
        return result

    async def _office(
        self, sid: str, limit: int, keyset: Doc | None, now: datetime
    ) -> tuple[list[Doc], str | None]:
        docs = await self.repo.for_seeker(sid, keyset, limit + 1)
        page = docs[:limit]
        postings = {
            d["_id"]: d
            for d in await self.postings.get_many(
                [r["job_id"] for r in page], documents.SUMMARY_PROJECTION
            )
        }
        items = [
            {
                "recommendation_id": r["_id"],
                "source": "office",
                "job_id": r["job_id"],
                "note": r["note"],
                "sent_at": r["created_at"],
                "reasons": [],
                "job": documents.summary(postings[r["job_id"]], now),
            }
            for r in page
            if r["job_id"] in postings
        ]
        more = len(docs) > limit
        return items, encode_cursor("sent", page[-1]) if more else None

    async def _auto(self, seeker: Doc, limit: int, now: datetime, english: bool) -> list[Doc]:
        profile = seeker["profile"]
        candidates = await self.postings.find(
            matching.candidate_filter(profile, now),
            sort=[("published_at", -1), ("_id", -1)],
            limit=self.settings.recommend_candidates,
            projection=RANK_PROJECTION,
        )
        lists = await self.lists.lists_of(seeker["_id"])
        dismissed = set(lists.get("dismissed_job_ids") or ())
        candidates = [d for d in candidates if d["_id"] not in dismissed]
        return [
            {
                "recommendation_id": None,
                "source": "auto",
                "job_id": r.doc["_id"],
                "score": r.score,
                "reasons": [{"code": x.code, "text": x.text(english)} for x in r.reasons],
                "job": documents.summary(r.doc, now),
            }
            for r in matching.recommend(candidates, profile, now, limit)
        ]

    async def dismiss(self, *, principal: Principal, recommendation_id: str) -> None:
        """An office recommendation by its id; an automatic one by the posting's job_id."""
        sid = seeker_id(principal)
        if await self.repo.dismiss(sid, recommendation_id):
            return
        if await self.postings.get(recommendation_id) is None:
            raise RecommendationNotFound()
        await self.lists.dismiss_job(sid, recommendation_id)
