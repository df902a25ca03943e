"""Automatic recommendations: rank open postings against a seeker's matching profile and say why
each was picked. Pure functions; the service fetches the candidates with ``candidate_filter``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.jobs.documents import EMPLOYMENT_LABELS
from services.jobs.domain import meets_wage
from services.jobs.reference import occupations, prefecture_name
from services.jobs.text import normalize

Doc = dict[str, Any]
UNIT_JA = {"monthly": "月給", "daily": "日給", "hourly": "時給"}
UNIT_EN = {"monthly": "a month", "daily": "a day", "hourly": "an hour"}
NEW_DAYS = 7
# a posting must fit at least one of occupation, place or wage to be recommended
CORE = {"occupation", "occupation_group", "place", "municipality", "wage"}


@dataclass(frozen=True)
class Reason:
    code: str
    ja: str
    en: str

    def text(self, english: bool) -> str:
        return self.en if english else self.ja


@dataclass(frozen=True)
class Ranked:
    doc: Doc
    score: float
    reasons: tuple[Reason, ...]


def wanted_occupations(profile: Doc) -> tuple[set[str], set[str]]:
    """(middle groups wanted, major groups they belong to); a wanted major means all its middles."""
    occ = occupations()
    middles: set[str] = set()
    for code in profile.get("desired_occupations") or ():
        middles.update(occ.expand(code))
    majors = {m for m in (occ.major_of(c) for c in middles) if m}
    return middles, majors


def candidate_filter(profile: Doc, now: datetime) -> Doc:
    f: Doc = {"status": "open", "expires_at": {"$gt": now}}
    _, majors = wanted_occupations(profile)
    related = {c for major in majors for c in occupations().expand(major)}
    prefectures = sorted({p["prefecture"] for p in profile.get("desired_places") or ()})
    ors: list[Doc] = []
    if related:
        ors.append({"occupation_code": {"$in": sorted(related)}})
    if prefectures:
        ors.append({"prefectures": {"$in": prefectures}})
    if ors:
        f["$or"] = ors
    return f


def _occupation(doc: Doc, middles: set[str], majors: set[str]) -> tuple[float, Reason | None]:
    occ = occupations()
    code = doc["occupation_code"]
    if code in middles:
        name = occ.name(code)
        return 3.0, Reason(
            "occupation",
            f"希望職種（{name}）に合う求人です",
            f"Matches your desired occupation ({name})",
        )
    major = occ.major_of(code)
    if major in majors:
        name = occ.name(major or "")
        return 1.5, Reason(
            "occupation_group",
            f"希望職種と同じ分野（{name}）の求人です",
            f"In the same field as your desired occupation ({name})",
        )
    return 0.0, None


def _place(doc: Doc, places: list[Doc]) -> tuple[float, Reason | None]:
    body = doc["body"]
    best: tuple[float, Reason | None] = (0.0, None)
    for place in places:
        if place["prefecture"] not in doc["prefectures"]:
            continue
        pref = prefecture_name(place["prefecture"])
        muni = place.get("municipality")
        if muni and normalize(muni) == normalize(body["municipality"]):
            return 3.0, Reason(
                "municipality",
                f"希望勤務地（{pref}{muni}）の求人です",
                f"In your desired place ({muni}, {pref})",
            )
        best = (
            2.0,
            Reason(
                "place", f"希望勤務地（{pref}）の求人です", f"In {pref}, where you want to work"
            ),
        )
    return best


def _wage(doc: Doc, profile: Doc) -> tuple[float, Reason | None]:
    wanted, unit = profile.get("desired_wage_min"), profile.get("desired_wage_unit") or "monthly"
    body = doc["body"]
    if wanted and meets_wage(
        unit=body["wage_unit"],
        wage_min=body["wage_min"],
        wage_max=body.get("wage_max"),
        wanted=wanted,
        wanted_unit=unit,
    ):
        return 1.5, Reason(
            "wage",
            f"希望賃金（{UNIT_JA[unit]}{wanted:,}円以上）を満たしています",
            f"Pays at least your desired {wanted:,} yen {UNIT_EN[unit]}",
        )
    return 0.0, None


def rank(doc: Doc, profile: Doc, now: datetime) -> Ranked | None:
    middles, majors = wanted_occupations(profile)
    parts = [
        _occupation(doc, middles, majors),
        _place(doc, list(profile.get("desired_places") or ())),
        _wage(doc, profile),
    ]
    etype = doc["body"]["employment_type"]
    if etype in (profile.get("employment_types") or ()):
        label = EMPLOYMENT_LABELS[etype]
        parts.append(
            (
                1.0,
                Reason(
                    "employment_type",
                    f"希望の雇用形態（{label}）です",
                    f"Your desired employment type ({etype})",
                ),
            )
        )
    if doc["published_at"] >= now - timedelta(days=NEW_DAYS):
        parts.append((0.5, Reason("new", "新着の求人です", "Newly published")))
    reasons = tuple(r for _, r in parts if r is not None)
    if not any(r.code in CORE for r in reasons):
        return None
    return Ranked(doc, sum(score for score, _ in parts), reasons)


def recommend(docs: list[Doc], profile: Doc, now: datetime, limit: int) -> list[Ranked]:
    ranked = [r for r in (rank(d, profile, now) for d in docs) if r is not None]
    ranked.sort(key=lambda r: (-r.score, -r.doc["published_at"].timestamp(), r.doc["_id"]))
    return ranked[:limit]
