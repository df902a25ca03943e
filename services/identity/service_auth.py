"""Login, token refresh (rotation with reuse detection), logout and "who am I"."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any, Literal

import structlog

from contracts.identity import SessionEnded
from servicekit.auth import Principal
from services.identity import throttle
from services.identity.domain import (
    AccountNotFound,
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenReused,
)
from services.identity.domain_seeker import effective_status, today_jst
from services.identity.repository import SESSIONS
from services.identity.service import Identity
from services.identity.tokens import hash_token, new_refresh_token

log = structlog.get_logger()

SessionEndReason = Literal["logout", "refresh_token_reused", "invalid"]


async def end_session(
    identity: Identity, session_id: str, *, reason: SessionEndReason, account_id: str | None = None
) -> bool:
    """Revoke a session (its refresh tokens here) and publish ``identity.session.ended.v1`` in the
    same write, so that every service and the gateway refuse its access tokens too. False when
    the session is unknown or had already ended (nothing is published twice)."""
    now = identity.clock.now()
    if account_id is None:
        session = await identity.repo.session(session_id)
        if session is None or session.get("revoked"):
            return False
        account_id = str(session["account_id"])
    event = SessionEnded(
        session_id=session_id,
        account_id=account_id,
        reason=reason,
        tokens_valid_until=now + identity.tokens.access_ttl,
    )
    ended = await identity.repo.revoke_session(
        session_id, now=now, reason=reason, events=(identity.envelope(event, subject=session_id),)
    )
    if ended:
        identity.kick(SESSIONS, session_id)
    return ended


async def _issue_tokens(
    identity: Identity, account: dict[str, Any], *, session_id: str | None = None
) -> dict[str, Any]:
    now = identity.clock.now()
    refresh_ttl = timedelta(days=identity.settings.refresh_token_days)
    if session_id is None:
        session_id = uuid.uuid4().hex
        await identity.repo.insert_session(
            {
                "_id": session_id,
                "account_id": account["_id"],
                "epoch": int(account.get("token_epoch", 0)),
                "revoked": False,
                "created_at": now,
            }
        )
    refresh = new_refresh_token()
    await identity.repo.insert_refresh_token(
        {
            "_id": hash_token(refresh),
            "session_id": session_id,
            "account_id": account["_id"],
            "used": False,
            "created_at": now,
            "expires_at": now + refresh_ttl,
        }
    )
    return {
        "access_token": identity.tokens.access_token(
            account=account, session_id=session_id, now=now
        ),
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": int(identity.tokens.access_ttl.total_seconds()),
        "refresh_expires_in": int(refresh_ttl.total_seconds()),
    }


async def login(identity: Identity, *, email: str, password: str, ip: str | None) -> dict[str, Any]:
    limits = throttle.login_limits(identity, email=email, ip=ip)
    # both reads at once: fewer round trips, less jitter in the time an answer takes
    failures, account = await asyncio.gather(
        throttle.ensure_not_locked(identity, limits), identity.repo.account_by_email(email)
    )
    stored = account.get("password_hash") if account and account.get("status") == "active" else None
    # Argon2id in the thread pool; an unknown e-mail verifies a dummy hash (same cost)
    if not await identity.hasher.verify(stored, password) or account is None or stored is None:
        await throttle.record_failure(identity, limits)
        log.info("identity.login.failed", known=account is not None)
        raise InvalidCredentials()
    await throttle.record_success(identity, limits, failures=failures)
    if identity.hasher.needs_rehash(stored):
        await identity.repo.update_account(
            account["_id"],
            expect={"password_hash": stored},
            set_={"password_hash": await identity.hasher.hash(password)},
        )
    log.info("identity.login.succeeded", account_id=account["_id"], role=account["role"])
    return await _issue_tokens(identity, account)


async def refresh(identity: Identity, *, refresh_token: str) -> dict[str, Any]:
    token_hash = hash_token(refresh_token)
    doc = await identity.repo.refresh_token(token_hash)
    if doc is None:
        raise InvalidRefreshToken()
    now = identity.clock.now()
    session_id = str(doc["session_id"])
    if doc.get("used") or not await identity.repo.use_refresh_token(token_hash, now=now):
        # a used token came back: someone holds a copy. End the whole family.
        await end_session(identity, session_id, reason="refresh_token_reused")
        log.warning("identity.refresh.reused", account_id=doc["account_id"], session_id=session_id)
        raise RefreshTokenReused()
    if doc["expires_at"] <= now:
        raise InvalidRefreshToken()
    session = await identity.repo.session(session_id)
    account = await identity.repo.account_by_id(str(doc["account_id"]))
    if (
        session is None
        or session.get("revoked")
        or account is None
        or account.get("status") != "active"
        or int(account.get("token_epoch", 0)) != int(session.get("epoch", 0))
    ):
        await end_session(identity, session_id, reason="invalid")
        raise InvalidRefreshToken()
    log.info("identity.refresh.rotated", account_id=account["_id"], session_id=session_id)
    # the account's claims as they are now (a seeker application adds the seeker id)
    return await _issue_tokens(identity, account, session_id=session_id)


async def logout(
    identity: Identity, *, refresh_token: str | None, access_token: str | None
) -> None:
    """End the session (family) of the refresh token and/or of the access token. Unknown tokens
    are not an error: logging out twice is fine."""
    sessions: set[str] = set()
    if refresh_token:
        doc = await identity.repo.refresh_token(hash_token(refresh_token))
        if doc is not None:
            sessions.add(str(doc["session_id"]))
    if access_token:
        sid = identity.tokens.session_of(access_token)
        if sid:
            sessions.add(sid)
    for session_id in sessions:
        await end_session(identity, session_id, reason="logout")
    log.info("identity.logout", sessions=len(sessions))


async def me(identity: Identity, *, principal: Principal) -> dict[str, Any]:
    account = await identity.repo.account_by_id(principal.account_id)
    if account is None:
        raise AccountNotFound()
    seeker, employer = account.get("seeker") or {}, account.get("employer") or {}
    today = today_jst(identity.clock.now())
    return {
        "account_id": account["_id"],
        "role": account["role"],
        "email": account["email"],
        "status": account["status"],
        "name": account.get("name"),
        "seeker_id": seeker.get("seeker_id"),
        "seeker_number": seeker.get("seeker_number"),
        "employer_id": employer.get("employer_id"),
        "establishment_number": employer.get("establishment_number"),
        "office_code": account.get("office_code")
        or seeker.get("office_code")
        or employer.get("office_code"),
        "seeker_status": effective_status(seeker, today) if seeker else None,
        "expires_on": seeker.get("expires_on"),
    }
