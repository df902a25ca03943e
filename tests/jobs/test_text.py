"""Unit: keywords as typed (AND, OR, exclusions, limits) and the engine queries built from them:
user text only ever becomes the text of a phrase query."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.jobs.criteria import SearchConditions, SearchQuery
from services.jobs.search_query import facet_requests, page_request, percolator_query
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
    scored = body["query"]["function_score"]["query"]["bool"]
    phrases = [c["multi_match"]["query"] for c in scored["must"] if "multi_match" in c]
    assert 'title:"x"' in phrases and "and" in phrases and "(" in phrases
    group = next(c for c in scored["must"] if "bool" in c)
    assert [c["multi_match"]["query"] for c in group["bool"]["should"]] == ["介護", "*"]
    assert scored["must_not"][0]["multi_match"]["query"] == "派遣"
    assert body["size"] == 6 and body["track_total_hits"] == 10_000
    assert body["sort"][0] == {"_score": "desc"}


def test_field_choice_and_facet_filters() -> None:
    query = SearchQuery.model_validate(
        {"q": "介護", "fields": "title,company", "prefecture": "13", "occupation": "B"}
    )
    body = page_request(query, now=NOW, origin=NOW, after=None)
    must = body["query"]["function_score"]["query"]["bool"]["must"][0]["multi_match"]
    assert must["fields"] == ["title^3", "company"] and must["type"] == "phrase"
    # every condition filters the hits; the page counts the facet without a condition
    scored = body["query"]["function_score"]["query"]["bool"]
    assert {"terms": {"prefectures": ["13"]}} in scored["filter"]
    assert "post_filter" not in body and list(body["aggs"]) == ["employment_type"]
    # each facet with a condition is counted without it (with the other one), unscored
    by_name = {next(iter(r["aggs"])): r for r in facet_requests(query, now=NOW)}
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
