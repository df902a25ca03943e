"""The web client (web My Page): server-rendered Japanese pages over the gateway's public API.

Route groups:
- ``/``, ``/privacy``, ``/terms``                         top page, policy, terms      pages_public
- ``/mypage/opening`` (+ ``/email``, ``/sent``, ``/complete``, ``/done``; ``?for=employer``)
                                                         マイページ開設               pages_opening
- ``/accounts/new`` … ``/done``, ``/mypage/seeker-application``
                                                         アカウント登録・求職申込み      pages_account
- ``/password-reset`` (+ ``/sent``, ``/complete``, ``/done``)  パスワード再設定         pages_password
- ``/login``, ``/logout``                                 ログイン / ログアウト          pages_auth
- ``/mypage``                                             マイページ トップ              pages_home
- ``/jobs``, ``/jobs/{job_id}``                           求人検索, 求人票               pages_jobs
- ``/mypage/profile``, ``/favorites``, ``/saved-searches``, ``/recommendations``, ``/requests``,
  ``/cancel``, ``/export``                                求職者マイページ    pages_seeker (+ _profile)
- ``/jobs/{job_id}/apply``, ``/mypage/applications`` (+ ``/{id}``, ``/withdraw``, ``/letter``)
                                                         応募・応募履歴・紹介状     pages_seeker_apply
- ``/mypage/activity-record`` (``?from=&to=``)              求職活動実績（印刷用）        pages_activity
- ``/mypage/messages``, ``/notices``, ``/notifications``, ``/unread.json``, ``/events`` (live)
                                                         メッセージ・お知らせ・通知     pages_messages
- ``/employer/…``                                         求人者マイページ       pages_employer (+ _*)
- ``/staff/…`` (seekers, employers, referrals, notices, hires), ``/admin/maintenance``
                                                         職員・管理者          pages_staff (+ _*)
- ``/static/…``                                           CSS and live.js (local files only)
- ``/healthz`` (alive), ``/readyz`` (sessions database and gateway reachable), ``/metrics``
  (Prometheus, web/metrics.py; on web's own port only: the gateway does not pass it on)

Sessions live in this process's own database (``hataraku_web``); the browser holds only an
opaque id (httpOnly, SameSite=Lax, Secure over TLS). Every POST carries the session's CSRF token.
Not a bus service: no broker.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicekit import context, db
from web import (
    metrics,
    pages_account,
    pages_activity,
    pages_auth,
    pages_employer,
    pages_home,
    pages_jobs,
    pages_messages,
    pages_opening,
    pages_password,
    pages_public,
    pages_seeker,
    pages_staff,
    pages_staff_hires,
)
from web.deps import (
    CsrfRefused,
    LoginRequired,
    Web,
    WrongRole,
    login_url,
    make_templates,
    render,
)
from web.gateway import ApiError, Gateway, SystemStatus, client_ip
from web.sessions import COLLECTION, SessionStore
from web.settings import WebSettings

log = structlog.get_logger()
STATIC = Path(__file__).parent / "static"

# asked by the page's script on its own, not by the person: not activity for the idle timeout
BACKGROUND_PATHS = frozenset({"/mypage/events", "/mypage/unread.json"})

# answered without a session
OPERATIONS = frozenset({"/healthz", "/readyz", "/metrics"})

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(settings: WebSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client, database = db.connect(settings.mongodb_url, settings.database)
        gateway = Gateway(settings.gateway_url, settings.gateway_timeout_seconds)
        app.state.database = database
        sessions = SessionStore(
            database,
            max_age=settings.session_max_age_seconds,
            idle=settings.session_idle_seconds,
        )
        app.state.web = Web(
            settings=settings,
            gateway=gateway,
            sessions=sessions,
            templates=make_templates(),
            status=SystemStatus(gateway),
        )
        await sessions.ensure_indexes()
        try:
            yield
        finally:
            await gateway.close()
            await client.close()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    for router in (
        pages_public.router,
        pages_opening.router,
        pages_password.router,
        pages_account.router,
        pages_auth.router,
        pages_home.router,
        pages_jobs.router,
        pages_seeker.router,
        pages_activity.router,
        pages_messages.router,
        pages_employer.router,
        pages_staff.router,
        pages_staff_hires.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        web: Web = request.app.state.web
        checks = {
            "database": await db.ping(request.app.state.database),
            "gateway": await web.gateway.ready(),
        }
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks},
            status_code=200 if ok else 503,
        )

    _install_session_middleware(app, settings)
    _install_error_pages(app)
    metrics.install(app)  # last: the outermost middleware
    log.info("web.app.created", collection=COLLECTION)
    return app


def _install_session_middleware(app: FastAPI, settings: WebSettings) -> None:
    @app.middleware("http")
    async def sessions(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        context.correlation_id.set(rid[:64])
        client_ip.set(request.client.host if request.client else None)
        if request.url.path.startswith("/static/") or request.url.path in OPERATIONS:
            return await call_next(request)
        web: Web = request.app.state.web
        incoming = request.cookies.get(settings.session_cookie)
        touch = request.url.path not in BACKGROUND_PATHS
        session = await web.sessions.load(incoming, touch=touch) or web.sessions.fresh()
        request.state.session = session
        request.state.clear_cookie = False
        response = await call_next(request)
        final = request.state.session
        secure = (
            settings.cookie_secure
            if settings.cookie_secure is not None
            else request.url.scheme == "https"
        )
        if not final.new and final.id != incoming:
            response.set_cookie(
                settings.session_cookie,
                final.id,
                max_age=settings.session_max_age_seconds,
                path="/",
                httponly=True,
                samesite="lax",
                secure=secure,
            )
        elif request.state.clear_cookie or (incoming and final.new):
            response.delete_cookie(
                settings.session_cookie, path="/", httponly=True, samesite="lax", secure=secure
            )
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["X-Request-ID"] = rid[:64]
        return response


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_url(exc.next_path, expired=exc.expired), status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        log.warning("web.csrf.refused", path=request.url.path)
        return await render(
            request,
            "error.html",
            status=403,
            forms=False,
            title="操作を受け付けられませんでした",
            detail="画面の有効期限が切れたか、正しくない送信です。"
            "お手数ですが、前の画面に戻ってもう一度操作してください。",
        )

    @app.exception_handler(WrongRole)
    async def _role(request: Request, exc: WrongRole) -> Response:
        return await render(
            request,
            "error.html",
            status=403,
            forms=False,
            title="このページは表示できません",
            detail="このページはご利用のアカウントでは表示できません。メニューからお進みください。",
        )

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        if exc.code == "maintenance":
            web: Web = request.app.state.web
            web.status.forget()
            return await render(
                request, "maintenance.html", status=503, forms=False, detail=exc.detail
            )
        title = "ページが見つかりません" if exc.status == 404 else "エラーが発生しました"
        return await render(
            request, "error.html", status=exc.status, forms=False, title=title, detail=exc.detail
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return await render(
            request,
            "error.html",
            status=400,
            forms=False,
            title="入力内容に誤りがあります",
            detail="指定された条件を読み取れませんでした。もう一度お試しください。",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not hasattr(request.state, "session"):
            return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code)
        found = exc.status_code == 404
        return await render(
            request,
            "error.html",
            status=exc.status_code,
            forms=False,
            title="ページが見つかりません" if found else "エラーが発生しました",
            detail="お探しのページは見つかりませんでした。"
            if found
            else "リクエストを処理できませんでした。",
        )
