"""Reference data committed under ``data/``: the MHLW occupation classification (major groups
A–K, middle groups 01–73) and the prefectures (JIS X 0401). Loaded once, read-only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Occupation:
    code: str
    name: str
    major: str  # the major group's code (a major group is its own major)

    @property
    def is_major(self) -> bool:
        return self.code == self.major


@dataclass(frozen=True)
class Occupations:
    by_code: dict[str, Occupation]
    middles_of: dict[str, tuple[str, ...]]

    def get(self, code: str) -> Occupation | None:
        return self.by_code.get(code)

    def is_middle(self, code: str) -> bool:
        occ = self.by_code.get(code)
        return occ is not None and not occ.is_major

    def name(self, code: str) -> str:
        occ = self.by_code.get(code)
        return occ.name if occ else code

    def expand(self, code: str) -> tuple[str, ...]:
        """A major group stands for all its middle groups; a middle group for itself."""
        return self.middles_of.get(code, (code,))

    def major_of(self, code: str) -> str | None:
        occ = self.by_code.get(code)
        return occ.major if occ else None

    def table(self) -> list[dict[str, str]]:
        return [{"code": o.code, "name": o.name} for o in self.by_code.values()]


@cache
def occupations() -> Occupations:
    raw = json.loads((DATA / "occupations.json").read_text(encoding="utf-8"))
    by_code: dict[str, Occupation] = {}
    middles_of: dict[str, tuple[str, ...]] = {}
    for major in raw["major"]:
        by_code[major["code"]] = Occupation(major["code"], major["name"], major["code"])
        codes = []
        for middle in major["middle"]:
            by_code[middle["code"]] = Occupation(middle["code"], middle["name"], major["code"])
            codes.append(middle["code"])
        middles_of[major["code"]] = tuple(codes)
    return Occupations(by_code, middles_of)


@cache
def prefectures() -> dict[str, str]:
    raw = json.loads((DATA / "prefectures.json").read_text(encoding="utf-8"))
    return {p["code"]: p["name"] for p in raw}


def prefecture_name(code: str) -> str:
    return prefectures().get(code, code)


@cache
def minimum_wages() -> dict[str, int]:
    """地域別最低賃金 (hourly, yen) by prefecture code: the current year's table."""
    raw = json.loads((DATA / "minimum_wages.json").read_text(encoding="utf-8"))
    return {code: int(yen) for code, yen in raw["hourly"].items()}


def minimum_wage(prefecture: str) -> int | None:
    return minimum_wages().get(prefecture)
