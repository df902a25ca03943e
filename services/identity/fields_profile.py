"""The profile's field types: each input normalised the way a person would expect (NFKC:
"２５００００" → 250000, full-width Latin in licences, "１３" → "13", "東京都" → "13") and checked
against the code tables, with a Japanese message per error (``ctx.ja``, rendered by identity's
validation handler)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from services.identity.reference import occupations, prefectures

T = TypeVar("T")

MAX_DESIRED = 3
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def fail(code: str, en: str, ja: str) -> PydanticCustomError:
    """A field error whose Japanese message travels in its context."""
    return PydanticCustomError(code, en, {"ja": ja})


# --- text ------------------------------------------------------------------------------------


def _line(value: object) -> object:
    """One line of text: NFKC (full-width Latin and digits become half-width, half-width kana
    full-width), control characters dropped, runs of spaces collapsed; empty means none."""
    if not isinstance(value, str):
        return value
    text = " ".join(CONTROL.sub("", unicodedata.normalize("NFKC", value)).split())
    return text or None


def _prose(value: object) -> object:
    """Free text as written (no NFKC: it is the person's own prose), tidied line ends."""
    if not isinstance(value, str):
        return value
    text = CONTROL.sub("", unicodedata.normalize("NFC", value.replace("\r\n", "\n"))).strip()
    return text or None


def _at_most_chars(limit: int) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        if value is not None and len(value) > limit:
            raise fail(
                "string_too_long",
                f"At most {limit} characters.",
                f"{limit}文字以内で入力してください。",
            )
        return value

    return check


def _present(value: str | None) -> str:
    if value is None:
        raise fail("missing", "Required.", "必須項目です。")
    return value


Line50 = Annotated[
    str | None,
    BeforeValidator(_line),
    AfterValidator(_at_most_chars(50)),
    Field(json_schema_extra={"maxLength": 50}),
]
Line100 = Annotated[
    str | None,
    BeforeValidator(_line),
    AfterValidator(_at_most_chars(100)),
    Field(json_schema_extra={"maxLength": 100}),
]
Line300 = Annotated[
    str | None,
    BeforeValidator(_line),
    AfterValidator(_at_most_chars(300)),
    Field(json_schema_extra={"maxLength": 300}),
]
RequiredLine100 = Annotated[
    str | None,
    BeforeValidator(_line),
    AfterValidator(_at_most_chars(100)),
    AfterValidator(_present),
    Field(json_schema_extra={"maxLength": 100, "minLength": 1}),
]
Prose1000 = Annotated[
    str | None,
    BeforeValidator(_prose),
    AfterValidator(_at_most_chars(1000)),
    Field(json_schema_extra={"maxLength": 1000}),
]
Prose2000 = Annotated[
    str | None,
    BeforeValidator(_prose),
    AfterValidator(_at_most_chars(2000)),
    Field(json_schema_extra={"maxLength": 2000}),
]
RequiredProse2000 = Annotated[
    str | None,
    BeforeValidator(_prose),
    AfterValidator(_at_most_chars(2000)),
    AfterValidator(_present),
    Field(json_schema_extra={"maxLength": 2000, "minLength": 1}),
]


# --- lists -----------------------------------------------------------------------------------


def distinct(limit: int, what_ja: str) -> Callable[[list[T] | None], list[T] | None]:
    """Repeats dropped (first one kept); more than ``limit`` distinct entries refused."""

    def check(values: list[T] | None) -> list[T] | None:
        if values is None:
            return None
        out: list[T] = []
        for value in values:
            if value is not None and value not in out:
                out.append(value)
        if len(out) > limit:
            raise fail(
                "too_many",
                f"At most {limit} entries.",
                f"{what_ja}は{limit}件まで指定できます。",
            )
        return out

    return check


def not_null(value: T | None) -> T:
    if value is None:
        raise fail("null_not_allowed", "Must not be null.", "null は指定できません。")
    return value


# --- codes -----------------------------------------------------------------------------------


def _code(value: object) -> object:
    return unicodedata.normalize("NFKC", value).strip().upper() if isinstance(value, str) else value


def _known_occupation(code: str) -> str:
    if code not in occupations():
        raise fail(
            "unknown_occupation",
            "Not a code of the occupation classification (GET /api/v1/occupations).",
            "職業分類にないコードです（GET /api/v1/occupations の一覧から選んでください）。",
        )
    return code


def _prefecture(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:02d}"
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFKC", value).strip()
    if text.isdigit() and len(text) == 1:
        return f"0{text}"
    for code, name in prefectures().items():  # a name works too: "東京都", "東京"
        if text in (name, name.rstrip("都道府県")) and text:
            return code
    return text


def _known_prefecture(code: str) -> str:
    if code not in prefectures():
        raise fail(
            "unknown_prefecture",
            'Prefectures are JIS X 0401 codes "01"–"47".',
            '都道府県は JIS X 0401 のコード（"01"〜"47"）で指定してください。',
        )
    return code


EMPLOYMENT_TYPES = {
    "正社員": "full_time",
    "契約社員": "contract",
    "派遣": "dispatch",
    "派遣社員": "dispatch",
    "パート": "part_time",
    "アルバイト": "part_time",
    "パート・アルバイト": "part_time",
    "その他": "other",
}
WAGE_UNITS = {"月給": "monthly", "日給": "daily", "時給": "hourly"}


def _choice(labels: dict[str, str]) -> Callable[[object], object]:
    def normalise(value: object) -> object:
        if not isinstance(value, str):
            return value
        text = unicodedata.normalize("NFKC", value).strip()
        return labels.get(text, text.lower())

    return normalise


def _wage(value: object) -> object:
    """Digits as typed: "２５００００", "250,000円", "¥1,200" all mean the number."""
    if isinstance(value, bool):
        raise fail("int_parsing", "A whole number of yen.", "金額は数字で入力してください。")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value)
        text = re.sub(r"[\s,円¥￥]", "", text)
        if not text.isdigit():
            raise fail("int_parsing", "A whole number of yen.", "金額は数字で入力してください。")
        return int(text)
    return value


