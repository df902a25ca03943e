"""Search conditions: one model for the query string of GET /api/v1/jobs and for saved searches.
``search_query`` turns them into the engine's query (search) and into a stored percolator query
(saved-search matches), so a saved search matches what a search would find."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.jobs import EmploymentType, WageUnit
from servicekit import cursors
from servicekit.cursors import InvalidCursor
from services.jobs.reference import occupations
from services.jobs.text import KeywordQuery, TooManyWords, parse_query

PREFECTURE = r"^(0[1-9]|[1-3][0-9]|4[0-7])$"
JOB_NUMBER = r"^[0-9]{5}-[0-9]{8}$"
Sort = Literal["relevance", "new", "wage", "deadline"]
Field_ = Literal["title", "duties", "company"]
Doc = dict[str, Any]


def _split(value: Any) -> Any:
    """Repeated parameters or a comma list: ``?prefecture=13&prefecture=14`` = ``?prefecture=13,14``."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = [value]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValueError("文字列または文字列のリストで指定してください。")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError("文字列または文字列のリストで指定してください。")
        out.extend(p.strip() for p in item.split(",") if p.strip())
    return list(dict.fromkeys(out))


class SearchConditions(BaseModel):
    """Search conditions. A boolean condition set to false means "either"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str | None = Field(
        default=None,
        max_length=200,
        description="keywords (at most 10 words, 200 characters): all required; `A OR B` either; "
        "`-word` excludes. Full- and half-width, katakana and hiragana spellings meet; a word "
        "matches inside longer words (介護 finds 介護福祉士)",
    )
    fields: list[Field_] = Field(
        default_factory=list,
        max_length=3,
        description="where the keywords are looked for: title, duties, company (default: those "
        "and the occupation, places, stations, licences)",
    )
    prefecture: list[str] = Field(default_factory=list, max_length=3, description="up to 3")
    occupation: list[str] = Field(
        default_factory=list,
        max_length=3,
        description="up to 3; a major group (A–K) covers its middle groups",
    )
    employment_type: list[EmploymentType] = Field(default_factory=list, max_length=5)
    wage_min: int | None = Field(
        default=None,
        ge=1,
        le=10_000_000,
        description="postings of `wage_unit` paying at least this",
    )
    wage_unit: WageUnit | None = Field(default=None, description="default monthly with wage_min")
    new_within_days: int | None = Field(default=None, ge=1, le=90)
    municipality: list[str] = Field(
        default_factory=list, max_length=5, description="市区町村 names, e.g. 新宿区 (up to 5)"
    )
    job_number: list[str] = Field(
        default_factory=list, max_length=5, description="求人番号 (up to 5), e.g. 13010-00000001"
    )
    remote: bool = False
    accepts_direct_application: bool = False
    no_experience_required: bool = False
    annual_holidays_min: int | None = Field(
        default=None, ge=1, le=366, description="年間休日 at least this many days"
    )
    two_day_weekend: Literal["every_week", "any"] | None = Field(
        default=None,
        description="週休二日制: every_week (完全週休二日制, every week) or any (every week, "
        "every other week, some weeks a month…)",
    )
    overtime_max: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="時間外労働 at most this many hours a month (no overtime counts as 0; a "
        "posting with overtime but no hours stated is left out)",
    )
    car_commute: bool = Field(default=False, description="マイカー通勤可")
    no_transfer: bool = Field(default=False, description="転勤なし (stated so by the posting)")
    no_trial_period: bool = Field(default=False, description="試用期間なし")
    no_age_limit: bool = Field(default=False, description="年齢制限なし")
    insurance_complete: bool = Field(
        default=False, description="雇用・労災・健康・厚生年金 all four insurances"
    )

    @field_validator(
        "prefecture",
        "occupation",
        "employment_type",
        "fields",
        "municipality",
        "job_number",
        mode="before",
    )
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("prefecture")
    @classmethod
    def _prefectures(cls, value: list[str]) -> list[str]:
        for code in value:
            if not re.match(PREFECTURE, code):
                raise ValueError("都道府県コードは 01〜47 で指定してください。")
        return value

    @field_validator("q")
    @classmethod
    def _words(cls, value: str | None) -> str | None:
        try:
            parse_query(value)
        except TooManyWords as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("municipality")
    @classmethod
    def _municipalities(cls, value: list[str]) -> list[str]:
        if any(len(m) > 40 for m in value):
            raise ValueError("市区町村名は 40 文字までで指定してください。")
        return value

    @field_validator("job_number")
    @classmethod
    def _job_numbers(cls, value: list[str]) -> list[str]:
        for number in value:
            if not re.match(JOB_NUMBER, number):
                raise ValueError("求人番号は 13010-00000001 の形で指定してください。")
        return value

    @field_validator("occupation")
    @classmethod
    def _occupations(cls, value: list[str]) -> list[str]:
        for code in value:
            if occupations().get(code) is None:
                raise ValueError("職業分類コードが正しくありません。")
        return value

    # --- derived -------------------------------------------------------------------------------

    @property
    def unit(self) -> str | None:
        """The wage unit compared: the one asked for, monthly when only an amount is given."""
        if self.wage_unit is None and self.wage_min is not None:
            return "monthly"
        return self.wage_unit

    @property
    def keywords(self) -> KeywordQuery:
        return parse_query(self.q)

    def occupation_codes(self) -> list[str]:
        codes: list[str] = []
        for code in self.occupation:
            codes.extend(occupations().expand(code))
        return sorted(set(codes))

    def stored(self) -> Doc:
        return self.model_dump(mode="json", exclude_defaults=True)

    def query_string(self) -> str:
        params = {
            k: (
                ",".join(v) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else v
            )
            for k, v in self.stored().items()
        }
        return urlencode(params)


class SearchQuery(SearchConditions):
    """GET /api/v1/jobs: the conditions plus order and paging. Unknown parameters are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    sort: Sort | None = Field(
        default=None,
        description="relevance (the default with keywords: best matches first, title matches "
        "weigh more, newer postings slightly ahead), new (the default without keywords: newest "
        "first), wage (highest monthly equivalent first), deadline (validity ending soonest "
        "first)",
    )
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, description="next_cursor of the previous page")

    @property
    def order(self) -> Sort:
        if self.sort is not None:
            return self.sort
        return "relevance" if not self.keywords.empty else "new"

    def conditions(self) -> SearchConditions:
        return SearchConditions.model_validate(self.model_dump(exclude={"sort", "limit", "cursor"}))


