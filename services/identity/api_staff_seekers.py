"""Staff and their office's seekers: list, read, annotate (ハローワーク追記), consult, confirm an
online application, renew, cancel. Staff act for their own office (403 ``other_office``
otherwise); an administrator for every office."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, status

from servicekit.auth import StaffPrincipal
from servicekit.cursors import CursorParam
from services.identity import service_lifecycle, service_staff_seekers
from services.identity.deps import IdentityDep, problems
from services.identity.schemas_seekers import (
    Annotation,
    AnnotationCreate,
    CancelRequest,
    ConsultationCreate,
    ConsultationRecorded,
    Registration,
    SeekerPage,
    StaffSeekerView,
)

router = APIRouter(prefix="/api/v1/staff/seekers", tags=["staff: seekers"])

SeekerId = Annotated[str, Path(min_length=1, max_length=64)]
ERRORS = problems(401, 403, 404, 409, 422)


@router.get(
    "",
    response_model=SeekerPage,
    responses=problems(401, 403, 422),
    summary="My office's seekers, by seeker number; search by seeker number or name",
)
async def list_seekers(
    staff: StaffPrincipal,
    identity: IdentityDep,
    seeker_number: Annotated[
        str | None, Query(max_length=20, description="the number or its beginning")
    ] = None,
    name: Annotated[
        str | None, Query(min_length=1, max_length=100, description="part of the name or kana")
    ] = None,
    office_code: Annotated[
        str | None, Query(pattern=r"^\d{5}$", description="administrators: one office")
    ] = None,
    status_: Annotated[
        Literal["provisional", "registered", "cancelled", "lapsed"] | None,
        Query(alias="status"),
    ] = None,
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SeekerPage:
    page = await service_staff_seekers.list_seekers(
        identity,
        staff=staff,
        seeker_number=seeker_number,
        name=name,
        office_code=office_code,
        status=status_,
        cursor=cursor,
        limit=limit,
    )
    return SeekerPage.model_validate(page)


@router.get(
    "/{seeker_id}",
    response_model=StaffSeekerView,
    responses=problems(401, 403, 404),
    summary="A seeker of my office, with annotations and consultations",
)
async def get_seeker(
    seeker_id: SeekerId, staff: StaffPrincipal, identity: IdentityDep
) -> StaffSeekerView:
    view = await service_staff_seekers.get_seeker(identity, staff=staff, seeker_id=seeker_id)
    return StaffSeekerView.model_validate(view)


@router.post(
    "/{seeker_id}/annotations",
    status_code=status.HTTP_201_CREATED,
    response_model=Annotation,
    responses=ERRORS,
    summary="Append information to the seeker's profile (shown as ハローワーク追記)",
)
async def annotate(
    seeker_id: SeekerId, form: AnnotationCreate, staff: StaffPrincipal, identity: IdentityDep
) -> Annotation:
    assert form.body is not None
    added = await service_lifecycle.annotate(
        identity, staff=staff, seeker_id=seeker_id, body=form.body
    )
    return Annotation.model_validate(added)


@router.post(
    "/{seeker_id}/consultations",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsultationRecorded,
    responses=ERRORS,
    summary="Record a consultation (相談記録: day, kind, note); in the registration's last "
    "month it extends the validity",
)
async def consult(
    seeker_id: SeekerId, form: ConsultationCreate, staff: StaffPrincipal, identity: IdentityDep
) -> ConsultationRecorded:
    assert form.note is not None
    recorded = await service_lifecycle.consult(
        identity, staff=staff, seeker_id=seeker_id, note=form.note, kind=form.kind, on=form.on
    )
    return ConsultationRecorded.model_validate(recorded)


@router.post(
    "/{seeker_id}/confirm",
    response_model=Registration,
    responses=ERRORS,
    summary="Confirm an online (provisional) registration: status registered",
)
async def confirm(
    seeker_id: SeekerId, staff: StaffPrincipal, identity: IdentityDep
) -> Registration:
    result = await service_lifecycle.confirm(identity, staff=staff, seeker_id=seeker_id)
    return Registration.model_validate(result.account["seeker"])


@router.post(
    "/{seeker_id}/renew",
    response_model=Registration,
    responses=ERRORS,
    summary="Renew a lapsed or valid registration: a fresh validity from today",
)
async def renew(seeker_id: SeekerId, staff: StaffPrincipal, identity: IdentityDep) -> Registration:
    result = await service_lifecycle.renew(identity, staff=staff, seeker_id=seeker_id)
    return Registration.model_validate(result.account["seeker"])


@router.post(
    "/{seeker_id}/cancel",
    response_model=Registration,
    responses=ERRORS,
    summary="Cancel the seeker's registration (取消)",
)
async def cancel(
    seeker_id: SeekerId,
    staff: StaffPrincipal,
    identity: IdentityDep,
    form: CancelRequest | None = Body(default=None),
) -> Registration:
    result = await service_lifecycle.cancel_by_staff(
        identity, staff=staff, seeker_id=seeker_id, reason=form.reason if form else None
    )
    return Registration.model_validate(result.account["seeker"])
