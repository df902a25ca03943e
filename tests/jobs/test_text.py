"""Unit: keywords as typed (AND, OR, exclusions, limits) and the engine queries built from them:
user text only ever becomes the text of a phrase query."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.jobs.criteria import SearchConditions, SearchQuery
from services.jobs.search_query import count_requests, page_request, percolator_query
from services.jobs.text import TooManyWords, normalize, parse_query

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def test_normalize_width_and_case() -> None:
    assert normalize("ＰＹＴＨＯＮ１") == "python1"
    assert normalize("－派遣") == "-派遣"


def test_words_or_groups_and_exclusions() -> None:
    q = parse_query("介護 OR 看護　東京 -派遣 －夜勤 東京 -派遣")
    assert q.groups == (("介護", "看護"), ("東京",))
    assert q.exclude == ("派遣", "夜勤")
    assert q.words == ("介護", "看護", "東京")
    assert parse_query("OR a or").groups == (("a",),)  # a dangling OR is nothing
    assert parse_query("-").empty and parse_query(None).empty


def test_at_most_ten_words() -> None:
    parse_query(" ".join(f"w{i}" for i in range(10)))
    with pytest.raises(TooManyWords):
        parse_query(" ".join(f"w{i}" for i in range(10)) + " -x")
    with pytest.raises(ValueError, match="10 語まで"):
        SearchConditions.model_validate({"q": " ".join(f"w{i}" for i in range(11))})


def test_keywords_become_phrase_queries_never_query_syntax() -> None:
    query = SearchQuery.model_validate({"q": 'title:"x" AND ( -派遣 介護 OR *', "limit": 5})
    body = page_request(query, now=NOW, origin=NOW, after=None)
    text = json.dumps(body, ensure_ascii=False)
    assert "query_string" not in text and "simple_query_string" not in text
    matched = body["query"]["bool"]
    phrases = [c["multi_match"]["query"] for c in matched["filter"] if "multi_match" in c]
    assert 'title:"x"' in phrases and "and" in phrases and "(" in phrases
    group = next(c for c in matched["filter"] if "bool" in c)
    assert [c["multi_match"]["query"] for c in group["bool"]["should"]] == ["介護", "*"]
    assert matched["must_not"][0]["multi_match"]["query"] == "派遣"
    # the page neither counts nor aggregates (so the engine can stop early); the counts do
    assert body["size"] == 6 and body["track_total_hits"] is False and "aggs" not in body
    assert body["sort"][0] == {"_score": "desc"}
    total = count_requests(query, now=NOW)[0]
    assert total["size"] == 0 and total["track_total_hits"] == 10_000
    assert total["query"]["bool"]["filter"] == matched["filter"]


def test_relevance_scores_title_words_and_freshness_without_matching() -> None:
    query = SearchQuery.model_validate({"q": "介護 -夜勤"})
    should = page_request(query, now=NOW, origin=NOW, after=None)["query"]["bool"]["should"]
    title, words, *fresh = should
    assert title == {"constant_score": {"filter": {"match_phrase": {"title": "介護"}}, "boost": 3}}
    assert words["multi_match"] == {
        "query": "介護",
        "fields": ["title.ja^3", "duties.ja", "company.ja", "extra.ja"],
    }
    # freshness in steps back from the origin: a day, a week, a month, +0.5 each
    assert [
        (f["constant_score"]["filter"]["range"], f["constant_score"]["boost"]) for f in fresh
    ] == [
        ({"published_at": {"gte": "2026-11-23T03:00:00+00:00"}}, 0.5),
        ({"published_at": {"gte": "2026-11-17T03:00:00+00:00"}}, 0.5),
        ({"published_at": {"gte": "2026-10-25T03:00:00+00:00"}}, 0.5),
    ]
    # no title chosen: no title boost; later orders have no score at all
    titleless = SearchQuery.model_validate({"q": "介護", "fields": "duties"})
    should = page_request(titleless, now=NOW, origin=NOW, after=None)["query"]["bool"]["should"]
    assert [next(iter(c)) for c in should] == ["multi_match", *["constant_score"] * 3]
    newest = SearchQuery.model_validate({"q": "介護", "sort": "new"})
    assert "should" not in page_request(newest, now=NOW, origin=NOW, after=None)["query"]["bool"]


def test_time_filters_are_rounded_so_that_they_are_cached() -> None:
    # 2026-11-24 03:00 UTC is 12:00 in Japan: open means valid to the next midnight there
    query = SearchQuery.model_validate({"new_within_days": 3})
    filters = page_request(query, now=NOW.replace(second=42), origin=NOW, after=None)["query"]
    ranges = [f["range"] for f in filters["bool"]["filter"] if "range" in f]
    assert {"expires_at": {"gte": "2026-11-24T15:00:00+00:00"}} in ranges  # 00:00 on the 25th
    assert {"published_at": {"gte": "2026-11-21T03:00:00+00:00"}} in ranges


def test_field_choice_and_facet_filters() -> None:
    query = SearchQuery.model_validate(
        {"q": "介護", "fields": "title,company", "prefecture": "13", "occupation": "B"}
    )
    body = page_request(query, now=NOW, origin=NOW, after=None)
    matched = body["query"]["bool"]
    phrase = matched["filter"][0]["multi_match"]
    assert phrase["fields"] == ["title^3", "company"] and phrase["type"] == "phrase"
    # every condition filters the hits
    assert {"terms": {"prefectures": ["13"]}} in matched["filter"]
    assert "post_filter" not in body and "aggs" not in body
    # the total counts the facet without a condition; each facet with a condition is counted
    # without it (with the other one), unscored
    total, *each = count_requests(query, now=NOW)
    assert list(total["aggs"]) == ["employment_type"]
    by_name = {next(iter(r["aggs"])): r for r in each}
    assert sorted(by_name) == ["occupation", "prefecture"]
    pref = by_name["prefecture"]
    assert pref["size"] == 0 and pref["query"]["bool"]["filter"][-1] == {
        "terms": {"occupation_code": [f"{c:02d}" for c in range(5, 25)]}
    }
    assert {"terms": {"prefectures": ["13"]}} not in pref["query"]["bool"]["filter"]
    assert {"terms": {"prefectures": ["13"]}} in by_name["occupation"]["query"]["bool"]["filter"]


def test_saved_search_query_has_no_time_conditions() -> None:
    c = SearchConditions.model_validate(
        {"q": "エンジニア -派遣", "occupation": "C", "wage_min": 200000, "new_within_days": 3}
    )
    q = percolator_query(c)["bool"]
    assert q["must"][0]["multi_match"]["query"] == "エンジニア"
    assert q["must_not"][0]["multi_match"]["query"] == "派遣"
    assert {"term": {"wage_unit": "monthly"}} in q["filter"]
    assert {"range": {"wage_top": {"gte": 200000}}} in q["filter"]
    assert "published_at" not in json.dumps(q) and "expires_at" not in json.dumps(q)
