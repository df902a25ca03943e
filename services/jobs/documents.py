"""The stored shape of a posting and what is derived from it: the condition fields (read by
recommendations; the search index has its own document, ``search_index.document``), the event
snapshot and the HTTP views. Pure functions, no I/O."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from contracts.jobs import PostingSnapshot, WorkPlace
from services.jobs.domain import effective_status, expires_at, wage_rank, wage_top
from services.jobs.reference import occupations, prefecture_name

Doc = dict[str, Any]

EMPLOYMENT_LABELS = {
    "full_time": "正社員",
    "contract": "契約社員",
    "dispatch": "派遣",
    "part_time": "パート・アルバイト",
    "other": "その他",
}
REMOTE_LABELS = {"none": "", "partial": "一部テレワーク", "full": "フルリモート テレワーク"}

# what a list item needs; everything else (history, outbox) stays in the database
SUMMARY_PROJECTION = {
    "job_number": 1,
    "status": 1,
    "expires_at": 1,
    "employer_name": 1,
    "published_at": 1,
    "valid_until": 1,
    "wage_rank": 1,
    "body.title": 1,
    "body.occupation_code": 1,
    "body.prefecture": 1,
    "body.municipality": 1,
    "body.nearest_station": 1,
    "body.employment_type": 1,
    "body.wage_min": 1,
    "body.wage_max": 1,
    "body.wage_unit": 1,
    "body.remote": 1,
    "body.experience_required": 1,
    "body.accepts_online_referral": 1,
    "body.accepts_direct_application": 1,
}


def places(body: Doc) -> list[WorkPlace]:
    main = {k: body.get(k) for k in ("prefecture", "municipality", "nearest_station")}
    return [
        WorkPlace(prefecture_name=prefecture_name(p["prefecture"]), **p)
        for p in [main, *body.get("other_places", [])]
    ]


def search_fields(body: Doc, *, employer_name: str) -> Doc:
    """The top-level condition fields of a posting (places, occupation, wage keys)."""
    where = places(body)
    return {
        "prefectures": sorted({p.prefecture for p in where}),
        "occupation_code": body["occupation_code"],
        "employment_type": body["employment_type"],
        "wage_unit": body["wage_unit"],
        "wage_top": wage_top(body["wage_min"], body.get("wage_max")),
        "wage_rank": wage_rank(body["wage_unit"], body["wage_min"], body.get("wage_max")),
        "is_remote": body["remote"] != "none",
        "experience_required": body["experience_required"],
        "accepts_direct_application": body["accepts_direct_application"],
    }


def new_posting(
    *,
    job_id: str,
    job_number: str,
    employer: Doc,
    body: Doc,
    now: datetime,
    valid_until: date,
    draft: bool = False,
) -> Doc:
    """A new posting: open (published now), or a draft (``published_at`` is when it was
    written until it is published; no events, not in search)."""
    return {
        "_id": job_id,
        "job_number": job_number,
        "employer_id": employer["_id"],
        "employer_name": employer["name"],
        "office_code": employer["office_code"],
        "status": "draft" if draft else "open",
        "version": 1,
        "revision": 1,
        "changed_fields": [],
        "body": body,
        "published_at": now,
        "updated_at": now,
        "revised_at": now,
        "closed_at": None,
        "valid_until": valid_until.isoformat(),
        "expires_at": expires_at(valid_until),
        "history": [],
        **search_fields(body, employer_name=employer["name"]),
    }


def snapshot(doc: Doc) -> PostingSnapshot:
    body = doc["body"]
    return PostingSnapshot(
        job_id=doc["_id"],
        job_number=doc["job_number"],
        revision=doc["revision"],
        employer_id=doc["employer_id"],
        employer_name=doc["employer_name"],
        office_code=doc["office_code"],
        occupation_name=occupations().name(body["occupation_code"]),
        places=tuple(places(body)),
        published_at=doc["published_at"],
        valid_until=date.fromisoformat(doc["valid_until"]),
        **{k: v for k, v in body.items() if k in PostingSnapshot.model_fields},
    )


def public_view(doc: Doc, now: datetime) -> Doc:
    body = doc["body"]
    return {
        **body,
        "job_id": doc["_id"],
        "job_number": doc["job_number"],
        "status": effective_status(doc, now),
        "revision": doc["revision"],
        "employer_id": doc["employer_id"],
        "employer_name": doc["employer_name"],
        "office_code": doc["office_code"],
        "occupation_name": occupations().name(body["occupation_code"]),
        "places": [p.model_dump() for p in places(body)],
        "published_at": doc["published_at"],
        "updated_at": doc["updated_at"],
        "valid_until": doc["valid_until"],
        "closed_at": doc.get("closed_at"),
    }


def summary(doc: Doc, now: datetime) -> Doc:
    body = doc["body"]
    return {
        "job_id": doc["_id"],
        "job_number": doc["job_number"],
        "status": effective_status(doc, now),
        "title": body["title"],
        "employer_name": doc["employer_name"],
        "occupation_code": body["occupation_code"],
        "occupation_name": occupations().name(body["occupation_code"]),
        "prefecture": body["prefecture"],
        "prefecture_name": prefecture_name(body["prefecture"]),
        "municipality": body["municipality"],
        "nearest_station": body.get("nearest_station"),
        "employment_type": body["employment_type"],
        "wage_min": body["wage_min"],
        "wage_max": body.get("wage_max"),
        "wage_unit": body["wage_unit"],
        "remote": body["remote"],
        "experience_required": body["experience_required"],
        "accepts_online_referral": body["accepts_online_referral"],
        "accepts_direct_application": body["accepts_direct_application"],
        "published_at": doc["published_at"],
        "valid_until": doc["valid_until"],
    }
