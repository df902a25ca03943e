"""The fuzz suites attack the real thing: an applications service of their own (its own database
and broker namespace, so that it never competes with the applications suite's instance) with the
employer systems of deploy/local/employer-user.sh, and the event backbone's harness."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.applications.app import create_app
from services.applications.settings import ApplicationsSettings
from tests.applications.conftest import AppsEnv
from tests.applications.support import Feed, Spy, Tokens
from tests.bus.conftest import harness  # noqa: F401 - the backbone's harness, for the generic consumer
from tests.conftest import running


@pytest.fixture(scope="session")
async def fuzz_apps(make_settings: Any, run_id: str) -> AsyncIterator[AppsEnv]:
    settings = make_settings(
        ApplicationsSettings, db_name=f"t{run_id}_fuzz_applications", bus_prefix=f"t{run_id}fz."
    )
    tokens = Tokens(settings)
    app = create_app(settings, verifier=tokens.verifier())
    async with running(app) as client:
        feed = Feed(settings)
        await feed.start()
        spy = Spy(f"{settings.bus_prefix}hataraku.events")
        await spy.start()
        try:
            yield AppsEnv(app, client, tokens, feed, spy, settings)
        finally:
            await spy.stop()
            await feed.stop()
