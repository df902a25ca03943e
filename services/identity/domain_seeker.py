"""A seeker registration's rules without I/O: validity dates and extensions, expiry notices,
the effective status, age bands, what employers may see (the matching profile), and the errors
the seeker use cases raise."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from contracts.identity import MatchingProfile
from servicekit.errors import Conflict, DomainError, Forbidden, NotFound

JST = ZoneInfo("Asia/Tokyo")

SeekerStatus = Literal["provisional", "registered", "cancelled", "lapsed"]
ActivityKind = Literal["application", "referral", "consultation"]
# 相談記録の種類 (a fixed list; stored by its key, shown by its label)
ConsultationKind = Literal[
    "career", "documents", "interview_practice", "job_search", "seminar", "training", "other"
]
CONSULTATION_KINDS: dict[str, str] = {
    "career": "職業相談",
    "documents": "応募書類の相談・添削",
    "interview_practice": "面接指導",
    "job_search": "求人の検索・情報提供",
    "seminar": "セミナー・講習",
    "training": "職業訓練の相談",
    "other": "その他",
}
CONSULTATION_NOTE_MAX = 2000
ACTIVE: tuple[str, ...] = ("provisional", "registered")
# notices go out this many days before the last valid day
NOTICE_DAYS: tuple[int, ...] = (14, 7, 1)
LAPSE = "lapsed"
ANNOTATION_LIMIT = 200
CONSULTATION_LIMIT = 500
OFFICE_LABEL = "ハローワーク追記"


def today_jst(now: datetime) -> date:
    return now.astimezone(JST).date()


def stored_time(now: datetime) -> datetime:
    """A time as the database keeps it (milliseconds), so what a change answers is what a
    later read shows."""
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


# --- validity --------------------------------------------------------------------------------


def end_of_month(year: int, month: int) -> date:
    """The last day of a month; ``month`` may run past 12 (13 is next January)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def valid_until(registered_on: date) -> date:
    """Valid to the end of the month after next: registered 2026-11-24 → 2027-01-31,
    2027-12-31 → 2028-02-29."""
    return end_of_month(registered_on.year, registered_on.month + 2)


def in_last_month(expires_on: date, on: date) -> bool:
    """``on`` falls in the calendar month of the last valid day, not after it."""
    return (on.year, on.month) == (expires_on.year, expires_on.month) and on <= expires_on


def extended(expires_on: date) -> date:
    """One month more: to the end of the month after the current last month."""
    return end_of_month(expires_on.year, expires_on.month + 1)


def extension_for(expires_on: date, on: date) -> date | None:
    """The new last day when an activity on ``on`` extends the registration, else None."""
    return extended(expires_on) if in_last_month(expires_on, on) else None


# --- status and notices ----------------------------------------------------------------------


def effective_status(seeker: dict[str, Any], today: date) -> SeekerStatus:
    """A registration past its last day is lapsed even before the expiry scan has marked it."""
    status: SeekerStatus = seeker["status"]
    expires_on = seeker.get("expires_on")
    if status in ACTIVE and expires_on and date.fromisoformat(expires_on) < today:
        return "lapsed"
    return status


def notice_key(expires_on: date, days: int | str) -> str:
    return f"{expires_on.isoformat()}:{days}"


@dataclass(frozen=True)
class Due:
    """What the expiry scan must raise for one registration today."""

    kind: Literal["expiring", "lapsed"]
    days_left: int
    marks: tuple[str, ...]  # the notice keys this covers (skipped stages included)


def due(expires_on: date, sent: list[str], today: date) -> Due | None:
    """The notice due today, if any. After downtime only the most urgent stage goes out; the
    stages it overtook are marked sent with it. Each key is recorded once, so repeats do nothing."""
    days_left = (expires_on - today).days
    if days_left < 0:
        key = notice_key(expires_on, LAPSE)
        return None if key in sent else Due("lapsed", days_left, (key,))
    pending = [d for d in NOTICE_DAYS if days_left <= d and notice_key(expires_on, d) not in sent]
    if not pending:
        return None
    return Due("expiring", days_left, tuple(notice_key(expires_on, d) for d in pending))


