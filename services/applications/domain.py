"""Applications domain without I/O: the state machine (a pure table), who may act, text rules,
Japan dates, and the errors.

States of an application::

    referral (オンライン紹介):  referral_requested ─issue_referral→ referred ─┐
                                  │ └decline_referral→ declined                │
    direct (オンライン自主応募): applied ──────────────────────────────────────┤
                                                                                 ▼
                     screening → interview → offered → hired        (forward, steps may be skipped;
                                   ↻ (new date/place)                 interview → interview moves it)
                     rejected from applied/referred/screening/interview/offered
                     withdrawn (辞退, the seeker) from every open state

``hired``, ``rejected``, ``withdrawn`` and ``declined`` are final. The employer sees a referral
application only once the letter is issued.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from servicekit.errors import Conflict, DomainError, Forbidden, NotFound

JST = ZoneInfo("Asia/Tokyo")

Status = Literal[
    "referral_requested",
    "applied",
    "referred",
    "screening",
    "interview",
    "offered",
    "hired",
    "rejected",
    "withdrawn",
    "declined",
]
Action = Literal[
    "issue_referral",
    "decline_referral",
    "screening",
    "interview",
    "offered",
    "hired",
    "rejected",
    "withdraw",
]
STATUSES: tuple[Status, ...] = (
    "referral_requested",
    "applied",
    "referred",
    "screening",
    "interview",
    "offered",
    "hired",
    "rejected",
    "withdrawn",
    "declined",
)
ACTIONS: tuple[Action, ...] = (
    "issue_referral",
    "decline_referral",
    "screening",
    "interview",
    "offered",
    "hired",
    "rejected",
    "withdraw",
)
# the employer's (and staff's) progress actions, in their order
PROGRESS: tuple[Action, ...] = ("screening", "interview", "offered", "hired", "rejected")
FINAL: frozenset[Status] = frozenset({"hired", "rejected", "withdrawn", "declined"})
OPEN: frozenset[Status] = frozenset(s for s in STATUSES if s not in FINAL)
# an application's (or request's) timeline keeps its newest entries only: the state machine
# bounds it (reschedules are limited too), this is the backstop that keeps documents small
TIMELINE_LIMIT = 100
RATE_WINDOW = timedelta(minutes=1)

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    ("referral_requested", "issue_referral"): "referred",
    ("referral_requested", "decline_referral"): "declined",
    ("referral_requested", "withdraw"): "withdrawn",
    ("applied", "screening"): "screening",
    ("applied", "interview"): "interview",
    ("applied", "offered"): "offered",
    ("applied", "hired"): "hired",
    ("applied", "rejected"): "rejected",
    ("applied", "withdraw"): "withdrawn",
    ("referred", "screening"): "screening",
    ("referred", "interview"): "interview",
    ("referred", "offered"): "offered",
    ("referred", "hired"): "hired",
    ("referred", "rejected"): "rejected",
    ("referred", "withdraw"): "withdrawn",
    ("screening", "interview"): "interview",
    ("screening", "offered"): "offered",
    ("screening", "hired"): "hired",
    ("screening", "rejected"): "rejected",
    ("screening", "withdraw"): "withdrawn",
    ("interview", "interview"): "interview",  # another date or place
    ("interview", "offered"): "offered",
    ("interview", "hired"): "hired",
    ("interview", "rejected"): "rejected",
    ("interview", "withdraw"): "withdrawn",
    ("offered", "hired"): "hired",
    ("offered", "rejected"): "rejected",
    ("offered", "withdraw"): "withdrawn",
}

# who may take an action (besides admin, who may do what staff may)
ACTORS: dict[Action, frozenset[str]] = {
    "issue_referral": frozenset({"staff"}),
    "decline_referral": frozenset({"staff"}),
    **{a: frozenset({"employer", "staff"}) for a in PROGRESS},
    "withdraw": frozenset({"seeker", "system"}),
}


def next_status(status: str, action: str) -> Status:
    """The state after ``action``; InvalidTransition when the table has no such move."""
    target = TRANSITIONS.get((status, action))  # type: ignore[arg-type]
    if target is None:
        raise InvalidTransition()
    return target


def recent_changes(app: dict[str, Any], now: datetime, per_minute: int) -> list[datetime]:
    """The times of the application's status changes within the last minute, with ``now``
    added; TooManyStatusChanges (with Retry-After) when ``per_minute`` were made already."""
    recent = sorted(t for t in app.get("recent_changes") or [] if t > now - RATE_WINDOW)
    if len(recent) >= per_minute:
        wait = recent[-per_minute] + RATE_WINDOW - now
        retry_after = max(1, math.ceil(wait.total_seconds()))
        raise TooManyStatusChanges(headers={"Retry-After": str(retry_after)})
    return [*recent, now][-per_minute:]


def next_actions(status: str, role: str) -> list[Action]:
    """The actions ``role`` may take from ``status`` (for clients: which buttons to offer)."""
    allowed = {"staff", "admin"} if role in ("staff", "admin") else {role}
    return [
        action for action in ACTIONS if (status, action) in TRANSITIONS and ACTORS[action] & allowed
    ]


def is_final(status: str) -> bool:
    return status in FINAL


def employer_sees(route: str, status: str, referred: bool) -> bool:
    """Direct applications go to the employer at once; referrals once the letter is issued."""
    return route == "direct" or referred


# --- text and dates --------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """NFKC, line breaks made ``\\n``, other control characters removed (tabs become spaces),
    outer whitespace trimmed. Length limits apply to the result."""
    text = unicodedata.normalize("NFKC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\t", " ")
    text = "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")
    return text.strip()


def today_jst(now: datetime) -> date:
    return now.astimezone(JST).date()


def sort_key(at: datetime, doc_id: str) -> str:
    """A string that orders documents by time (then id): the cursor of every list."""
    return f"{int(at.timestamp() * 1000):014d}-{doc_id}"


# --- working conditions that differ from the posting (労働条件の相違) -------------------------

CONDITIONS_ITEM_NAMES: dict[str, str] = {
    "wage": "賃金",
    "hours": "労働時間",
    "holidays": "休日",
    "place": "就業場所",
    "contract_type": "雇用形態・契約期間",
    "other": "その他",
}


def conditions_summary(note: str | None, items: list[dict[str, str]]) -> str | None:
    """One text for readers of the event that know no items: the note, else the items."""
    if note:
        return note
    parts = [f"{CONDITIONS_ITEM_NAMES.get(i['item'], i['item'])}: {i['text']}" for i in items]
    return " / ".join(parts) or None


# --- projections read as rules ---------------------------------------------------------------

SeekerState = Literal["unknown", "provisional", "registered", "cancelled", "lapsed"]


def seeker_state(doc: dict[str, Any] | None) -> SeekerState:
    if doc is None or "status" not in doc:
        return "unknown"
    if doc["status"] == "cancelled":
        return "cancelled"
    if doc.get("lapsed"):
        return "lapsed"
    state: SeekerState = "provisional" if doc["status"] == "provisional" else "registered"
    return state


def posting_state(doc: dict[str, Any], today: date) -> Literal["open", "closed", "expired"]:
    """An open posting past its last valid day (Japan time) is expired before the event says so."""
    status = doc.get("status", "open")
    if status == "closed":
        return "closed"
    if status == "expired":
        return "expired"
    valid_until = doc.get("valid_until")
    if valid_until and date.fromisoformat(valid_until) < today:
        return "expired"
    return "open"


# --- errors ----------------------------------------------------------------------------------


class ApplicationNotFound(NotFound):
    code = "application_not_found"
    ja, en = "指定された応募は見つかりません。", "The application was not found."


class RequestNotFound(NotFound):
    code = "request_not_found"
    ja, en = "指定されたリクエストは見つかりません。", "The direct request was not found."


class JobNotFound(NotFound):
    code = "job_not_found"
    ja, en = "指定された求人は見つかりません。", "The job posting was not found."


class ReferralLetterNotIssued(NotFound):
    code = "referral_letter_not_issued"
    ja, en = "紹介状はまだ発行されていません。", "No referral letter has been issued yet."


class InvalidTransition(Conflict):
    code = "invalid_transition"
    ja = "現在の応募状況ではこの操作はできません。"
    en = "This step is not possible from the application's current status."


class RescheduleLimitReached(Conflict):
    code = "reschedule_limit_reached"
    ja = "この応募の面接日程はこれ以上変更できません。求職者とメッセージで調整してください。"
    en = "This application's interview cannot be rescheduled any more; agree with the seeker by message."


class TooManyStatusChanges(DomainError):
    status, code = 429, "too_many_status_changes"
    ja = "この応募の状況を短時間に何度も変更しています。しばらくしてからお試しください。"
    en = "This application's status changed too often in a short time. Try again shortly."


class ConcurrentChange(Conflict):
    code = "concurrent_change"
    ja = "他の操作と重なりました。画面を更新してもう一度お試しください。"
    en = "Another change happened at the same time; reload and try again."


class AlreadyApplied(Conflict):
    code = "already_applied"
    ja, en = "この求人には既に応募しています。", "You have already applied to this posting."


class ApplicationPending(Conflict):
    code = "application_pending"
    ja = "この求人への応募を処理中です。しばらくしてから再度お試しください。"
    en = "An earlier attempt to apply to this posting is still being recorded; try again shortly."


class PostingClosed(Conflict):
    code = "posting_closed"
    ja = "この求人は募集を終了しています。"
    en = "This posting is closed or has expired."


class DirectApplicationNotAccepted(Conflict):
    code = "direct_application_not_accepted"
    ja = "この求人はオンライン自主応募を受け付けていません。"
    en = "This posting does not accept direct (self-) applications."


class ReferralNotAccepted(Conflict):
    code = "online_referral_not_accepted"
    ja = "この求人はオンライン紹介を受け付けていません。"
    en = "This posting does not accept online referrals."


class ProvisionalSeeker(Conflict):
    code = "provisional_seeker"
    ja = "仮登録の方はオンライン紹介を利用できません。ハローワークで本登録をしてください。"
    en = "Provisional registrations cannot use online referral; complete the registration first."


class SeekerCancelled(Conflict):
    code = "seeker_cancelled"
    ja, en = "求職登録は取り消されています。", "The seeker registration has been cancelled."


class RegistrationLapsed(Conflict):
    code = "registration_lapsed"
    ja = "求職登録の有効期限が切れています。ハローワークで更新してください。"
    en = "The seeker registration has lapsed; renew it at the office."


class SeekerUnknown(Conflict):
    code = "seeker_unknown"
    ja = "求職登録の情報がまだ反映されていません。しばらくしてからお試しください。"
    en = "Your seeker registration is not known here yet; try again shortly."


class NoSeekerRegistration(Forbidden):
    code = "no_seeker_registration"
    ja, en = "求職登録のある方のみ利用できます。", "Only registered seekers can do this."


class RequestNotPending(Conflict):
    code = "request_not_pending"
    ja = "このリクエストには既に回答済みか、期限が切れています。"
    en = "This direct request was already answered, declined or has expired."


class RequestJobMismatch(Conflict):
    code = "request_job_mismatch"
    ja = "リクエストの求人と応募する求人が異なります。"
    en = "The direct request is for another posting."


class ProfileNotPublic(Conflict):
    code = "profile_not_public"
    ja = "この求職者の求職情報は公開されていません。"
    en = "This seeker's profile is not public."


class SeekerProfileNotFound(NotFound):
    code = "seeker_profile_not_found"
    ja = "この求職者の公開されている求職情報はありません。"
    en = "This seeker has no public profile."


class RequestsNotAccepted(Conflict):
    code = "requests_not_accepted"
    ja = "この求職者はリクエストを受け付けていません。"
    en = "This seeker does not accept direct requests."


class AlreadyRequested(Conflict):
    code = "already_requested"
    ja = "この求職者には、この求人で既にリクエストを送っています。"
    en = "This seeker was already sent a request for this posting."


class RequestQuotaExceeded(Conflict):
    code = "request_quota_exceeded"
    ja = "この求人で送れるリクエストの上限に達しました。"
    en = "This posting's direct request quota is used up."


class EmployerUnknown(Forbidden):
    code = "employer_unknown"
    ja = "事業所の情報がまだ反映されていません。しばらくしてからお試しください。"
    en = "The establishment is not known here yet; try again shortly."


class EmployerMypageRequired(Forbidden):
    code = "employer_mypage_required"
    ja = "求人者マイページを開設した事業所のみ利用できます。"
    en = "Only employers with an employer My Page can do this."


class NotPostingOwner(Forbidden):
    code = "not_posting_owner"
    ja, en = "自社の求人ではありません。", "This posting belongs to another employer."
