"""Search conditions as engine queries (pure functions, no I/O): the request of one result page
(query, filters, facets, order, highlights) and the stored query of a saved search (percolator).

User text only ever becomes the ``query`` of a phrase query: never query_string syntax."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from servicekit import cursors
from servicekit.cursors import InvalidCursor
from services.jobs.criteria import SearchConditions, SearchQuery
from services.jobs.domain import expires_at, today_jst
from services.jobs.search_index import (
    FIELD_CHOICES,
    TEXT_FIELDS,
    TWO_DAY_WEEKENDS,
    normalize_name,
)
from services.jobs.text import KeywordQuery

Doc = dict[str, Any]

TITLE_BOOST = 3
# freshness, added to the score in steps: published within a day +1.5, a week +1, a month +0.5
FRESHNESS_STEPS = ((1, 0.5), (7, 0.5), (30, 0.5))
FACETS = {
    "prefecture": ("prefectures", 47),
    "occupation": ("occupation_code", 100),
    "employment_type": ("employment_type", 10),
}
# each order, with the job id as the tie-breaker that makes positions unique
SORTS: dict[str, list[Doc]] = {
    "relevance": [{"_score": "desc"}, {"published_at": "desc"}, {"job_id": "desc"}],
    "new": [{"published_at": "desc"}, {"job_id": "desc"}],
    "wage": [{"wage_rank": "desc"}, {"published_at": "desc"}, {"job_id": "desc"}],
    "deadline": [{"expires_at": "asc"}, {"published_at": "desc"}, {"job_id": "desc"}],
}
HIGHLIGHT: Doc = {
    "encoder": "html",  # the engine escapes the text; only its own tags are markup
    "pre_tags": ["<mark>"],
    "post_tags": ["</mark>"],
    "require_field_match": True,
    "fields": {
        "title": {"number_of_fragments": 0},
        "duties": {"fragment_size": 90, "number_of_fragments": 1, "no_match_size": 0},
    },
}


def _iso(at: datetime) -> str:
    return at.isoformat()


# --- keywords ----------------------------------------------------------------------------------


def _targets(fields: list[str]) -> list[str]:
    chosen = [f for f in FIELD_CHOICES if f in fields] or list(TEXT_FIELDS)
    return [f"{f}^{TITLE_BOOST}" if f == "title" else f for f in chosen]


def _phrase(word: str, targets: list[str], *, zero_terms: str = "all") -> Doc:
    """Adjacent bigrams in one of the fields: the word as a substring. A word the analyzer
    drops entirely (punctuation) is no condition when required, and excludes nothing."""
    return {
        "multi_match": {
            "query": word,
            "type": "phrase",
            "fields": targets,
            "zero_terms_query": zero_terms,
        }
    }


def keyword_clauses(kw: KeywordQuery, fields: list[str]) -> tuple[list[Doc], list[Doc]]:
    """(must, must_not): each group of words required (any of its words), exclusions out."""
    targets = _targets(fields)
    must: list[Doc] = []
    for group in kw.groups:
        if len(group) == 1:
            must.append(_phrase(group[0], targets))
        else:
            should = [_phrase(w, targets, zero_terms="none") for w in group]
            must.append({"bool": {"should": should, "minimum_should_match": 1}})
    must_not = [_phrase(w, targets, zero_terms="none") for w in kw.exclude]
    return must, must_not


def relevance_clauses(kw: KeywordQuery, fields: list[str], origin: datetime) -> list[Doc]:
    """What the score adds up, none of it deciding what matches: each word in the title (a
    constant ``TITLE_BOOST``, so a substring of an unknown compound counts too), BM25 of the
    word-level matches (kuromoji subfields, title ×3, when the index has them), and freshness
    in steps (``FRESHNESS_STEPS`` back from ``origin``). Every part has an upper bound for each
    block of postings, and the index is sorted newest first, so the engine skips the postings
    that can no longer reach the page (block-max WAND) — a smooth decay (``distance_feature``,
    a decay function) bounds nothing and makes it score every match."""
    targets = _targets(fields)
    out: list[Doc] = []
    if any(t.startswith("title") for t in targets):
        out += [
            {"constant_score": {"filter": {"match_phrase": {"title": w}}, "boost": TITLE_BOOST}}
            for w in kw.words
        ]
    words = [f"{t.split('^')[0]}.ja" for t in targets]
    weighted = [f"{w}^{TITLE_BOOST}" if w.startswith("title.") else w for w in words]
    out += [{"multi_match": {"query": w, "fields": weighted}} for w in kw.words]
    out += [
        {
            "constant_score": {
                "filter": {"range": {"published_at": {"gte": _iso(origin - timedelta(days=d))}}},
                "boost": boost,
            }
        }
        for d, boost in FRESHNESS_STEPS
    ]
    return out


# --- conditions --------------------------------------------------------------------------------


def facet_filters(c: SearchConditions) -> dict[str, Doc]:
    """The conditions that have a facet: applied after the facets are counted (post_filter)."""
    out: dict[str, Doc] = {}
    if c.prefecture:
        out["prefecture"] = {"terms": {"prefectures": list(c.prefecture)}}
    if c.occupation:
        out["occupation"] = {"terms": {"occupation_code": c.occupation_codes()}}
    if c.employment_type:
        out["employment_type"] = {"terms": {"employment_type": list(c.employment_type)}}
    return out


def filters(c: SearchConditions) -> list[Doc]:
    """The other conditions (not time-dependent: shared with saved searches)."""
    f: list[Doc] = []
    if c.unit:
        f.append({"term": {"wage_unit": c.unit}})
    if c.wage_min is not None:
        f.append({"range": {"wage_top": {"gte": c.wage_min}}})
    if c.remote:
        f.append({"term": {"is_remote": True}})
    if c.accepts_direct_application:
        f.append({"term": {"accepts_direct_application": True}})
    if c.no_experience_required:
        f.append({"term": {"experience_required": False}})
    if c.annual_holidays_min is not None:
        f.append({"range": {"annual_holidays": {"gte": c.annual_holidays_min}}})
    if c.two_day_weekend == "every_week":
        f.append({"term": {"two_day_weekend": "every_week"}})
    elif c.two_day_weekend == "any":
        f.append({"terms": {"two_day_weekend": list(TWO_DAY_WEEKENDS)}})
    if c.overtime_max is not None:
        f.append({"range": {"overtime_hours": {"lte": c.overtime_max}}})
    if c.car_commute:
        f.append({"term": {"car_commute": True}})
    if c.no_transfer:
        f.append({"term": {"transfer_possible": False}})
    if c.no_trial_period:
        f.append({"term": {"trial_period": False}})
    if c.no_age_limit:
        f.append({"term": {"age_limited": False}})
    if c.insurance_complete:
        f.append({"term": {"insurance_complete": True}})
    if c.municipality:
        f.append({"terms": {"municipalities": [normalize_name(m) for m in c.municipality]}})
    if c.job_number:
        f.append({"terms": {"job_number": list(c.job_number)}})
    return f


def open_filters(c: SearchConditions, now: datetime) -> list[Doc]:
    """Open postings within their validity (time checked here, before the expiry loop runs).

    The instants are rounded so that the same filter serves every search of a day (validity)
    or of a minute (new within N days), and the engine's filter cache keeps its matches: a
    validity ends at a midnight in Japan (``domain.expires_at``), so "ends after now" is "ends
    no earlier than a posting valid through today"."""
    f: list[Doc] = [
        {"term": {"status": "open"}},
        {"range": {"expires_at": {"gte": _iso(expires_at(today_jst(now)))}}},
    ]
    if c.new_within_days:
        since = (now - timedelta(days=c.new_within_days)).replace(second=0, microsecond=0)
        f.append({"range": {"published_at": {"gte": _iso(since)}}})
    return f


