"""Jobs domain rules without I/O: validity dates, wage comparison, lifecycle, and the errors."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from servicekit.cursors import InvalidCursor as InvalidCursor
from servicekit.errors import Conflict, DomainError, Forbidden, NotFound

JST = ZoneInfo("Asia/Tokyo")
Status = Literal["draft", "open", "closed", "expired"]
WageUnit = Literal["monthly", "daily", "hourly"]

# rough monthly equivalents, used only to order postings of different wage units by wage
MONTHLY_FACTOR: dict[str, int] = {"monthly": 1, "daily": 21, "hourly": 160}

SAVED_SEARCH_LIMIT = 20
FAVORITE_LIMIT = 200
# a posting keeps the snapshots of its newest 100 earlier revisions (each at most ~15 KB, so the
# document stays far below MongoDB's 16 MB); older ones are dropped as new ones come
HISTORY_LIMIT = 100


# --- dates -----------------------------------------------------------------------------------


def today_jst(now: datetime) -> date:
    return now.astimezone(JST).date()


def end_of_month_after_next(day: date) -> date:
    """A posting published on ``day`` is valid to the last day of the month after next
    (published 2026-11-24 → valid to 2027-01-31)."""
    month_index = day.month - 1 + 2
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def expires_at(valid_until: date) -> datetime:
    """The instant (UTC) the posting stops being valid: the start of the next day in Japan."""
    return datetime.combine(valid_until + timedelta(days=1), time(0), JST).astimezone(UTC)


def effective_status(doc: dict[str, Any], now: datetime) -> Status:
    """An open posting past its validity is expired even before the expiry loop has marked it."""
    status: Status = doc["status"]
    if status == "open" and doc["expires_at"] <= now:
        return "expired"
    return status


# --- wages -----------------------------------------------------------------------------------


def wage_top(wage_min: int, wage_max: int | None) -> int:
    """The best wage a posting offers: its maximum, or its minimum when it has no maximum."""
    return wage_max if wage_max is not None else wage_min


def meets_wage(
    *, unit: str, wage_min: int, wage_max: int | None, wanted: int, wanted_unit: str
) -> bool:
    """Like units only: a monthly wish is never met by an hourly wage, however high."""
    return unit == wanted_unit and wage_top(wage_min, wage_max) >= wanted


def wage_rank(unit: str, wage_min: int, wage_max: int | None) -> int:
    return wage_top(wage_min, wage_max) * MONTHLY_FACTOR[unit]


# --- minimum wage (最低賃金) -----------------------------------------------------------------

# the most hours a month of scheduled work can have (40 hours a week, 労働基準法 第32条)
LEGAL_MONTHLY_HOURS = 40 * 365 / 7 / 12
LEGAL_DAILY_HOURS = 8.0


def shift_hours(start: str, end: str, break_minutes: int) -> float:
    """Hours worked in one shift; an end at or before the start runs past midnight."""
    sh, sm = (int(p) for p in start.split(":"))
    eh, em = (int(p) for p in end.split(":"))
    minutes = (eh * 60 + em - sh * 60 - sm) % 1440 or 1440
    return max(minutes - break_minutes, 0) / 60


def daily_hours(shifts: list[dict[str, Any]]) -> float:
    """The longest shift (the lowest hourly rate); 8 hours when the posting gives none."""
    hours = [shift_hours(s["start"], s["end"], s.get("break_minutes", 0)) for s in shifts]
    return max([h for h in hours if h > 0], default=LEGAL_DAILY_HOURS)


def monthly_hours(shifts: list[dict[str, Any]], annual_holidays: int | None) -> float:
    """Scheduled hours a month as Hello Work reckons them (daily hours × working days a year
    / 12), never more than the legal 40-hour week allows (so an unstated schedule is read in
    the employer's favour)."""
    days = max(365 - (annual_holidays or 0), 1)
    return min(daily_hours(shifts) * days / 12, LEGAL_MONTHLY_HOURS)


def hourly_equivalent(
    unit: str, wage: int, shifts: list[dict[str, Any]], annual_holidays: int | None
) -> float:
    """A wage per hour: monthly and daily wages divided by the posting's hours and days."""
    if unit == "hourly":
        return float(wage)
    if unit == "daily":
        return wage / daily_hours(shifts)
    return wage / monthly_hours(shifts, annual_holidays)


# --- errors ----------------------------------------------------------------------------------


class JobNotFound(NotFound):
    code = "job_not_found"
    ja, en = "指定された求人は見つかりません。", "The job posting was not found."


class EmployerNotFound(NotFound):
    code = "employer_not_found"
    ja, en = "指定された事業所は見つかりません。", "The employer was not found."


class SeekerNotFound(NotFound):
    code = "seeker_not_found"
    ja, en = "指定された求職者は見つかりません。", "The seeker was not found."


class NotOwner(Forbidden):
    code = "not_posting_owner"
    ja, en = "この求人を操作する権限がありません。", "This posting belongs to another employer."


class OtherOffice(Forbidden):
    code = "other_office"
    ja = "他のハローワークの担当分は操作できません。"
    en = "This belongs to another employment office."


class MypageRequired(Forbidden):
    code = "employer_mypage_required"
    ja = "求人者マイページを開設した事業所のみ求人を登録できます。ハローワークにご相談ください。"
    en = "Only employers with an employer My Page can post jobs themselves."


class DirectApplicationNeedsMypage(Conflict):
    code = "direct_application_requires_mypage"
    ja = "オンライン自主応募の受付は、求人者マイページを開設した事業所のみ設定できます。"
    en = "Online self-application needs an employer My Page."


class PostingClosedError(Conflict):
    code = "posting_closed"
    ja, en = "この求人は募集を終了しています。", "This posting is closed."


class NotADraft(Conflict):
    code = "posting_not_draft"
    ja = "この求人は下書きではありません。"
    en = "This posting is not a draft."


class DraftNotAllowed(Conflict):
    code = "posting_is_draft"
    ja = "下書きの求人にはこの操作はできません。先に公開してください。"
    en = "The posting is a draft: publish it first."


class PostingNotOpen(Conflict):
    code = "posting_not_open"
    ja, en = "この求人は現在募集していません。", "This posting is not open."


class EmployerIdRequired(DomainError):
    status, code = 422, "employer_id_required"
    ja, en = "事業所（employer_id）を指定してください。", "employer_id is required for staff."


class NoSeekerRegistration(Forbidden):
    code = "no_seeker_registration"
    ja, en = "求職登録がありません。", "This account has no seeker registration."


class SeekerCancelled(Conflict):
    code = "seeker_cancelled"
    ja, en = "求職登録が取り消されています。", "The seeker registration was cancelled."


class SeekerProvisional(Conflict):
    code = "seeker_provisional"
    ja = "仮登録の求職者にはおすすめ求人を送れません。本登録後に送ってください。"
    en = "The seeker's registration is provisional."


class SavedSearchLimit(Conflict):
    code = "saved_search_limit"
    ja = f"保存できる検索条件は {SAVED_SEARCH_LIMIT} 件までです。不要な条件を削除してください。"
    en = f"At most {SAVED_SEARCH_LIMIT} saved searches."


class FavoriteLimit(Conflict):
    code = "favorite_limit"
    ja = f"お気に入り求人は {FAVORITE_LIMIT} 件までです。不要なものを削除してください。"
    en = f"At most {FAVORITE_LIMIT} favourites."


class SavedSearchNotFound(NotFound):
    code = "saved_search_not_found"
    ja, en = "指定された検索条件は見つかりません。", "The saved search was not found."


class RecommendationNotFound(NotFound):
    code = "recommendation_not_found"
    ja, en = "指定されたおすすめ求人は見つかりません。", "The recommendation was not found."


class AlreadyRecommended(Conflict):
    code = "already_recommended"
    ja, en = "この求人はすでにこの求職者に送っています。", "Already recommended to this seeker."


class PostingInvalid(DomainError):
    """A posting refused by a rule beyond its fields' shapes (the minimum wage): the same code
    and shape as a validation error, with the field-level ``errors``."""

    status, code = 422, "validation_error"
    ja, en = "入力内容に誤りがあります。", "The input is not valid."


class InvalidCondition(DomainError):
    status, code = 422, "invalid_search_condition"
    ja, en = "検索条件に誤りがあります。", "The search conditions are not valid."
