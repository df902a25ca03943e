"""Use cases of notices (お知らせ) from the office: staff publish one to an audience; seekers list
the ones addressed to them and mark them read. Fan-out on read: one document per notice (see
NOTICES.md)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

import structlog

from contracts.messaging import Audience, NoticePublished, NoticeRead
from servicekit import outbox
from servicekit.auth import Principal
from servicekit.clock import Clock
from servicekit.errors import DomainError, Forbidden, NotFound
from servicekit.outbox import OutboxRelay
from services.messaging import cursors
from services.messaging.repository import Doc
from services.messaging.repository_conversations import ConversationsRepository
from services.messaging.repository_notices import NoticesRepository, audience_filter, read_id
from services.messaging.schemas import AudienceIn
from services.messaging.settings import MessagingSettings
from services.messaging.text import JST, clean, to_ms
from services.messaging.writer import PRODUCER

log = structlog.get_logger()
NO_OFFICE = "00000"


class AudienceNotAllowed(Forbidden):
    code = "audience_not_allowed"
    ja = "この宛先にはお知らせを送れません（所属するハローワークの求職者のみ。全体宛ては運用担当のみ）。"
    en = "You may send notices to your own office's seekers only (to everyone: admins only)."


class UnknownSeekers(DomainError):
    status, code = 422, "unknown_seekers"
    ja = "宛先に、所属するハローワークの求職者ではない ID が含まれています。"
    en = "Some seeker_ids are not seekers of your office."


class NoticeNotFound(NotFound):
    ja, en = "お知らせが見つかりません。", "Notice not found."


class NoticeTextInvalid(DomainError):
    status, code = 422, "validation_error"
    ja, en = "入力内容に誤りがあります。", "The input is not valid."


def registered_since(seeker: Doc) -> datetime:
    """The start (Japan time) of the day the seeker registered: notices from then on."""
    day = seeker.get("registered_on")
    if isinstance(day, str):
        day = date.fromisoformat(day)
    if isinstance(day, datetime):
        day = day.date()
    if not isinstance(day, date):
        return datetime(1970, 1, 1, tzinfo=UTC)
    return datetime.combine(day, time(0, 0), tzinfo=JST).astimezone(UTC)


class NoticeService:
    def __init__(
        self,
        *,
        notices: NoticesRepository,
        conversations: ConversationsRepository,
        settings: MessagingSettings,
        clock: Clock,
        relay: OutboxRelay,
    ) -> None:
        self.notices = notices
        self.projections = conversations
        self.settings = settings
        self.clock = clock
        self.relay = relay

    # --- staff ----------------------------------------------------------------------------------

    async def publish(
        self, principal: Principal, *, title: str, body: str, audience: AudienceIn
    ) -> Doc:
        title_text, body_text = self._texts(title, body)
        target = await self._audience(principal, audience)
        now = to_ms(self.clock.now())
        notice_id = uuid.uuid4().hex
        office = principal.office_code or NO_OFFICE
        doc: Doc = {
            "_id": notice_id,
            "title": title_text,
            "body": body_text,
            "audience": target.model_dump(mode="json"),
            "office_code": office,
            "published_by": principal.account_id,
            "published_at": now,
        }
        event = NoticePublished(
            notice_id=notice_id,
            title=title_text,
            audience=target,
            office_code=office,
            published_at=now,
        )
        await self.notices.insert(doc, outbox.envelope(event, producer=PRODUCER, subject=notice_id))
        self.relay.kick("notices", notice_id)
        log.info("messaging.notice.published", notice_id=notice_id, audience=target.kind)
        return doc

    def _texts(self, title: str, body: str) -> tuple[str, str]:
        s = self.settings
        title_text, body_text = clean(title, multiline=False), clean(body)
        errors = []
        if not title_text or len(title_text) > s.notice_title_max_chars:
            errors.append(
                {
                    "field": "title",
                    "code": "length",
                    "message": f"1〜{s.notice_title_max_chars}文字で入力してください。",
                }
            )
        if not body_text or len(body_text) > s.notice_body_max_chars:
            errors.append(
                {
                    "field": "body",
                    "code": "length",
                    "message": f"1〜{s.notice_body_max_chars}文字で入力してください。",
                }
            )
        if errors:
            raise NoticeTextInvalid(errors=errors)
        return title_text, body_text

    async def _audience(self, principal: Principal, audience: AudienceIn) -> Audience:
        admin = principal.is_admin
        if audience.kind == "all":
            if not admin:
                raise AudienceNotAllowed()
            return Audience(kind="all")
        if audience.kind == "office":
            if not admin and audience.office_code != principal.office_code:
                raise AudienceNotAllowed()
            return Audience(kind="office", office_code=audience.office_code)
        ids = list(dict.fromkeys(audience.seeker_ids or []))
        if len(ids) > self.settings.notice_max_seekers:
            raise UnknownSeekers()
        known = await self.projections.seekers(ids)
        bad = [
            i
            for i, sid in enumerate(ids)
            if sid not in known
            or (not admin and known[sid].get("office_code") != principal.office_code)
        ]
        if bad:
            raise UnknownSeekers(
                errors=[
                    {
                        "field": f"audience.seeker_ids.{i}",
                        "code": "unknown_seeker",
                        "message": "所属するハローワークの求職者ではありません。",
                    }
                    for i in bad[:50]
                ]
            )
        return Audience(kind="seekers", seeker_ids=tuple(ids))

    async def published_by_office(
        self, principal: Principal, *, cursor: str | None, limit: int
    ) -> tuple[list[Doc], str | None]:
        where: Doc = {} if principal.is_admin else {"office_code": principal.office_code}
        docs = await self.notices.page(where, before=cursors.decode(cursor), limit=limit + 1)
        return _paged(docs, limit)

    async def staff_get(self, principal: Principal, notice_id: str) -> Doc:
        doc = await self.notices.get(notice_id)
        if doc is None or (not principal.is_admin and doc["office_code"] != principal.office_code):
            raise NoticeNotFound()
        return doc

    # --- seekers --------------------------------------------------------------------------------

    async def _scope(self, principal: Principal) -> Doc | None:
        seeker = await self.projections.seeker(principal.seeker_id or "")
        if seeker is None or not seeker.get("office_code"):
            return None  # not known here yet: nothing addressed to it can be shown
        return audience_filter(seeker["_id"], seeker["office_code"], registered_since(seeker))

    async def for_seeker(
        self, principal: Principal, *, cursor: str | None, limit: int, unread_only: bool = False
    ) -> tuple[list[tuple[Doc, datetime | None]], str | None]:
        before = cursors.decode(cursor)  # a bad cursor is a 400 even where nothing is shown
        scope = await self._scope(principal)
        if scope is None:
            return [], None
        out: list[tuple[Doc, datetime | None]] = []
        while True:
            docs = await self.notices.page(scope, before=before, limit=limit + 1)
            page, more = docs[:limit], len(docs) > limit
            reads = await self.notices.reads(principal.seeker_id or "", [d["_id"] for d in page])
            for d in page:
                if unread_only and d["_id"] in reads:
                    continue
                out.append((d, reads.get(d["_id"])))
                if len(out) == limit:
                    break
            if len(out) == limit or not more:
                break
            before = (page[-1]["published_at"], page[-1]["_id"])
        last = out[-1][0] if out else None
        more_left = last is not None and bool(
            await self.notices.page(scope, before=(last["published_at"], last["_id"]), limit=1)
        )
        next_cursor = (
            cursors.encode(last["published_at"], last["_id"]) if more_left and last else None
        )
        return out, next_cursor

    async def seeker_get(self, principal: Principal, notice_id: str) -> tuple[Doc, datetime | None]:
        scope = await self._scope(principal)
        doc = await self.notices.get(notice_id)
        if scope is None or doc is None:
            raise NoticeNotFound()
        seen = await self.notices.page({"$and": [scope, {"_id": notice_id}]}, before=None, limit=1)
        if not seen:
            raise NoticeNotFound()
        reads = await self.notices.reads(principal.seeker_id or "", [notice_id])
        return doc, reads.get(notice_id)

    async def mark_read(self, principal: Principal, notice_id: str) -> datetime:
        _, read_at = await self.seeker_get(principal, notice_id)
        if read_at is not None:
            return read_at
        seeker_id = principal.seeker_id or ""
        now = to_ms(self.clock.now())
        rid = read_id(notice_id, seeker_id)
        event = NoticeRead(notice_id=notice_id, seeker_id=seeker_id, read_at=now)
        env = outbox.envelope(event, producer=PRODUCER, subject=notice_id)
        record = {"_id": rid, "notice_id": notice_id, "seeker_id": seeker_id, "read_at": now}
        if await self.notices.insert_read(record, env):
            self.relay.kick("notice_reads", rid)
            return now
        again = await self.notices.reads(seeker_id, [notice_id])
        return again.get(notice_id, now)


def _paged(docs: list[Doc], limit: int) -> tuple[list[Doc], str | None]:
    more = len(docs) > limit
    docs = docs[:limit]
    return docs, cursors.encode(docs[-1]["published_at"], docs[-1]["_id"]) if more else None
