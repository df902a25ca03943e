"""Everything identity holds about the account holder, as JSON (the other services' parts join
it later): the account without its password hash or other secrets, the agreements, the
registration, the profile, the office's annotations and consultations, and the login history."""

from __future__ import annotations

from typing import Any

from services.identity.domain import AccountNotFound
from services.identity.domain_seeker import effective_status, today_jst
from services.identity.service import Identity
from services.identity.service_profile import annotation_view

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
