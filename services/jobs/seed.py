"""Realistic postings for demos and benchmarks (every group of the 求人票, wages at least the
prefecture's minimum wage).

    python -m services.jobs.seed --count 10000 [--employers 500] [--direct] [--db NAME]

Employers normally come from identity's events (the ``employers`` projection); seed data brings
its own: synthetic establishments marked ``seed: true`` in the jobs database, spread over the 47
prefectures by population, each with an industry. Postings are written through the postings
repository with their ``jobs.posting.published.v1`` event in the outbox (published when the
service runs); ``--direct`` skips the events, for benchmarks. Progress goes to standard error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from contracts.jobs import PostingPublished
from servicekit import outbox
from servicekit.db import connect
from services.jobs import documents
from services.jobs.domain import end_of_month_after_next, hourly_equivalent, today_jst
from services.jobs.reference import minimum_wage
from services.jobs.repository import Doc, Store
from services.jobs.repository_postings import PostingsRepository
from services.jobs.schemas import PostingFields
from services.jobs.settings import JobsSettings

WORDS = Path(__file__).parent / "data" / "seed_words.json"
BATCH = 1000


@cache
def words() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(WORDS.read_text(encoding="utf-8"))
    return data


def make_employers(rng: random.Random, count: int) -> list[Doc]:
    w = words()
    prefs = list(w["weights"])
    out = []
    for i in range(count):
        pref = rng.choices(prefs, weights=[w["weights"][p] for p in prefs])[0]
        industry = rng.choice(w["industries"])
        name = f"{rng.choice(industry['prefixes'])}{rng.choice(w['names'])}{rng.choice(industry['suffixes'])}"
        out.append(
            {
                "_id": uuid.uuid4().hex,
                "name": name,
                "office_code": f"{pref}010",
                "industry": industry["name"],
                "establishment_number": f"{pref}01-{i % 10**6:06d}-{i % 10}",
                "registered_with_mypage": rng.random() < 0.7,
                "prefecture": pref,
                "seed": True,
                "versions": {"registration": 0},
            }
        )
    return out


def _wage(rng: random.Random, occ: dict[str, Any], etype: str) -> dict[str, Any]:
    unit = "hourly" if etype == "part_time" else rng.choice(["monthly"] * 9 + ["daily"])
    low, high = occ["hourly" if unit == "hourly" else "monthly"]
    wage_min = rng.randrange(low, high, 10 if unit == "hourly" else 1000)
    if unit == "daily":
        wage_min = wage_min // 21 // 100 * 100
    step = {"hourly": 10, "daily": 100, "monthly": 1000}[unit]
    wage_max = None
    if rng.random() < 0.7:
        wage_max = max(wage_min, int(wage_min * rng.uniform(1.05, 1.5)) // step * step)
    return {"wage_min": wage_min, "wage_max": wage_max, "wage_unit": unit}


# the shifts of the seed's postings (就業時間), the longest first in each
SHIFTS: list[list[Doc]] = [
    [{"start": "08:30", "end": "17:30", "break_minutes": 60}],
    [{"start": "09:00", "end": "18:00", "break_minutes": 60}],
    [{"start": "08:00", "end": "17:00", "break_minutes": 60}],
    [
        {"start": "07:00", "end": "16:00", "break_minutes": 60},
        {"start": "10:00", "end": "19:00", "break_minutes": 60},
    ],
    [{"start": "09:00", "end": "15:00", "break_minutes": 45}],
    [
        {"start": "22:00", "end": "07:00", "break_minutes": 60},
        {"start": "09:00", "end": "18:00", "break_minutes": 60},
    ],
    [{"start": "10:00", "end": "19:00", "break_minutes": 60}],
]
COMMUTING: list[Doc] = [
    {"kind": "actual"},
    {"kind": "capped", "amount": 30000},
    {"kind": "fixed", "amount": 10000},
]
SMOKING = ["premises", "indoors", "indoors", "smoking_room", "none"]


def _at_least_minimum_wage(body: Doc) -> None:
    """Raise the seed's wage to the prefecture's minimum wage (per hour, with its shifts)."""
    floor = minimum_wage(body["prefecture"]) or 0
    per_hour = hourly_equivalent(
        body["wage_unit"], body["wage_min"], body["working_shifts"], body["annual_holidays"]
    )
    if per_hour >= floor:
        return
    step = {"hourly": 10, "daily": 100, "monthly": 1000}[body["wage_unit"]]
    needed = math.ceil(body["wage_min"] * floor / per_hour / step) * step
    body["wage_min"] = needed
    if body["wage_max"] is not None:
        body["wage_max"] = max(body["wage_max"], needed)


def _sheet(rng: random.Random, etype: str, employer: Doc) -> Doc:
    """The rest of the 求人票, some groups left out as real postings do."""
    full = etype in ("full_time", "contract")
    overtime_pay = rng.random() < 0.2 and etype == "full_time"
    return {
        "trial_period": {"months": rng.choice([1, 3, 3, 6]), "conditions_differ": False}
        if rng.random() < 0.6
        else None,
        "fixed_overtime_pay": {"amount": rng.choice([20000, 30000, 40000]), "hours": 20}
        if overtime_pay
        else None,
        "commuting_allowance": rng.choice(COMMUTING),
        "pay_closing_day": rng.choice(["end", 15, 20, 25]),
        "pay_day": {"month": rng.choice(["same", "next"]), "day": rng.choice([10, 25, "end"])},
        "raises": {"available": full and rng.random() < 0.8},
        "paid_leave_days": 10 if full else rng.choice([None, 7, 10]),
        "retirement": {"age": 60, "reemployment": True, "reemployment_until": 65} if full else None,
        "car_commute": {"allowed": rng.random() < 0.5, "parking": rng.choice(["free", "none"])},
        "transfer_possible": rng.random() < 0.2 if full else False,
        "smoking_measures": {"measure": rng.choice(SMOKING)},
        "establishment": {
            "employees_site": (site := rng.choice([5, 12, 30, 80, 150])),
            "employees_total": site * rng.choice([1, 1, 3, 10]),
            "founded_year": rng.randint(1950, 2020),
            "business": employer["industry"],
        },
        "selection_methods": {
            "documents": rng.random() < 0.5,
            "interview": True,
            "written_test": rng.random() < 0.2,
            "result_within_days": rng.choice([7, 10, 14]),
            "documents_to_send": ["履歴書", "ハローワーク紹介状"],
        },
    }


def make_body(rng: random.Random, employer: Doc) -> Doc:
    w = words()
    industry = next(i for i in w["industries"] if i["name"] == employer["industry"])
    code = rng.choice(industry["occupations"])
    occ = w["occupations"][code]
    etype = rng.choices(
        ["full_time", "part_time", "contract", "dispatch", "other"], weights=[55, 25, 10, 8, 2]
    )[0]
    pref = employer["prefecture"]
    municipality, station = rng.choice(w["places"][pref])
    title = rng.choice(occ["titles"])
    extras = rng.sample(w["extras"], k=rng.randint(2, 4))
    if etype == "dispatch":
        extras.insert(0, "派遣先での勤務となります（労働者派遣事業許可あり）。")
    licenses = [lic for lic in occ["licenses"] if rng.random() < 0.4]
    body = {
        "title": title if etype != "part_time" else f"{title}（パート）",
        "description": rng.choice(occ["duties"]) + "".join(extras),
        "occupation_code": code,
        "prefecture": pref,
        "municipality": municipality,
        "nearest_station": station,
        "employment_type": etype,
        "fixed_term": etype in ("contract", "dispatch"),
        "contract_period": "1年（更新あり）" if etype in ("contract", "dispatch") else None,
        **_wage(rng, occ, etype),
        "bonus": etype == "full_time" and rng.random() < 0.7,
        "working_shifts": rng.choice(SHIFTS),
        "overtime": rng.random() < 0.6,
        "days_off": rng.choice([["sat", "sun"], ["sun"], ["wed", "sun"], []]),
        "public_holidays_off": rng.random() < 0.5,
        "annual_holidays": rng.choice([105, 110, 115, 120, 125, None]),
        "two_day_weekend": rng.choice(["every_week", "biweekly", "monthly", "other", "none"]),
        "insurance": ["employment", "workers_comp", "health", "pension"]
        if etype != "part_time"
        else ["employment", "workers_comp"],
        "education_required": rng.choice(["none", "none", "high_school", "university"]),
        "experience_required": rng.random() < 0.3,
        "licenses_required": licenses,
        "openings": rng.choice([1, 1, 1, 2, 3, 5]),
        "remote": "partial" if rng.random() < occ["remote"] else "none",
        "accepts_online_referral": True,
        "accepts_direct_application": employer["registered_with_mypage"] and rng.random() < 0.5,
        **_sheet(rng, etype, employer),
    }
    if not body["overtime"]:  # fixed overtime pay only with overtime (else contradictory)
        body["fixed_overtime_pay"] = None
    _at_least_minimum_wage(body)
    return PostingFields.model_validate(body).model_dump(mode="json")


def make_postings(
    rng: random.Random, employers: list[Doc], count: int, now: datetime
) -> Iterator[tuple[Doc, Doc]]:
    """(employer, body, published_at) for ``count`` postings, published over the last 45 days."""
    for _ in range(count):
        employer = rng.choice(employers)
        yield (
            employer,
            {
                "body": make_body(rng, employer),
                "published_at": now - timedelta(seconds=rng.randrange(45 * 86400)),
            },
        )


async def seed(
    store: Store,
    *,
    count: int,
    employers: int,
    direct: bool,
    rng: random.Random,
    now: datetime | None = None,
    progress: bool = True,
) -> int:
    now = now or datetime.now(UTC)
    repo = PostingsRepository(store)
    staff = make_employers(rng, employers)
    await store.employers.insert_many(staff, ordered=False)
    written, started = 0, time.monotonic()
    generator = make_postings(rng, staff, count, now)
    while written < count:
        batch = [next(generator) for _ in range(min(BATCH, count - written))]
        by_office: dict[str, int] = {}
        for employer, _ in batch:
            by_office[employer["office_code"]] = by_office.get(employer["office_code"], 0) + 1
        serials = {office: await repo.next_job_number(office, n) for office, n in by_office.items()}
        docs = []
        for employer, item in batch:
            office = employer["office_code"]
            published = item["published_at"].replace(microsecond=0)
            doc = documents.new_posting(
                job_id=uuid.uuid4().hex,
                job_number=f"{office}-{serials[office]:08d}",
                employer=employer,
                body=item["body"],
                now=published,
                valid_until=end_of_month_after_next(today_jst(published)),
            )
            doc["seed"] = True
            serials[office] += 1
            if not direct:
                event = PostingPublished(
                    job_id=doc["_id"], version=1, posting=documents.snapshot(doc)
                )
                env = outbox.envelope(event, producer="jobs", subject=doc["_id"])
                doc.update(outbox.initial(env))
            docs.append(doc)
        await repo.insert_many(docs)
        written += len(docs)
        if progress:
            rate = written / max(time.monotonic() - started, 1e-6)
            print(f"\rseeded {written}/{count} postings ({rate:,.0f}/s)", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    return written


async def main_async(args: argparse.Namespace) -> None:
    settings = JobsSettings()
    client, db = connect(args.mongodb_url or settings.mongodb_url, args.db or settings.database)
    try:
        store = Store(db)
        await store.ensure_indexes()
        await seed(
            store,
            count=args.count,
            employers=args.employers or max(50, args.count // 20),
            direct=args.direct,
            rng=random.Random(args.seed),
        )
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, required=True, help="postings to write")
    parser.add_argument(
        "--employers", type=int, default=0, help="seed employers (default count/20, at least 50)"
    )
    parser.add_argument("--direct", action="store_true", help="no outbox events (benchmarks)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable data")
    parser.add_argument("--db", default="", help="database (default: the service's, hataraku_jobs)")
    parser.add_argument(
        "--mongodb-url", default="", help="default: MONGODB_URL or the local server"
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
