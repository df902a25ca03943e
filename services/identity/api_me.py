"""A seeker's own registration: the profile (求職情報), 公開/非公開, cancelling (取消), the online
seeker application (the second path) and the export of everything held about them. Every path
acts on the caller's own account: there is no path with another seeker's id."""

from __future__ import annotations

from fastapi import APIRouter, Body, status

from servicekit.auth import CurrentPrincipal, SeekerPrincipal
from services.identity import service_application, service_export, service_lifecycle
from services.identity import service_profile as profiles
from services.identity.deps import IdentityDep, problems
from services.identity.schemas_profile import ProfilePatch
from services.identity.schemas_seekers import (
    CancelRequest,
    Export,
    Profile,
    Registration,
    SeekerApplication,
    SeekerApplied,
    VisibilityChange,
)

router = APIRouter(prefix="/api/v1/me", tags=["seeker profile"])


@router.get(
    "/profile",
    response_model=Profile,
    response_model_by_alias=True,
    responses=problems(401, 403, 404),
    summary="My profile (求職情報) with the office's annotations and what employers see",
)
async def get_profile(seeker: SeekerPrincipal, identity: IdentityDep) -> Profile:
    view = await profiles.get_profile(identity, account_id=seeker.account_id)
    return Profile.model_validate(view)


@router.patch(
    "/profile",
    response_model=Profile,
    responses=problems(401, 403, 404, 409, 422),
    summary="Change my profile: only the fields sent change (null or [] clears one)",
)
async def update_profile(
    patch: ProfilePatch, seeker: SeekerPrincipal, identity: IdentityDep
) -> Profile:
    view = await profiles.update_profile(identity, account_id=seeker.account_id, patch=patch)
    return Profile.model_validate(view)


@router.put(
    "/profile/visibility",
    response_model=Profile,
    responses=problems(401, 403, 404, 409, 422),
    summary="Make my profile public (employers may search it) or private (公開/非公開)",
)
async def set_visibility(
    form: VisibilityChange, seeker: SeekerPrincipal, identity: IdentityDep
) -> Profile:
    view = await profiles.set_visibility(
        identity, account_id=seeker.account_id, visibility=form.visibility
    )
    return Profile.model_validate(view)


@router.post(
    "/registration/cancel",
    response_model=Registration,
    responses=problems(401, 403, 404, 422),
    summary="Cancel my registration (取消): employers no longer see me; My Page stays readable",
)
async def cancel(
    seeker: SeekerPrincipal,
    identity: IdentityDep,
    form: CancelRequest | None = Body(default=None),
) -> Registration:
    result = await service_lifecycle.cancel_own(
        identity, account_id=seeker.account_id, reason=form.reason if form else None
    )
    return Registration.model_validate(result.account["seeker"])


@router.post(
    "/seeker-application",
    status_code=status.HTTP_201_CREATED,
    response_model=SeekerApplied,
    responses=problems(401, 403, 409, 422),
    summary="Apply for a seeker registration online (求職申込み): provisional until confirmed",
    description="After this, refresh the tokens: the new access token carries the seeker_id.",
)
async def apply(
    form: SeekerApplication, seeker: SeekerPrincipal, identity: IdentityDep
) -> SeekerApplied:
    doc = await service_application.apply(identity, principal=seeker, form=form)
    return SeekerApplied.model_validate(doc)


@router.get(
    "/export",
    response_model=Export,
    responses=problems(401, 404),
    summary="Everything identity holds about me, at once (JSON); the whole export of every "
    "service's data: POST /api/v1/me/export (api_export.py)",
)
async def export(principal: CurrentPrincipal, identity: IdentityDep) -> Export:
    return Export.model_validate(
        await service_export.export(identity, account_id=principal.account_id)
    )
