"""The seeker's job-search activity record (求職活動実績), as the activity section of the
失業認定申告書 asks for it: each activity that counts, in date order, with the employer, the
posting number, the occupation (職種), how it was done (応募方法) and the result so far.

Sources: the applications service's events (an application, direct or asking for a referral;
a referral issued; an interview scheduled; the application's later statuses for its result),
recorded by ``Handlers``, and identity's own consultations (相談記録 by staff)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

import structlog

from contracts import Envelope
from contracts.applications import (
    ApplicationStatusChanged,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    ReferralDeclined,
    ReferralIssued,
)
from servicekit.errors import DomainError
from services.identity.domain_seeker import CONSULTATION_KINDS, SeekerNotRegistered, today_jst
from services.identity.repository_activity import ActivityRepository
from services.identity.service import Identity
from services.identity.service_lifecycle import consultation_view
from services.identity.service_seekers import seeker_of

log = structlog.get_logger()

KIND_LABELS: dict[str, str] = {
    "application": "求人への応募",
    "referral": "職業紹介",
    "interview": "面接",
    "consultation": "職業相談",
}
# on the same day: an application before its referral, the interview after both
KIND_ORDER = {"consultation": 0, "application": 1, "referral": 2, "interview": 3}
METHODS: dict[str, str] = {
    "direct": "直接応募（マイページ）",
    "referral": "ハローワークの紹介",
}
RESULTS: dict[str, str] = {
    "referral_requested": "紹介依頼中",
    "applied": "選考待ち",
    "referred": "選考待ち",
    "screening": "選考中",
    "interview": "面接予定",
    "offered": "内定",
    "hired": "採用",
    "rejected": "不採用",
    "withdrawn": "辞退",
    "declined": "紹介見送り",
}
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


# --- the range ------------------------------------------------------------------------------


class ActivityRangeInvalid(DomainError):
    status, code = 400, "invalid_range"
    ja = "期間の指定に誤りがあります。"
    en = "The period is not valid."


def _bad(field: str, code: str, ja: str, en: str) -> ActivityRangeInvalid:
    return ActivityRangeInvalid(
        ja=ja, en=en, errors=[{"field": field, "code": code, "message": ja}]
    )


def _day(value: str | None, field: str, label: str) -> date:
    if not value:
        raise _bad(
            field,
            "missing",
            f"{label}を YYYY-MM-DD の形式で指定してください。",
            f"Give `{field}` as YYYY-MM-DD.",
        )
    try:
        if not DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(
            field,
            "invalid_date",
            f"{label}は YYYY-MM-DD の形式の正しい日付で指定してください。",
            f"`{field}` must be a valid date as YYYY-MM-DD.",
        ) from None


def last_day_allowed(first: date) -> date:
    """The day before the same day a year later (from 29 February: to 28 February); in year
    9999, its last day."""
    if first.year >= date.max.year:
        return date.max
    try:
        return first.replace(year=first.year + 1) - timedelta(days=1)
    except ValueError:
        return date(first.year + 1, 2, 28)


def parse_range(first: str | None, last: str | None) -> tuple[date, date]:
    """``from`` and ``to`` (both days included): both required, ``to`` not before ``from``,
    at most one year (``to`` before the same day a year after ``from``)."""
    start = _day(first, "from", "開始日（from）")
    end = _day(last, "to", "終了日（to）")
    if end < start:
        raise _bad(
            "to",
            "before_from",
            "終了日（to）は開始日（from）以降の日付を指定してください。",
            "`to` must not be before `from`.",
        )
    if end > last_day_allowed(start):
        raise _bad(
            "to",
            "range_too_long",
            "期間は1年以内で指定してください（終了日は開始日の1年後の前日まで）。",
            "The period must be at most one year.",
        )
    return start, end


# --- recording (the consumers) ----------------------------------------------------------------


def _day_in_japan(moment: datetime) -> str:
    return today_jst(moment).isoformat()


async def on_submitted(identity: Identity, event: ApplicationSubmitted) -> None:
    repo = ActivityRepository(identity.repo)
    await repo.describe(
        event.application_id,
        {
            "seeker_id": event.seeker_id,
            "employer_id": event.employer_id,
            "job_id": event.job_id,
            "job_number": event.job_number,
            "title": event.title,
            "route": event.route,
        },
    )
    await repo.set_status(event.application_id, event.seeker_id, event.status, event.version)
    await repo.add(
        {
            "_id": f"application:{event.application_id}",
            "seeker_id": event.seeker_id,
            "kind": "application",
            "on": event.submitted_on.isoformat(),
            "application_id": event.application_id,
        }
    )


async def on_referral(identity: Identity, event: ReferralIssued) -> None:
    repo = ActivityRepository(identity.repo)
    await repo.describe(
        event.application_id,
        {
            "seeker_id": event.seeker_id,
            "employer_id": event.employer_id,
            "job_id": event.job_id,
            "job_number": event.job_number,
            "route": "referral",
        },
    )
    await repo.set_status(event.application_id, event.seeker_id, "referred", event.version)
    await repo.add(
        {
            "_id": f"referral:{event.application_id}",
            "seeker_id": event.seeker_id,
            "kind": "referral",
            "on": event.issued_on.isoformat(),
            "application_id": event.application_id,
            "referral_number": event.referral_number,
            "office_name": event.office_name,
        }
    )


async def on_status(
    identity: Identity, event: ApplicationStatusChanged, envelope: Envelope
) -> None:
    """A status for the result; entering ``interview`` is an interview on its day (the
    scheduled day, else the day the status was set). Events may arrive in any order: which
    interviews were moved is decided when reading (``moved_interviews``)."""
    repo = ActivityRepository(identity.repo)
    app_id = event.application_id
    await repo.set_status(app_id, event.seeker_id, event.to_status, event.version)
    if event.to_status != "interview":
        return
    await repo.add(
        {
            "_id": f"interview:{app_id}:{event.version}",
            "seeker_id": event.seeker_id,
            "kind": "interview",
            "on": _day_in_japan(event.interview_at or envelope.occurred_at),
            "application_id": app_id,
            "interview_at": event.interview_at,
            "version": event.version,
            "set_on": _day_in_japan(envelope.occurred_at),
            "again": event.from_status == "interview",
        }
    )


def moved_interviews(interviews: list[dict[str, Any]]) -> set[str]:
    """The interviews that never took place: set again (interview → interview) on or before
    their day, the next one replaced them. One set again after its day had passed was held
    (the next is a further round) and stays."""
    by_application: dict[str, list[dict[str, Any]]] = {}
    for item in interviews:
        by_application.setdefault(item["application_id"], []).append(item)
    moved: set[str] = set()
    for items in by_application.values():
        items.sort(key=lambda i: i.get("version") or 0)
        for earlier, later in pairwise(items):
            if later.get("again") and earlier["on"] >= (later.get("set_on") or ""):
                moved.add(earlier["_id"])
    return moved


async def on_withdrawn(identity: Identity, event: ApplicationWithdrawn) -> None:
    repo = ActivityRepository(identity.repo)
    await repo.set_status(event.application_id, event.seeker_id, "withdrawn", event.version)


async def on_declined(identity: Identity, event: ReferralDeclined) -> None:
    repo = ActivityRepository(identity.repo)
    await repo.set_status(event.application_id, event.seeker_id, "declined", event.version)


# --- reading --------------------------------------------------------------------------------


def _application_item(
    doc: dict[str, Any], app: dict[str, Any], names: dict[str, str]
) -> dict[str, Any]:
    kind = doc["kind"]
    route = app.get("route")
    method = METHODS.get(route or "")
    if kind == "referral":
        method = METHODS["referral"]
    return {
        "on": doc["on"],
        "kind": kind,
        "kind_label": KIND_LABELS[kind],
        "employer_name": names.get(app.get("employer_id") or ""),
        "job_number": app.get("job_number"),
        "title": app.get("title"),
        "method": method,
        "result": RESULTS.get(app.get("status") or ""),
        "status": app.get("status"),
        "application_id": doc.get("application_id"),
        "referral_number": doc.get("referral_number"),
        "interview_at": doc.get("interview_at"),
        "consultation_kind": None,
        "office_code": None,
    }


def _consultation_item(item: dict[str, Any]) -> dict[str, Any]:
    view = consultation_view(item)
    return {
        "on": view["on"],
        "kind": "consultation",
        "kind_label": KIND_LABELS["consultation"],
        "employer_name": None,
        "job_number": None,
        "title": None,
        "method": CONSULTATION_KINDS.get(view["kind"], view["kind"]),
        "result": None,
        "status": None,
        "application_id": None,
        "referral_number": None,
        "interview_at": None,
        "consultation_kind": view["kind"],
        "office_code": view.get("office_code"),
    }


async def activity_record(
    identity: Identity, *, account_id: str, first: str | None, last: str | None
) -> dict[str, Any]:
    """The caller's own activities from ``first`` to ``last`` (both included), in date order."""
    start, end = parse_range(first, last)
    account = await identity.repo.account_by_id(account_id)
    if account is None:
        raise SeekerNotRegistered()
    seeker = seeker_of(account)
    repo = ActivityRepository(identity.repo)
    docs = await repo.between(seeker["seeker_id"], start.isoformat(), end.isoformat())
    with_interviews = sorted({d["application_id"] for d in docs if d["kind"] == "interview"})
    if with_interviews:
        moved = moved_interviews(await repo.interviews_of(with_interviews))
        docs = [d for d in docs if d["_id"] not in moved]
    apps = await repo.applications_by_id(
        sorted({d["application_id"] for d in docs if d.get("application_id")})
    )
    names = await repo.employer_names(
        sorted({a["employer_id"] for a in apps.values() if a.get("employer_id")})
    )
    items = [_application_item(d, apps.get(d.get("application_id") or "", {}), names) for d in docs]
    for c in seeker.get("consultations") or []:
        item = _consultation_item(c)
        if start.isoformat() <= item["on"] <= end.isoformat():
            items.append(item)
    items.sort(key=lambda i: (i["on"], KIND_ORDER[i["kind"]]))
    log.info(
        "identity.activity_record.read",
        seeker_id=seeker["seeker_id"],
        days=(end - start).days + 1,
        count=len(items),
    )
    return {
        "from": start,
        "to": end,
        "seeker_number": seeker["seeker_number"],
        "name": seeker.get("name"),
        "office_code": seeker["office_code"],
        "generated_at": identity.clock.now(),
        "count": len(items),
        "items": items,
    }
