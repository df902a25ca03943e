"""The referral letter (紹介状) as a printable Japanese HTML page: one Jinja2 template with print
CSS and no external assets (fonts, images or scripts), autoescaped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

FOLDER = Path(__file__).parent / "templates"

EMPLOYMENT = {
    "full_time": "正社員",
    "contract": "契約社員",
    "dispatch": "派遣",
    "part_time": "パート・アルバイト",
    "other": "その他",
}
WAGE_UNIT = {"monthly": "月給", "daily": "日給", "hourly": "時給"}
STATUS = {
    "referral_requested": "紹介依頼中",
    "applied": "応募済み",
    "referred": "紹介済み",
    "screening": "書類選考中",
    "interview": "面接",
    "offered": "内定",
    "hired": "採用",
    "rejected": "不採用",
    "withdrawn": "辞退",
    "declined": "紹介見送り",
}


def _yen(value: int | None) -> str:
    return "" if value is None else f"{value:,}円"


def _wage(posting: dict[str, Any]) -> str:
    unit = WAGE_UNIT.get(posting.get("wage_unit") or "", "")
    low, high = posting.get("wage_min"), posting.get("wage_max")
    if high is not None and high != low:
        return f"{unit} {_yen(low)} 〜 {_yen(high)}"
    return f"{unit} {_yen(low)}"


def _wareki(iso: str) -> str:
    """2026-11-24 → 2026年11月24日 (令和8年)"""
    year, month, day = (int(p) for p in iso.split("-"))
    reiwa = year - 2018
    return (
        f"{year}年{month}月{day}日（令和{reiwa}年）" if reiwa >= 1 else f"{year}年{month}月{day}日"
    )


class LetterRenderer:
    def __init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(FOLDER),
            autoescape=select_autoescape(enabled_extensions=("html",), default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["wareki"] = _wareki
        self.env.filters["wage"] = _wage

    def render(self, letter: dict[str, Any]) -> str:
        posting = letter["posting"]
        return self.env.get_template("referral_letter.html").render(
            letter=letter,
            posting=posting,
            places=posting.get("places") or [],
            employment=EMPLOYMENT.get(posting.get("employment_type") or "", "その他"),
            status=STATUS.get(letter["status"], letter["status"]),
        )
