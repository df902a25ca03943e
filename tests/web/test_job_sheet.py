"""Unit: the 求人票 on the posting page shows every group the posting fills, the fixed overtime
pay apart from the base wage, and a posting written before the groups (free-text hours) as it
was."""

from __future__ import annotations

from typing import Any

from web.deps import make_templates

BASE: dict[str, Any] = {
    "job_id": "a" * 32,
    "job_number": "13010-00000001",
    "status": "open",
    "title": "Webエンジニア",
    "description": "自社サービスの開発。",
    "employer_name": "株式会社テスト",
    "occupation_name": "情報処理・通信技術者",
    "employment_type": "full_time",
    "places": [{"prefecture_name": "東京都", "municipality": "新宿区", "nearest_station": None}],
    "wage_min": 250000,
    "wage_max": 300000,
    "wage_unit": "monthly",
    "overtime": True,
    "overtime_hours_monthly": 10,
    "days_off": ["sat", "sun"],
    "public_holidays_off": True,
    "two_day_weekend": "every_week",
    "insurance": ["employment", "workers_comp", "health", "pension"],
    "openings": 1,
    "remote": "none",
    "accepts_online_referral": True,
    "accepts_direct_application": False,
    "published_at": "2026-12-01T00:00:00Z",
    "valid_until": "2027-02-28",
}
SHEET: dict[str, Any] = {
    "trial_period": {"months": 3, "conditions_differ": True, "conditions_note": "時給1,300円"},
    "fixed_overtime_pay": {"amount": 30000, "hours": 20, "note": None},
    "commuting_allowance": {"kind": "capped", "amount": 30000},
    "pay_closing_day": "end",
    "pay_day": {"month": "next", "day": 25},
    "raises": {"available": True, "note": "前年度実績あり"},
    "paid_leave_days": 10,
    "retirement": {"age": 60, "reemployment": True, "reemployment_until": 65, "extension": False},
    "car_commute": {"allowed": True, "parking": "free"},
    "transfer_possible": False,
    "smoking_measures": {"measure": "indoors", "note": None},
    "working_shifts": [
        {"start": "09:00", "end": "18:00", "break_minutes": 60},
        {"start": "22:00", "end": "07:00", "break_minutes": 60},
    ],
    "establishment": {"employees_site": 30, "employees_total": 120, "capital": 10000000},
    "selection_methods": {
        "documents": True,
        "interview": True,
        "written_test": False,
        "result_within_days": 7,
        "documents_to_send": ["履歴書", "職務経歴書"],
    },
    "special_notes": "未経験歓迎 <b>",
}


def render(job: dict[str, Any]) -> str:
    template = make_templates().from_string(
        '{% import "job_sheet.html" as sheet %}{{ sheet.sheet(job, "正社員") }}'
    )
    return template.render(job=job)


def test_every_group_is_shown() -> None:
    html = render({**BASE, **SHEET})
    for text in (
        "求人事業所", "仕事内容", "賃金・手当", "労働時間", "その他の労働条件等", "選考等",
        "あり（3か月）", "期間中の労働条件：異なる（時給1,300円）",
        "月額 30,000円（時間外労働 20時間分）", "固定残業代は基本給に含まれません",
        "実費支給（上限あり）　月額 30,000円", "毎月月末", "翌月25日", "6か月経過後 10日",
        "あり（一律 60歳）", "上限 65歳まで", "可（駐車場あり（無料））", "あり（屋内禁煙）",
        "(1) 09:00〜18:00（休憩 60分）", "(2) 22:00〜翌07:00（休憩 60分）",
        "企業全体 120人／就業場所 30人", "10,000,000円", "書類選考・面接", "7日以内",
        "履歴書、職務経歴書", "未経験歓迎 &lt;b&gt;",
    ):  # fmt: skip
        assert text in html, text
    assert '<dd id="sheet-transfer">なし</dd>' in html


def test_a_posting_written_before_the_groups_reads_as_it_was() -> None:
    html = render({**BASE, "working_hours": "9:00〜18:00（休憩60分）"})
    assert "9:00〜18:00（休憩60分）" in html
    assert '<dd id="sheet-trial">なし</dd>' in html
    for absent in ("固定残業代", "通勤手当", "転勤の可能性", "受動喫煙対策", "特記事項"):
        assert absent not in html, absent
