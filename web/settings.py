from pydantic import Field

from servicekit.settings import ServiceSettings


class WebSettings(ServiceSettings):
    service_name: str = "web"
    http_port: int = 8006
    # the public API, exactly as a mobile app would use it
    gateway_url: str = "http://127.0.0.1:8000"
    gateway_timeout_seconds: float = Field(default=35.0, gt=0)
    # server-side sessions (database hataraku_web): absolute and idle lifetime
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60)
    session_idle_seconds: int = Field(default=60 * 60, ge=60)
    session_cookie: str = "hataraku_session"
    # None: Secure exactly when the request came over TLS (X-Forwarded-Proto from the gateway)
    cookie_secure: bool | None = None
    # refresh the access token when it has less than this many seconds left
    refresh_margin_seconds: int = Field(default=30, ge=0)
    # the help desk shown on every page (ヘルプデスク)
    helpdesk_phone: str = "0570-077450"
    helpdesk_hours: str = "月曜～金曜 9:30～18:00（年末年始・祝日を除く）"
    helpdesk_email: str = "helpdesk@hataraku.example"
    page_size: int = Field(default=20, ge=1, le=100)
