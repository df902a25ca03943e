"""What each reader sees of an application, a request or a seeker profile (plain dicts shaped
like the response models). The employer sees the seeker number, age band and — while the profile
is public — desired conditions; never a name or contact details (identity keeps those)."""

from __future__ import annotations

from typing import Any, Literal

from services.applications.domain import next_actions, seeker_state
from services.applications.repository import Doc

Audience = Literal["seeker", "employer", "staff"]
API = "/api/v1"


def audience_of(role: str) -> Audience:
    if role == "seeker":
        return "seeker"
    if role == "employer":
        return "employer"
    return "staff"


def desired(seeker: Doc | None) -> dict[str, Any] | None:
    """Desired conditions of a public, live profile; None otherwise."""
    if seeker is None or "profile" not in seeker:
        return None
    if seeker.get("visibility") != "public" or seeker_state(seeker) in ("cancelled", "unknown"):
        return None
    profile = seeker["profile"]
    keys = (
        "desired_occupations",
        "desired_places",
        "employment_types",
        "desired_wage_min",
        "desired_wage_unit",
        "working_hours",
        "working_days",
    )
    return {k: profile.get(k) for k in keys if profile.get(k) is not None}


def age_band(seeker: Doc | None) -> str | None:
    if seeker is None or seeker_state(seeker) == "cancelled":
        return None
    band: str | None = (seeker.get("profile") or {}).get("age_band")
    return band


def _entry(step: Doc, audience: Audience) -> Doc:
    out = dict(step)
    if audience != "staff":
        out.pop("by_id", None)
    return out


def application(app: Doc, audience: Audience, seeker: Doc | None = None) -> Doc:
    referral = app.get("referral")
    out: Doc = {
        "application_id": app["_id"],
        "status": app["status"],
        "route": app["route"],
        "job_id": app["job_id"],
        "job_number": app["job_number"],
        "title": app["title"],
        "revision": app["revision"],
        "employer_id": app["employer_id"],
        "employer_name": app.get("employer_name"),
        "seeker_id": app["seeker_id"],
        "seeker_number": app.get("seeker_number"),
        "office_code": app["office_code"],
        "motivation": app["motivation"],
        "submitted_at": app["submitted_at"],
        "submitted_on": app["submitted_on"],
        "updated_at": app["updated_at"],
        "request_id": app.get("request_id"),
        "timeline": [_entry(s, audience) for s in sorted(app["timeline"], key=_version)],
        "referral": None,
        "interview": app.get("interview"),
        "conditions": app.get("conditions"),
        "decline_reason": app.get("decline_reason"),
        "withdrawn_reason": app.get("withdrawn_reason"),
        "posting_notice": app.get("posting_notice"),
        "next_actions": next_actions(app["status"], audience),
    }
    if referral:
        out["referral"] = {
            "referral_number": referral["referral_number"],
            "issued_on": referral["issued_on"],
            "office_code": referral["office_code"],
            "office_name": referral["office_name"],
            "letter_url": f"{API}/applications/{app['_id']}/referral-letter",
        }
    if audience in ("seeker", "staff"):
        out["posting"] = app["posting"]
    if audience in ("employer", "staff"):
        out["applicant"] = {
            "seeker_id": app["seeker_id"],
            "seeker_number": app.get("seeker_number"),
            "age_band": age_band(seeker),
            "desired": desired(seeker),
        }
    return out


def _version(step: Doc) -> int:
    return int(step.get("version", 0))


def letter(app: Doc) -> Doc:
    referral = app["referral"]
    return {
        "application_id": app["_id"],
        "referral_number": referral["referral_number"],
        "issued_on": referral["issued_on"],
        "office": {"code": referral["office_code"], "name": referral["office_name"]},
        "seeker_id": app["seeker_id"],
        "seeker_number": app.get("seeker_number"),
        "employer_id": app["employer_id"],
        "employer_name": app.get("employer_name"),
        "status": app["status"],
        "posting": app["posting"],
    }


def request(doc: Doc, audience: Audience) -> Doc:
    out = {
        "request_id": doc["_id"],
        "status": doc["status"],
        "job_id": doc["job_id"],
        "job_number": doc["job_number"],
        "title": doc["title"],
        "employer_id": doc["employer_id"],
        "employer_name": doc["employer_name"],
        "seeker_id": doc["seeker_id"],
        "message": doc["message"],
        "sent_at": doc["sent_at"],
        "application_id": doc.get("application_id"),
        "expired_reason": doc.get("expired_reason"),
    }
    if audience != "seeker":
        out["via"] = doc.get("via")
        out["client_reference"] = doc.get("client_reference")
    return out


def seeker_card(seeker: Doc) -> Doc:
    return {
        "seeker_id": seeker["_id"],
        "age_band": age_band(seeker),
        "desired": desired(seeker) or {},
        "accepts_direct_requests": bool(seeker.get("accepts_direct_requests")),
    }