def next_due_on(expires_on: date, sent: list[str]) -> date:
    """The first day something new becomes due (the scan's index key)."""
    days = [
        expires_on - timedelta(days=d) for d in NOTICE_DAYS if notice_key(expires_on, d) not in sent
    ]
    return min([*days, expires_on + timedelta(days=1)])


# --- what employers see ----------------------------------------------------------------------


def age(birth_date: date, today: date) -> int:
    years = today.year - birth_date.year
    return years - ((today.month, today.day) < (birth_date.month, birth_date.day))


def age_band(birth_date: date, today: date) -> str:
    """Five-year bands: 25 → "25-29"."""
    low = age(birth_date, today) // 5 * 5
    return f"{low}-{low + 4}"


def experience(work_history: list[dict[str, Any]]) -> str | None:
    """Occupations and periods, never the companies: "経理事務 2018-04〜2023-03"."""
    parts = []
    for item in work_history:
        if not item.get("occupation"):
            continue
        period = f"{item.get('from') or ''}〜{item.get('to') or ''}"
        parts.append(f"{item['occupation']} {period}" if period != "〜" else item["occupation"])
    return "、".join(parts) or None


def matching_profile(seeker: dict[str, Any], today: date) -> MatchingProfile:
    """The desired conditions and experience WITHOUT personal data (no name, address, birth date,
    e-mail, phone or company names): what employers see while the profile is public."""
    profile = seeker.get("profile") or {}
    birth = seeker.get("birth_date")
    return MatchingProfile.model_validate(
        {
            "age_band": age_band(date.fromisoformat(birth), today) if birth else None,
            "desired_occupations": profile.get("desired_occupations") or [],
            "desired_places": profile.get("desired_places") or [],
            "employment_types": profile.get("employment_types") or [],
            "desired_wage_min": profile.get("desired_wage_min"),
            "desired_wage_unit": profile.get("desired_wage_unit"),
            "working_hours": profile.get("working_hours"),
            "working_days": profile.get("working_days"),
            "licenses": profile.get("licenses") or [],
            "education": profile.get("education"),
            "experience": experience(profile.get("work_history") or []),
            "self_pr": profile.get("self_pr"),
        }
    )


def visible_to_employers(seeker: dict[str, Any], today: date) -> bool:
    return seeker.get("visibility") == "public" and effective_status(seeker, today) in ACTIVE


# what an employer's seeker search needs: it filters on these (occupation, prefecture,
# employment type; applications' repository_projections.public_seekers), and a profile
# registered without them has not reached the search at all (no profile event yet)
LISTING_FIELDS: dict[str, str] = {
    "desired_occupations": "希望職種",
    "desired_places": "希望勤務地",
    "employment_types": "希望する雇用形態",
}
LISTING_REASONS: dict[str, str] = {
    "private": "求職情報は非公開です。公開にすると事業所の検索に表示されます。",
    "cancelled": "求職登録が取り消されているため、事業所の検索には表示されません。",
    "lapsed": "求職登録の有効期限が切れているため、事業所の検索には表示されません。"
    "ハローワークで更新してください。",
    "missing_fields": "公開中ですが、必要な項目が入力されていないため事業所の検索には表示されま"
    "せん。次の項目を入力してください：",
}
LISTED_MESSAGE = "公開中です。事業所の求職者検索に表示されます。"


def listing(seeker: dict[str, Any], today: date) -> dict[str, Any]:
    """Whether employers' seeker search lists the profile now, and if not why: ``reason`` is
    private, cancelled, lapsed or missing_fields; ``missing_fields`` (stable names with Japanese
    labels) are the fields to fill in for the search to list it once public."""
    profile = seeker.get("profile") or {}
    missing = [
        {"field": name, "label": label}
        for name, label in LISTING_FIELDS.items()
        if not profile.get(name)
    ]
    status = effective_status(seeker, today)
    reason: str | None = None
    if status in ("cancelled", "lapsed"):
        reason = status
    elif seeker.get("visibility") != "public":
        reason = "private"
    elif missing:
        reason = "missing_fields"
    if reason is None:
        message = LISTED_MESSAGE
    elif reason == "missing_fields":
        message = LISTING_REASONS[reason] + "、".join(m["label"] for m in missing) + "。"
    else:
        message = LISTING_REASONS[reason]
    return {
        "listed": reason is None,
        "reason": reason,
        "missing_fields": missing,
        "message": message,
    }