def percolator_query(c: SearchConditions) -> Doc:
    """A saved search as a stored query, matched against each new posting (which is open and
    new by definition: the time conditions are checked before)."""
    must, must_not = keyword_clauses(c.keywords, list(c.fields))
    return {
        "bool": {
            "must": must,
            "must_not": must_not,
            "filter": [*filters(c), *facet_filters(c).values()],
        }
    }


# --- one page ----------------------------------------------------------------------------------


def page_request(
    query: SearchQuery, *, now: datetime, origin: datetime, after: list[Any] | None
) -> Doc:
    """The search request of one page: ``limit + 1`` hits (the extra one says whether there is
    a next page), every condition a filter. It neither counts nor aggregates, so the engine
    stops at the postings that can still reach the page (``count_requests`` count)."""
    kw = query.keywords
    must, must_not = keyword_clauses(kw, list(query.fields))
    matched: Doc = {
        "filter": [
            *must,
            *open_filters(query, now),
            *filters(query),
            *facet_filters(query).values(),
        ],
        "must_not": must_not,
    }
    if query.order == "relevance":
        matched["should"] = relevance_clauses(kw, list(query.fields), origin)
    body: Doc = {
        "size": query.limit + 1,
        "query": {"bool": matched},
        "sort": SORTS[query.order],
        "_source": ["summary"],
        "track_total_hits": False,
    }
    if not kw.empty:
        body["highlight"] = HIGHLIGHT
    if after is not None:
        body["search_after"] = after
    return body


