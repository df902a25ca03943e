"""The Japanese texts of system messages: what changed in the application or request, posted in
its conversation so both sides see it beside their messages. Times in Japan time."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.applications import (
    ApplicationPostingClosed,
    ApplicationStatusChanged,
    ApplicationWithdrawn,
    ReferralIssued,
    RequestDeclined,
    RequestExpired,
)
from services.messaging.text import clean, jst_datetime


@dataclass(frozen=True)
class SystemText:
    code: str  # machine name of the change, for clients that show their own wording
    body: str


STATUS_TEXTS = {
    "screening": "書類選考を開始しました。",
    "interview": "面接を行うことになりました。",
    "offered": "選考の結果、内定となりました。",
    "hired": "採用が決定しました。",
    "rejected": "選考の結果、今回は採用を見送ることになりました。",
}


def status_changed(event: ApplicationStatusChanged) -> SystemText | None:
    head = STATUS_TEXTS.get(event.to_status)
    if head is None:
        return None
    lines = [head]
    if event.to_status == "interview":
        if event.interview_at is not None:
            lines.append(f"面接日時: {jst_datetime(event.interview_at)}（日本時間）")
        if event.interview_place:
            lines.append(f"場所: {clean(event.interview_place, multiline=False)}")
    if event.to_status in ("offered", "hired") and event.conditions_differ:
        lines.append("※採用条件が求人票の内容と異なります。")
        if event.conditions_note:
            lines.append(f"条件: {clean(event.conditions_note)}")
    if event.note:
        lines.append(f"連絡事項: {clean(event.note)}")
    return SystemText(f"status_{event.to_status}", "\n".join(lines))


def withdrawn(event: ApplicationWithdrawn) -> SystemText:
    if event.by_role == "seeker":
        body = "応募者が応募を辞退しました。"
    else:
        body = "求職登録の取消などにより、この応募は終了しました。"
    if event.reason and event.by_role == "seeker":
        body += f"\n理由: {clean(event.reason)}"
    return SystemText("withdrawn", body)


def referral_issued(event: ReferralIssued) -> SystemText:
    return SystemText(
        "referral_issued",
        f"{clean(event.office_name, multiline=False)}が紹介状を発行しました"
        f"（紹介番号: {event.referral_number}）。",
    )


def posting_closed(event: ApplicationPostingClosed) -> SystemText:
    why = "募集を終了しました" if event.reason == "closed" else "掲載期限が終了しました"
    return SystemText(f"posting_{event.reason}", f"この求人は{why}。応募の選考は続きます。")


def request_declined(_: RequestDeclined) -> SystemText:
    return SystemText("request_declined", "求職者がリクエストを辞退しました。")


def request_expired(event: RequestExpired) -> SystemText:
    why = {
        "posting_closed": "求人の募集が終了したため",
        "posting_expired": "求人の掲載期限が終了したため",
        "seeker_cancelled": "求職登録が取り消されたため",
    }[event.reason]
    return SystemText("request_expired", f"{why}、このリクエストには応募できなくなりました。")
