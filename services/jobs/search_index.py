"""The search index's shape, in code beside the engine access (``repository_search``): analyzers,
mapping, and the document a posting becomes. Versioned: a change here bumps ``MAPPING_VERSION``
and ``python -m services.jobs.reindex`` builds the new index behind the alias.

Japanese without a dictionary first: every text field is analysed by ``ja_bigram`` — hiragana
folded to katakana (a mapping char filter), the standard tokenizer, ``cjk_width`` (half-width
katakana and full-width Latin to their usual forms), ``lowercase``, then ``cjk_bigram`` with
unigrams at index time. Queries are analysed into bigrams only (a single character stays a
unigram), so a word is a phrase of adjacent bigrams: 介護 finds 介護福祉士, 受 finds 受付, and
東京都 does not match 東京の京都. A kuromoji subfield (``<field>.ja``, when the cluster has the
plugin) adds word-level relevance; the bigram field alone decides what matches."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from services.jobs import documents
from services.jobs.reference import occupations

Doc = dict[str, Any]

MAPPING_VERSION = 3
POSTINGS = "postings"
SAVED_SEARCHES = "saved-searches"
TEXT_FIELDS = ("title", "duties", "company", "extra")
# what a seeker may restrict the keywords to (``fields=title,duties``); ``extra`` (occupation,
# places, stations, licences, labels) is searched only when no choice is made
FIELD_CHOICES = ("title", "duties", "company")
# any 週休二日制 (``two_day_weekend=any``): every one but "none"
TWO_DAY_WEEKENDS = ("every_week", "biweekly", "monthly", "other")
ALL_INSURANCE = {"employment", "workers_comp", "health", "pension"}

# ぁ (U+3041) .. ゖ (U+3096) → ァ (U+30A1) .. ヶ (U+30F6)
_KANA_FOLD = [f"{chr(c)}=>{chr(c + 0x60)}" for c in range(0x3041, 0x3097)]


def normalize_name(value: str) -> str:
    """Place names compared as keywords (``municipality``): NFKC, no spaces."""
    return "".join(unicodedata.normalize("NFKC", value).split())


def analysis(kuromoji: bool) -> Doc:
    out: Doc = {
        "char_filter": {"kana_fold": {"type": "mapping", "mappings": _KANA_FOLD}},
        "filter": {
            "bigram_with_unigrams": {"type": "cjk_bigram", "output_unigrams": True},
            "bigram_only": {"type": "cjk_bigram", "output_unigrams": False},
        },
        "analyzer": {
            "ja_bigram": {
                "type": "custom",
                "char_filter": ["kana_fold"],
                "tokenizer": "standard",
                "filter": ["cjk_width", "lowercase", "bigram_with_unigrams"],
            },
            "ja_bigram_search": {
                "type": "custom",
                "char_filter": ["kana_fold"],
                "tokenizer": "standard",
                "filter": ["cjk_width", "lowercase", "bigram_only"],
            },
        },
    }
    if kuromoji:
        out["tokenizer"] = {"ja_words": {"type": "kuromoji_tokenizer", "mode": "search"}}
        out["analyzer"]["ja_words"] = {
            "type": "custom",
            "tokenizer": "ja_words",
            "filter": [
                "kuromoji_baseform",
                "kuromoji_part_of_speech",
                "cjk_width",
                "ja_stop",
                "kuromoji_stemmer",
                "lowercase",
            ],
        }
    return out


def _text(kuromoji: bool) -> Doc:
    field: Doc = {
        "type": "text",
        "analyzer": "ja_bigram",
        "search_analyzer": "ja_bigram_search",
        "index_options": "offsets",  # highlights without re-analysing the text
    }
    if kuromoji:
        field["fields"] = {"ja": {"type": "text", "analyzer": "ja_words"}}
    return field


# the 求人票 conditions searched since mapping version 2 (added to an older index's mapping at
# start-up, so new writes carry them; ``reindex`` fills them in for the postings written before)
CONDITION_PROPERTIES: Doc = {
    "annual_holidays": {"type": "short"},
    "two_day_weekend": {"type": "keyword"},
    "overtime_hours": {"type": "short"},
    "car_commute": {"type": "boolean"},
    "transfer_possible": {"type": "boolean"},
    "trial_period": {"type": "boolean"},
    "age_limited": {"type": "boolean"},
    "insurance_complete": {"type": "boolean"},
}


def conditions(body: Doc) -> Doc:
    """The condition fields of a posting's index document. A fact the posting does not state
    is left out, so a filter on it does not match (no overtime is 0 hours; overtime without
    hours is unknown; transfers stated neither way are unknown)."""
    out: Doc = {
        "two_day_weekend": body.get("two_day_weekend", "none"),
        "car_commute": bool((body.get("car_commute") or {}).get("allowed")),
        "trial_period": body.get("trial_period") is not None,
        "age_limited": body.get("age_min") is not None or body.get("age_max") is not None,
        "insurance_complete": set(body.get("insurance") or []) >= ALL_INSURANCE,
    }
    if body.get("annual_holidays") is not None:
        out["annual_holidays"] = body["annual_holidays"]
    if not body.get("overtime"):
        out["overtime_hours"] = 0
    elif body.get("overtime_hours_monthly") is not None:
        out["overtime_hours"] = body["overtime_hours_monthly"]
    if body.get("transfer_possible") is not None:
        out["transfer_possible"] = body["transfer_possible"]
    return out


def properties(kuromoji: bool) -> Doc:
    keyword = {"type": "keyword"}
    # the facets' fields: their global ordinals built at each refresh, not by the first search
    # after it (which would otherwise pay for them while postings are being written)
    facet = {"type": "keyword", "eager_global_ordinals": True}
    return {
        "job_id": keyword,
        "job_number": keyword,
        "employer_id": keyword,
        "status": keyword,
        **{name: _text(kuromoji) for name in TEXT_FIELDS},
        "prefectures": facet,
        "municipalities": keyword,
        "occupation_code": facet,
        "employment_type": facet,
        "wage_unit": keyword,
        "wage_top": {"type": "long"},
        "wage_rank": {"type": "long"},
        "is_remote": {"type": "boolean"},
        "accepts_direct_application": {"type": "boolean"},
        "experience_required": {"type": "boolean"},
        **CONDITION_PROPERTIES,
        "published_at": {"type": "date"},
        "expires_at": {"type": "date"},
        "valid_until": {"type": "date"},
        # the list item, returned as it is (never searched)
        "summary": {"type": "object", "enabled": False},
    }


def index_body(kuromoji: bool, *, refresh_interval: str, alias: str | None = None) -> Doc:
    body: Doc = {
        "settings": {
            "index": {
                "number_of_shards": 1,
                "number_of_replicas": 0,
                "refresh_interval": refresh_interval,
                # a delete's version is remembered this long: a late event older than the delete
                # is refused (and the indexer reads MongoDB anyway)
                "gc_deletes": "1h",
                "max_result_window": 10_000,
                # newest first on disk: the "new" order reads the first postings only, and the
                # freshness part of the relevance score bounds whole blocks (search_query)
                "sort.field": "published_at",
                "sort.order": "desc",
            },
            "analysis": analysis(kuromoji),
        },
        "mappings": {"dynamic": "strict", "properties": properties(kuromoji)},
    }
    if alias:
        body["aliases"] = {alias: {}}
    return body


def percolator_body(kuromoji: bool, *, alias: str | None = None) -> Doc:
    """Saved searches as stored percolator queries. A stored query is parsed against this
    index's mapping, so it carries every posting field (the same analyzers): any field a
    saved search's conditions can name (``search_query.percolator_query``) is mapped here."""
    body = index_body(kuromoji, refresh_interval="1s", alias=alias)
    for key in ("sort.field", "sort.order"):  # stored queries have no dates
        del body["settings"]["index"][key]
    body["mappings"]["properties"].update(
        {
            "query": {"type": "percolator"},
            "saved_search_id": {"type": "keyword"},
            "seeker_id": {"type": "keyword"},
            "notify": {"type": "boolean"},
        }
    )
    return body


