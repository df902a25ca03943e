"""Registration expiry: notices 14, 7 and 1 days before the last valid day
(identity.seeker.registration_expiring.v1) and the lapse after it
(identity.seeker.registration_lapsed.v1).

``scan_expiry`` looks only at registrations whose ``due_on`` (the day their next notice or lapse
is due, indexed) has come. Each notice is recorded on the seeker document in the same write as
its outbox entry, and every write is conditional on the version it was decided on, so replicas
scanning at once and scans repeated after a crash raise each notice exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date

import structlog

from contracts import Message
from contracts.identity import RegistrationExpiring, RegistrationLapsed
from services.identity.domain_seeker import ACTIVE, due, next_due_on, today_jst
from services.identity.repository import Doc
from services.identity.service import Identity
from services.identity.service_seekers import Change, change_seeker, seeker_of

log = structlog.get_logger()

BATCH = 200


def decide_expiry(account: Doc, version: int, today: date) -> Change | None:
    seeker = seeker_of(account)
    if seeker["status"] not in ACTIVE or not seeker.get("expires_on"):
        return None
    expires_on = date.fromisoformat(seeker["expires_on"])
    notices = list(seeker.get("notices") or [])
    found = due(expires_on, notices, today)
    if found is None:
        # nothing due (the scan key was behind): move the key, raise nothing
        due_on = next_due_on(expires_on, notices).isoformat()
        if seeker.get("due_on") == due_on:
            return None
        return Change({**seeker, "due_on": due_on}, outcome="rescheduled")
    notices.extend(found.marks)
    event: Message
    if found.kind == "lapsed":
        new = {
            **seeker,
            "status": "lapsed",
            "lapsed_on": today.isoformat(),
            "notices": notices,
            "due_on": None,
        }
        event = RegistrationLapsed(
            seeker_id=seeker["seeker_id"], expired_on=expires_on, version=version
        )
        return Change(new, [event], outcome="lapsed")
    new = {**seeker, "notices": notices, "due_on": next_due_on(expires_on, notices).isoformat()}
    event = RegistrationExpiring(
        seeker_id=seeker["seeker_id"],
        expires_on=expires_on,
        days_left=found.days_left,
        version=version,
    )
    return Change(new, [event], outcome="expiring")


async def scan_expiry(identity: Identity) -> dict[str, int]:
    """One pass over the registrations due today (Japan time). Returns what it raised."""
    today = today_jst(identity.clock.now())
    counts: Counter[str] = Counter()
    while True:
        account_ids = await identity.seekers.due(today.isoformat(), limit=BATCH)
        handled = 0
        for account_id in account_ids:
            try:
                result = await change_seeker(identity, account_id, decide_expiry)
            except Exception as exc:  # one bad document must not stop the others
                log.warning("identity.expiry.failed", account_id=account_id, error=repr(exc))
                continue
            if result.change is not None:
                counts[result.change.outcome] += 1
                handled += 1
        if len(account_ids) < BATCH or handled == 0:
            break
    if counts:
        log.info("identity.expiry.scanned", today=today.isoformat(), **counts)
    return dict(counts)


async def expiry_loop(identity: Identity, stop: asyncio.Event) -> None:
    """Scan now and then every ``expiry_scan_seconds`` until the process stops."""
    while not stop.is_set():
        try:
            await scan_expiry(identity)
        except Exception as exc:
            log.warning("identity.expiry.scan_failed", error=repr(exc))
        try:
            await asyncio.wait_for(stop.wait(), timeout=identity.settings.expiry_scan_seconds)
        except TimeoutError:
            pass
