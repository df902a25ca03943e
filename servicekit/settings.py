"""Settings common to every service. Built in ``main`` or a test fixture, never at import."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    service_name: str = "service"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    mongodb_url: str = "mongodb://127.0.0.1:27017/"
    # empty means hataraku_<service_name>
    db_name: str = ""
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    # prefix for every exchange and queue name; tests use it to get a broker namespace of their own
    bus_prefix: str = ""
    # identity's JWKS; every service verifies tokens itself
    jwks_url: str = "http://127.0.0.1:8001/.well-known/jwks.json"
    token_issuer: str = "hataraku-identity"  # noqa: S105 - a name, not a secret
    token_audience: str = "hataraku"  # noqa: S105
    log_level: str = "INFO"
    log_json: bool = True
    prefetch: int = Field(default=32, ge=1, le=1000)
    retry_max_attempts: int = Field(default=5, ge=0, le=50)
    retry_base_delay_ms: int = Field(default=500, ge=1)
    # the broker's own cap on redeliveries of one message (quorum queues), a backstop
    delivery_limit: int = 20
    outbox_poll_seconds: float = 1.0
    # how long one delivery may hold an event before another delivery may take it over
    claim_lease_seconds: float = Field(default=120.0, gt=0)
    # a request body over this many bytes answers 413 (servicekit.runtime.BodyLimit): refused on
    # its Content-Length before any of it is read, a chunked one as soon as it goes past; the
    # gateway applies the same limit at the edge (GatewaySettings inherits it)
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1)

    @property
    def database(self) -> str:
        return self.db_name or f"hataraku_{self.service_name}"
