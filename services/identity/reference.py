"""Reference data committed under ``data/``: the MHLW occupation classification (厚生労働省編
職業分類, major groups A–K and middle groups 01–73, the same table as the jobs service's own
copy) and the prefectures (JIS X 0401). Loaded once, read-only."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"


@cache
def occupations() -> dict[str, str]:
    """code → name, major groups first followed by their middle groups."""
    raw = json.loads((DATA / "occupations.json").read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for major in raw["major"]:
        table[major["code"]] = major["name"]
        for middle in major["middle"]:
            table[middle["code"]] = middle["name"]
    return table


@cache
def prefectures() -> dict[str, str]:
    raw = json.loads((DATA / "prefectures.json").read_text(encoding="utf-8"))
    return {p["code"]: p["name"] for p in raw}
