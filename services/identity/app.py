"""Identity service wiring.

Routes:
- ``/api/v1/staff/seekers``, ``/api/v1/staff/employers``       counter registrations (staff)
- ``/api/v1/mypage/opening[/complete]``                        My Page opening with an auth key
- ``/api/v1/accounts[/complete]``                              account creation (the second path)
- ``/api/v1/auth/password-reset[/complete]``                   password reset with an auth key
- ``/api/v1/auth/login|refresh|logout``, ``/api/v1/me``         login and tokens
- ``/.well-known/jwks.json`` (= ``/api/v1/auth/jwks``)          public keys of the access tokens
  (the current signing key and, after a rotation, the previous one: signing_keys.py)
- ``/api/v1/me/profile[/visibility]``, ``/api/v1/me/registration/cancel``,
  ``/api/v1/me/seeker-application``, ``/api/v1/me/export``      a seeker's own registration
- ``/api/v1/me/activity-record?from=&to=``                      the seeker's 求職活動実績
  (api_activity.py, service_activity.py)
- ``/api/v1/me/export`` (POST), ``/api/v1/me/export/{id}``       the whole export over the bus
  (api_export.py, service_export.py)
- ``/api/v1/staff/seekers[/{id}[/annotations|consultations|confirm|renew|cancel]]``  staff
- ``/api/v1/occupations``                                      reference data (no login)

Publishes (outbox on ``accounts``): identity.seeker.registered.v1, identity.employer.registered.v1,
identity.mypage.opened.v1, identity.password.changed.v1, identity.account.sessions_ended.v1 (a
password reset: every older token of the account is revoked), identity.seeker.profile_updated.v1,
identity.seeker.visibility_changed.v1, identity.seeker.cancelled.v1,
identity.seeker.confirmed.v1, identity.seeker.registration_expiring.v1,
identity.seeker.registration_lapsed.v1, identity.seeker.registration_extended.v1; sends (outbox on
``auth_keys``) the command notifier.email.send.v1 carrying an auth key; (outbox on ``sessions``)
identity.session.ended.v1 (logout, reused refresh token: the session's access tokens are revoked);
(outbox on ``exports``) identity.export.requested.v1 (a seeker's whole export).
Consumes (queue ``identity.events``): applications.application.submitted.v1 and
applications.application.referral_issued.v1 — each extends a registration in its last month;
jobs|applications|messaging|notifier.export.part_ready.v1 — the parts of a seeker's export;
applications.application.status_changed.v1 (interviews, results), .withdrawn.v1 and
.referral_declined.v1 (results) — with the first two, the seeker's activity record.

Background: the expiry scan (notices 14/7/1 days before a registration ends, then its lapse).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from contracts.applications import (
    ApplicationStatusChanged,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    ReferralDeclined,
    ReferralIssued,
)
from contracts.export import PARTS, ExportRequested
from contracts.identity import (
    AccountSessionsEnded,
    EmployerRegistered,
    MypageOpened,
    PasswordChanged,
    RegistrationExpiring,
    RegistrationExtended,
    RegistrationLapsed,
    SeekerCancelled,
    SeekerConfirmed,
    SeekerProfileUpdated,
    SeekerRegistered,
    SeekerVisibilityChanged,
    SessionEnded,
)
from contracts.notifier import SendEmail
from servicekit.auth import TokenVerifier
from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.identity import (
    api_activity,
    api_auth,
    api_export,
    api_keys,
    api_me,
    api_reference,
    api_staff,
    api_staff_seekers,
    problems,
    service_export,
)
from services.identity.domain import PasswordPolicyError
from services.identity.domain_seeker import ProfileInvalid
from services.identity.handlers import Handlers
from services.identity.repository import OUTBOX_COLLECTIONS, Repository
from services.identity.service import Identity
from services.identity.service_expiry import expiry_loop
from services.identity.settings import IdentitySettings
from services.identity.signing_keys import load_keys
from services.identity.tokens import TokenIssuer


def create_app(settings: IdentitySettings, *, clock: Clock | None = None) -> FastAPI:
    """Raises signing_keys.KeyFileError (naming the variable) when a signing key is unusable."""
    keys = load_keys(settings)
    issuer = TokenIssuer(
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        access_minutes=settings.access_token_minutes,
    )
    issuer.use(keys.current, keys.previous)
    # identity checks its own tokens against its own JWKS, from memory
    verifier = TokenVerifier(
        issuer.fetch_jwks, issuer=settings.token_issuer, audience=settings.token_audience
    )
    rt = Runtime(settings, clock=clock, verifier=verifier)
    relay = rt.outbox((*OUTBOX_COLLECTIONS, service_export.EXPORTS))
    rt.publishes(
        SeekerRegistered,
        EmployerRegistered,
        MypageOpened,
        PasswordChanged,
        SessionEnded,
        AccountSessionsEnded,
        SeekerProfileUpdated,
        SeekerVisibilityChanged,
        SeekerCancelled,
        SeekerConfirmed,
        RegistrationExpiring,
        RegistrationLapsed,
        RegistrationExtended,
        SendEmail,
        ExportRequested,
    )

    identity = Identity.build(settings, Repository(rt.db), rt.clock, relay, tokens=issuer)
    rt.on_startup(identity.start)
    rt.on_shutdown(identity.stop)
    rt.background(lambda stop: expiry_loop(identity, stop))
    handlers = Handlers(identity)
    exports = service_export.Exports(identity)
    rt.on_startup(exports.ensure_indexes)
    rt.consume(
        "identity.events",
        {
            ApplicationSubmitted: handlers.on_application_submitted,
            ReferralIssued: handlers.on_referral_issued,
            ApplicationStatusChanged: handlers.on_status_changed,
            ApplicationWithdrawn: handlers.on_withdrawn,
            ReferralDeclined: handlers.on_referral_declined,
            **{part: exports.on_part for part in PARTS},
        },
        description="Applications and referrals, which extend a registration in its last month; "
        "the other services' parts of a seeker's export; interviews and results for the "
        "activity record (求職活動実績).",
    )

    app = rt.build_app(
        title="hataraku identity",
        description="Accounts, My Page opening, login and tokens, counter registrations, "
        "seeker profiles and their registrations' lifecycle.",
        routers=[
            api_staff.router,
            api_staff_seekers.router,
            api_keys.router,
            api_auth.router,
            api_me.router,
            api_activity.router,
            api_export.router,
            api_reference.router,
        ],
    )
    app.add_exception_handler(PasswordPolicyError, api_keys.password_policy_problem)
    app.add_exception_handler(ProfileInvalid, problems.profile_invalid_problem)
    app.add_exception_handler(RequestValidationError, problems.validation_problem)
    app.state.identity = identity
    app.state.exports = exports
    return app
