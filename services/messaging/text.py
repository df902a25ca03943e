"""Plain text as users type it: NFC-normalised, control characters removed (line feeds and tabs
kept), stored as text and never as HTML. Clients render it as text (no markup is interpreted)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")
WEEKDAYS_JA = "月火水木金土日"


def clean(text: str, *, multiline: bool = True) -> str:
    """NFC; CR LF and lone CR become LF; every other control or format-breaking character
    (C0, DEL, C1, line/paragraph separators) goes; tabs stay; leading/trailing blanks go."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    keep = {"\n", "\t"} if multiline else {"\t"}
    out = []
    for ch in text:
        if ch in keep:
            out.append(ch)
        elif ch == "\n":  # single-line text: a line break becomes a space
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            continue
        else:
            out.append(ch)
    return "".join(out).strip()


def preview(text: str, length: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def jst_datetime(at: datetime) -> str:
    """2026年12月3日（木）14:00 — the way the office writes a time for a person."""
    j = at.astimezone(JST)
    return f"{j.year}年{j.month}月{j.day}日（{WEEKDAYS_JA[j.weekday()]}）{j:%H:%M}"


def to_ms(at: datetime) -> datetime:
    """Truncated to milliseconds (what BSON keeps), so stored and published times are equal."""
    at = at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)
