"""Use cases of in-app notifications: store one per (event, recipient) and announce it live;
keep notices as one document each (fan-out on read); list, read, read all; replay missed
events to a reconnecting stream."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import structlog

from servicekit.auth import Principal
from servicekit.clock import Clock
from services.notifier.inapp_repository import Doc, InAppRepository, notice_scope
from services.notifier.inapp_texts import JST, Spec
from services.notifier.live import LiveChannel, Outgoing

log = structlog.get_logger()
NOTICE_PREFIX = "notice-"


def to_ms(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def notification_id(event_id: str, recipient: str) -> str:
    return hashlib.sha256(f"{event_id}\x00{recipient}".encode()).hexdigest()[:32]


def recipient_of(principal: Principal) -> str:
    if principal.role == "seeker" and principal.seeker_id:
        return f"seeker:{principal.seeker_id}"
    if principal.role == "employer" and principal.employer_id:
        return f"employer:{principal.employer_id}"
    return f"account:{principal.account_id}"


def sse_id(at: datetime, item_id: str) -> str:
    return f"{int(at.timestamp() * 1000):013d}-{item_id}"


# what ``sse_id`` writes: milliseconds since the epoch (ASCII digits), "-", an item id
SSE_ID = re.compile(r"([0-9]{1,15})-([\x21-\x7e]{1,100})")


def parse_sse_id(value: str | None) -> tuple[datetime, str] | None:
    """The position a ``Last-Event-ID`` names; None for none; ValueError for one that ``sse_id``
    cannot have written (wrong form, over-long, a time out of range)."""
    if value is None or value == "":
        return None
    match = SSE_ID.fullmatch(value)
    if match is None:
        raise ValueError("not an event id of this stream")
    try:
        at = datetime.fromtimestamp(int(match[1]) / 1000, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError("event id out of range") from exc
    return at, match[2]


def registered_since(seeker: Doc) -> datetime:
    day = seeker.get("registered_on")
    if isinstance(day, str):
        return datetime.combine(date.fromisoformat(day), time(0, 0), tzinfo=JST).astimezone(UTC)
    return datetime(1970, 1, 1, tzinfo=UTC)


def public(doc: Doc, *, watermark: datetime | None) -> dict[str, Any]:
    read = bool(doc.get("read")) or (watermark is not None and doc["created_at"] <= watermark)
    return {
        "notification_id": doc["_id"],
        "type": doc["type"],
        "title": doc["title"],
        "body": doc["body"],
        "link": doc["link"],
        "created_at": doc["created_at"],
        "read": read,
    }


def notice_item(doc: Doc, *, read: bool) -> dict[str, Any]:
    return {
        "notification_id": NOTICE_PREFIX + doc["_id"],
        "type": "notice",
        "title": "ハローワークからのお知らせがあります",
        "body": doc["title"],
        "link": {
            "web": f"/mypage/notices/{doc['_id']}",
            "api": f"/api/v1/me/notices/{doc['_id']}",
        },
        "created_at": doc["published_at"],
        "read": read,
    }


def jsonable(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "created_at": item["created_at"].isoformat()}


class InAppService:
    def __init__(self, *, repo: InAppRepository, live: LiveChannel, clock: Clock) -> None:
        self.repo = repo
        self.live = live
        self.clock = clock

    def now(self) -> datetime:
        return to_ms(self.clock.now())

    # --- from events ----------------------------------------------------------------------------

    async def notify(self, specs: list[Spec], *, event_id: str, occurred_at: datetime) -> set[str]:
        """Store and announce; returns the recipients notified now (each also gets its new
        unread counts live)."""
        created: set[str] = set()
        for spec in specs:
            nid = notification_id(event_id, spec.recipient)
            created_at = self.now()
            doc: Doc = {
                "_id": nid,
                "recipient": spec.recipient,
                "type": spec.type,
                "title": spec.title,
                "body": spec.body,
                "link": {"web": spec.web, "api": spec.api},
                "event_id": event_id,
                "occurred_at": occurred_at,
                "created_at": created_at,
                "read": False,
            }
            if not await self.repo.insert_once("notifications", doc):
                continue  # this event was handled for this recipient already
            created.add(spec.recipient)
            item = public(doc, watermark=None)
            await self.live.publish(
                {
                    "kind": "notification",
                    "recipient": spec.recipient,
                    "event": "message" if spec.type == "message" else "notification",
                    "id": sse_id(created_at, nid),
                    "data": jsonable(item),
                }
            )
            await self.unread_changed(spec.recipient)
            log.info("notifier.notification.created", notification_id=nid, type=spec.type)
        return created

    async def message_to(
        self, recipients: list[str], *, message_id: str, conversation_id: str, at: datetime
    ) -> None:
        for r in recipients:
            await self.repo.insert_once(
                "message_marks",
                {
                    "_id": f"in|{r}|{message_id}",
                    "kind": "in",
                    "recipient": r,
                    "conversation_id": conversation_id,
                    "at": to_ms(at),
                },
            )

    async def conversation_read(self, reader: str, conversation_id: str, up_to: datetime) -> None:
        up_to = to_ms(up_to)
        if await self.repo.mark_conversation_read(reader, conversation_id, up_to):
            await self.repo.prune_marks(reader, conversation_id, up_to)
        await self.unread_changed(reader)

    async def notice_published(
        self, *, notice_id: str, title: str, audience: dict[str, Any], published_at: datetime
    ) -> None:
        published = to_ms(published_at)
        doc: Doc = {
            "_id": notice_id,
            "title": title,
            "audience": audience,
            "published_at": published,
        }
        if not await self.repo.insert_once("notices", doc):
            return
        item = notice_item(doc, read=False)
        await self.live.publish(
            {
                "kind": "notice",
                "audience": audience,
                "event": "notification",
                "id": sse_id(published, item["notification_id"]),
                "data": jsonable(item),
            }
        )
        log.info("notifier.notice.stored", notice_id=notice_id, audience=audience.get("kind"))

    async def notice_read(self, notice_id: str, seeker_id: str, at: datetime) -> None:
        await self.repo.insert_once(
            "notice_reads", {"_id": f"n|{notice_id}|{seeker_id}", "at": to_ms(at)}
        )
        await self.unread_changed(f"seeker:{seeker_id}")

    async def unread_changed(self, recipient: str) -> None:
        await self.live.publish({"kind": "unread", "recipient": recipient})

    # --- a reader's view ------------------------------------------------------------------------

    async def notice_scope(self, principal: Principal) -> Doc | None:
        if principal.role != "seeker" or not principal.seeker_id:
            return None
        seeker = await self.repo.seeker(principal.seeker_id)
        if seeker is None or not seeker.get("office_code"):
            return None
        return notice_scope(principal.seeker_id, seeker["office_code"], registered_since(seeker))

    async def _notice_items(
        self, principal: Principal, docs: list[Doc], watermark: datetime | None
    ) -> list[dict[str, Any]]:
        opened, bell = await self.repo.notice_read_sets(
            principal.seeker_id or "", [d["_id"] for d in docs]
        )
        out = []
        for d in docs:
            read = d["_id"] in opened or d["_id"] in bell
            read = read or (watermark is not None and d["published_at"] <= watermark)
            out.append(notice_item(d, read=read))
        return out

    async def page(
        self,
        principal: Principal,
        *,
        before: tuple[datetime, str] | None,
        limit: int,
        unread_only: bool,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Newest first: the caller's own notifications merged with the notices addressed to
        it, ordered by (time, notification_id). (items, more?)"""
        recipient = recipient_of(principal)
        watermark = await self.repo.read_all_up_to(recipient)
        scope = await self.notice_scope(principal)
        items: list[dict[str, Any]] = []
        cursor = before
        while True:
            own = await self.repo.notifications_page(
                recipient,
                before=cursor,
                unread_only=unread_only,
                unread_after=watermark,
                limit=limit + 1,
            )
            notices: list[Doc] = []
            if scope is not None:
                notices = await self.repo.notices_page(
                    scope, before=_notice_cursor(cursor), limit=limit + 1
                )
            merged = [public(d, watermark=watermark) for d in own]
            merged += await self._notice_items(principal, notices, watermark)
            merged.sort(key=lambda i: (i["created_at"], i["notification_id"]), reverse=True)
            examined = merged[: limit + 1]
            for item in examined:
                if unread_only and item["read"]:
                    continue
                items.append(item)
                if len(items) > limit:
                    return items[:limit], True
            if len(examined) == len(merged) and len(own) <= limit and len(notices) <= limit:
                return items, False
            cursor = (examined[-1]["created_at"], examined[-1]["notification_id"])

    async def mark_read(self, principal: Principal, item_id: str) -> dict[str, Any] | None:
        now = self.now()
        recipient = recipient_of(principal)
        if item_id.startswith(NOTICE_PREFIX):
            notice_id = item_id.removeprefix(NOTICE_PREFIX)
            scope = await self.notice_scope(principal)
            if scope is None:
                return None
            found = await self.repo.notices_page({"$and": [scope, {"_id": notice_id}]}, limit=1)
            if not found:
                return None
            await self.repo.insert_once(
                "notice_reads", {"_id": f"b|{notice_id}|{principal.seeker_id}", "at": now}
            )
            await self.unread_changed(recipient)
            return notice_item(found[0], read=True)
        if not await self.repo.mark_read(item_id, recipient, now):
            return None
        await self.unread_changed(recipient)
        doc = await self.repo.notification(item_id)
        return public(doc, watermark=None) if doc else None

    async def read_all(self, principal: Principal) -> datetime:
        recipient = recipient_of(principal)
        now = self.now()
        await self.repo.mark_all_read(recipient, now)
        await self.unread_changed(recipient)
        return now

    async def replay(
        self, principal: Principal, last_event_id: str | None, limit: int, days: int
    ) -> tuple[list[Outgoing], bool]:
        """Events after ``last_event_id`` (at most ``limit``, none older than ``days``), oldest
        first; True when more were missed than replayed. ValueError for a malformed id (the
        route refuses those before the stream opens)."""
        after = parse_sse_id(last_event_id)
        if after is None:
            return [], False
        floor = self.now() - timedelta(days=days)
        if after[0] < floor:
            after = (floor, "")
        recipient = recipient_of(principal)
        own = await self.repo.notifications_page(recipient, after=after, limit=limit + 1)
        items = [public(d, watermark=None) for d in own]
        scope = await self.notice_scope(principal)
        if scope is not None:
            notices = await self.repo.notices_page(
                scope, after=_notice_cursor(after), limit=limit + 1
            )
            items += [notice_item(d, read=False) for d in notices]
        items.sort(key=lambda i: (i["created_at"], i["notification_id"]))
        out = [
            Outgoing(
                "message" if i["type"] == "message" else "notification",
                jsonable(i),
                sse_id(i["created_at"], i["notification_id"]),
            )
            for i in items[:limit]
        ]
        return out, len(items) > limit


def _notice_cursor(cursor: tuple[datetime, str] | None) -> tuple[datetime, str] | None:
    """A (time, notification_id) cursor in the notices collection's terms. Notice items are
    ``notice-<notice_id>``, which sorts after every (hex) notification id at the same time."""
    if cursor is None:
        return None
    at, item_id = cursor
    return at, item_id.removeprefix(NOTICE_PREFIX) if item_id.startswith(NOTICE_PREFIX) else ""
