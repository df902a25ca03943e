"""Identity service wiring.

Routes:
- ``/api/v1/staff/seekers``, ``/api/v1/staff/employers``       counter registrations (staff)
- ``/api/v1/mypage/opening[/complete]``                        My Page opening with an auth key
- ``/api/v1/accounts[/complete]``                              account creation (the second path)
- ``/api/v1/auth/password-reset[/complete]``                   password reset with an auth key
- ``/api/v1/auth/login|refresh|logout``, ``/api/v1/me``         login and tokens
- ``/.well-known/jwks.json`` (= ``/api/v1/auth/jwks``)          public keys of the access tokens

Publishes (outbox on ``accounts``): identity.seeker.registered.v1, identity.employer.registered.v1,
identity.mypage.opened.v1, identity.password.changed.v1; sends (outbox on ``auth_keys``) the
command notifier.email.send.v1 carrying an auth key. Consumes: nothing.
"""

from __future__ import annotations

from fastapi import FastAPI

from contracts.identity import EmployerRegistered, MypageOpened, PasswordChanged, SeekerRegistered
from contracts.notifier import SendEmail
from servicekit.auth import TokenVerifier
from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.identity import api_auth, api_keys, api_staff
from services.identity.domain import PasswordPolicyError
from services.identity.repository import OUTBOX_COLLECTIONS, Repository
from services.identity.service import Identity
from services.identity.settings import IdentitySettings
from services.identity.tokens import TokenIssuer


def create_app(settings: IdentitySettings, *, clock: Clock | None = None) -> FastAPI:
    issuer = TokenIssuer(
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        access_minutes=settings.access_token_minutes,
    )
    # identity checks its own tokens against its own JWKS, from memory
    verifier = TokenVerifier(
        issuer.fetch_jwks, issuer=settings.token_issuer, audience=settings.token_audience
    )
    rt = Runtime(settings, clock=clock, verifier=verifier)
    relay = rt.outbox(OUTBOX_COLLECTIONS)
    rt.publishes(SeekerRegistered, EmployerRegistered, MypageOpened, PasswordChanged, SendEmail)

    identity = Identity.build(settings, Repository(rt.db), rt.clock, relay, tokens=issuer)
    rt.on_startup(identity.start)
    rt.on_shutdown(identity.stop)

    app = rt.build_app(
        title="hataraku identity",
        description="Accounts, My Page opening, login and tokens, counter registrations.",
        routers=[api_staff.router, api_keys.router, api_auth.router],
    )
    app.add_exception_handler(PasswordPolicyError, api_keys.password_policy_problem)
    app.state.identity = identity
    return app