def count_requests(query: SearchQuery, *, now: datetime) -> list[Doc]:
    """The counts of a first page, sent with it in one multi-search, unscored (filters only, so
    the engine's filter cache serves them): the total (exact up to 10,000) with the facets whose
    condition is not set, then one request per facet whose condition is set, counted without
    that condition. Each reads only the postings it counts — unlike a ``post_filter``, which
    would read every posting of the search without the facet conditions."""
    must, must_not = keyword_clauses(query.keywords, list(query.fields))
    base = [*must, *open_filters(query, now), *filters(query)]
    faceted = facet_filters(query)

    def count(without: str | None, names: list[str], total: int | bool) -> Doc:
        kept = [f for name, f in faceted.items() if name != without]
        body: Doc = {
            "size": 0,
            "track_total_hits": total,
            "query": {"bool": {"filter": [*base, *kept], "must_not": must_not}},
        }
        if names:
            body["aggs"] = {
                n: {"terms": {"field": FACETS[n][0], "size": FACETS[n][1]}} for n in names
            }
        return body

    unset = [name for name in FACETS if name not in faceted]
    return [count(None, unset, 10_000), *(count(name, [name], False) for name in faceted)]


def facets(aggregations: Doc) -> Doc:
    """The facets out of the aggregations of ``count_requests`` (merged)."""
    return {
        name: [
            {"value": str(b["key"]), "count": int(b["doc_count"])}
            for b in aggregations[name]["buckets"]
        ]
        for name in FACETS
    }


# --- cursors -----------------------------------------------------------------------------------

# a cursor carries the engine's point-in-time id, longer than servicekit's list cursors allow
MAX_CURSOR = 4096
_ALPHABET = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
SortValue = int | float | str


class SearchCursor(cursors.CursorModel):
    """s: the order; o: the instant relevance decays from (ms, fixed for the whole walk);
    a: the sort values of the last item; p: the point in time the later pages read."""

    s: Literal["relevance", "new", "wage", "deadline"]
    o: cursors.Int64
    a: list[SortValue] = Field(min_length=2, max_length=4)
    p: str | None = Field(default=None, max_length=2000, pattern=r"^[A-Za-z0-9_=+/-]+$")

    @field_validator("a")
    @classmethod
    def _in_range(cls, values: list[SortValue]) -> list[SortValue]:
        """What the engine's sort values can be: int64 (dates, wages), finite scores, ids."""
        for v in values:
            if isinstance(v, bool) or (
                isinstance(v, int) and not cursors.INT64_MIN <= v <= cursors.INT64_MAX
            ):
                raise ValueError("out of range")
            if isinstance(v, float) and not abs(v) < 1e30:
                raise ValueError("out of range")
            if isinstance(v, str) and not re.fullmatch(r"[\x21-\x7e]{1,100}", v):
                raise ValueError("not an id")
        return values


def encode_cursor(cursor: SearchCursor) -> str:
    return cursors.encode(cursor)


def decode_cursor(order: str, cursor: str) -> SearchCursor:
    """The position a search cursor names; InvalidCursor (400) for anything this service did not
    write for this order (servicekit.cursors conventions, with room for the point in time)."""
    if len(cursor) > MAX_CURSOR or not _ALPHABET.match(cursor):
        raise InvalidCursor()
    body = cursor.rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        position = SearchCursor.model_validate(json.loads(raw))
    except (ValueError, TypeError, binascii.Error, ValidationError, RecursionError):
        raise InvalidCursor() from None
    if position.s != order or len(position.a) != len(SORTS[order]):
        raise InvalidCursor()
    if not isinstance(position.a[-1], str):  # the job id, the tie-breaker
        raise InvalidCursor()
    return position
