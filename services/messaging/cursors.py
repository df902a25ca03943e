"""Opaque list cursors: the (time, _id) of the last item a page showed, base64url JSON."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from servicekit.errors import DomainError


class InvalidCursor(DomainError):
    status, code = 422, "invalid_cursor"
    ja, en = "cursor の値が正しくありません。", "The cursor is not valid."


def encode(at: datetime, last_id: str) -> str:
    raw = json.dumps([at.isoformat(), last_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, last_id = json.loads(raw)
        parsed = datetime.fromisoformat(at)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidCursor() from None
    if parsed.tzinfo is None or not isinstance(last_id, str) or len(last_id) > 200:
        raise InvalidCursor()
    return parsed, last_id
