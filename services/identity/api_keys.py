"""The auth-key flows: My Page opening, account creation (second path), password reset."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from servicekit.errors import problem, wants_english
from services.identity import service_keys
from services.identity.deps import IdentityDep, Locale, problems
from services.identity.domain import PasswordPolicyError
from services.identity.schemas import (
    Accepted,
    AccountCreated,
    AccountRequest,
    KeyRedemption,
    Opened,
    OpeningRequest,
    PasswordChanged,
    PasswordResetRequest,
)

router = APIRouter(prefix="/api/v1", tags=["accounts"])

REDEMPTION_ERRORS = problems(400, 409, 422, 429)


def _accepted(english: bool) -> Accepted:
    if english:
        return Accepted(
            detail="We received your request. If the details are registered, we will send an auth key by e-mail."
        )
    return Accepted()


@router.post(
    "/mypage/opening",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=problems(422),
    summary="Apply for the My Page opening (マイページ開設); a match e-mails an auth key",
)
async def request_opening(form: OpeningRequest, identity: IdentityDep, lang: Locale) -> Accepted:
    await service_keys.request_opening(identity, form=form, locale=lang)
    return _accepted(lang == "en")


@router.post(
    "/mypage/opening/complete",
    response_model=Opened,
    responses=REDEMPTION_ERRORS,
    summary="Open My Page with the auth key and a password",
)
async def complete_opening(form: KeyRedemption, identity: IdentityDep) -> Opened:
    await service_keys.complete_opening(
        identity, email=form.email, auth_key=form.auth_key, password=form.password
    )
    return Opened()


@router.post(
    "/accounts",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=problems(422),
    summary="Apply for an account (the second path); e-mails an auth key",
)
async def request_account(form: AccountRequest, identity: IdentityDep, lang: Locale) -> Accepted:
    await service_keys.request_account(identity, email=form.email, locale=lang)
    return _accepted(lang == "en")


@router.post(
    "/accounts/complete",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountCreated,
    responses=REDEMPTION_ERRORS,
    summary="Create the account with the auth key and a password",
)
async def complete_account(form: KeyRedemption, identity: IdentityDep) -> AccountCreated:
    account_id = await service_keys.complete_account(
        identity, email=form.email, auth_key=form.auth_key, password=form.password
    )
    return AccountCreated(account_id=account_id)


@router.post(
    "/auth/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=problems(422),
    summary="Ask for a password reset; an active account gets an auth key by e-mail",
)
async def request_password_reset(
    form: PasswordResetRequest, identity: IdentityDep, lang: Locale
) -> Accepted:
    await service_keys.request_password_reset(identity, email=form.email, locale=lang)
    return _accepted(lang == "en")


@router.post(
    "/auth/password-reset/complete",
    response_model=PasswordChanged,
    responses=REDEMPTION_ERRORS,
    summary="Set a new password with the auth key; ends every session",
)
async def complete_password_reset(form: KeyRedemption, identity: IdentityDep) -> PasswordChanged:
    await service_keys.complete_password_reset(
        identity, email=form.email, auth_key=form.auth_key, password=form.password
    )
    return PasswordChanged()


async def password_policy_problem(request: Request, exc: Exception) -> JSONResponse:
    """400 ``password_policy`` whose ``errors`` name each failed rule in the reader's language."""
    assert isinstance(exc, PasswordPolicyError)
    english = wants_english(request)
    return problem(
        exc.status,
        exc.code,
        exc.en if english else exc.ja,
        errors=[v.as_error(english=english) for v in exc.violations],
    )
