"""Unit: the activity record's period rules and which interviews were moved (no I/O)."""

from __future__ import annotations

from datetime import date

import pytest

from services.identity.service_activity import (
    ActivityRangeInvalid,
    last_day_allowed,
    moved_interviews,
    parse_range,
)


def test_a_period_is_at_most_a_year() -> None:
    assert parse_range("2026-04-01", "2027-03-31") == (date(2026, 4, 1), date(2027, 3, 31))
    assert parse_range("2026-04-01", "2026-04-01") == (date(2026, 4, 1), date(2026, 4, 1))
    assert last_day_allowed(date(2024, 2, 29)) == date(2025, 2, 28)
    assert last_day_allowed(date(9999, 6, 1)) == date.max
    with pytest.raises(ActivityRangeInvalid) as refused:
        parse_range("2026-04-01", "2027-04-01")
    assert refused.value.status == 400 and refused.value.errors
    assert refused.value.errors[0]["code"] == "range_too_long"


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [
        (None, "2026-04-01", "missing"),
        ("2026-04-01", "", "missing"),
        ("2026-02-30", "2026-04-01", "invalid_date"),
        ("２０２６-04-01", "2026-04-01", "invalid_date"),
        ("2026-04-02", "2026-04-01", "before_from"),
    ],
)
def test_bad_periods(first: str | None, last: str | None, code: str) -> None:
    with pytest.raises(ActivityRangeInvalid) as refused:
        parse_range(first, last)
    assert refused.value.errors and refused.value.errors[0]["code"] == code


def iv(version: int, on: str, set_on: str, *, again: bool, app: str = "a") -> dict[str, object]:
    return {
        "_id": f"interview:{app}:{version}",
        "application_id": app,
        "version": version,
        "on": on,
        "set_on": set_on,
        "again": again,
    }


def test_an_interview_set_again_before_its_day_was_moved_after_it_was_held() -> None:
    held = iv(2, "2026-11-10", "2026-11-01", again=False)
    moved = iv(3, "2026-11-20", "2026-11-12", again=True)  # a second round, set after the 10th
    final = iv(4, "2026-11-25", "2026-11-15", again=True)  # moved the 20th before it came
    other = iv(2, "2026-11-30", "2026-11-01", again=False, app="b")
    assert moved_interviews([final, other, held, moved]) == {"interview:a:3"}
    assert moved_interviews([]) == set()
