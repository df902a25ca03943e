from __future__ import annotations

from pydantic import Field, model_validator

from servicekit.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    http_port: int = 8000
    # the internal listener (gateway/listeners.py): /readyz, /healthz, /metrics and
    # /status/upstreams, for probes and Prometheus only; never routed to from outside (the public
    # port answers 404 there). Empty host: the same address as HTTP_HOST.
    internal_port: int = Field(default=9000, ge=0, le=65535)
    internal_host: str = ""

    # upstreams (a base path is allowed: http://host:port/prefix)
    identity_url: str = "http://127.0.0.1:8001"
    jobs_url: str = "http://127.0.0.1:8002"
    applications_url: str = "http://127.0.0.1:8003"
    messaging_url: str = "http://127.0.0.1:8004"
    notifier_url: str = "http://127.0.0.1:8005"
    # the web client; empty: paths outside /api/ answer 404
    web_url: str = "http://127.0.0.1:8006"

    # an upstream that has not answered (headers and body) within this many seconds → 504;
    # Server-Sent Events streams have no limit once their headers arrived
    upstream_timeout_seconds: float = Field(default=30.0, gt=0)
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    # pooled connections to all upstreams together, for ordinary requests (event streams have a
    # pool of their own, so that open streams never make a request wait for a connection)
    max_connections: int = Field(default=512, ge=1)
    # below uvicorn's keep-alive (5 s) so that a pooled connection is never reused just as the
    # upstream closes it
    upstream_keepalive_seconds: float = Field(default=3.5, gt=0)
    # request bodies up to this size are read and sent at once; larger ones are streamed (a
    # chunked body is always read, up to its limit, and sent with its length)
    buffer_request_body_bytes: int = Field(default=64 * 1024, ge=0)
    # max_request_body_bytes (servicekit.settings, 1 MiB): a larger body answers 413 before it
    # is read (Content-Length) or as soon as it goes past (chunked); a route may allow more
    # (Route.max_body in gateway/routes.py; none does today)

    # login / opening / account / password-reset POSTs: a token bucket per endpoint group and
    # client IP; on routes keyed by account (login: the e-mail in the JSON body) per endpoint
    # group, client IP and account, so that people sharing an address (a Hello Work office's
    # PCs) do not throttle each other. A body that is not JSON naming an account counts per
    # client IP alone.
    rate_limit_per_minute: float = Field(default=10.0, gt=0)
    rate_limit_burst: int = Field(default=10, ge=1)
    # the ceiling per endpoint group and client IP over all accounts, on routes keyed by account
    rate_limit_address_per_minute: float = Field(default=300.0, gt=0)
    rate_limit_address_burst: int = Field(default=300, ge=1)

    # open event streams (GET /api/v1/me/events) per account (the token's sub) and per client
    # IP, counted by each replica; one more answers 429 too_many_streams
    stream_max_per_account: int = Field(default=5, ge=1)
    stream_max_per_address: int = Field(default=50, ge=1)
    # open event streams in all (the size of their own connection pool); one more answers 503
    stream_max_open: int = Field(default=10_000, ge=1)

    # maintenance state lives in this service's database; each replica re-reads it this often
    maintenance_cache_seconds: float = Field(default=1.0, gt=0)
    # Retry-After while maintenance has no announced end
    maintenance_retry_after_seconds: int = Field(default=600, ge=1)

    # verified access tokens are remembered (until they expire) up to this many
    token_cache_size: int = Field(default=10_000, ge=0)
    # how long the merged /api/docs is reused
    docs_cache_seconds: float = Field(default=10.0, ge=0)
    # /readyz pings this gateway's database, and /status/upstreams asks every upstream's /readyz,
    # with this timeout
    readyz_timeout_seconds: float = Field(default=2.0, gt=0)

    @model_validator(mode="after")
    def _ports_differ(self) -> GatewaySettings:
        if self.internal_port and self.internal_port == self.http_port:
            raise ValueError("INTERNAL_PORT must differ from HTTP_PORT")
        return self

    @property
    def internal_bind_host(self) -> str:
        return self.internal_host or self.http_host

    def upstreams(self) -> dict[str, str]:
        """Service name → base URL (no trailing slash); the web client only when configured."""
        urls = {
            "identity": self.identity_url,
            "jobs": self.jobs_url,
            "applications": self.applications_url,
            "messaging": self.messaging_url,
            "notifier": self.notifier_url,
        }
        if self.web_url:
            urls["web"] = self.web_url
        return {name: url.rstrip("/") for name, url in urls.items()}
