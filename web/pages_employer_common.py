"""What the 求人者マイページ modules share: labels, the notices after an action, reading one's
own postings, and the API's field errors for a form."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from web.auth import api
from web.deps import (
    Web,
    segment,
)
from web.gateway import ApiError
from web.reference import (
    CONDITION_ITEMS,
    half_width,
)
from web.sessions import Session

ID = re.compile(r"^[0-9a-f]{32}$")
REQUEST_QUOTA_POLICY = 10  # per posting (services/applications settings.request_quota)
MESSAGE_MAX = 1000

POSTING_STATUS = {
    "draft": "下書き",
    "open": "募集中",
    "closed": "募集終了",
    "expired": "紹介期限切れ",
}
APPLICATION_STATUS = {
    "referral_requested": "紹介申込み中",
    "applied": "応募受付",
    "referred": "紹介状発行済み",
    "screening": "書類選考中",
    "interview": "面接",
    "offered": "内定",
    "hired": "採用",
    "rejected": "不採用",
    "withdrawn": "辞退",
    "declined": "紹介見送り",
}
# what an employer can see (referrals appear once the letter is issued)
FILTER_STATUSES = [
    "applied",
    "referred",
    "screening",
    "interview",
    "offered",
    "hired",
    "rejected",
    "withdrawn",
]
ROUTES = {"referral": "ハローワーク紹介", "direct": "直接応募"}
REQUEST_STATUS = {
    "pending": "回答待ち",
    "answered": "応募あり",
    "declined": "辞退",
    "expired": "期限切れ",
}
ACTION_LABELS = {
    "screening": "書類選考へ進める",
    "interview": "面接を設定する",
    "offered": "内定とする",
    "hired": "採用とする",
    "rejected": "不採用とする",
}
# the employer's moves, as the API offers them for an application (its ``next_actions``)
PROGRESS_ACTIONS = ("screening", "interview", "offered", "hired", "rejected")


def _moves(app: dict[str, Any]) -> tuple[str, ...]:
    offered = app.get("next_actions") or []
    return tuple(a for a in offered if a in PROGRESS_ACTIONS)


CONDITIONS_TEXT_MAX = 200
STATUS_LABELS = {
    "status": "次の選考段階",
    "interview_date": "面接日",
    "interview_time": "面接開始時刻",
    "interview_place": "面接場所",
    "note": "メモ",
    "conditions_differ": "求人票との労働条件の相違",
    "conditions_note": "労働条件の相違についての補足",
    **{f"cond_{item}": f"相違の内容（{name}）" for item, name in CONDITION_ITEMS.items()},
}
REQUEST_LABELS = {"job_id": "求人", "message": "メッセージ"}
SEEKER_FILTERS = ("occupation", "prefecture", "employment_type", "wage", "wage_unit")

NOTICES = {
    "created": "求人を登録しました。",
    "drafted": "下書きを保存しました（まだ公開されていません）。",
    "published": "下書きの求人を公開しました。",
    "changed": "求人の内容を変更しました。",
    "closed": "求人の募集を終了しました。",
    "deleted": "下書きの求人を削除しました。",
    "status": "選考状況を更新しました。",
    "sent": "リクエストを送信しました。",
}

_occupations: list[tuple[str, str]] = []


# --- helpers ---------------------------------------------------------------------------------


def _employer_id(session: Session) -> str:
    return str((session.data.get("me") or {}).get("employer_id") or "")


def _notice(done: str) -> str | None:
    return NOTICES.get(done)


async def occupations(web: Web) -> list[tuple[str, str]]:
    """(code, name) of the occupation classification, majors (A–K) each followed by their
    middle groups (01–73), from the API's reference data (kept once read)."""
    if not _occupations:
        try:
            items = await web.gateway.call("GET", "/api/v1/occupations")
        except ApiError:
            return []
        _occupations.extend((str(i["code"]), str(i["name"])) for i in items)
    return list(_occupations)


def occupation_groups(items: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Majors with their middle groups, for <optgroup>s."""
    groups: list[dict[str, Any]] = []
    for code, name in items:
        if code.isalpha():
            groups.append({"code": code, "name": name, "middle": []})
        elif groups:
            groups[-1]["middle"].append((code, name))
    return groups


async def _own_posting(request: Request, session: Session, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = await api(request, "GET", f"/api/v1/jobs/{segment(job_id, '求人')}")
    if job.get("employer_id") != _employer_id(session):
        raise ApiError(404, "not_found", "お探しの求人は見つかりませんでした。")
    return job


async def _own_postings(request: Request) -> list[dict[str, Any]]:
    """Up to 100 own postings (newest first), for choosing one."""
    page = await api(request, "GET", "/api/v1/jobs/mine", params={"limit": 100})
    return list(page.get("items") or [])


def _int(raw: str) -> int | None:
    text = half_width(raw).replace(",", "").replace("円", "").replace("人", "").strip()
    return int(text) if text.isdigit() else None


def _api_field_errors(exc: ApiError, fallback: str = "") -> dict[str, list[str]]:
    """The API's field errors; whole-body ones (field "") go to the field they are about (else
    ``fallback``; "" is shown in the summary only)."""
    errors = exc.field_errors()
    general = errors.pop("", [])
    for message in general:
        target = fallback
        if "賃金" in message:
            target = "wage_max"
        elif "面接" in message:
            target = "interview_date"
        elif "労働条件" in message:
            target = "conditions_differ"
        errors.setdefault(target, []).append(message)
    return errors


# --- home ------------------------------------------------------------------------------------
