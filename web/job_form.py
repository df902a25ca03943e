"""The employer's posting form (求人票) in Hello Work's groups: the form's flat fields, what they
become in the API body (nested groups: ``fixed_overtime_pay``, ``working_shifts``…), the values a
posting shows again in the form, and the API's field errors (dotted paths such as
``working_shifts.0.start``) placed at the form field they are about. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from web.reference import half_width

Body = dict[str, Any]
SHIFTS = 3
OTHER_PLACES = 4  # the API's limit
LICENSES = 10


@dataclass(frozen=True)
class FormField:
    name: str  # the form's field (and the element's id)
    path: tuple[str | int, ...]  # where it goes in the API body
    kind: str  # text, longtext, int, check, member (of a list), choice, tri (yes/no/unset),
    # lines, day
    label: str


def _f(name: str, kind: str, label: str, path: tuple[str | int, ...] | None = None) -> FormField:
    return FormField(name, path or (name,), kind, label)


def _g(group: str, key: str, kind: str, label: str) -> FormField:
    """A field of a group: ``<group>_<key>`` in the form, ``group.key`` in the API."""
    return _f(f"{group}_{key}", kind, label, (group, key))


BASIC = [
    _f("title", "text", "職種（求人のタイトル）"),
    _f("description", "longtext", "仕事内容"),
    _f("occupation_code", "choice", "職業分類"),
    _f("employment_type", "choice", "雇用形態"),
    _f("prefecture", "choice", "就業場所（都道府県）"),
    _f("municipality", "text", "就業場所（市区町村）"),
    _f("nearest_station", "text", "最寄り駅"),
    _f("wage_unit", "choice", "賃金の形態"),
    _f("wage_min", "int", "賃金（下限）"),
    _f("wage_max", "int", "賃金（上限）"),
    _f("working_hours", "text", "就業時間（以前の記載）"),
    _f("openings", "int", "採用人数"),
    _f("accepts_online_referral", "check", "ハローワーク紹介（オンライン紹介）"),
    _f("accepts_direct_application", "check", "直接応募（オンライン自主応募）"),
]
# 応募資格 (in the 仕事内容 group of a 求人票): age limit with its legal reason, education,
# experience, licences
QUALIFICATIONS = [
    _f("age_min", "int", "年齢制限（下限・歳）"),
    _f("age_max", "int", "年齢制限（上限・歳）"),
    _f("age_limit_reason", "choice", "年齢制限の理由（例外事由）"),
    _f("education_required", "choice", "学歴"),
    _f("experience_required", "check", "必要な経験あり"),
    _f("experience_note", "text", "必要な経験の内容"),
    _f("licenses_required", "lines", "必要な免許・資格"),
]
# the scalar conditions the form shows beside the groups
CONDITIONS = [
    _f("bonus", "check", "賞与あり"),
    _f("public_holidays_off", "check", "祝日は休み"),
    _f("overtime", "check", "時間外労働あり"),
    _f("overtime_hours_monthly", "int", "時間外労働（月平均の時間）"),
    _f("annual_holidays", "int", "年間休日数"),
    _f("two_day_weekend", "choice", "週休二日制"),
    _f("paid_leave_days", "int", "年次有給休暇（6か月経過後の日数）"),
    _f("pay_closing_day", "day", "賃金締切日"),
    _f("transfer_possible", "tri", "転勤の可能性"),
    _f("special_notes", "longtext", "求人に関する特記事項"),
]
INSURANCE = {"employment": "雇用保険", "workers_comp": "労災保険", "health": "健康保険",
             "pension": "厚生年金"}  # fmt: skip
# each group: its fields; a group none of whose fields is filled is left out (null on a change)
GROUPS: dict[str, list[FormField]] = {
    "trial_period": [
        _g("trial_period", "months", "int", "試用期間（月）"),
        _g("trial_period", "conditions_differ", "check", "試用期間中の労働条件が異なる"),
        _g("trial_period", "conditions_note", "text", "試用期間中の労働条件"),
    ],
    "fixed_overtime_pay": [
        _g("fixed_overtime_pay", "amount", "int", "固定残業代（月額）"),
        _g("fixed_overtime_pay", "hours", "int", "固定残業代の時間数"),
    ],
    "commuting_allowance": [
        _g("commuting_allowance", "kind", "choice", "通勤手当"),
        _g("commuting_allowance", "amount", "int", "通勤手当（月額・上限）"),
    ],
    "pay_day": [
        _g("pay_day", "month", "choice", "賃金支払日（月）"),
        _g("pay_day", "day", "day", "賃金支払日（日）"),
    ],
    "raises": [_g("raises", "available", "tri", "昇給")],
    "retirement": [
        _g("retirement", "age", "int", "定年（歳）"),
        _g("retirement", "reemployment", "check", "再雇用制度あり"),
        _g("retirement", "reemployment_until", "int", "再雇用の上限（歳）"),
        _g("retirement", "extension", "check", "勤務延長あり"),
        _g("retirement", "extension_until", "int", "勤務延長の上限（歳）"),
    ],
    "car_commute": [_g("car_commute", "allowed", "tri", "マイカー通勤")],
    "smoking_measures": [
        _g("smoking_measures", "measure", "choice", "受動喫煙対策")
    ],
    "establishment": [
        _g("establishment", "employees_total", "int", "従業員数（企業全体）"),
        _g("establishment", "employees_site", "int", "従業員数（就業場所）"),
        _g("establishment", "founded_year", "int", "設立年"),
        _g("establishment", "capital", "int", "資本金（円）"),
        _g("establishment", "business", "longtext", "事業内容"),
        _g("establishment", "features", "longtext", "会社の特長"),
    ],
    "selection_methods": [
        _g("selection_methods", "documents", "check", "書類選考"),
        _g("selection_methods", "interview", "check", "面接"),
        _g("selection_methods", "written_test", "check", "筆記試験"),
        _g("selection_methods", "result_within_days", "int", "選考結果の通知（日以内）"),
        _g("selection_methods", "documents_to_send", "lines", "応募書類"),
    ],
}  # fmt: skip
SHIFT_FIELDS = [
    _f(f"working_shifts_{i}_{part}", kind, f"就業時間（{i + 1}）{label}", ("working_shifts", i, part))
    for i in range(SHIFTS)
    for part, kind, label in (
        ("start", "time", "始業"),
        ("end", "time", "終業"),
        ("break_minutes", "int", "休憩（分）"),
    )
]  # fmt: skip
PLACE_FIELDS = [
    _f(f"other_places_{i}_{part}", kind, f"ほかの就業場所（{i + 1}）{label}", ("other_places", i, part))
    for i in range(OTHER_PLACES)
    for part, kind, label in (
        ("prefecture", "choice", "都道府県"),
        ("municipality", "text", "市区町村"),
        ("nearest_station", "text", "最寄り駅"),
    )
]  # fmt: skip
WEEKDAYS = {
    "mon": "月",
    "tue": "火",
    "wed": "水",
    "thu": "木",
    "fri": "金",
    "sat": "土",
    "sun": "日",
}
INSURANCE_FIELDS = [_f(f"insurance_{k}", "member", v, ("insurance",)) for k, v in INSURANCE.items()]
DAYS_OFF_FIELDS = [_f(f"days_off_{k}", "member", f"休日（{v}曜日）", ("days_off",)) for k, v in WEEKDAYS.items()]  # fmt: skip
ALL = [
    *BASIC,
    *QUALIFICATIONS,
    *CONDITIONS,
    *SHIFT_FIELDS,
    *PLACE_FIELDS,
    *INSURANCE_FIELDS,
    *DAYS_OFF_FIELDS,
    *(f for g in GROUPS.values() for f in g),
]
BY_NAME = {f.name: f for f in ALL}
LABELS = {f.name: f.label for f in ALL}
REQUIRED_TEXT = ("title", "description", "municipality")
REQUIRED_CHOICE = ("occupation_code", "prefecture", "employment_type", "wage_unit")

TWO_DAY_WEEKEND = [
    ("every_week", "毎週（完全週休二日制）"),
    ("biweekly", "隔週"),
    ("monthly", "月1〜3回"),
    ("other", "その他"),
    ("none", "なし"),
]
COMMUTING = [
    ("actual", "実費支給（上限なし）"),
    ("capped", "実費支給（上限あり）"),
    ("fixed", "定額"),
    ("none", "なし"),
]
SMOKING = [
    ("premises", "あり（敷地内禁煙）"),
    ("indoors", "あり（屋内禁煙）"),
    ("smoking_room", "あり（喫煙室設置）"),
    ("other", "あり（その他）"),
    ("none", "なし"),
]
# 労働施策総合推進法施行規則 第1条の3 第1項: the exceptions that allow an age limit
AGE_LIMIT_REASONS = [
    ("1", "1号：定年年齢を上限として、期間の定めのない労働契約で募集する"),
    ("2a", "2号イ：法令の規定により年齢制限がある"),
    ("2b", "2号ロ：長期勤続によるキャリア形成のため、若年者等を期間の定めのない労働契約で募集する"),
    (
        "2c",
        "2号ハ：技能・ノウハウの継承のため、労働者の少ない特定の年齢層に限り期間の定めのない労働契約で募集する",
    ),
    ("2d", "2号ニ：芸術・芸能の分野で表現の真実性等のため特定の年齢層に限る"),
    ("3a", "3号イ：60歳以上の高年齢者に限る"),
    ("3b", "3号ロ：特定の年齢層の雇用を促進する国の施策の対象者に限る"),
]
EDUCATION = [
    ("none", "不問"),
    ("high_school", "高校卒以上"),
    ("vocational", "専修学校卒以上"),
    ("junior_college", "短大・高専卒以上"),
    ("university", "大学卒以上"),
    ("graduate", "大学院修了以上"),
]
PAY_MONTH = [("same", "当月"), ("next", "翌月")]
DAYS = [*((str(d), f"{d}日") for d in range(1, 31)), ("end", "月末")]
TRI = [("yes", "あり"), ("no", "なし")]
CAR = [("yes", "可"), ("no", "不可")]
CHOICES = {
    "two_day_weekend": TWO_DAY_WEEKEND,
    "commuting_allowance_kind": COMMUTING,
    "smoking_measures_measure": SMOKING,
    "pay_day_month": PAY_MONTH,
    "pay_closing_day": DAYS,
    "pay_day_day": DAYS,
    "transfer_possible": TRI,
    "raises_available": TRI,
    "car_commute_allowed": CAR,
    "age_limit_reason": AGE_LIMIT_REASONS,
    "education_required": EDUCATION,
}


# --- values of a posting, shown in the form --------------------------------------------------


def _get(job: Body, path: tuple[str | int, ...]) -> Any:
    value: Any = job
    for part in path:
        if isinstance(part, int):
            value = value[part] if isinstance(value, list) and len(value) > part else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def values_of(job: Body) -> Body:
    """A posting's values as the form's fields hold them."""
    out: Body = {}
    for f in ALL:
        value = _get(job, f.path)
        if f.kind == "member":
            out[f.name] = f.name.removeprefix(f"{f.path[0]}_") in (value or [])
        elif f.kind == "check":
            out[f.name] = bool(value)
        elif f.kind == "tri":
            out[f.name] = "" if value is None else "yes" if value else "no"
        elif f.kind == "lines":
            out[f.name] = "\n".join(value or [])
        else:
            out[f.name] = "" if value is None else str(value)
    return out


# --- the form → the API body -----------------------------------------------------------------


def _read(form: FormData) -> Body:
    values: Body = {}
    for f in ALL:
        if f.kind in ("check", "member"):
            values[f.name] = form.get(f.name) == "yes"
        elif f.kind in ("longtext", "lines"):
            raw = form.get(f.name)
            values[f.name] = raw.strip() if isinstance(raw, str) else ""
        else:
            raw = form.get(f.name)
            text = raw.strip() if isinstance(raw, str) else ""
            values[f.name] = half_width(text) if f.kind in ("int", "time", "day") else text
    return values


def _number(raw: str) -> int | None:
    text = raw.replace(",", "").replace("円", "").replace("人", "").replace("日", "").strip()
    return int(text) if text.isdigit() else None


def _time(raw: str) -> str | None:
    match = re.fullmatch(r"(\d{1,2})[:：時](\d{2})分?", raw)
    if not match:
        return None
    return f"{int(match[1]):02d}:{match[2]}"


def _convert(f: FormField, raw: Any, errors: dict[str, list[str]]) -> Any:
    """A filled field's API value (None with an error when it cannot be read)."""
    if f.kind in ("check",):
        return bool(raw)
    if f.kind == "int":
        number = _number(raw)
        if number is None:
            errors[f.name] = ["数字で入力してください（例：250000）。"]
        return number
    if f.kind == "time":
        at = _time(raw)
        if at is None:
            errors[f.name] = ["時刻は 9:00 のように入力してください。"]
        return at
    if f.kind == "day":
        if raw == "end":
            return "end"
        number = _number(raw)
        if number is None:
            errors[f.name] = ["日を選んでください。"]
        return number
    if f.kind == "tri":
        return raw == "yes"
    if f.kind == "lines":
        items = [p.strip() for p in re.split(r"[\n、,，]", raw) if p.strip()]
        return items
    return raw


