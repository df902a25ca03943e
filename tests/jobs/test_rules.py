"""Unit: validity dates, wage comparison, search conditions, cursors, automatic matching."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.jobs.criteria import SearchConditions, SearchQuery, decode_cursor, encode_cursor
from services.jobs.domain import (
    InvalidCursor,
    end_of_month_after_next,
    expires_at,
    meets_wage,
    today_jst,
    wage_rank,
    wage_top,
)
from services.jobs.matching import rank


@pytest.mark.parametrize(
    ("published", "valid_until"),
    [
        (date(2026, 11, 24), date(2027, 1, 31)),  # across the year end
        (date(2026, 12, 1), date(2027, 2, 28)),
        (date(2027, 12, 31), date(2028, 2, 29)),  # leap year
        (date(2028, 1, 15), date(2028, 3, 31)),
        (date(2026, 6, 30), date(2026, 8, 31)),
        (date(2026, 10, 31), date(2026, 12, 31)),
        (date(2099, 11, 1), date(2100, 1, 31)),
    ],
)
def test_valid_to_the_end_of_the_month_after_next(published: date, valid_until: date) -> None:
    assert end_of_month_after_next(published) == valid_until


def test_validity_ends_at_midnight_in_japan() -> None:
    assert expires_at(date(2027, 1, 31)) == datetime(2027, 1, 31, 15, 0, tzinfo=UTC)
    # 2026-11-30 16:00 UTC is already 2026-12-01 in Japan
    assert today_jst(datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == date(2026, 12, 1)


def test_wages_compare_in_like_units_only() -> None:
    assert wage_top(200000, None) == 200000 and wage_top(200000, 260000) == 260000
    assert meets_wage(
        unit="monthly", wage_min=200000, wage_max=260000, wanted=250000, wanted_unit="monthly"
    )
    assert not meets_wage(
        unit="monthly", wage_min=200000, wage_max=None, wanted=250000, wanted_unit="monthly"
    )
    # a high hourly wage never meets a monthly wish, and the other way round
    assert not meets_wage(
        unit="hourly", wage_min=3000, wage_max=None, wanted=1500, wanted_unit="monthly"
    )
    assert not meets_wage(
        unit="monthly", wage_min=300000, wage_max=None, wanted=1200, wanted_unit="hourly"
    )
    assert meets_wage(
        unit="hourly", wage_min=1100, wage_max=1300, wanted=1200, wanted_unit="hourly"
    )
    assert (
        wage_rank("hourly", 1500, None) == 240000 and wage_rank("monthly", 250000, None) == 250000
    )


NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def stored(**overrides: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "_id": "a" * 32,
        "status": "open",
        "expires_at": NOW + timedelta(days=30),
        "prefectures": ["13"],
        "occupation_code": "10",
        "employment_type": "full_time",
        "wage_unit": "monthly",
        "wage_top": 300000,
        "published_at": NOW - timedelta(days=2),
        "is_remote": False,
        "accepts_direct_application": True,
        "experience_required": False,
    }
    doc.update(overrides)
    return doc


def test_conditions_reject_bad_codes_and_too_many() -> None:
    with pytest.raises(ValueError):
        SearchConditions.model_validate({"prefecture": "48"})
    with pytest.raises(ValueError):
        SearchConditions.model_validate({"prefecture": "01,02,03,04"})
    with pytest.raises(ValueError):
        SearchConditions.model_validate({"occupation": "99"})
    # a JSON body (a saved search) may hold any type: a validation error, never a crash (found by
    # the schemathesis fuzz: a float job_number was a 500)
    for bad in (6.9e16, 13, {"a": 1}, [1, 2], [None]):
        with pytest.raises(ValidationError):
            SearchConditions.model_validate({"job_number": bad})


def test_query_string_round_trips() -> None:
    c = SearchConditions.model_validate({"q": "介護", "prefecture": ["13", "14"], "remote": True})
    assert c.query_string() == "q=%E4%BB%8B%E8%AD%B7&prefecture=13%2C14&remote=true"


def test_cursor_round_trip_and_tampering() -> None:
    doc = {"_id": "b" * 32, "published_at": NOW, "wage_rank": 250000}
    assert decode_cursor("new", encode_cursor("new", doc)) == {
        "$or": [
            {"published_at": {"$lt": NOW}},
            {"published_at": NOW, "_id": {"$lt": "b" * 32}},
        ]
    }
    with pytest.raises(InvalidCursor):
        decode_cursor("wage", encode_cursor("new", doc))  # a cursor of another order
    for bad in ("not-base64!", "e30", "x" * 40):
        with pytest.raises(InvalidCursor):
            decode_cursor("new", bad)
    assert SearchQuery.model_validate({"limit": "5"}).limit == 5


def test_automatic_recommendation_reasons() -> None:
    doc = {
        **stored(),
        "body": {
            "municipality": "新宿区",
            "employment_type": "full_time",
            "wage_unit": "monthly",
            "wage_min": 250000,
            "wage_max": 300000,
        },
    }
    profile = {
        "desired_occupations": ["10"],
        "desired_places": [{"prefecture": "13", "municipality": "新宿区"}],
        "employment_types": ["full_time"],
        "desired_wage_min": 280000,
        "desired_wage_unit": "monthly",
    }
    ranked = rank(doc, profile, NOW)
    assert ranked is not None
    assert [r.code for r in ranked.reasons] == [
        "occupation",
        "municipality",
        "wage",
        "employment_type",
        "new",
    ]
    assert ranked.reasons[0].ja == "希望職種（情報処理・通信技術者）に合う求人です"
    assert "月給280,000円以上" in ranked.reasons[2].ja
    # same major group only, another prefecture, an hourly wish: a weaker, different reason
    weaker = rank(
        doc,
        {"desired_occupations": ["05"], "desired_wage_min": 1500, "desired_wage_unit": "hourly"},
        NOW,
    )
    assert weaker is not None and [r.code for r in weaker.reasons] == ["occupation_group", "new"]
    # nothing of occupation, place or wage fits: not recommended
    assert (
        rank(doc, {"desired_occupations": ["46"], "employment_types": ["full_time"]}, NOW) is None
    )
