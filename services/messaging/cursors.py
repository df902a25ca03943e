"""Opaque list cursors: the (time, _id) of the last item a page showed, base64url JSON, checked
by the shared decoder (servicekit.cursors): a bad one is 400 ``invalid_cursor``."""

from __future__ import annotations

from datetime import datetime

from servicekit import cursors
from servicekit.cursors import InvalidCursor as InvalidCursor

Position = tuple[cursors.Instant, cursors.Id]


def encode(at: datetime, last_id: str) -> str:
    return cursors.encode([at, last_id])


def decode(cursor: str | None) -> tuple[datetime, str] | None:
    position: tuple[datetime, str] | None = cursors.decode(Position, cursor)
    return position
