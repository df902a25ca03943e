"""List cursors: opaque base64url JSON written by the service that reads them back, validated in
one place. A cursor is client input like any other: ``decode`` checks its length, alphabet,
base64, JSON and then its shape (a pydantic model or any type pydantic validates, e.g. a tuple),
and every failure is one ``400 invalid_cursor`` problem, never a 500. The value types below keep
what a cursor may carry inside what the database can hold: integers in BSON int64, timezone-aware
datetimes (made UTC), ids of printable ASCII of bounded length."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Hashable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, TypeVar, cast

from fastapi import Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError

from servicekit.errors import DomainError

T = TypeVar("T")

MAX_LENGTH = 512  # characters of the encoded cursor (every cursor written here is far shorter)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_ALPHABET = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
_ID = r"^[\x21-\x7e]+$"


class InvalidCursor(DomainError):
    status, code = 400, "invalid_cursor"
    ja = "ページ指定（cursor）が正しくありません。最初のページから読み直してください。"
    en = "The cursor is not valid. Start again from the first page."


def _instant(value: Any) -> datetime:
    """An ISO 8601 string with a UTC offset (what ``encode`` writes for a datetime), as UTC;
    an aware datetime (a cursor model built in code) as UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 40:
        parsed = datetime.fromisoformat(value)
    else:
        raise ValueError("a datetime is an ISO 8601 string")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("a datetime needs its UTC offset")
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00+01:00
        raise ValueError("out of range") from exc


Instant = Annotated[datetime, BeforeValidator(_instant)]
Int64 = Annotated[int, Field(strict=True, ge=INT64_MIN, le=INT64_MAX)]
Id = Annotated[str, Field(strict=True, min_length=1, max_length=100, pattern=_ID)]

# the query parameter itself: any string; its checks are decode's, so a bad one is 400 too
CursorParam = Annotated[
    str | None,
    Query(description="`next_cursor` of the previous page (opaque); omit for the first page"),
]


class CursorModel(BaseModel):
    """Base of cursor shapes: unknown keys are refused, values are not coerced."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


@lru_cache(maxsize=64)
def _adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)


def encode(value: Any) -> str:
    """base64url (unpadded) of the compact JSON of ``value`` (a model, or JSON-able data whose
    datetimes are written ISO 8601)."""
    if isinstance(value, BaseModel):
        data: Any = value.model_dump(mode="json")
    else:
        data = _adapter(Any).dump_python(value, mode="json")
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(shape: type[T] | Any, cursor: str | None) -> T | None:
    """The position ``cursor`` names, validated as ``shape``; None for no cursor (the first
    page). Raises InvalidCursor for anything else."""
    if cursor is None or cursor == "":
        return None
    if len(cursor) > MAX_LENGTH or not _ALPHABET.match(cursor):
        raise InvalidCursor()
    body = cursor.rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        data = json.loads(raw)
        value: T = _adapter(cast(Hashable, shape)).validate_python(data)
    except (ValueError, TypeError, binascii.Error, ValidationError, RecursionError):
        raise InvalidCursor() from None
    return value


def checked(cursor: str | None, pattern: re.Pattern[str]) -> str | None:
    """A plain (not base64) cursor that must match ``pattern`` entirely; None for none."""
    if cursor is None or cursor == "":
        return None
    if len(cursor) > MAX_LENGTH or not pattern.fullmatch(cursor):
        raise InvalidCursor()
    return cursor
