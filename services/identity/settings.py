from typing import Literal

from pydantic import Field, SecretStr

from servicekit.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    service_name: str = "identity"
    http_port: int = 8001
    # production: refuse to start without a token signing key given by a file (no development key)
    environment: Literal["development", "production"] = "development"

    # versions of the documents a user agrees to when asking for an auth key
    privacy_policy_version: str = "2025-04-01"
    terms_version: str = "2025-04-01"

    # auth keys (My Page opening, account creation, password reset)
    auth_key_valid_minutes: int = Field(default=50, ge=1, le=24 * 60)
    # wrong tries per address and purpose, counted whether or not the address has a key (so the
    # count tells nothing); the count lasts auth_key_valid_minutes from its first try and starts
    # afresh when a request for that address and purpose is accepted
    auth_key_max_tries: int = Field(default=5, ge=1, le=20)
    # requests (each e-mailing a key when it matches) accepted per address and purpose in the
    # window; more answer the same 202 but send nothing and leave the try count as it is
    auth_key_requests_per_window: int = Field(default=3, ge=1, le=100)
    auth_key_request_window_seconds: int = Field(default=3600, ge=60)
    # HMAC pepper for auth-key hashes; empty: a random one generated once and kept in the database
    auth_key_pepper: SecretStr = SecretStr("")
    # the key requests ("always 202") and completions answer no sooner than this, matched or
    # not (timing hides matches)
    uniform_response_seconds: float = Field(default=0.25, ge=0, le=5)

    # tokens. The signing key (a PEM Ed25519 private key) comes from a file or secret; the
    # previous key (optional; an empty file means none) is published beside it in the JWKS so
    # that the tokens it signed keep verifying after a rotation (services/identity/signing_keys.py,
    # SECURITY.md). Without a signing key file, outside production: a development key generated
    # once into token_dev_key_file (relative to the working directory)
    token_signing_key_file: str = ""
    token_previous_key_file: str = ""
    token_dev_key_file: str = ".data/secrets/token-signing-key.pem"  # noqa: S105 - a path
    access_token_minutes: int = Field(default=15, ge=1, le=60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)

    # login throttling (failures per window → lock for lockout_seconds), kept in MongoDB.
    # An account locks per client address (a stranger locks only themselves out), with a
    # global per-account backstop against guessing from many addresses; an address locks
    # after failures against any accounts (password spraying)
    login_window_seconds: int = Field(default=15 * 60, ge=1)
    login_lockout_seconds: int = Field(default=15 * 60, ge=1)
    login_max_failures_per_account_ip: int = Field(default=5, ge=1)
    login_max_failures_per_account: int = Field(default=100, ge=1)
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    # identity sits behind the gateway, which sets X-Forwarded-For; turn off when exposed directly
    trust_forwarded_for: bool = True

    # registrations: how often the expiry scan (notices 14/7/1 days before, the lapse) runs
    expiry_scan_seconds: float = Field(default=600, gt=0, le=24 * 3600)
    # the whole export (service_export.py): how long it waits for the other services' parts
    # before it is answered as partial, and how long a finished export is kept
    export_part_seconds: float = Field(default=60, gt=0, le=3600)
    export_keep_days: int = Field(default=7, ge=1, le=90)

    # Argon2id (at least m = 19 MiB, t = 2, p = 1) and the threads that run it
    argon2_memory_kib: int = Field(default=19456, ge=19456)
    argon2_time_cost: int = Field(default=2, ge=2)
    argon2_parallelism: int = Field(default=1, ge=1)
    password_threads: int = Field(default=0, ge=0, description="0: one per CPU")