def accepts_requests_now(seeker: dict[str, Any], today: date) -> bool:
    """Whether an employer may send a direct request now: public, active, and the seeker
    accepts them."""
    accepts = bool((seeker.get("profile") or {}).get("accepts_direct_requests", False))
    return accepts and visible_to_employers(seeker, today)


# --- errors ----------------------------------------------------------------------------------


class SeekerNotRegistered(NotFound):
    code = "seeker_not_registered"
    ja = "求職登録がありません。求職申込みを行ってください。"
    en = "This account has no seeker registration. Please submit a seeker application."


class SeekerNotFound(NotFound):
    code = "seeker_not_found"
    ja, en = "求職者が見つかりません。", "The seeker was not found."


class OtherOffice(Forbidden):
    code = "other_office"
    ja = "他の安定所の求職者は扱えません。"
    en = "This seeker belongs to another office."


class RegistrationCancelled(Conflict):
    code = "registration_cancelled"
    ja = "求職登録は取り消されています。閲覧のみ可能です。"
    en = "The registration has been cancelled; it can only be read."


class RegistrationLapsed(Conflict):
    code = "registration_lapsed"
    ja = "求職登録の有効期限が切れています。ハローワークで更新してください。"
    en = "The registration has lapsed; the office can renew it."


class AlreadyRegistered(Conflict):
    code = "already_registered"
    ja = "既に求職登録があります。"
    en = "This account already has a seeker registration."


class NotProvisional(Conflict):
    code = "not_provisional"
    ja = "仮登録（オンライン登録）の求職者ではありません。"
    en = "This registration is not provisional."


class TooManyEntries(Conflict):
    code = "too_many_entries"
    ja = "登録できる件数の上限に達しています。"
    en = "The maximum number of entries has been reached."


class ConcurrentChange(Conflict):
    code = "concurrent_change"
    ja = "同時に更新されました。もう一度お試しください。"
    en = "The record was changed at the same time. Please try again."


def ensure_changeable(seeker: dict[str, Any], today: date) -> None:
    """Seekers' own changes need an active registration (cancelled and lapsed are read-only)."""
    status = effective_status(seeker, today)
    if status == "cancelled":
        raise RegistrationCancelled()
    if status == "lapsed":
        raise RegistrationLapsed()


class ProfileInvalid(DomainError):
    """Checks across fields and against the stored profile; rendered like a validation error
    (422, ``errors`` per field, in the reader's language) by identity's own handler."""

    status, code = 422, "validation_error"
    ja, en = "入力内容に誤りがあります。", "The input is not valid."

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__()
        self.violations = violations


@dataclass(frozen=True)
class Violation:
    field: str
    code: str
    ja: str
    en: str

    def as_error(self, *, english: bool) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.en if english else self.ja}


# rough bounds per wage unit (yen): outside them an input is a typo, not a wish
WAGE_BOUNDS: dict[str, tuple[int, int, str]] = {
    "monthly": (10_000, 10_000_000, "月給"),
    "daily": (1_000, 1_000_000, "日給"),
    "hourly": (100, 100_000, "時給"),
}


def check_profile(profile: dict[str, Any]) -> list[Violation]:
    """Rules that need more than one field (after a change is merged into the stored profile)."""
    wage, unit = profile.get("desired_wage_min"), profile.get("desired_wage_unit")
    if wage is None:
        return []
    if unit is None:
        return [
            Violation(
                "desired_wage_unit",
                "missing",
                "希望賃金の単位（monthly 月給・daily 日給・hourly 時給）を指定してください。",
                "Give the unit of the desired wage (monthly, daily or hourly).",
            )
        ]
    low, high, label = WAGE_BOUNDS[unit]
    if not low <= wage <= high:
        return [
            Violation(
                "desired_wage_min",
                "out_of_range",
                f"{label}は{low:,}円から{high:,}円の範囲で入力してください。",
                f"A {unit} wage must be between {low:,} and {high:,} yen.",
            )
        ]
    return []