def _filled(f: FormField, raw: Any) -> bool:
    return bool(raw) if f.kind in ("check", "member") else raw not in ("", None)


def parse(form: FormData, *, job: Body | None) -> tuple[Body, Body, dict[str, list[str]]]:
    """(API body, values to show again, errors found here). On a change (``job``) every field
    is sent, an emptied one cleared; a group keeps what the form does not show of it."""
    change = job is not None
    values = _read(form)
    errors: dict[str, list[str]] = {}
    body: Body = {}
    for name in REQUIRED_TEXT:
        if not values[name]:
            errors[name] = [f"{LABELS[name]}を入力してください。"]
    for name in REQUIRED_CHOICE:
        if not values[name]:
            errors[name] = [f"{LABELS[name]}を選択してください。"]
    if not values["wage_min"]:
        errors["wage_min"] = ["賃金の下限を入力してください。"]
    for f in [*BASIC, *QUALIFICATIONS, *CONDITIONS]:
        raw = values[f.name]
        if f.name in errors:
            continue
        if _filled(f, raw) or f.kind in ("check", "tri"):
            if f.kind == "tri" and not raw:
                if change:
                    body[f.name] = None
                continue
            value = _convert(f, raw, errors)
            if f.name not in errors:
                body[f.name] = value
        elif change and f.name not in ("openings",):
            body[f.name] = None
    # fields the API does not take as null: their "not stated"
    if body.get("two_day_weekend") is None:
        body["two_day_weekend"] = "none"
    if body.get("education_required") is None:
        body["education_required"] = "none"
    licenses = body.get("licenses_required") or []
    body["licenses_required"] = licenses
    if len(licenses) > LICENSES:
        errors["licenses_required"] = [f"免許・資格は{LICENSES}件までにしてください。"]
    age_limited = any(values[n] for n in ("age_min", "age_max"))
    if age_limited and not values["age_limit_reason"] and "age_limit_reason" not in errors:
        errors["age_limit_reason"] = [
            "年齢制限を設ける場合は、その理由（例外事由）を選んでください。"
        ]
    if values["age_limit_reason"] and not age_limited:
        errors["age_limit_reason"] = ["年齢制限がないときは「年齢制限なし」を選んでください。"]
    body["insurance"] = [k for k in INSURANCE if values[f"insurance_{k}"]]
    body["days_off"] = [k for k in WEEKDAYS if values[f"days_off_{k}"]]

    places = []
    for i in range(OTHER_PLACES):
        row = [f for f in PLACE_FIELDS if f.path[1] == i]
        if not any(values[f.name] for f in row):
            continue
        place: Body = {}
        for f in row:
            part = str(f.path[2])
            if values[f.name]:
                place[part] = values[f.name]
            elif part == "prefecture":
                errors[f.name] = ["ほかの就業場所の都道府県を選択してください。"]
            elif part == "municipality":
                errors[f.name] = ["ほかの就業場所の市区町村を入力してください。"]
        places.append(place)
    body["other_places"] = places

    shifts = []
    for i in range(SHIFTS):
        row = [f for f in SHIFT_FIELDS if f.path[1] == i]
        if not any(values[f.name] for f in row[:2]):
            continue
        shift: Body = {}
        for f in row:
            if not values[f.name]:
                if f.path[2] != "break_minutes":
                    errors[f.name] = ["始業と終業の時刻を入力してください。"]
                continue
            value = _convert(f, values[f.name], errors)
            if value is not None:
                shift[str(f.path[2])] = value
        shifts.append(shift)
    body["working_shifts"] = shifts

    for group, fields in GROUPS.items():
        before = (job or {}).get(group) or {}
        if not any(_filled(f, values[f.name]) for f in fields):
            if change or group in body:
                body[group] = None
            continue
        out: Body = dict(before) if isinstance(before, dict) else {}
        for f in fields:
            key = str(f.path[1])
            raw = values[f.name]
            if _filled(f, raw) or f.kind == "check":
                value = _convert(f, raw, errors)
                if f.name not in errors:
                    out[key] = value
            else:
                out.pop(key, None)
        body[group] = out
    if not change:
        body = {k: v for k, v in body.items() if v is not None}
    return body, values, errors


