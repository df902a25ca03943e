"""最低賃金: a posting's base wage against the minimum wage of every prefecture it is worked in
(the table: services/jobs/data/minimum_wages.json, updated every autumn)."""

from __future__ import annotations

from typing import Any

from services.jobs.domain import PostingInvalid, hourly_equivalent
from services.jobs.reference import minimum_wage, prefecture_name

Doc = dict[str, Any]


def check_minimum_wage(body: Doc) -> None:
    """最低賃金: the base wage (wage_min; allowances and fixed overtime pay are not part of it),
    per hour, at least the highest minimum wage of the posting's work places."""
    where = [body["prefecture"], *(p["prefecture"] for p in body.get("other_places") or [])]
    floors = [(m, p) for p in where if (m := minimum_wage(p)) is not None]
    if not floors:
        return
    floor, prefecture = max(floors)
    hourly = hourly_equivalent(
        body["wage_unit"],
        body["wage_min"],
        body.get("working_shifts") or [],
        body.get("annual_holidays"),
    )
    if hourly >= floor:
        return
    name = prefecture_name(prefecture)
    per_hour = "" if body["wage_unit"] == "hourly" else f"（時間額に換算して約 {int(hourly):,} 円）"
    raise PostingInvalid(
        errors=[
            {
                "field": "wage_min",
                "code": "below_minimum_wage",
                "message": f"賃金が{name}の最低賃金（時間額 {floor:,} 円）を下回っています"
                f"{per_hour}。",
            }
        ]
    )
