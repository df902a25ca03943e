"""Conversations, messages and who may do what with them; no I/O.

A conversation has two sides, the seeker (``seeker_id``) and the employer (``employer_id``: all
its accounts share the side, its read marker and its notifications). Staff of the seeker's office
(and admins) may read a conversation for support, never write in it. Anyone else is told it does
not exist.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from contracts.messaging import Party
from servicekit.auth import Principal
from servicekit.errors import Conflict, DomainError, Forbidden, NotFound

CONVERSATION_ID = r"^(app|req)-[A-Za-z0-9_-]{1,64}$"
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")
# the application statuses after which a conversation closes (close_after_days later)
ENDED = frozenset({"hired", "rejected", "withdrawn", "declined", "expired"})

Side = Literal["seeker", "employer"]


class ConversationNotFound(NotFound):
    ja, en = "メッセージのやりとりが見つかりません。", "Conversation not found."


class NotAParticipant(Forbidden):
    code = "not_a_participant"
    ja = "このやりとりに書き込むことはできません（閲覧のみ）。"
    en = "You may read this conversation but not write in it."


class ConversationClosed(Conflict):
    code = "conversation_closed"
    ja = "このやりとりは終了しています。新しいメッセージは送れません。"
    en = "This conversation is closed: no new messages."


class SeekerCancelled(Conflict):
    code = "seeker_cancelled"
    ja = "求職登録が取り消されているため、メッセージは送れません。"
    en = "The registration was cancelled: messages can no longer be sent."


class RateLimited(DomainError):
    status, code = 429, "rate_limited"
    ja = "短時間に送信できるメッセージの数を超えました。しばらくしてからお試しください。"
    en = "Too many messages in a short time. Try again shortly."


class EmptyBody(DomainError):
    status, code = 422, "empty_body"
    ja, en = "本文を入力してください。", "The message is empty."


class BodyTooLong(DomainError):
    status, code = 422, "body_too_long"
    ja, en = "本文が長すぎます。", "The message is too long."


class InvalidIdempotencyKey(DomainError):
    status, code = 422, "invalid_idempotency_key"
    ja = "Idempotency-Key は 1〜100 文字の半角英数記号で指定してください。"
    en = "Idempotency-Key must be 1 to 100 visible ASCII characters."


class IdempotencyKeyReused(DomainError):
    status, code = 422, "idempotency_key_reused"
    ja = "同じ Idempotency-Key で別の内容が送信されました。"
    en = "This Idempotency-Key was already used for a different message."


class RetryLater(Exception):
    """A consumer met an event before the fact it depends on: retry with backoff."""


def conversation_id(*, application_id: str | None = None, request_id: str | None = None) -> str:
    if application_id:
        return f"app-{application_id}"
    if request_id:
        return f"req-{request_id}"
    raise ValueError("an application or a request is needed")


def party_key(role: str, party_id: str) -> str:
    """How recipients are written in documents: ``seeker:<id>`` / ``employer:<id>``."""
    return f"{role}:{party_id}"


def digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def user_message_id(conversation: str, account: str, key: str | None) -> str:
    """With an Idempotency-Key the id is derived from (conversation, account, key): a retried
    send inserts the same ``_id`` and the first insert wins."""
    if key is None:
        return uuid.uuid4().hex
    if not IDEMPOTENCY_KEY.match(key):
        raise InvalidIdempotencyKey()
    return digest("user", conversation, account, key)


def system_message_id(event_id: str, conversation: str) -> str:
    return digest("system", event_id, conversation)


def first_message_id(conversation: str) -> str:
    return digest("first", conversation)


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Access:
    read: bool
    side: Party | None = None

    @property
    def write(self) -> bool:
        return self.side is not None


def access(principal: Principal, conversation: dict[str, Any], seeker_office: str | None) -> Access:
    """What ``principal`` may do with the conversation. Raises ConversationNotFound for anyone
    who may not even know it exists."""
    if principal.role == "seeker" and principal.seeker_id == conversation["seeker_id"]:
        return Access(True, Party(role="seeker", id=conversation["seeker_id"]))
    if principal.role == "employer" and principal.employer_id == conversation["employer_id"]:
        return Access(True, Party(role="employer", id=conversation["employer_id"]))
    if principal.role == "admin":
        return Access(True)
    if (
        principal.role == "staff"
        and principal.office_code
        and principal.office_code
        in (
            seeker_office,
            conversation.get("office_code"),
        )
    ):
        return Access(True)
    raise ConversationNotFound()


def my_side(principal: Principal) -> Party | None:
    if principal.role == "seeker" and principal.seeker_id:
        return Party(role="seeker", id=principal.seeker_id)
    if principal.role == "employer" and principal.employer_id:
        return Party(role="employer", id=principal.employer_id)
    return None


def other_side(conversation: dict[str, Any], side: Side) -> Party:
    if side == "seeker":
        return Party(role="employer", id=conversation["employer_id"])
    return Party(role="seeker", id=conversation["seeker_id"])


def both_sides(conversation: dict[str, Any]) -> list[Party]:
    return [
        Party(role="seeker", id=conversation["seeker_id"]),
        Party(role="employer", id=conversation["employer_id"]),
    ]


def recipients_after(conversation: dict[str, Any], by_role: str) -> list[Party]:
    """Whom a system message about an action tells: the other side of whoever acted; both
    sides when the office or the system acted."""
    if by_role in ("seeker", "employer"):
        return [other_side(conversation, by_role)]  # type: ignore[arg-type]
    return both_sides(conversation)
