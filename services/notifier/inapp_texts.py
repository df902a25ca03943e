"""What each event becomes in the My Page: one notification per recipient, with a Japanese
title, a short body and where it leads (a client path and the API path). No I/O.

Recipients are sides, not accounts: ``seeker:<seeker_id>`` or ``employer:<employer_id>`` (every
account of an establishment shares its notifications), matched from the token's claims. Texts
never carry a message body or a notice body (those stay in the messaging service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from contracts.applications import (
    ApplicationStatusChanged,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    ReferralDeclined,
    ReferralIssued,
    RequestSent,
)
from contracts.identity import RegistrationExpiring
from contracts.jobs import RecommendationSent, SavedSearchMatched
from contracts.messaging import MessageSent

JST = timezone(timedelta(hours=9), "JST")
WEEKDAYS = "月火水木金土日"


@dataclass(frozen=True)
class Spec:
    recipient: str
    type: str
    title: str
    body: str
    web: str
    api: str


def seeker(seeker_id: str) -> str:
    return f"seeker:{seeker_id}"


def employer(employer_id: str) -> str:
    return f"employer:{employer_id}"


def _short(text: str, length: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def _jst(at: datetime) -> str:
    j = at.astimezone(JST)
    return f"{j.month}月{j.day}日（{WEEKDAYS[j.weekday()]}）{j:%H:%M}"


def message_sent(event: MessageSent) -> list[Spec]:
    """People's messages only: a system message repeats a change the application's own
    notification already announced."""
    if event.kind != "user":
        return []
    cid = event.conversation_id
    out = []
    for party in event.recipients:
        who = event.sender_name or ("求人者" if event.sender_role == "employer" else "求職者")
        about = f"（{_short(event.title, 30)}）" if event.title else ""
        base = "/mypage/messages" if party.role == "seeker" else "/employer/messages"
        out.append(
            Spec(
                recipient=f"{party.role}:{party.id}",
                type="message",
                title="新しいメッセージがあります",
                body=f"{_short(who, 40)}からメッセージが届きました{about}",
                web=f"{base}/{cid}",
                api=f"/api/v1/conversations/{cid}/messages",
            )
        )
    return out


def request_sent(event: RequestSent) -> list[Spec]:
    return [
        Spec(
            seeker(event.seeker_id),
            "request",
            "求人者からリクエストが届きました",
            f"{_short(event.employer_name, 40)}「{_short(event.title, 40)}」",
            f"/mypage/requests/{event.request_id}",
            "/api/v1/me/requests",
        )
    ]


def recommendation_sent(event: RecommendationSent) -> list[Spec]:
    return [
        Spec(
            seeker(event.seeker_id),
            "recommendation",
            "ハローワークからおすすめ求人が届きました",
            f"「{_short(event.title, 40)}」{_short(event.employer_name, 30)}",
            f"/mypage/recommendations/{event.recommendation_id}",
            "/api/v1/me/recommendations",
        )
    ]


def saved_search_matched(event: SavedSearchMatched) -> list[Spec]:
    return [
        Spec(
            seeker(event.seeker_id),
            "saved_search",
            "保存した検索条件に新着求人があります",
            f"「{_short(event.name, 30)}」に新着求人が{len(event.jobs)}件あります",
            f"/jobs?{event.query}",
            f"/api/v1/jobs?{event.query}",
        )
    ]


STATUS = {
    "screening": ("書類選考が始まりました", "応募先で書類選考が始まりました。"),
    "interview": ("面接のご案内があります", "面接を行うことになりました。"),
    "offered": ("内定のお知らせがあります", "選考の結果、内定となりました。"),
    "hired": ("採用が決まりました", "採用が決定しました。"),
    "rejected": ("選考結果のお知らせがあります", "選考の結果が届きました。"),
}


def _application(seeker_id: str, application_id: str, title: str, body: str) -> Spec:
    return Spec(
        seeker(seeker_id),
        "application",
        title,
        body,
        f"/mypage/applications/{application_id}",
        "/api/v1/me/applications",
    )


def _employer_application(employer_id: str, application_id: str, title: str, body: str) -> Spec:
    return Spec(
        employer(employer_id),
        "application",
        title,
        body,
        f"/employer/applications/{application_id}",
        "/api/v1/employer/applications",
    )


def status_changed(event: ApplicationStatusChanged) -> list[Spec]:
    text = STATUS.get(event.to_status)
    if text is None:
        return []
    title, body = text
    if event.to_status == "interview" and event.interview_at is not None:
        body = f"面接日時: {_jst(event.interview_at)}（日本時間）"
    return [_application(event.seeker_id, event.application_id, title, body)]


def application_submitted(event: ApplicationSubmitted) -> list[Spec]:
    """The employer learns of a direct application at once; of one through the office only
    when the referral letter is issued."""
    if event.route != "direct":
        return []
    return [
        _employer_application(
            event.employer_id,
            event.application_id,
            "新しい応募があります",
            f"「{_short(event.title, 40)}」に応募がありました。",
        )
    ]


def referral_issued(event: ReferralIssued) -> list[Spec]:
    return [
        _application(
            event.seeker_id,
            event.application_id,
            "紹介状が発行されました",
            f"紹介番号 {event.referral_number}（{_short(event.office_name, 30)}）",
        ),
        _employer_application(
            event.employer_id,
            event.application_id,
            "ハローワークからの紹介による応募があります",
            f"紹介番号 {event.referral_number}",
        ),
    ]


def referral_declined(event: ReferralDeclined) -> list[Spec]:
    return [
        _application(
            event.seeker_id,
            event.application_id,
            "紹介を見送りました",
            _short(event.reason, 80),
        )
    ]


def withdrawn(event: ApplicationWithdrawn) -> list[Spec]:
    if event.by_role == "seeker":
        mine = "応募を辞退しました。"
    else:
        mine = "求職登録の取消などにより、応募が終了しました。"
    out = [_application(event.seeker_id, event.application_id, "応募が終了しました", mine)]
    if event.employer_notified:
        out.append(
            _employer_application(
                event.employer_id,
                event.application_id,
                "応募者が辞退しました" if event.by_role == "seeker" else "応募が終了しました",
                "この応募の選考は終了しました。",
            )
        )
    return out


def registration_expiring(event: RegistrationExpiring) -> list[Spec]:
    d = event.expires_on
    return [
        Spec(
            seeker(event.seeker_id),
            "registration",
            "求職登録の有効期限が近づいています",
            f"有効期限は{d.year}年{d.month}月{d.day}日です（残り{event.days_left}日）。"
            "引き続き求職活動をされる場合はハローワークにご相談ください。",
            "/mypage/profile",
            "/api/v1/me",
        )
    ]
