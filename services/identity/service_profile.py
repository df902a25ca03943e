"""The seeker's own profile (求職情報): read it with the office's annotations and what employers
see, change it, make it public or private."""

from __future__ import annotations

from datetime import date
from typing import Any

import structlog

from contracts import Message
from services.identity.domain_seeker import (
    OFFICE_LABEL,
    ProfileInvalid,
    SeekerNotRegistered,
    accepts_requests_now,
    check_profile,
    effective_status,
    ensure_changeable,
    listing,
    matching_profile,
    today_jst,
    visible_to_employers,
)
from services.identity.repository import Doc
from services.identity.schemas_profile import ProfilePatch
from services.identity.service import Identity
from services.identity.service_seekers import (
    Change,
    change_seeker,
    profile_updated,
    seeker_of,
    visibility_changed,
)

log = structlog.get_logger()


# --- views -----------------------------------------------------------------------------------


def public_preview(seeker: Doc, today: date) -> dict[str, Any]:
    """What employers see of a public profile: the matching profile and whether they may send
    a direct request — never the name, address, birth date, e-mail, phone or companies."""
    return {
        "seeker_id": seeker["seeker_id"],
        **matching_profile(seeker, today).model_dump(mode="json"),
        "accepts_direct_requests": accepts_requests_now({**seeker, "visibility": "public"}, today),
    }


def annotation_view(item: Doc) -> dict[str, Any]:
    return {
        "annotation_id": item["annotation_id"],
        "body": item["body"],
        "source": "office",
        "label": OFFICE_LABEL,
        "office_code": item["office_code"],
        "added_at": item["added_at"],
    }


def profile_view(account: Doc, today: date) -> dict[str, Any]:
    seeker = seeker_of(account)
    profile = seeker.get("profile") or {}
    places = profile.get("desired_places") or []
    preview = public_preview(seeker, today)
    return {
        **{k: seeker.get(k) for k in ("seeker_id", "seeker_number", "office_code")},
        "status": effective_status(seeker, today),
        **{
            k: seeker.get(k)
            for k in ("registered_on", "expires_on", "cancelled_on", "name", "name_kana")
        },
        **{k: seeker.get(k) for k in ("birth_date", "phone", "postal_code", "address")},
        "visibility": seeker.get("visibility", "private"),
        **profile,
        "desired_prefectures": list(dict.fromkeys(p["prefecture"] for p in places)),
        "annotations": [annotation_view(a) for a in seeker.get("annotations") or []],
        "public_view": preview if visible_to_employers(seeker, today) else None,
        "public_preview": preview,
        "listing": listing(seeker, today),
        "version": int(account.get("version", 1)),
        "updated_at": seeker.get("updated_at"),
    }


async def get_profile(identity: Identity, *, account_id: str) -> dict[str, Any]:
    account = await identity.repo.account_by_id(account_id)
    if account is None:
        raise SeekerNotRegistered()
    return profile_view(account, today_jst(identity.clock.now()))


# --- changes ---------------------------------------------------------------------------------


def merged_profile(seeker: Doc, changes: dict[str, Any]) -> dict[str, Any]:
    profile = {**(seeker.get("profile") or {}), **changes}
    violations = check_profile(profile)
    if violations:
        raise ProfileInvalid(violations)
    return profile


async def update_profile(
    identity: Identity, *, account_id: str, patch: ProfilePatch
) -> dict[str, Any]:
    changes = patch.profile_changes()
    visibility = patch.visibility if "visibility" in patch.model_fields_set else None

    def decide(account: Doc, version: int, today: date) -> Change | None:
        seeker = seeker_of(account)
        ensure_changeable(seeker, today)
        profile = merged_profile(seeker, changes)
        new = {**seeker, "profile": profile, "visibility": visibility or seeker["visibility"]}
        if profile == seeker.get("profile") and new["visibility"] == seeker["visibility"]:
            return None  # nothing changes: no new version, no event
        events: list[Message] = [profile_updated(new, version, today)]
        if new["visibility"] != seeker["visibility"]:
            events.append(visibility_changed(new, version, today))
        return Change(new, events)

    result = await change_seeker(identity, account_id, decide)
    if result.change is not None:
        log.info(
            "identity.profile.updated",
            account_id=account_id,
            fields=sorted(changes),
            version=result.account["version"],
        )
    return profile_view(result.account, today_jst(identity.clock.now()))


async def set_visibility(identity: Identity, *, account_id: str, visibility: str) -> dict[str, Any]:
    """公開/非公開. Private hides the profile from employers at once (the event) and stops new
    direct requests; setting the current value again changes nothing."""

    def decide(account: Doc, version: int, today: date) -> Change | None:
        seeker = seeker_of(account)
        ensure_changeable(seeker, today)
        if seeker.get("visibility") == visibility:
            return None
        new = {**seeker, "visibility": visibility}
        return Change(new, [visibility_changed(new, version, today)])

    result = await change_seeker(identity, account_id, decide)
    if result.change is not None:
        log.info(
            "identity.profile.visibility_changed",
            account_id=account_id,
            visibility=visibility,
            version=result.account["version"],
        )
    return profile_view(result.account, today_jst(identity.clock.now()))
