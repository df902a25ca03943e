"""The seeker's data export.

``export``: everything identity holds about the account holder, now (``GET /api/v1/me/export``):
the account without its password hash or other secrets, the agreements, the registration, the
profile, the office's annotations and consultations, and the login history.

``Exports``: the whole export, assembled over the bus (``POST /api/v1/me/export``, then
``GET /api/v1/me/export/{export_id}``). Starting one stores an export job in ``exports`` with
identity's own part and, in the same write (outbox), ``identity.export.requested.v1``; jobs,
applications, messaging and the notifier each answer with ``<service>.export.part_ready.v1``
(contracts/export.py) carrying that seeker's data only, and identity takes each part once into
the job (a repeat or a late part changes nothing). When every part is in, the export is
``ready``; when one has not arrived ``export_part_seconds`` after the start, it is ``partial``
and names the missing parts (decided when it is next read or a new one is started: nothing
waits). One running export per seeker: a lock document per seeker in ``export_locks``
(``_id`` = the account id, so a second insert clashes), deleted when its export finishes (a lock
whose export finished or never got written is cleared by the next start); finished exports are
deleted ``export_keep_days`` after they were started (TTL). Each list is capped at ``item_limit`` items,
newest first; the document says which lists were cut.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts import Envelope
from contracts.export import MAX_ITEM_LIMIT, MAX_MESSAGES, PARTS, ExportPart, ExportRequested
from servicekit import outbox
from servicekit.db import ensure_indexes
from servicekit.errors import DomainError, NotFound
from services.identity.domain import AccountNotFound
from services.identity.domain_seeker import effective_status, today_jst
from services.identity.service import Identity
from services.identity.service_profile import annotation_view

log = structlog.get_logger()

# never exported: secrets and the machinery
ACCOUNT_HIDDEN = frozenset({"password_hash", "token_epoch", "outbox", "seeker", "employer"})
REGISTRATION_FIELDS = (
    "seeker_id",
    "seeker_number",
    "office_code",
    "kind",
    "name",
    "name_kana",
    "birth_date",
    "phone",
    "postal_code",
    "address",
    "registered_on",
    "confirmed_on",
    "expires_on",
    "notices",
    "lapsed_on",
    "cancelled_on",
    "cancelled_by",
    "cancel_reason",
    "visibility",
)


async def export(identity: Identity, *, account_id: str) -> dict[str, Any]:
    account = await identity.repo.account_by_id(account_id)
    if account is None:
        raise AccountNotFound()
    now = identity.clock.now()
    out: dict[str, Any] = {
        "exported_at": now,
        "account": {
            ("account_id" if k == "_id" else k): v
            for k, v in account.items()
            if k not in ACCOUNT_HIDDEN
        },
        "agreements": account.get("agreements"),
    }
    if account.get("employer"):
        out["account"]["employer"] = account["employer"]
    seeker = account.get("seeker")
    if seeker:
        out["registration"] = {
            **{k: seeker.get(k) for k in REGISTRATION_FIELDS},
            "status": effective_status(seeker, today_jst(now)),
        }
        out["profile"] = seeker.get("profile") or {}
        out["annotations"] = [annotation_view(a) for a in seeker.get("annotations") or []]
        out["consultations"] = [
            {k: v for k, v in c.items() if k != "staff_id"}
            for c in seeker.get("consultations") or []
        ]
    sessions = await identity.seekers.sessions_of(account_id)
    out["login_history"] = [
        {
            "logged_in_at": s.get("created_at"),
            "ended": bool(s.get("revoked")),
            "ended_at": s.get("revoked_at"),
            "end_reason": s.get("revoked_reason"),
        }
        for s in sessions
    ]
    return out


# --- the whole export, assembled over the bus ----------------------------------------------------

EXPORTS = "exports"
# one document per seeker with a running export: {_id: account_id, export_id}. A lock is deleted,
# never updated (the embedded server leaves a unique key behind when an update changes it or
# takes a document out of a partial index)
EXPORT_LOCKS = "export_locks"
EXPORT_INDEXES = [
    IndexModel([("account_id", ASCENDING), ("requested_at", DESCENDING)], name="by_account"),
    IndexModel([("expires_at", ASCENDING)], name="expiry", expireAfterSeconds=0),
]
# exports listed by ``recent`` (they are kept ``export_keep_days``)
RECENT = 20
# the lists each part carries, by part name (the reply models' own list fields)
PART_LISTS: dict[str, tuple[str, ...]] = {
    p.PART: tuple(n for n in p.model_fields if n not in ExportPart.model_fields) for p in PARTS
}
LIMITS_NOTE_JA = (
    "各一覧は新しい順に最大{limit}件、メッセージはやり取り全体で最大{messages}件までを含みます。"
    "上限を超えた一覧は truncated に示します。"
)


class ExportRunning(DomainError):
    status, code = 409, "export_running"
    ja = "作成中のデータ出力があります。完了してから再度お試しください。"
    en = "An export is already being prepared; try again when it is finished."


class ExportNotFound(NotFound):
    code = "export_not_found"
    ja, en = "データ出力が見つかりません。", "Export not found."


class NotASeeker(DomainError):
    status, code = 409, "no_seeker_registration"
    ja = "求職登録がないため、データ出力を作成できません。"
    en = "There is no seeker registration to export."


class Exports:
    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        self.db: AsyncDatabase[dict[str, Any]] = identity.repo.db
        self.jobs = self.db[EXPORTS]
        self.locks = self.db[EXPORT_LOCKS]

    async def ensure_indexes(self) -> None:
        await ensure_indexes(self.db, EXPORTS, EXPORT_INDEXES)

    def _now(self) -> datetime:
        return self.identity.clock.now()

    async def start(self, *, account_id: str) -> dict[str, Any]:
        """A new export job (status ``pending``), or ExportRunning with the running one's id."""
        account = await self.identity.repo.account_by_id(account_id)
        if account is None:
            raise AccountNotFound()
        seeker = account.get("seeker") or {}
        if not seeker.get("seeker_id"):
            raise NotASeeker()
        export_id = uuid.uuid4().hex
        await self._lock(account_id, export_id)
        try:
            doc = await self._new_job(account_id, seeker, export_id)
        except BaseException:
            await self._unlock(account_id, export_id)
            raise
        self.identity.kick(EXPORTS, export_id)
        log.info("identity.export.started", export_id=export_id)
        return view(doc)

    async def _new_job(
        self, account_id: str, seeker: dict[str, Any], export_id: str
    ) -> dict[str, Any]:
        """The job with identity's own part and, in the same write, the request to the others."""
        own = await export(self.identity, account_id=account_id)
        now = self._now()
        event = ExportRequested(
            export_id=export_id,
            account_id=account_id,
            seeker_id=seeker["seeker_id"],
            office_code=seeker.get("office_code"),
            item_limit=MAX_ITEM_LIMIT,
        )
        doc: dict[str, Any] = {
            "_id": export_id,
            "account_id": account_id,
            "seeker_id": seeker["seeker_id"],
            "status": "pending",
            "requested_at": now,
            "deadline": now + timedelta(seconds=self.identity.settings.export_part_seconds),
            "expires_at": now + timedelta(days=self.identity.settings.export_keep_days),
            "item_limit": MAX_ITEM_LIMIT,
            "identity": own,
            "parts": {},
            "received": [],
            **outbox.initial(self.identity.envelope(event, subject=export_id)),
        }
        await self.jobs.insert_one(doc)
        return doc

    async def get(self, *, account_id: str, export_id: str) -> dict[str, Any]:
        doc = await self.jobs.find_one({"_id": export_id}, {"outbox": 0})
        if doc is None or doc["account_id"] != account_id:
            raise ExportNotFound()
        if doc["status"] == "pending" and await self._settle(doc):
            doc = await self.jobs.find_one({"_id": export_id}, {"outbox": 0}) or doc
        return view(doc)

    async def recent(self, *, account_id: str) -> list[dict[str, Any]]:
        """The seeker's exports still kept, newest first (at most RECENT), without documents."""
        found = (
            self.jobs.find({"account_id": account_id}, {"outbox": 0, "identity": 0, "parts": 0})
            .sort([("requested_at", DESCENDING)])
            .limit(RECENT)
        )
        out = []
        for doc in await found.to_list(None):
            if doc["status"] == "pending" and await self._settle(doc):
                doc["status"] = "partial"
                doc["completed_at"] = self._now()
            out.append({k: v for k, v in view(doc).items() if k not in ("document", "truncated")})
        return out

    async def _lock(self, account_id: str, export_id: str) -> None:
        """Take the seeker's lock for this export, or raise ExportRunning naming the running one.
        A lock whose export has finished (or was never written: a crash between the two writes)
        is cleared, once."""
        for _ in range(2):
            try:
                await self.locks.insert_one({"_id": account_id, "export_id": export_id})
                return
            except DuplicateKeyError:
                held = await self.locks.find_one({"_id": account_id})
            if held is None:
                continue  # released meanwhile
            running = await self.jobs.find_one({"_id": held["export_id"]}, {"parts": 0})
            if running is not None and not await self._settle(running):
                raise ExportRunning(headers={"Location": f"/api/v1/me/export/{running['_id']}"})
            await self._unlock(account_id, held["export_id"])
        raise ExportRunning()

    async def _unlock(self, account_id: str, export_id: str) -> None:
        await self.locks.delete_one({"_id": account_id, "export_id": export_id})

    async def _settle(self, doc: dict[str, Any]) -> bool:
        """A pending export past its deadline becomes ``partial``; True when it is finished."""
        if doc["status"] != "pending":
            return True
        now = self._now()
        if _aware(doc["deadline"]) > now:
            return False
        result = await self.jobs.update_one(
            {"_id": doc["_id"], "status": "pending"},
            {"$set": {"status": "partial", "completed_at": now}},
        )
        await self._unlock(doc["account_id"], doc["_id"])
        if result.modified_count:
            missing = [p for p in PART_LISTS if p not in (doc.get("received") or [])]
            log.warning("identity.export.partial", export_id=doc["_id"], missing=missing)
        return True

    async def on_part(self, part: ExportPart, env: Envelope) -> None:
        """A service's part: taken once, only into a pending export of the same seeker."""
        name = part.PART
        now = self._now()
        stored: dict[str, Any] = {
            **{field: getattr(part, field) for field in PART_LISTS[name]},
            "truncated": list(part.truncated),
            "received_at": now,
        }
        taken = await self.jobs.update_one(
            {
                "_id": part.export_id,
                "account_id": part.account_id,
                "seeker_id": part.seeker_id,
                "status": "pending",
                f"parts.{name}": {"$exists": False},
            },
            {"$set": {f"parts.{name}": stored}, "$addToSet": {"received": name}},
        )
        if not taken.modified_count:
            log.info("identity.export.part_ignored", export_id=part.export_id, part=name)
            return
        done = await self.jobs.update_one(
            {
                "_id": part.export_id,
                "status": "pending",
                **{f"parts.{p}": {"$exists": True} for p in PART_LISTS},
            },
            {"$set": {"status": "ready", "completed_at": now}},
        )
        log.info("identity.export.part_taken", export_id=part.export_id, part=name)
        if done.modified_count:
            await self._unlock(part.account_id, part.export_id)
            log.info("identity.export.ready", export_id=part.export_id)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def view(doc: dict[str, Any]) -> dict[str, Any]:
    """The job as the API shows it: its state and, once finished, the whole document."""
    parts: dict[str, Any] = doc.get("parts") or {}
    received = doc.get("received") or []
    missing = [p for p in PART_LISTS if p not in received]
    truncated = {p: parts[p]["truncated"] for p in PART_LISTS if parts.get(p, {}).get("truncated")}
    limit = doc.get("item_limit", MAX_ITEM_LIMIT)
    out: dict[str, Any] = {
        "export_id": doc["_id"],
        "status": doc["status"],
        "requested_at": doc["requested_at"],
        "completed_at": doc.get("completed_at"),
        "missing_parts": missing if doc["status"] != "pending" else [],
        "waiting_for": missing if doc["status"] == "pending" else [],
        "truncated": truncated,
        "item_limit": limit,
        "document": None,
    }
    if doc["status"] == "pending":
        return out
    document: dict[str, Any] = dict(doc.get("identity") or {})
    for name, lists in PART_LISTS.items():
        for field in lists:
            document[field] = (parts.get(name) or {}).get(field, [])
    document["export"] = {
        "export_id": doc["_id"],
        "status": doc["status"],
        "requested_at": doc["requested_at"],
        "completed_at": doc.get("completed_at"),
        "missing_parts": missing,
        "truncated": truncated,
        "item_limit": limit,
        "limits": LIMITS_NOTE_JA.format(limit=limit, messages=MAX_MESSAGES),
    }
    out["document"] = document
    return out
