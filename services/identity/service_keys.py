"""The auth-key flows: My Page opening, account creation (the second path) and password reset.

A request always gets the same answer in (at least) the same time. Every request is counted per
address and purpose, matched or not; within the limit it starts the address's try count afresh
and, when it matches, a new key replaces the address's old one and the e-mail command carrying
it is queued on the key's document. Completing counts a try per address and purpose (whether or
not the address has a key, so the count tells nothing), checks the key (a dummy hash when there
is none), then the password policy (a weak password does not use the key up), then consumes the
key atomically and applies the change to the account. Completions answer no sooner than the
same floor as requests.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

import structlog

from contracts.identity import AccountSessionsEnded, MypageOpened, PasswordChanged
from contracts.notifier import EmailTemplate, SendEmail
from servicekit.errors import Conflict
from services.identity.domain import (
    AuthKeyExpired,
    EmailTaken,
    InvalidAuthKey,
    KeyPurpose,
    PasswordPolicyError,
    TooManyAttempts,
    auth_key_expired,
    auth_key_expires_at,
    hash_auth_key,
    new_auth_key,
)
from services.identity.password_policy import check_password
from services.identity.repository import ACCOUNTS, AUTH_KEYS
from services.identity.schemas import OpeningRequest
from services.identity.service import Identity, uniform_duration

log = structlog.get_logger()

Locale = Literal["ja", "en"]


def _agreements(identity: Identity, now: datetime) -> dict[str, Any]:
    s = identity.settings
    return {
        "privacy_policy": {"version": s.privacy_policy_version, "agreed_at": now},
        "terms": {"version": s.terms_version, "agreed_at": now},
    }


async def _issue_key(
    identity: Identity,
    *,
    email: str,
    purpose: KeyPurpose,
    template: EmailTemplate,
    locale: Locale,
    account_id: str | None,
    account_type: str,
    agreements: dict[str, Any] | None = None,
) -> None:
    now = identity.clock.now()
    minutes = identity.settings.auth_key_valid_minutes
    expires_at = auth_key_expires_at(now, minutes)
    key, key_id = new_auth_key(), uuid.uuid4().hex
    command = SendEmail(
        to=email,
        template=template,
        locale=locale,
        params={
            "auth_key": key,
            "valid_minutes": str(minutes),
            "account_type": account_type,
            "expires_at": expires_at.isoformat(),
        },
    )
    doc = {
        "key_id": key_id,
        "purpose": purpose,
        "hash": hash_auth_key(identity.pepper, purpose=purpose, email=email, key=key),
        "account_id": account_id,
        "account_type": account_type,
        "issued_at": now,
        "expires_at": expires_at,
        "agreements": agreements,
    }
    await identity.repo.put_auth_key(email, doc, identity.envelope(command, subject=key_id))
    identity.kick(AUTH_KEYS, email)
    log.info("identity.auth_key.issued", purpose=purpose, key_id=key_id, account_id=account_id)


def _dummy_key_work(identity: Identity, email: str) -> None:
    """What ``_issue_key`` computes, for a request that matched nothing."""
    hash_auth_key(identity.pepper, purpose="none", email=email, key=new_auth_key())


def _tries_key(purpose: KeyPurpose, email: str) -> str:
    return f"tries:{purpose}:{email}"


async def _accept_request(identity: Identity, *, email: str, purpose: KeyPurpose) -> bool:
    """Count a request for this address and purpose, whether or not it matches anything. Within
    ``auth_key_requests_per_window`` it starts the try count afresh (a matching request also
    replaces the key); beyond it nothing changes and nothing is sent, so mails cannot be
    flooded and a try count cannot be reset at will, for known and unknown addresses alike."""
    s = identity.settings
    accepted = await identity.repo.take_limited(
        f"requests:{purpose}:{email}",
        limit=s.auth_key_requests_per_window,
        now=identity.clock.now(),
        window=timedelta(seconds=s.auth_key_request_window_seconds),
    )
    if accepted is None:
        log.info("identity.auth_key.request_limited", purpose=purpose)
        return False
    await identity.repo.forget_limited(_tries_key(purpose, email))
    return True


async def _redeem(
    identity: Identity, *, email: str, purpose: KeyPurpose, auth_key: str, password: str
) -> tuple[dict[str, Any], str]:
    """Check the key and the password; consume the key. Returns the key document and the new
    password's hash.

    Every try is counted per address and purpose before the key is compared (a conditional
    ``$inc`` that stops at ``auth_key_max_tries``), whether or not the address has a key, so
    even parallel guesses cannot exceed the limit and the count says nothing about the address.
    Without a live key the guess is compared with a dummy hash, so both take the same steps. The
    right key gives its try back, so a password that fails the policy does not count as a try."""
    s, now = identity.settings, identity.clock.now()
    tries_key = _tries_key(purpose, email)
    tries = await identity.repo.take_limited(
        tries_key,
        limit=s.auth_key_max_tries,
        now=now,
        window=timedelta(minutes=s.auth_key_valid_minutes),
    )
    if tries is None:
        raise TooManyAttempts()
    doc = await identity.repo.current_auth_key(email)
    if doc is not None and (doc.get("purpose") != purpose or doc.get("used")):
        doc = None  # another purpose's key, or a used one: as if there were none
    candidate = hash_auth_key(identity.pepper, purpose=purpose, email=email, key=auth_key)
    stored = (
        str(doc["hash"])
        if doc is not None
        else hash_auth_key(identity.pepper, purpose="none", email=email, key="")
    )
    if not hmac.compare_digest(candidate, stored) or doc is None:
        log.info("identity.auth_key.wrong", purpose=purpose, tries=tries)
        raise InvalidAuthKey()
    key_id = str(doc["key_id"])
    await identity.repo.give_back_limited(tries_key)
    if auth_key_expired(doc["expires_at"], now):
        raise AuthKeyExpired()
    violations = check_password(password)
    if violations:
        raise PasswordPolicyError(violations)
    password_hash = await identity.hasher.hash(password)
    if not await identity.repo.use_auth_key(email, key_id, now=now):
        raise InvalidAuthKey()  # a parallel redemption was first
    log.info("identity.auth_key.redeemed", purpose=purpose, key_id=key_id)
    return doc, password_hash


# --- My Page opening ------------------------------------------------------------------------


def _opening_matches(account: dict[str, Any] | None, form: OpeningRequest) -> bool:
    if account is None or account.get("role") != form.account_type:
        return False
    if account.get("status") != "unopened":
        return False
    if form.account_type == "seeker":
        seeker = account.get("seeker") or {}
        return (
            form.birth_date is not None and seeker.get("birth_date") == form.birth_date.isoformat()
        )
    employer = account.get("employer") or {}
    return employer.get("establishment_number") == form.establishment_number


async def request_opening(identity: Identity, *, form: OpeningRequest, locale: Locale) -> None:
    async with uniform_duration(identity.settings.uniform_response_seconds):
        account = await identity.repo.account_by_email(form.email)
        matched = account is not None and _opening_matches(account, form)
        accepted = await _accept_request(identity, email=form.email, purpose="mypage_opening")
        if account is None or not matched or not accepted:
            _dummy_key_work(identity, form.email)
            log.info("identity.opening.not_matched", account_type=form.account_type)
            return
        await _issue_key(
            identity,
            email=form.email,
            purpose="mypage_opening",
            template="mypage_opening",
            locale=locale,
            account_id=account["_id"],
            account_type=form.account_type,
            agreements=_agreements(identity, identity.clock.now()),
        )


async def complete_opening(identity: Identity, *, email: str, auth_key: str, password: str) -> None:
    async with uniform_duration(identity.settings.uniform_response_seconds):
        await _complete_opening(identity, email=email, auth_key=auth_key, password=password)


async def _complete_opening(
    identity: Identity, *, email: str, auth_key: str, password: str
) -> None:
    key, password_hash = await _redeem(
        identity, email=email, purpose="mypage_opening", auth_key=auth_key, password=password
    )
    account = await identity.repo.account_by_id(key["account_id"])
    if account is None or account.get("status") != "unopened":
        raise Conflict(
            "already_opened",
            ja="このマイページは既に開設されています。",
            en="This My Page has already been opened.",
        )
    seeker, employer = account.get("seeker") or {}, account.get("employer") or {}
    event = MypageOpened(
        account_id=account["_id"],
        account_type=account["role"],
        seeker_id=seeker.get("seeker_id"),
        employer_id=employer.get("employer_id"),
        version=int(account["version"]) + 1,
    )
    now = identity.clock.now()
    changed = await identity.repo.update_account(
        account["_id"],
        expect={"status": "unopened", "version": account["version"]},
        set_={
            "status": "active",
            "password_hash": password_hash,
            "opened_at": now,
            "updated_at": now,
            "agreements": key.get("agreements"),
        },
        events=(identity.envelope(event, subject=account["_id"]),),
    )
    if not changed:
        raise Conflict(
            "already_opened",
            ja="このマイページは既に開設されています。",
            en="This My Page has already been opened.",
        )
    identity.kick(ACCOUNTS, account["_id"])
    log.info("identity.mypage.opened", account_id=account["_id"], account_type=account["role"])


# --- account creation (the second path) ------------------------------------------------------


async def request_account(identity: Identity, *, email: str, locale: Locale) -> None:
    async with uniform_duration(identity.settings.uniform_response_seconds):
        known = await identity.repo.account_by_email(email) is not None
        accepted = await _accept_request(identity, email=email, purpose="account_creation")
        if known or not accepted:
            _dummy_key_work(identity, email)
            log.info("identity.account_request.not_sent")
            return
        await _issue_key(
            identity,
            email=email,
            purpose="account_creation",
            template="account_creation",
            locale=locale,
            account_id=None,
            account_type="seeker",
            agreements=_agreements(identity, identity.clock.now()),
        )


async def complete_account(identity: Identity, *, email: str, auth_key: str, password: str) -> str:
    async with uniform_duration(identity.settings.uniform_response_seconds):
        return await _complete_account(identity, email=email, auth_key=auth_key, password=password)


async def _complete_account(identity: Identity, *, email: str, auth_key: str, password: str) -> str:
    key, password_hash = await _redeem(
        identity, email=email, purpose="account_creation", auth_key=auth_key, password=password
    )
    now = identity.clock.now()
    account = {
        "_id": uuid.uuid4().hex,
        "email": email,
        "role": "seeker",
        "status": "active",
        "password_hash": password_hash,
        "agreements": key.get("agreements"),
        "token_epoch": 0,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "opened_at": now,
    }
    if not await identity.repo.insert_account(account):
        raise EmailTaken()
    log.info("identity.account.created", account_id=account["_id"])
    return str(account["_id"])


# --- password reset -------------------------------------------------------------------------


async def request_password_reset(identity: Identity, *, email: str, locale: Locale) -> None:
    async with uniform_duration(identity.settings.uniform_response_seconds):
        account = await identity.repo.account_by_email(email)
        accepted = await _accept_request(identity, email=email, purpose="password_reset")
        if account is None or account.get("status") != "active" or not accepted:
            _dummy_key_work(identity, email)
            log.info("identity.password_reset.not_matched")
            return
        await _issue_key(
            identity,
            email=email,
            purpose="password_reset",
            template="password_reset",
            locale=locale,
            account_id=account["_id"],
            account_type=account["role"],
        )


async def complete_password_reset(
    identity: Identity, *, email: str, auth_key: str, password: str
) -> None:
    async with uniform_duration(identity.settings.uniform_response_seconds):
        await _complete_password_reset(identity, email=email, auth_key=auth_key, password=password)


async def _complete_password_reset(
    identity: Identity, *, email: str, auth_key: str, password: str
) -> None:
    key, password_hash = await _redeem(
        identity, email=email, purpose="password_reset", auth_key=auth_key, password=password
    )
    account_id = str(key["account_id"])
    now = identity.clock.now()
    event = PasswordChanged(account_id=account_id, reason="reset")
    changed = False
    for _ in range(5):  # a concurrent write to the account (version) makes us read it again
        account = await identity.repo.account_by_id(account_id)
        if account is None or account.get("status") != "active":
            break
        epoch = int(account.get("token_epoch", 0)) + 1
        # every access token of an older epoch is refused from now on, by every service and
        # the gateway (one account-wide fact, covering every session of the account)
        ended = AccountSessionsEnded(
            account_id=account_id,
            token_epoch=epoch,
            reason="password_reset",
            tokens_valid_until=now + identity.tokens.access_ttl,
        )
        changed = await identity.repo.update_account(
            account_id,
            expect={"status": "active", "version": account["version"]},
            # a new token epoch invalidates every refresh token issued before
            set_={
                "password_hash": password_hash,
                "password_changed_at": now,
                "updated_at": now,
                "token_epoch": epoch,
            },
            events=(
                identity.envelope(event, subject=account_id),
                identity.envelope(ended, subject=account_id),
            ),
        )
        if changed:
            break
    if not changed:
        raise InvalidAuthKey()
    await identity.repo.revoke_sessions_of(account_id, now=now, reason="password_reset")
    identity.kick(ACCOUNTS, account_id)
    log.info("identity.password.changed", account_id=account_id, reason="reset")