# --- the API's errors at the form's fields -----------------------------------------------------


def place_errors(problem_errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Field-level API errors at the form field they are about: ``pay_day.day`` → pay_day_day;
    a group's own error (``fixed_overtime_pay``) at the group's last field it names; a
    whole-body one ("") at the upper wage or in the summary."""
    out: dict[str, list[str]] = {}
    for err in problem_errors:
        path = str(err.get("field") or "")
        message = str(err.get("message") or "")
        out.setdefault(_target(path, message), []).append(message)
    return out


def _target(path: str, message: str) -> str:
    if not path:
        return "wage_max" if "賃金" in message else ""
    parts = path.split(".")
    while parts:
        name = "_".join(parts)
        if name in BY_NAME:
            return name
        inside = [n for n in BY_NAME if n.startswith(name + "_")]
        if inside:
            return _best(parts[0], inside)
        parts.pop()
    return ""


# which field of a group its own errors belong to
_GROUP_TARGET = {
    "fixed_overtime_pay": "fixed_overtime_pay_hours",
    "commuting_allowance": "commuting_allowance_amount",
    "trial_period": "trial_period_conditions_note",
    "retirement": "retirement_age",
    "establishment": "establishment_employees_site",
}


def _best(group: str, inside: list[str]) -> str:
    wanted = _GROUP_TARGET.get(group)
    if wanted in inside:
        return wanted
    ends = [n for n in inside if n.endswith("_end")]
    return ends[0] if ends else inside[0]
