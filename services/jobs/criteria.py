"""Search conditions: one model for the query string of GET /api/v1/jobs and for saved searches;
turned into a MongoDB filter (search) or checked against one posting in Python (saved-search
matches). Both read the same stored fields, so a saved search matches what a search would find."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.jobs import EmploymentType, WageUnit
from servicekit import cursors
from servicekit.cursors import InvalidCursor
from services.jobs.reference import occupations
from services.jobs.text import KeywordQuery, parse_query

PREFECTURE = r"^(0[1-9]|[1-3][0-9]|4[0-7])$"
Sort = Literal["new", "wage"]
Doc = dict[str, Any]


def _split(value: Any) -> Any:
    """Repeated parameters or a comma list: ``?prefecture=13&prefecture=14`` = ``?prefecture=13,14``."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        out.extend(p.strip() for p in str(item).split(",") if p.strip())
    return list(dict.fromkeys(out))


class SearchConditions(BaseModel):
    """Search conditions. A boolean condition set to false means "either"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str | None = Field(
        default=None, max_length=200, description="keywords; AND; `-word` excludes"
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
    remote: bool = False
    accepts_direct_application: bool = False
    no_experience_required: bool = False

    @field_validator("prefecture", "occupation", "employment_type", mode="before")
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

    def to_filter(self, now: datetime) -> Doc:
        """The MongoDB filter of the open postings these conditions select (bigram level)."""
        f: Doc = {"status": "open", "expires_at": {"$gt": now}}
        kw = self.keywords
        terms: Doc = {}
        if kw.include:
            terms["$all"] = kw.required_keys()
        if kw.excluded_keys():
            terms["$nin"] = kw.excluded_keys()
        if terms:
            f["terms"] = terms
        if self.prefecture:
            f["prefectures"] = {"$in": self.prefecture}
        if self.occupation:
            f["occupation_code"] = {"$in": self.occupation_codes()}
        if self.employment_type:
            f["employment_type"] = {"$in": list(self.employment_type)}
        if self.unit:
            f["wage_unit"] = self.unit
        if self.wage_min is not None:
            f["wage_top"] = {"$gte": self.wage_min}
        if self.new_within_days:
            f["published_at"] = {"$gte": now - timedelta(days=self.new_within_days)}
        if self.remote:
            f["is_remote"] = True
        if self.accepts_direct_application:
            f["accepts_direct_application"] = True
        if self.no_experience_required:
            f["experience_required"] = False
        return f

    def matches(self, doc: Doc, now: datetime) -> bool:
        """The same selection, checked on one stored posting, keywords exactly."""
        checks = (
            doc["status"] == "open" and doc["expires_at"] > now,
            self.keywords.matches(doc["text"]),
            not self.prefecture or bool(set(self.prefecture) & set(doc["prefectures"])),
            not self.occupation or doc["occupation_code"] in self.occupation_codes(),
            not self.employment_type or doc["employment_type"] in self.employment_type,
            not self.unit or doc["wage_unit"] == self.unit,
            self.wage_min is None or doc["wage_top"] >= self.wage_min,
            not self.new_within_days
            or doc["published_at"] >= now - timedelta(days=self.new_within_days),
            not self.remote or doc["is_remote"],
            not self.accepts_direct_application or doc["accepts_direct_application"],
            not self.no_experience_required or not doc["experience_required"],
        )
        return all(checks)

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

    sort: Sort = "new"
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, description="next_cursor of the previous page")

    def conditions(self) -> SearchConditions:
        return SearchConditions.model_validate(self.model_dump(exclude={"sort", "limit", "cursor"}))


# --- keyset cursors ----------------------------------------------------------------------------

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
