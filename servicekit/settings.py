"""Settings common to every service. Built in ``main`` or a test fixture, never at import.

Every field is read from the environment variable of the same name in capitals (``HTTP_PORT``).
A process whose setting is missing or malformed exits at start with one line that names the
variable, never a traceback:

    hataraku: setting HTTP_PORT: not a valid integer ("abc")

(``describe`` makes the line; ``exit_on_invalid`` is the hook that prints it for a settings
class's ValidationError that nothing caught, installed when this module is imported.)
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any, ClassVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

# what a pydantic error type means, said of an environment variable
_MEANINGS = {
    "missing": "required, not set",
    "int_parsing": "not a valid integer",
    "int_from_float": "not a valid integer",
    "float_parsing": "not a valid number",
    "bool_parsing": "not a valid boolean (true/false)",
    "url_parsing": "not a valid URL",
    "json_invalid": "not valid JSON",
}
# inputs never echoed: a password in a URL, a key
_SECRET_WORDS = ("KEY", "SECRET", "PASSWORD", "TOKEN", "URL", "DSN")
_ECHO_MAX = 40


def _meaning(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind in _MEANINGS:
        return _MEANINGS[kind]
    msg = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    # "Input should be …" reads as "input should be …"; a name in capitals stays as it is
    return msg[:1].lower() + msg[1:] if msg[1:2].islower() else msg


def describe(exc: ValidationError) -> str:
    """One line naming each variable that is wrong and why."""
    parts = []
    for error in exc.errors():
        loc = error.get("loc") or ()
        meaning = _meaning(dict(error))
        if not loc:  # a check across settings (a model validator)
            parts.append(f"settings: {meaning}")
            continue
        name = str(loc[0]).upper()
        text = f"setting {name}: {meaning}"
        value = error.get("input")
        if (
            error.get("type") != "missing"
            and isinstance(value, str | int | float)
            and len(str(value)) <= _ECHO_MAX
            and not any(word in name for word in _SECRET_WORDS)
        ):
            text += f' ("{value}")'
        parts.append(text)
    return "hataraku: " + "; ".join(parts)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    # the names of every settings class (ValidationError.title), for exit_on_invalid
    classes: ClassVar[set[str]] = {"ServiceSettings"}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        ServiceSettings.classes.add(cls.__name__)

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


_previous_hook = sys.excepthook


def exit_on_invalid(
    kind: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    """``sys.excepthook``: a settings class's ValidationError that reached the top of the process
    (``python -m services.jobs`` with a bad variable) is one line on stderr, and the process
    exits (status 1); anything else goes to the previous hook."""
    if isinstance(exc, ValidationError) and exc.title in ServiceSettings.classes:
        print(describe(exc), file=sys.stderr, flush=True)
        return
    _previous_hook(kind, exc, tb)


sys.excepthook = exit_on_invalid
