"""Search conditions as the web client handles them, without I/O: read from a query string or a
POSTed form (``read_conditions``: what a person typed, normalised, and its errors), in the API's
form (``saved_conditions``, ``api_params``: a search and a saved search), turned back into a search
link (``search_url``) and described in Japanese (``describe``); the orders to choose from. Used by
the search page (pages_jobs) and the saved searches (pages_seeker)."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any, Protocol
from urllib.parse import urlencode

from web.reference import EMPLOYMENT_TYPE_NAMES, PREFECTURE_CODES, PREFECTURES, half_width

WAGE_UNIT_CHOICES = [("monthly", "月給"), ("daily", "日給"), ("hourly", "時給")]
NEW_WITHIN_CHOICES = [("1", "1日以内"), ("3", "3日以内"), ("7", "1週間以内"), ("14", "2週間以内"),
                      ("30", "1か月以内")]  # fmt: skip
SORT_CHOICES = [("relevance", "関連度順"), ("new", "新着順"), ("wage", "賃金順"),
                ("deadline", "締切順")]  # fmt: skip
# the yes/no conditions: (name, label); unchecked means "either"
FLAGS = [
    ("accepts_direct_application", "オンライン自主応募ができる求人"),
    ("remote", "リモートワーク可"),
    ("no_experience_required", "未経験可（経験不問）"),
    ("car_commute", "マイカー通勤可"),
    ("no_transfer", "転勤なし"),
    ("no_trial_period", "試用期間なし"),
    ("no_age_limit", "年齢不問"),
    ("insurance_complete", "雇用・労災・健康・厚生年金あり"),
]
# the conditions chosen from a list: (name, label, choices); "" means not set
ANNUAL_HOLIDAY_CHOICES = [(str(n), f"{n}日以上") for n in (105, 110, 115, 120, 125)]
TWO_DAY_WEEKEND_CHOICES = [("any", "週休二日制"), ("every_week", "完全週休二日制（毎週）")]
OVERTIME_CHOICES = [("0", "なし"), ("10", "月10時間以内"), ("20", "月20時間以内"),
                    ("30", "月30時間以内")]  # fmt: skip
CHOICES = [
    ("annual_holidays_min", "年間休日", ANNUAL_HOLIDAY_CHOICES),
    ("two_day_weekend", "週休二日制", TWO_DAY_WEEKEND_CHOICES),
    ("overtime_max", "時間外労働", OVERTIME_CHOICES),
]
NUMBER_CHOICES = ("annual_holidays_min", "overtime_max")
# where the keywords are looked for; none (or all) ticked: everywhere
FIELD_CHOICES = [("title", "職種名"), ("duties", "仕事内容"), ("company", "事業所名")]
JOB_NUMBERS_MAX = 5
MUNICIPALITIES_MAX = 5
MUNICIPALITY_LENGTH = 40
JOB_NUMBER = re.compile(r"^(\d{5})-?(\d{8})$")
PREFECTURE_NAMES = dict(PREFECTURES)
WAGE_UNIT_NAMES = dict(WAGE_UNIT_CHOICES)
NEW_WITHIN_NAMES = dict(NEW_WITHIN_CHOICES)
SORT_NAMES = dict(SORT_CHOICES)
FIELD_NAMES = dict(FIELD_CHOICES)


class Params(Protocol):
    """A query string or a POSTed form."""

    def getlist(self, key: str) -> list[Any]: ...


# --- conditions --------------------------------------------------------------------------------


def _values(params: Params, name: str, limit: int = 200) -> list[str]:
    out = []
    for raw in params.getlist(name):
        if isinstance(raw, str) and raw.strip():
            out.append(raw.strip()[:limit])
    return out


def _first(params: Params, name: str, limit: int = 200) -> str:
    values = _values(params, name, limit)
    return values[0] if values else ""


def read_wage(raw: str) -> int | None:
    """ "２５００００", "250,000円", "25万" → 250000; ValueError when it is not an amount."""
    text = re.sub(r"[\s,円¥]", "", half_width(raw))
    if not text:
        return None
    man = text.endswith("万")
    text = text.removesuffix("万")
    if not text.isdigit():
        raise ValueError(text)
    amount = int(text) * (10_000 if man else 1)
    if not 1 <= amount <= 10_000_000:
        raise ValueError(text)
    return amount


def read_job_numbers(raw: str) -> list[str]:
    """ "13010-12345678　２７０１０１２３４５６７８" → ["13010-12345678", "27010-12345678"]
    (spaces, commas or 、 between; the hyphen optional); ValueError with the Japanese message
    when one is not a job number or there are more than five."""
    words = [w for w in re.split(r"[\s,、]+", half_width(raw).replace("－", "-")) if w]
    numbers: list[str] = []
    for word in words:
        match = JOB_NUMBER.match(word)
        if not match:
            raise ValueError(
                f"求人番号は「13010-12345678」の形（5桁-8桁）で入力してください。（{word[:20]}）"
            )
        number = f"{match[1]}-{match[2]}"
        if number not in numbers:
            numbers.append(number)
    if len(numbers) > JOB_NUMBERS_MAX:
        raise ValueError(f"求人番号は{JOB_NUMBERS_MAX}件まで指定できます。")
    return numbers


def read_municipalities(raw: str) -> list[str]:
    """ "新宿区　渋谷区、大阪市北区" → ["新宿区", "渋谷区", "大阪市北区"]; ValueError with the
    Japanese message past five names or a name too long."""
    names = list(dict.fromkeys(w for w in re.split(r"[\s,、]+", half_width(raw)) if w))
    if len(names) > MUNICIPALITIES_MAX:
        raise ValueError(f"市区町村は{MUNICIPALITIES_MAX}つまで指定できます。")
    if any(len(name) > MUNICIPALITY_LENGTH for name in names):
        raise ValueError(f"市区町村名は{MUNICIPALITY_LENGTH}文字までで入力してください。")
    return names


def read_conditions(
    params: Params, occupation_codes: Collection[str]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The conditions of a search form (anything the form cannot send is dropped rather than
    refused: an occupation must be one of ``occupation_codes``) and the errors of what a person
    typed."""
    errors: dict[str, list[str]] = {}
    conditions: dict[str, Any] = {
        "q": " ".join(half_width(_first(params, "q")).split()),
        "prefecture": [p for p in _values(params, "prefecture") if p in PREFECTURE_CODES][:3],
        "occupation": [
            o
            for o in (half_width(v).upper() for v in _values(params, "occupation"))
            if o in occupation_codes
        ][:3],
        "employment_type": list(
            dict.fromkeys(
                t for t in _values(params, "employment_type") if t in EMPLOYMENT_TYPE_NAMES
            )
        ),
        "wage_min": None,
        "wage_min_text": _first(params, "wage_min", 20),
        "wage_unit": "",
        "new_within_days": "",
        "municipality": [],
        "municipality_text": " ".join(_values(params, "municipality", 200))[:200],
        "job_number": [],
        "job_number_text": " ".join(_values(params, "job_number", 200))[:200],
        "fields": [f for f, _ in FIELD_CHOICES if f in _values(params, "fields")],
    }
    unit = _first(params, "wage_unit")
    conditions["wage_unit"] = unit if unit in WAGE_UNIT_NAMES else ""
    try:
        conditions["wage_min"] = read_wage(conditions["wage_min_text"])
    except ValueError:
        errors["wage_min"] = ["賃金の下限は 1〜10,000,000 の数字で入力してください（例：200000）。"]
    if conditions["wage_min"] is not None and not conditions["wage_unit"]:
        conditions["wage_unit"] = "monthly"
    for name, read in (("municipality", read_municipalities), ("job_number", read_job_numbers)):
        try:
            conditions[name] = read(conditions[f"{name}_text"])
        except ValueError as exc:
            errors[name] = [str(exc)]
    if len(conditions["fields"]) == len(FIELD_CHOICES):
        conditions["fields"] = []  # every field: the same as none chosen
    days = half_width(_first(params, "new_within_days"))
    conditions["new_within_days"] = days if days in NEW_WITHIN_NAMES else ""
    for name, _ in FLAGS:
        conditions[name] = _first(params, name) in ("1", "true", "on", "yes")
    for name, _, choices in CHOICES:
        raw = half_width(_first(params, name, 20))
        conditions[name] = raw if raw in dict(choices) else ""
    return conditions, errors


