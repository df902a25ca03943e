"""The profile's input rules, registration validity, expiry notices, age bands and what employers
may see (pure functions and models, no I/O)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from services.identity.domain_seeker import (
    ProfileInvalid,
    age_band,
    check_profile,
    due,
    effective_status,
    extension_for,
    in_last_month,
    matching_profile,
    next_due_on,
    notice_key,
    valid_until,
)
from services.identity.schemas_profile import ProfilePatch
from services.identity.schemas_seekers import SeekerApplication


def changes(body: dict) -> dict:
    return ProfilePatch.model_validate(body).profile_changes()


def refused(body: dict) -> list:
    with pytest.raises(ValidationError) as info:
        ProfilePatch.model_validate(body)
    return info.value.errors()


# --- the validation table ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"desired_wage_min": "２５００００"}, {"desired_wage_min": 250000}),
        ({"desired_wage_min": "250,000円"}, {"desired_wage_min": 250000}),
        ({"desired_wage_min": 1200.0}, {"desired_wage_min": 1200}),
        ({"desired_wage_unit": "時給"}, {"desired_wage_unit": "hourly"}),
        (
            {"desired_prefectures": ["１３", "27"]},
            {
                "desired_places": [
                    {"prefecture": "13", "municipality": None},
                    {"prefecture": "27", "municipality": None},
                ]
            },
        ),
        (
            {"desired_prefectures": ["13", "東京都", "13"]},
            {
                "desired_places": [
                    {"prefecture": "13", "municipality": None},
                ]
            },
        ),
        (
            {"desired_places": [{"prefecture": "13", "municipality": "　新宿区 "}]},
            {"desired_places": [{"prefecture": "13", "municipality": "新宿区"}]},
        ),
        ({"desired_occupations": ["ｃ", "25"]}, {"desired_occupations": ["C", "25"]}),
        (
            {"employment_types": ["正社員", "part_time"]},
            {"employment_types": ["full_time", "part_time"]},
        ),
        (
            {"licenses": ["ＴＯＥＩＣ　８００点", "TOEIC 800点", "日商簿記２級"]},
            {"licenses": ["TOEIC 800点", "日商簿記2級"]},
        ),
        (
            {"self_pr": "  丁寧な仕事をします。\r\n宜しくお願いします。 "},
            {"self_pr": "丁寧な仕事をします。\n宜しくお願いします。"},
        ),
        ({"self_pr": ""}, {"self_pr": None}),
        ({"desired_occupations": None}, {"desired_occupations": []}),
        (
            {
                "work_history": [
                    {
                        "company": "株式会社Ａ",
                        "occupation": "経理事務",
                        "from": "２０１８年４月",
                        "to": "2023/3",
                    }
                ]
            },
            {
                "work_history": [
                    {
                        "company": "株式会社A",
                        "occupation": "経理事務",
                        "from": "2018-04",
                        "to": "2023-03",
                        "description": None,
                    }
                ]
            },
        ),
        ({"accepts_direct_requests": False}, {"accepts_direct_requests": False}),
    ],
)
def test_inputs_are_normalised_as_a_person_expects(body, expected):
    assert changes(body) == expected


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"desired_prefectures": ["13", "14", "27", "01"]}, "desired_prefectures", "too_many"),
        ({"desired_prefectures": ["48"]}, "desired_prefectures.0", "unknown_prefecture"),
        ({"desired_occupations": ["Z9"]}, "desired_occupations.0", "unknown_occupation"),
        ({"desired_occupations": ["A", "B", "C", "D"]}, "desired_occupations", "too_many"),
        ({"desired_wage_min": "二十五万"}, "desired_wage_min", "int_parsing"),
        ({"desired_wage_min": 0}, "desired_wage_min", "out_of_range"),
        ({"desired_wage_min": True}, "desired_wage_min", "int_parsing"),
        ({"desired_wage_unit": "weekly"}, "desired_wage_unit", "literal_error"),
        ({"employment_types": ["freelance"]}, "employment_types.0", "literal_error"),
        ({"self_pr": "あ" * 2001}, "self_pr", "string_too_long"),
        ({"licenses": ["x" * 101]}, "licenses.0", "string_too_long"),
        (
            {"work_history": [{"occupation": "営業", "from": "2020-13"}]},
            "work_history.0.from",
            "year_month",
        ),
        (
            {"work_history": [{"occupation": "営業", "from": "2021-04", "to": "2020-03"}]},
            "work_history.0",
            "period_order",
        ),
        (
            {"work_history": [{"company": "A", "from": "2021-04"}]},
            "work_history.0.occupation",
            "missing",
        ),
        ({"accepts_direct_requests": None}, "accepts_direct_requests", "null_not_allowed"),
        ({"visibility": "friends"}, "visibility", "literal_error"),
        ({"hobby": "釣り"}, "hobby", "extra_forbidden"),
        ({"annotations": []}, "annotations", "read_only"),
        ({"name": "別名"}, "name", "read_only"),
        ({"seeker_number": "13010-00000001"}, "seeker_number", "read_only"),
    ],
)
def test_bad_inputs_are_refused_per_field(body, field, code):
    errors = refused(body)
    found = {(".".join(str(p) for p in e["loc"]), e["type"]) for e in errors}
    assert (field, code) in found, found


def test_custom_errors_carry_a_japanese_message():
    (error,) = refused({"desired_occupations": ["Z9"]})
    assert "職業分類" in error["ctx"]["ja"]
    (error,) = refused({"annotations": [{"body": "x"}]})
    assert "ハローワーク追記" in error["ctx"]["ja"]


def test_both_forms_of_places_at_once_are_ambiguous():
    with pytest.raises(ProfileInvalid) as info:
        changes({"desired_prefectures": ["13"], "desired_places": [{"prefecture": "27"}]})
    assert info.value.violations[0].field == "desired_places"


def test_a_wage_needs_its_unit_and_a_plausible_amount():
    assert check_profile({"desired_wage_min": 250000, "desired_wage_unit": "monthly"}) == []
    assert check_profile({"desired_wage_min": None, "desired_wage_unit": None}) == []
    (missing,) = check_profile({"desired_wage_min": 250000, "desired_wage_unit": None})
    assert missing.field == "desired_wage_unit"
    (hourly,) = check_profile({"desired_wage_min": 250000, "desired_wage_unit": "hourly"})
    assert hourly.field == "desired_wage_min" and "時給" in hourly.ja


def test_the_online_application_needs_office_and_personal_data():
    ok = SeekerApplication.model_validate(
        {
            "name": "山田 太郎",
            "birth_date": "1990-05-06",
            "office_code": "27010",
            "desired_prefectures": ["27"],
        }
    )
    assert ok.profile_changes()["desired_places"][0]["prefecture"] == "27"
    for bad_office in ("99010", "1301", "abcde"):
        with pytest.raises(ValidationError):
            SeekerApplication.model_validate(
                {"name": "x", "birth_date": "1990-05-06", "office_code": bad_office}
            )


# --- validity ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("registered", "last_day"),
    [
        (date(2026, 11, 24), date(2027, 1, 31)),  # across the year end
        (date(2026, 11, 1), date(2027, 1, 31)),
        (date(2027, 12, 31), date(2028, 2, 29)),  # into a leap February
        (date(2028, 1, 31), date(2028, 3, 31)),
        (date(2026, 12, 15), date(2027, 2, 28)),  # an ordinary February
        (date(2027, 6, 30), date(2027, 8, 31)),
    ],
)
def test_a_registration_is_valid_to_the_end_of_the_month_after_next(registered, last_day):
    assert valid_until(registered) == last_day


def test_activity_in_the_last_month_extends_by_one_month():
    last = date(2027, 1, 31)
    assert in_last_month(last, date(2027, 1, 1)) and in_last_month(last, last)
    assert not in_last_month(last, date(2026, 12, 31))
    assert not in_last_month(last, date(2027, 2, 1))
    assert extension_for(last, date(2027, 1, 15)) == date(2027, 2, 28)
    assert extension_for(last, date(2026, 12, 20)) is None  # not yet the last month
    assert extension_for(date(2028, 1, 31), date(2028, 1, 3)) == date(2028, 2, 29)
    assert extension_for(date(2027, 12, 31), date(2027, 12, 31)) == date(2028, 1, 31)
    # the same activity again is no longer in the (new) last month: nothing more
    assert extension_for(date(2027, 2, 28), date(2027, 1, 15)) is None


def test_notices_fall_due_14_7_and_1_days_before_then_the_lapse():
    last = date(2027, 1, 31)
    sent: list[str] = []
    assert next_due_on(last, sent) == date(2027, 1, 17)
    assert due(last, sent, date(2027, 1, 16)) is None
    first = due(last, sent, date(2027, 1, 17))
    assert first and first.kind == "expiring" and first.days_left == 14
    sent += first.marks
    assert due(last, sent, date(2027, 1, 20)) is None  # already sent
    assert next_due_on(last, sent) == date(2027, 1, 24)
    second = due(last, sent, date(2027, 1, 24))
    assert second and second.days_left == 7
    sent += second.marks
    third = due(last, sent, date(2027, 1, 30))
    assert third and third.days_left == 1
    sent += third.marks
    assert due(last, sent, last) is None  # the last day itself is still valid
    assert next_due_on(last, sent) == date(2027, 2, 1)
    lapse = due(last, sent, date(2027, 2, 1))
    assert lapse and lapse.kind == "lapsed"
    sent += lapse.marks
    assert due(last, sent, date(2027, 2, 2)) is None


def test_after_downtime_only_the_most_urgent_notice_goes_out():
    last = date(2027, 1, 31)
    late = due(last, [], date(2027, 1, 29))
    assert late and late.days_left == 2
    assert set(late.marks) == {notice_key(last, 14), notice_key(last, 7)}


def test_a_registration_past_its_last_day_reads_as_lapsed_before_the_scan():
    seeker = {"status": "registered", "expires_on": "2027-01-31"}
    assert effective_status(seeker, date(2027, 1, 31)) == "registered"
    assert effective_status(seeker, date(2027, 2, 1)) == "lapsed"
    assert effective_status({**seeker, "status": "cancelled"}, date(2027, 2, 1)) == "cancelled"


# --- what employers see --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "today", "band"),
    [
        (date(2000, 6, 1), date(2025, 6, 1), "25-29"),
        (date(2000, 6, 2), date(2025, 6, 1), "20-24"),  # 24 until the birthday
        (date(1996, 2, 29), date(2026, 2, 28), "25-29"),  # a leap-day birthday: 29 on 28 Feb
        (date(1996, 2, 29), date(2026, 3, 1), "30-34"),
        (date(1960, 1, 1), date(2026, 11, 24), "65-69"),
    ],
)
def test_age_bands_are_five_years_wide(born, today, band):
    assert age_band(born, today) == band


def test_the_matching_profile_has_no_personal_data():
    seeker = {
        "seeker_id": "s1",
        "name": "山田 太郎",
        "birth_date": "1990-05-06",
        "address": "東京都新宿区1-2-3",
        "phone": "03-1234-5678",
        "profile": {
            "desired_occupations": ["C"],
            "work_history": [
                {
                    "company": "秘密商事株式会社",
                    "occupation": "経理事務",
                    "from": "2018-04",
                    "to": "2023-03",
                    "description": "秘密商事で月次決算",
                },
            ],
            "self_pr": "丁寧です。",
        },
    }
    public = matching_profile(seeker, date(2026, 11, 24)).model_dump_json()
    for secret in ("山田", "1990", "新宿区1-2-3", "03-1234", "秘密商事"):
        assert secret not in public
    assert '"age_band":"35-39"' in public and "経理事務 2018-04〜2023-03" in public