def _wage_range(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= 10_000_000:
        raise fail(
            "out_of_range",
            "Between 1 and 10,000,000 yen.",
            "金額は1円から10,000,000円の範囲で入力してください。",
        )
    return value


YEAR_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")


def _year_month(value: object) -> object:
    if not isinstance(value, str):
        return value
    match = YEAR_MONTH.match(unicodedata.normalize("NFKC", value).strip())
    if not match or not 1 <= int(match[2]) <= 12 or not 1900 <= int(match[1]) <= 2100:
        raise fail(
            "year_month", "Use YYYY-MM.", "年月は YYYY-MM（例: 2020-04）で入力してください。"
        )
    return f"{int(match[1]):04d}-{int(match[2]):02d}"


OccupationCode = Annotated[
    str,
    BeforeValidator(_code),
    AfterValidator(_known_occupation),
    Field(description="a code of GET /api/v1/occupations", examples=["C"]),
]
PrefectureCode = Annotated[
    str,
    BeforeValidator(_prefecture),
    AfterValidator(_known_prefecture),
    Field(description='JIS X 0401 code "01"–"47"', examples=["13"]),
]
EmploymentType = Annotated[
    Literal["full_time", "contract", "dispatch", "part_time", "other"],
    BeforeValidator(_choice(EMPLOYMENT_TYPES)),
]
WageUnit = Annotated[Literal["monthly", "daily", "hourly"], BeforeValidator(_choice(WAGE_UNITS))]
YearMonth = Annotated[
    str, BeforeValidator(_year_month), Field(description="YYYY-MM", examples=["2020-04"])
]


Wage = Annotated[
    int | None,
    BeforeValidator(_wage),
    AfterValidator(_wage_range),
    Field(description='yen; "２５００００" and "250,000" are read as 250000'),
]
Flag = Annotated[bool | None, AfterValidator(not_null)]
