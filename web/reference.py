"""Reference data and formatting shown on the pages (JIS X 0401 prefectures, employment types)
and input normalisation (full-width → half-width where the value is ASCII by nature)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

PREFECTURES: list[tuple[str, str]] = [
    (f"{i:02d}", name)
    for i, name in enumerate(
        [
            "北海道",
            "青森県",
            "岩手県",
            "宮城県",
            "秋田県",
            "山形県",
            "福島県",
            "茨城県",
            "栃木県",
            "群馬県",
            "埼玉県",
            "千葉県",
            "東京都",
            "神奈川県",
            "新潟県",
            "富山県",
            "石川県",
            "福井県",
            "山梨県",
            "長野県",
            "岐阜県",
            "静岡県",
            "愛知県",
            "三重県",
            "滋賀県",
            "京都府",
            "大阪府",
            "兵庫県",
            "奈良県",
            "和歌山県",
            "鳥取県",
            "島根県",
            "岡山県",
            "広島県",
            "山口県",
            "徳島県",
            "香川県",
            "愛媛県",
            "高知県",
            "福岡県",
            "佐賀県",
            "長崎県",
            "熊本県",
            "大分県",
            "宮崎県",
            "鹿児島県",
            "沖縄県",
        ],
        start=1,
    )
]
PREFECTURE_CODES = frozenset(code for code, _ in PREFECTURES)

EMPLOYMENT_TYPES: list[tuple[str, str]] = [
    ("full_time", "正社員"),
    ("contract", "契約社員"),
    ("dispatch", "派遣"),
    ("part_time", "パート・アルバイト"),
    ("other", "その他"),
]
EMPLOYMENT_TYPE_NAMES = dict(EMPLOYMENT_TYPES)
WAGE_UNITS = {"monthly": "月給", "daily": "日給", "hourly": "時給"}
# what a hire may differ in from the posting (労働条件の相違; the API's conditions_items)
CONDITION_ITEMS = {
    "wage": "賃金",
    "hours": "労働時間",
    "holidays": "休日",
    "place": "就業場所",
    "contract_type": "雇用形態・契約期間",
    "other": "その他",
}


def half_width(value: str) -> str:
    """Full-width letters, digits and symbols as half-width (e-mail addresses, keys, dates)."""
    return unicodedata.normalize("NFKC", value).strip()


_DATE = re.compile(r"^(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?$")


def parse_date(value: str) -> date | None:
    """``1992-07-15``, ``1992/7/15``, ``１９９２年７月１５日`` … or None."""
    match = _DATE.match(half_width(value))
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def date_ja(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.year}年{value.month}月{value.day}日"


JST = timezone(timedelta(hours=9), "JST")


def datetime_ja(value: Any) -> str:
    """An ISO 8601 instant (UTC from the API) as Japan time: 2026年11月24日 22:00."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(JST)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def wage(item: dict[str, Any]) -> str:
    unit = WAGE_UNITS.get(str(item.get("wage_unit")), "")
    low, high = item.get("wage_min"), item.get("wage_max")
    if low and high and high != low:
        return f"{unit} {low:,}円〜{high:,}円"
    if low:
        return f"{unit} {low:,}円〜"
    return ""
