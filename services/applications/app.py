"""Applications service wiring.

Routes:
- ``POST /api/v1/applications``, ``GET /api/v1/applications/{id}``, ``…/{id}/status``,
  ``…/{id}/withdraw``, ``…/{id}/referral-letter``, ``GET /api/v1/me/applications``
                                                           applying and progress   api_applications
- ``/api/v1/staff/applications`` (queue), ``…/conditions-differ`` (hires whose conditions
  differ), ``…/{id}/referral``, ``…/{id}/decline``
                                                           the office              api_staff
- ``/api/v1/employer/applications``, ``/api/v1/employer/seekers`` (and ``…/{seeker_id}``)
                                                           employers               api_employer
- ``POST /api/v1/requests``, ``GET /api/v1/employer/requests`` (= ``GET /api/v1/requests``),
  ``GET /api/v1/me/requests``, ``POST /api/v1/me/requests/{id}/decline``
                                                           direct requests         api_requests

Consumes (queue ``applications.events``): identity.seeker.registered.v1, .confirmed.v1,
.profile_updated.v1, .visibility_changed.v1, .cancelled.v1, .registration_lapsed.v1,
.registration_extended.v1, identity.employer.registered.v1, identity.mypage.opened.v1;
jobs.posting.published.v1, .changed.v1, .closed.v1, .expired.v1, .renewed.v1 (projections and
reactions); its own applications.request.rejected.v1 and .sent.v1 (forwarded to employer
systems on ``employer.replies``); identity.export.requested.v1 (a seeker's export: answered
with applications.export.part_ready.v1, published at once, export.py).
Consumes (queue ``applications.employer-requests``, bound to exchange ``employer.requests``):
employer.request.submitted.v1 from employer systems (amqp.py).

Publishes (outbox on ``applications``, ``requests``, ``rejections``): every event of
contracts/applications.py.
"""

from __future__ import annotations

from fastapi import FastAPI

from contracts import applications as events
from contracts.applications import RequestRejected, RequestSent
from contracts.export import ApplicationsExportPart, ExportRequested
from contracts.identity import (
    EmployerRegistered,
    MypageOpened,
    RegistrationExtended,
    RegistrationLapsed,
    SeekerCancelled,
    SeekerConfirmed,
    SeekerProfileUpdated,
    SeekerRegistered,
    SeekerVisibilityChanged,
)
from contracts.jobs import (
    PostingChanged,
    PostingClosed,
    PostingExpired,
    PostingPublished,
    PostingRenewed,
)
from servicekit import export
from servicekit.auth import TokenVerifier
from servicekit.clock import Clock
from servicekit.runtime import Runtime
from services.applications import api_applications, api_employer, api_requests, api_staff
from services.applications.amqp import EmployerRequestConsumer
from services.applications.core import Core
from services.applications.deps import ApplicationServices
from services.applications.export import ExportPart
from services.applications.handlers import EventHandlers
from services.applications.letter import LetterRenderer
from services.applications.repository import OUTBOX_COLLECTIONS, Store
from services.applications.repository_projections import ProjectionsRepository
from services.applications.repository_records import RecordsRepository
from services.applications.service_apply import ApplyService
from services.applications.service_progress import ProgressService
from services.applications.service_projections import ProjectionService
from services.applications.service_requests import RequestService
from services.applications.service_views import ViewService
from services.applications.settings import ApplicationsSettings


def create_app(
    settings: ApplicationsSettings,
    *,
    clock: Clock | None = None,
    verifier: TokenVerifier | None = None,
) -> FastAPI:
    rt = Runtime(settings, clock=clock, verifier=verifier)
    relay = rt.outbox(OUTBOX_COLLECTIONS)
    rt.publishes(*events.EVENTS, ApplicationsExportPart)

    store = Store(rt.db)
    core = Core(
        store=store,
        records=RecordsRepository(store),
        projections=ProjectionsRepository(store),
        relay=relay,
        clock=rt.clock,
        settings=settings,
    )
    requests = RequestService(core)
    progress = ProgressService(core)
    services = ApplicationServices(
        apply=ApplyService(core, requests),
        progress=progress,
        requests=requests,
        views=ViewService(core, requests),
        letters=LetterRenderer(),
    )
    handlers = EventHandlers(
        projections=ProjectionService(core, progress=progress, requests=requests), bus=rt.bus
    )
    rt.consume(
        "applications.events",
        {
            SeekerRegistered: handlers.on_seeker_registered,
            SeekerConfirmed: handlers.on_seeker_confirmed,
            SeekerProfileUpdated: handlers.on_profile_updated,
            SeekerVisibilityChanged: handlers.on_visibility_changed,
            SeekerCancelled: handlers.on_seeker_cancelled,
            RegistrationLapsed: handlers.on_registration_lapsed,
            RegistrationExtended: handlers.on_registration_extended,
            EmployerRegistered: handlers.on_employer_registered,
            MypageOpened: handlers.on_mypage_opened,
            PostingPublished: handlers.on_posting_published,
            PostingChanged: handlers.on_posting_changed,
            PostingClosed: handlers.on_posting_closed,
            PostingExpired: handlers.on_posting_expired,
            PostingRenewed: handlers.on_posting_renewed,
            RequestRejected: handlers.on_request_rejected,
            RequestSent: handlers.on_request_sent,
            ExportRequested: export.responder(rt.bus, settings.service_name, ExportPart(services)),
        },
        description="Identity's seeker and employer facts and jobs' posting facts (projections "
        "and reactions); the service's own answers to employer systems (forwarded); a seeker's "
        "export.",
    )
    EmployerRequestConsumer(rt.bus, db=rt.db, core=core, requests=requests)
    rt.on_startup(store.ensure_indexes)

    app = rt.build_app(
        title="hataraku applications",
        description="Applications (オンライン紹介 / オンライン自主応募), referral letters (紹介状), "
        "status history, direct requests (リクエスト) over HTTP and AMQP.",
        routers=[
            api_applications.router,
            api_staff.router,
            api_employer.router,
            api_requests.router,
        ],
    )
    app.state.applications = services
    return app
