"""The seeker's own job-search activity record (求職活動実績) for a period:
``GET /api/v1/me/activity-record?from=YYYY-MM-DD&to=YYYY-MM-DD``. Applications (direct and
asking for a referral), referrals issued, interviews and consultations recorded by staff, in
date order, with 事業所名, 求人番号, 職種, 応募方法 and 結果 — the activity section of the
失業認定申告書. ``from`` and ``to`` are required, ``to`` not before ``from``, at most one year:
otherwise 400 ``invalid_range`` with the field in ``errors``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from servicekit.auth import SeekerPrincipal
from services.identity import service_activity
from services.identity.deps import IdentityDep, problems
from services.identity.schemas_activity import ActivityRecord

router = APIRouter(prefix="/api/v1/me", tags=["seeker profile"])


@router.get(
    "/activity-record",
    response_model=ActivityRecord,
    response_model_by_alias=True,
    responses=problems(400, 401, 403, 404),
    summary="My job-search activities (求職活動実績) from one day to another, in date order",
)
async def activity_record(
    seeker: SeekerPrincipal,
    identity: IdentityDep,
    from_: Annotated[
        str | None, Query(alias="from", description="first day, YYYY-MM-DD (required)")
    ] = None,
    to: Annotated[
        str | None, Query(description="last day, YYYY-MM-DD (required; at most a year on)")
    ] = None,
) -> ActivityRecord:
    record = await service_activity.activity_record(
        identity, account_id=seeker.account_id, first=from_, last=to
    )
    return ActivityRecord.model_validate(record)