def saved_conditions(conditions: dict[str, Any]) -> dict[str, Any]:
    """The conditions in the API's form, for search and saved searches: only those set."""
    out: dict[str, Any] = {}
    if conditions.get("q"):
        out["q"] = conditions["q"]
    for name in ("prefecture", "occupation", "employment_type"):
        if conditions.get(name):
            out[name] = list(conditions[name])
    if conditions.get("wage_min") is not None:
        out["wage_min"] = conditions["wage_min"]
        out["wage_unit"] = conditions.get("wage_unit") or "monthly"
    if conditions.get("new_within_days"):
        out["new_within_days"] = int(conditions["new_within_days"])
    for name, _ in FLAGS:
        if conditions.get(name):
            out[name] = True
    for name, _, _ in CHOICES:
        if conditions.get(name) not in (None, ""):
            value = conditions[name]
            out[name] = int(value) if name in NUMBER_CHOICES else value
    for name in ("municipality", "job_number", "fields"):
        if conditions.get(name):
            out[name] = list(conditions[name])
    return out


def api_params(conditions: dict[str, Any]) -> dict[str, Any]:
    """Query parameters of ``GET /api/v1/jobs`` (lists repeated, flags as "true")."""
    return {k: ("true" if v is True else v) for k, v in saved_conditions(conditions).items()}


