from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from services.identity.app import create_app
from services.identity.settings import IdentitySettings
from services.identity.signing_keys import CURRENT_NAME, write_key_file
from services.identity.tokens import SigningKey
from tests.conftest import running
from tests.identity.support import BusTap, Env, OffsetClock


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's token signing keys, in files as production gives them (signing-key.pem, and
    previous-key.pem after a rotation)."""
    directory = tmp_path_factory.mktemp("signing-keys")
    write_key_file(directory / CURRENT_NAME, SigningKey.generate(), replace=False)
    return directory


@pytest.fixture(scope="session")
async def env(make_settings, key_dir: Path) -> AsyncIterator[Env]:
    """One identity service for the run's integration tests (own database and broker namespace)."""
    # the expiry scan runs at start-up and then hourly here; tests that move time call it
    settings = make_settings(
        IdentitySettings,
        uniform_response_seconds=0.15,
        expiry_scan_seconds=3600,
        token_signing_key_file=str(key_dir / CURRENT_NAME),
    )
    clock = OffsetClock()
    app = create_app(settings, clock=clock)
    async with running(app) as client:
        tap = await BusTap().start(settings)
        try:
            yield Env(app=app, client=client, clock=clock, tap=tap, settings=settings)
        finally:
            await tap.close()


@pytest.fixture
def clock(env: Env) -> Iterator[OffsetClock]:
    """The service's clock, back to the real time after the test."""
    yield env.clock
    env.clock.offset = timedelta(0)
