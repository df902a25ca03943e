"""Unit: the employer's posting form in the 求人票's groups — what the form sends becomes the
API body (groups left out when empty, cleared on a change), a posting's values come back into
the form, and the API's dotted field errors land at the form field they are about."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from web import job_form
from web.deps import make_templates

FORM = {
    "title": "Webエンジニア",
    "description": "自社サービスの開発。",
    "occupation_code": "10",
    "employment_type": "full_time",
    "prefecture": "13",
    "municipality": "新宿区",
    "wage_unit": "monthly",
    "wage_min": "２５００００",
    "openings": "1",
    "accepts_online_referral": "yes",
    "fixed_overtime_pay_amount": "30,000",
    "fixed_overtime_pay_hours": "20",
    "commuting_allowance_kind": "capped",
    "commuting_allowance_amount": "30000",
    "pay_closing_day": "end",
    "pay_day_month": "next",
    "pay_day_day": "25",
    "raises_available": "yes",
    "working_shifts_0_start": "９：００",
    "working_shifts_0_end": "18:00",
    "working_shifts_0_break_minutes": "60",
    "working_shifts_1_start": "22:00",
    "working_shifts_1_end": "7:00",
    "overtime": "yes",
    "overtime_hours_monthly": "10",
    "annual_holidays": "120",
    "two_day_weekend": "every_week",
    "trial_period_months": "3",
    "insurance_employment": "yes",
    "insurance_health": "yes",
    "retirement_age": "60",
    "retirement_reemployment": "yes",
    "retirement_reemployment_until": "65",
    "car_commute_allowed": "no",
    "transfer_possible": "no",
    "smoking_measures_measure": "indoors",
    "establishment_employees_total": "120",
    "selection_methods_interview": "yes",
    "selection_methods_documents_to_send": "履歴書\n職務経歴書、ハローワーク紹介状",
    "special_notes": "未経験歓迎",
    "age_max": "３５",
    "age_limit_reason": "2b",
    "education_required": "high_school",
    "experience_required": "yes",
    "experience_note": "接客の経験 1年以上",
    "licenses_required": "普通自動車第一種運転免許\nフォークリフト運転技能者",
    "days_off_sat": "yes",
    "days_off_sun": "yes",
    "public_holidays_off": "yes",
    "other_places_0_prefecture": "14",
    "other_places_0_municipality": "横浜市",
    "other_places_1_prefecture": "11",
    "other_places_1_municipality": "さいたま市",
    "other_places_1_nearest_station": "大宮駅",
}


def form(**changes: str) -> FormData:
    return FormData({**FORM, **changes})


def test_the_form_becomes_the_groups_of_the_api_body() -> None:
    body, _, errors = job_form.parse(form(), job=None)
    assert errors == {}
    assert body["wage_min"] == 250000
    assert body["fixed_overtime_pay"] == {"amount": 30000, "hours": 20}
    assert body["commuting_allowance"] == {"kind": "capped", "amount": 30000}
    assert body["pay_closing_day"] == "end" and body["pay_day"] == {"month": "next", "day": 25}
    assert body["raises"] == {"available": True}
    assert body["working_shifts"] == [
        {"start": "09:00", "end": "18:00", "break_minutes": 60},
        {"start": "22:00", "end": "07:00"},
    ]
    assert body["trial_period"] == {"months": 3, "conditions_differ": False}
    assert body["insurance"] == ["employment", "health"]
    assert body["retirement"] == {
        "age": 60,
        "reemployment": True,
        "reemployment_until": 65,
        "extension": False,
    }
    assert body["car_commute"] == {"allowed": False} and body["transfer_possible"] is False
    assert body["establishment"] == {"employees_total": 120}
    assert body["selection_methods"]["documents_to_send"] == [
        "履歴書",
        "職務経歴書",
        "ハローワーク紹介状",
    ]
    assert body["selection_methods"]["interview"] is True
    # 応募資格, days off, the other work places
    assert body["age_max"] == 35 and body["age_limit_reason"] == "2b" and "age_min" not in body
    assert body["education_required"] == "high_school"
    assert body["experience_required"] is True and body["experience_note"] == "接客の経験 1年以上"
    assert body["licenses_required"] == ["普通自動車第一種運転免許", "フォークリフト運転技能者"]
    assert body["days_off"] == ["sat", "sun"] and body["public_holidays_off"] is True
    assert body["other_places"] == [
        {"prefecture": "14", "municipality": "横浜市"},
        {"prefecture": "11", "municipality": "さいたま市", "nearest_station": "大宮駅"},
    ]
    # a new posting leaves out what is not filled
    assert "paid_leave_days" not in body and "working_hours" not in body


def test_nothing_stated_is_the_api_default_and_a_change_clears_it() -> None:
    empty = {k: "" for k in FORM if k.startswith(("age_", "education", "experience", "licenses",
                                                  "days_off", "public", "other_places"))}  # fmt: skip
    body, _, errors = job_form.parse(form(**empty), job=None)
    assert errors == {}
    assert body["education_required"] == "none" and body["licenses_required"] == []
    assert body["days_off"] == [] and body["other_places"] == []
    assert body["experience_required"] is False and "age_max" not in body
    job = {"age_max": 35, "age_limit_reason": "2b", "experience_note": "接客"}
    body, _, errors = job_form.parse(form(**empty), job=job)
    assert errors == {}
    assert body["age_max"] is None and body["age_limit_reason"] is None
    assert body["experience_note"] is None and body["licenses_required"] == []


def test_an_age_limit_needs_its_reason_and_a_place_its_municipality() -> None:
    _, values, errors = job_form.parse(
        form(age_limit_reason="", other_places_1_municipality="", licenses_required="免許\n" * 11),
        job=None,
    )
    assert set(errors) == {"age_limit_reason", "other_places_1_municipality", "licenses_required"}
    assert "例外事由" in errors["age_limit_reason"][0]
    assert values["age_max"] == "35" and values["other_places_1_prefecture"] == "11"  # kept
    _, _, errors = job_form.parse(form(age_max="", age_limit_reason="1"), job=None)
    assert set(errors) == {"age_limit_reason"}


def test_a_change_clears_emptied_groups_and_keeps_what_the_form_does_not_show() -> None:
    job = {"raises": {"available": True, "note": "前年度実績あり"}, "trial_period": {"months": 3}}
    body, _, errors = job_form.parse(form(trial_period_months="", raises_available="no"), job=job)
    assert errors == {}
    assert body["trial_period"] is None and body["paid_leave_days"] is None
    assert body["raises"] == {"available": False, "note": "前年度実績あり"}


def test_what_cannot_be_read_is_said_at_its_field_and_kept() -> None:
    _, values, errors = job_form.parse(
        form(working_shifts_2_start="朝", wage_min="たくさん", annual_holidays="百"), job=None
    )
    assert set(errors) == {"working_shifts_2_start", "working_shifts_2_end", "wage_min",
                           "annual_holidays"}  # fmt: skip
    assert values["working_shifts_2_start"] == "朝" and values["wage_min"] == "たくさん"


def test_a_posting_comes_back_into_the_form() -> None:
    body, _, _ = job_form.parse(form(), job=None)
    values = job_form.values_of(body)
    assert values["working_shifts_1_end"] == "07:00" and values["pay_closing_day"] == "end"
    assert values["transfer_possible"] == "no" and values["insurance_health"] is True
    assert values["selection_methods_documents_to_send"] == "履歴書\n職務経歴書\nハローワーク紹介状"
    assert values["days_off_sat"] is True and values["days_off_mon"] is False
    assert values["other_places_1_nearest_station"] == "大宮駅" and values["age_max"] == "35"
    assert values["licenses_required"] == "普通自動車第一種運転免許\nフォークリフト運転技能者"
    again, _, errors = job_form.parse(FormData(_as_form(values)), job=body)
    assert errors == {}
    assert {k: again[k] for k in body} == body


def _as_form(values: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in values.items():
        if isinstance(v, bool):
            if v:
                out[k] = "yes"
        elif v:
            out[k] = str(v)
    return out


def test_api_errors_land_at_their_fields() -> None:
    placed = job_form.place_errors(
        [
            {"field": "fixed_overtime_pay", "message": "時間数が必要です。"},
            {"field": "pay_day.day", "message": "日"},
            {"field": "working_shifts.1", "message": "同じ時刻"},
            {"field": "working_shifts.0.start", "message": "形式"},
            {"field": "selection_methods.documents_to_send.3", "message": "長すぎます。"},
            {"field": "wage_min", "message": "最低賃金"},
            {"field": "", "message": "賃金の上限は下限以上にしてください。"},
            {"field": "age_limit_reason", "message": "例外事由"},
            {"field": "other_places.1.municipality", "message": "市区町村"},
            {"field": "licenses_required.2", "message": "100文字"},
        ]
    )
    assert placed == {
        "fixed_overtime_pay_hours": ["時間数が必要です。"],
        "pay_day_day": ["日"],
        "working_shifts_1_end": ["同じ時刻"],
        "working_shifts_0_start": ["形式"],
        "selection_methods_documents_to_send": ["長すぎます。"],
        "wage_min": ["最低賃金"],
        "wage_max": ["賃金の上限は下限以上にしてください。"],
        "age_limit_reason": ["例外事由"],
        "other_places_1_municipality": ["市区町村"],
        "licenses_required": ["100文字"],
    }


def test_the_form_renders_every_group_with_what_was_typed() -> None:
    _, values, errors = job_form.parse(form(fixed_overtime_pay_hours=""), job=None)
    errors["fixed_overtime_pay_hours"] = ["固定残業代を記載する場合は、その時間数が必要です。"]
    html = (
        make_templates()
        .get_template("employer_job_form.html")
        .render(
            job=None,
            values=values,
            errors=errors,
            error="入力内容に誤りがあります。",
            labels=job_form.LABELS,
            occupation_groups=[],
            wage_units=[("monthly", "月給")],
            choices=job_form.CHOICES,
            insurance=job_form.INSURANCE,
            shifts=range(job_form.SHIFTS),
            places=range(job_form.OTHER_PLACES),
            weekdays=job_form.WEEKDAYS,
            csrf_token="t",
            helpdesk={"phone": "0120-000-000", "hours": "", "email": ""},
        )
    )
    for legend in ("賃金・手当", "労働時間", "その他の労働条件等", "事業所情報", "選考等"):
        assert f"<legend>{legend}</legend>" in html
    assert 'id="fixed_overtime_pay_hours"' in html and 'aria-invalid="true"' in html
    assert 'value="30000"' in html  # what was typed, as read (half-width)
    assert 'value="22:00"' in html and "未経験歓迎" in html
    assert '<option value="indoors" selected>' in html
    assert '<option value="2b" selected>' in html and 'id="days_off_sat"' in html
    assert 'value="さいたま市"' in html and "フォークリフト運転技能者" in html
    assert '<option value="high_school" selected>' in html