def search_url(saved: dict[str, Any], **extra: str) -> str:
    """``/jobs?…`` for conditions in the API's form (a saved search's, or ``saved_conditions``)."""
    query: list[tuple[str, str]] = []
    for name, value in saved.items():
        if value is None or value is False or value == [] or value == "":
            continue
        if isinstance(value, list):
            query.extend((name, str(v)) for v in value)
        elif value is True:
            query.append((name, "1"))
        else:
            query.append((name, str(value)))
    query.extend((k, v) for k, v in extra.items() if v)
    return "/jobs?" + urlencode(query) if query else "/jobs"


def _listed(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def describe(saved: dict[str, Any], occupation_names: dict[str, str]) -> list[tuple[str, str]]:
    """The conditions in Japanese, as (label, value) pairs."""
    out: list[tuple[str, str]] = []
    if saved.get("q"):
        out.append(("キーワード", str(saved["q"])))
    if saved.get("fields"):
        names = [FIELD_NAMES.get(f, f) for f in _listed(saved["fields"])]
        out.append(("キーワードを探す項目", "・".join(names)))
    if saved.get("prefecture"):
        names = [PREFECTURE_NAMES.get(c, c) for c in saved["prefecture"]]
        out.append(("勤務地", "、".join(names)))
    if saved.get("municipality"):
        out.append(("市区町村", "、".join(_listed(saved["municipality"]))))
    if saved.get("occupation"):
        out.append(("職種", "、".join(occupation_names.get(c, c) for c in saved["occupation"])))
    if saved.get("employment_type"):
        names = [EMPLOYMENT_TYPE_NAMES.get(t, t) for t in saved["employment_type"]]
        out.append(("雇用形態", "、".join(names)))
    if saved.get("wage_min"):
        unit = WAGE_UNIT_NAMES.get(str(saved.get("wage_unit") or "monthly"), "")
        out.append(("賃金", f"{unit} {int(saved['wage_min']):,}円以上"))
    if saved.get("new_within_days"):
        days = str(saved["new_within_days"])
        out.append(("新着", NEW_WITHIN_NAMES.get(days, f"{days}日以内")))
    for name, label, choices in CHOICES:
        if saved.get(name) not in (None, ""):
            value = str(saved[name])
            out.append((label, dict(choices).get(value, value)))
    for name, label in FLAGS:
        if saved.get(name):
            out.append(("条件", label))
    if saved.get("job_number"):
        out.append(("求人番号", "、".join(_listed(saved["job_number"]))))
    return out or [("条件", "指定なし（すべての求人）")]


def folded_count(conditions: dict[str, Any]) -> int:
    """How many of the conditions in the folding panel are set (shown on its summary)."""
    flags = sum(1 for name, _ in FLAGS if conditions.get(name))
    others = ("wage_min", "new_within_days", "municipality", "job_number", "fields",
              *(name for name, _, _ in CHOICES))  # fmt: skip
    return flags + sum(1 for name in others if conditions.get(name) not in (None, "", []))


def read_sort(raw: str, q: str) -> str:
    """The order asked for; by default relevance when there are keywords, else newest first
    (relevance without keywords means nothing: newest first)."""
    if raw not in SORT_NAMES:
        return "relevance" if q else "new"
    return "new" if raw == "relevance" and not q else raw


def sort_options(q: str) -> list[tuple[str, str]]:
    """The orders to choose from, the default one valued "" so that it follows the keywords: a
    search started from a page without keywords is ordered by relevance once keywords are typed."""
    default = read_sort("", q)
    return [("" if c == default else c, n) for c, n in SORT_CHOICES if c != "relevance" or q]
