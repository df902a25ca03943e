"""Counter registrations by office staff."""

from __future__ import annotations

from fastapi import APIRouter, status

from servicekit.auth import StaffPrincipal
from services.identity import service_registration
from services.identity.deps import IdentityDep, problems
from services.identity.schemas import EmployerCreate, EmployerCreated
from services.identity.schemas_seekers import SeekerCreate, SeekerCreated

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])


@router.post(
    "/seekers",
    status_code=status.HTTP_201_CREATED,
    response_model=SeekerCreated,
    responses=problems(401, 403, 409, 422),
    summary="Register a seeker at the counter (求職登録), with profile basics if given",
)
async def register_seeker(
    form: SeekerCreate, staff: StaffPrincipal, identity: IdentityDep
) -> SeekerCreated:
    doc = await service_registration.register_seeker(identity, staff=staff, form=form)
    seeker = doc["seeker"]
    return SeekerCreated(
        seeker_id=seeker["seeker_id"],
        seeker_number=seeker["seeker_number"],
        status="registered",
        account_id=doc["_id"],
        expires_on=seeker["expires_on"],
    )


@router.post(
    "/employers",
    status_code=status.HTTP_201_CREATED,
    response_model=EmployerCreated,
    responses=problems(401, 403, 409, 422),
    summary="Register an establishment (事業所登録)",
)
async def register_employer(
    form: EmployerCreate, staff: StaffPrincipal, identity: IdentityDep
) -> EmployerCreated:
    doc = await service_registration.register_employer(identity, staff=staff, form=form)
    employer = doc["employer"]
    return EmployerCreated(
        employer_id=employer["employer_id"],
        establishment_number=employer["establishment_number"],
        status="registered",
        account_id=doc["_id"],
    )
