"""The second path to a My Page: an account holder without a registration submits a seeker
application (求職申込み) online. It is provisional (仮登録, オンライン登録者) with a seeker number
of the chosen office until that office's staff confirm it (``service_lifecycle.confirm``).

The account's tokens carry the seeker id from the next refresh on (refresh re-reads the
account)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import structlog

from servicekit.auth import Principal
from services.identity.domain import AccountNotFound, seeker_number
from services.identity.domain_seeker import AlreadyRegistered, stored_time
from services.identity.repository import Doc
from services.identity.schemas_seekers import SeekerApplication
from services.identity.service import Identity
from services.identity.service_profile import merged_profile
from services.identity.service_registration import personal_of, registration_events
from services.identity.service_seekers import Change, change_seeker, new_seeker

log = structlog.get_logger()


async def apply(
    identity: Identity, *, principal: Principal, form: SeekerApplication
) -> dict[str, Any]:
    account_id = principal.account_id
    account = await identity.repo.account_by_id(account_id)
    if account is None:
        raise AccountNotFound()
    if account.get("seeker"):
        raise AlreadyRegistered()
    profile = merged_profile({}, form.profile_changes())
    office = form.office_code
    number = seeker_number(office, await identity.repo.next_serial(f"seeker_number:{office}"))
    seeker_id = uuid.uuid4().hex

    def decide(account: Doc, version: int, today: date) -> Change | None:
        if account.get("seeker"):
            raise AlreadyRegistered()  # a parallel application was first
        now = stored_time(identity.clock.now())
        seeker = new_seeker(
            seeker_id=seeker_id,
            seeker_number=number,
            office_code=office,
            status="provisional",
            kind="online",
            personal=personal_of(form),
            profile=profile,
            registered_by=account_id,
            now=now,
        )
        events = registration_events(
            seeker, account_id=account_id, version=version, with_profile=bool(profile), now=now
        )
        return Change(seeker, list(events), account={"name": form.name})

    result = await change_seeker(identity, account_id, decide, needs_seeker=False)
    seeker: dict[str, Any] = result.account["seeker"]
    log.info(
        "identity.seeker.applied", account_id=account_id, seeker_id=seeker_id, office_code=office
    )
    return seeker