def _iso(value: datetime | str) -> str:
    return value if isinstance(value, str) else value.isoformat()


def document(doc: Doc) -> Doc:
    """The index document of a stored posting (its ``version`` is the external version)."""
    body = doc["body"]
    where = documents.places(body)
    extra = [
        occupations().name(body["occupation_code"]),
        documents.EMPLOYMENT_LABELS[body["employment_type"]],
        documents.REMOTE_LABELS[body["remote"]],
        *(f"{p.prefecture_name} {p.municipality} {p.nearest_station or ''}" for p in where),
        *body.get("licenses_required", []),
    ]
    summary = documents.summary(doc, doc["published_at"])
    summary["published_at"] = _iso(summary["published_at"])
    return {
        "job_id": doc["_id"],
        "job_number": doc["job_number"],
        "employer_id": doc["employer_id"],
        "status": doc["status"],
        "title": body["title"],
        "duties": body["description"],
        "company": doc["employer_name"],
        "extra": "\n".join(e for e in extra if e),
        "prefectures": sorted({p.prefecture for p in where}),
        "municipalities": sorted({normalize_name(p.municipality) for p in where}),
        "occupation_code": body["occupation_code"],
        "employment_type": body["employment_type"],
        "wage_unit": body["wage_unit"],
        "wage_top": doc["wage_top"],
        "wage_rank": doc["wage_rank"],
        "is_remote": body["remote"] != "none",
        "accepts_direct_application": body["accepts_direct_application"],
        "experience_required": body["experience_required"],
        **conditions(body),
        "published_at": _iso(doc["published_at"]),
        "expires_at": _iso(doc["expires_at"]),
        "valid_until": doc["valid_until"],
        "summary": summary,
    }
