"""The whole export over the real broker: identity and the four services that answer an export
(jobs, applications, messaging, notifier) running in this process on the run's MongoDB-compatible
server, RabbitMQ and OpenSearch, in a broker namespace and databases of their own. The other
services check identity's own tokens (its JWKS, read from memory)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from servicekit.auth import TokenVerifier
from services.applications.app import create_app as create_applications
from services.applications.settings import ApplicationsSettings
from services.identity.app import create_app as create_identity
from services.identity.settings import IdentitySettings
from services.identity.signing_keys import CURRENT_NAME, write_key_file
from services.identity.tokens import SigningKey
from services.jobs.app import create_app as create_jobs
from services.jobs.settings import JobsSettings
from services.messaging.app import create_app as create_messaging
from services.messaging.settings import MessagingSettings
from services.notifier.app import create_app as create_notifier
from services.notifier.settings import NotifierSettings
from tests.conftest import RUN_ID, running
from tests.identity.support import BusTap, Env, OffsetClock

OPENSEARCH_URL = os.environ.get("OPENSEARCH_URL", "http://127.0.0.1:9200")


@dataclass
class System:
    identity: Env
    clients: dict[str, httpx.AsyncClient]


@pytest.fixture(scope="session")
def export_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export-keys") / CURRENT_NAME
    write_key_file(path, SigningKey.generate(), replace=False)
    return path


def identity_settings(make_settings: Any, key: Path, tag: str, **extra: Any) -> IdentitySettings:
    settings: IdentitySettings = make_settings(
        IdentitySettings,
        db_name=f"t{RUN_ID}_{tag}_identity",
        bus_prefix=f"t{RUN_ID}{tag}.",
        uniform_response_seconds=0,
        expiry_scan_seconds=3600,
        token_signing_key_file=str(key),
        **extra,
    )
    return settings


async def identity_env(stack: AsyncExitStack, settings: IdentitySettings) -> Env:
    clock = OffsetClock()
    app = create_identity(settings, clock=clock)
    client = await stack.enter_async_context(running(app))
    tap = await BusTap().start(settings)
    stack.push_async_callback(tap.close)
    return Env(app=app, client=client, clock=clock, tap=tap, settings=settings)


@pytest.fixture(scope="session")
async def system(make_settings: Any, export_key: Path) -> AsyncIterator[System]:
    """Identity, jobs, applications, messaging and the notifier on one broker namespace."""
    tag = "exp"
    settings = identity_settings(make_settings, export_key, tag, export_part_seconds=30)
    async with AsyncExitStack() as stack:
        env = await identity_env(stack, settings)
        issuer = env.identity.tokens

        def verifier() -> TokenVerifier:
            return TokenVerifier(
                issuer.fetch_jwks, issuer=settings.token_issuer, audience=settings.token_audience
            )

        common = {"bus_prefix": settings.bus_prefix}
        apps = {
            "jobs": create_jobs(
                make_settings(
                    JobsSettings,
                    db_name=f"t{RUN_ID}_{tag}_jobs",
                    opensearch_url=OPENSEARCH_URL,
                    expiry_interval_seconds=3600,
                    **common,
                ),
                verifier=verifier(),
            ),
            "applications": create_applications(
                make_settings(
                    ApplicationsSettings, db_name=f"t{RUN_ID}_{tag}_applications", **common
                ),
                verifier=verifier(),
            ),
            "messaging": create_messaging(
                make_settings(
                    MessagingSettings,
                    db_name=f"t{RUN_ID}_{tag}_messaging",
                    close_interval_seconds=3600,
                    **common,
                ),
                verifier=verifier(),
            ),
            "notifier": create_notifier(
                make_settings(NotifierSettings, db_name=f"t{RUN_ID}_{tag}_notifier", **common),
                verifier=verifier(),
            ),
        }
        clients = {
            name: await stack.enter_async_context(running(app)) for name, app in apps.items()
        }
        try:
            yield System(identity=env, clients={"identity": env.client, **clients})
        finally:
            async with httpx.AsyncClient(base_url=OPENSEARCH_URL, timeout=30) as search:
                await search.delete(f"/t{RUN_ID}_{tag}_jobs*", params={"expand_wildcards": "all"})


@pytest.fixture(scope="session")
async def lone_identity(make_settings: Any, export_key: Path) -> AsyncIterator[Env]:
    """Identity alone on a broker namespace of its own: nobody answers its exports but the test
    (parts published by hand); its clock moves past an export's deadline."""
    settings = identity_settings(make_settings, export_key, "expalone", export_part_seconds=30)
    async with AsyncExitStack() as stack:
        yield await identity_env(stack, settings)