# --- keyset cursors of MongoDB lists (an employer's postings, recommendations) ------------------

# the field each order is keyed on (with ``_id`` as the tie-breaker), all descending
SORT_FIELDS = {"new": "published_at", "wage": "wage_rank", "sent": "created_at"}
SORT_KEYS: dict[str, list[tuple[str, int]]] = {
    name: [(field, -1), ("_id", -1)] for name, field in SORT_FIELDS.items()
}


class _NewCursor(cursors.CursorModel):
    s: Literal["new"]
    v: cursors.Instant
    i: cursors.Id


class _WageCursor(cursors.CursorModel):
    s: Literal["wage"]
    v: cursors.Int64
    i: cursors.Id


class _SentCursor(cursors.CursorModel):
    s: Literal["sent"]
    v: cursors.Instant
    i: cursors.Id


CURSOR_SHAPES: dict[str, type[_NewCursor | _WageCursor | _SentCursor]] = {
    "new": _NewCursor,
    "wage": _WageCursor,
    "sent": _SentCursor,
}


def encode_cursor(sort: str, doc: Doc) -> str:
    """An opaque position: the sort value and ``_id`` of the last item of a page."""
    return cursors.encode({"s": sort, "v": doc[SORT_FIELDS[sort]], "i": doc["_id"]})


def decode_cursor(sort: str, cursor: str) -> Doc:
    """The keyset condition 'after this position' for ``sort``; InvalidCursor (400) for a cursor
    that is not one this service wrote for this order."""
    position = cursors.decode(CURSOR_SHAPES[sort], cursor)
    if position is None:
        raise InvalidCursor()
    field = SORT_FIELDS[sort]
    value = position.v
    return {"$or": [{field: {"$lt": value}}, {field: value, "_id": {"$lt": position.i}}]}


def keyset_after(sort: str, doc: Doc) -> Doc:
    return decode_cursor(sort, encode_cursor(sort, doc))
