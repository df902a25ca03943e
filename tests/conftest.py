"""Shared fixtures. Integration and end-to-end tests use the real RabbitMQ and MongoDB-compatible
server that ``make test`` starts (deploy/local/infra.sh); each test run gets its own databases
(``t<run>_<service>``) and its own broker namespace (``t<run>.`` in front of every exchange and
queue), removed at the end."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlparse

import aiohttp
import httpx
import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient, monitoring

from servicekit.settings import ServiceSettings
from tests.query_plans import QueryRecorder, scans

MONGODB_URL = os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017/")
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
OPENSEARCH_URL = os.environ.get("OPENSEARCH_URL", "http://127.0.0.1:9200")
RUN_ID = uuid.uuid4().hex[:8]
# every query of this run's in-process services, explained at the end (_cleanup, below)
QUERIES = QueryRecorder(f"t{RUN_ID}")
monitoring.register(QUERIES)

S = TypeVar("S", bound=ServiceSettings)


def _answers(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 2
        ):
            return True
    except OSError:
        return False


# The longest test files (whole systems, browsers, SIGKILLs), longest first by their measured
# time (2026-12-05, seconds on one worker of three), so that the pytest-xdist workers do not end
# with one of them running alone while the others are idle. pytest-xdist hands the work out in
# collection order only with `--no-loadscope-reorder` (Makefile): by default it orders it by
# number of tests, which put the fault suite (one test, two minutes) last and left two workers
# idle for its last 100 s.
LONGEST_FIRST = (
    "tests/fault/",  # 106
    "tests/bus/test_broker_restart.py",  # 76
    "tests/security/test_enumeration.py",  # 57
    "tests/fuzz/test_amqp.py",  # 55
    "tests/web/test_seeker_pages.py",  # 43
    "tests/identity/test_abuse.py",  # 42
    "tests/security/test_authz_matrix.py",  # 41
    "tests/web/test_employer_pages.py",  # 39
    "tests/applications/test_amqp.py",  # 35
    "tests/fuzz/test_openapi.py",  # 27
    "tests/web/test_staff_pages.py",  # 26
    "tests/servicekit/test_tracing.py",  # 21
    "tests/deploy/test_production_set.py",  # 19
    "tests/web/test_messages.py",  # 17
    "tests/web/test_search_page.py",  # 14
    "tests/web/",
    "tests/e2e/",
    "tests/security/",
    "tests/bus/",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid
        for n, prefix in enumerate(LONGEST_FIRST):
            if path.startswith(prefix):
                return n
        return len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order inside each file stays as written


@pytest.fixture(scope="session")
def infra() -> None:
    """Fails (not skips) when the infrastructure is missing: `make test` starts it."""
    missing = [
        n
        for n, u, p in (
            ("MongoDB", MONGODB_URL, 27017),
            ("RabbitMQ", AMQP_URL, 5672),
            ("OpenSearch", OPENSEARCH_URL, 9200),
        )
        if not _answers(u, p)
    ]
    if missing:
        pytest.fail(f"{', '.join(missing)} not answering: run `make infra` (or `make test`)")


@pytest.fixture(scope="session")
def run_id() -> str:
    return RUN_ID


@pytest.fixture(scope="session")
def make_settings(infra: None) -> Callable[..., Any]:
    """make_settings(JobsSettings, **overrides) → settings isolated to this test run."""
    created: list[str] = []

    def factory(cls: type[S], **overrides: Any) -> S:
        base = cls()
        name = overrides.pop("db_name", None) or f"t{RUN_ID}_{base.service_name}"
        created.append(name)
        values: dict[str, Any] = {
            "mongodb_url": MONGODB_URL,
            "amqp_url": AMQP_URL,
            "db_name": name,
            "bus_prefix": f"t{RUN_ID}.",
            "log_json": False,
            "outbox_poll_seconds": 0.5,
            "retry_base_delay_ms": 50,
        }
        values.update(overrides)
        return cls(**values)

    factory.created = created  # type: ignore[attr-defined]
    return factory


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan (broker, consumers, relay) and give an HTTP client bound to it."""
    async with app.router.lifespan_context(app):
        runtime = getattr(app.state, "runtime", None)
        if runtime is not None:  # a service boots in the background; wait until it is ready
            await asyncio.wait_for(runtime.started(), timeout=60)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def eventually(
    check: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.05
) -> Any:
    """Poll an async or sync check until it returns a truthy value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


async def _cleanup_broker(prefix: str) -> None:
    parsed = urlparse(AMQP_URL)
    auth = {
        "Authorization": aiohttp.encode_basic_auth(
            parsed.username or "guest", parsed.password or "guest"
        )
    }
    base = f"http://{parsed.hostname}:15672/api"
    try:
        async with aiohttp.ClientSession(
            headers=auth, timeout=aiohttp.ClientTimeout(total=10)
        ) as s:
            for kind in ("queues", "exchanges"):
                async with s.get(f"{base}/{kind}") as resp:
                    if resp.status != 200:
                        return
                    items = await resp.json()
                for item in items:
                    if item["name"].startswith(prefix):
                        vhost = "%2F" if item["vhost"] == "/" else item["vhost"]
                        name = item["name"]
                        await s.delete(f"{base}/{kind}/{vhost}/{name}")
    except aiohttp.ClientError:
        pass


@pytest.fixture(scope="session", autouse=True)
async def _cleanup() -> AsyncIterator[None]:
    """At the end of the session (of each pytest-xdist worker): every query shape the in-process
    services sent is explained against the database it ran on, then this run's databases and
    broker objects and search indices are removed. A collection scan of a collection that grows with use fails the
    run (reported as an error at the teardown of the worker's last test), naming the query."""
    yield
    found: list[str] = []
    if _answers(MONGODB_URL, 27017):
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            MONGODB_URL, serverSelectionTimeoutMS=3000
        )
        try:
            found = await scans(client, list(QUERIES.queries.values()))
            if not os.environ.get("HATARAKU_KEEP_TEST_DATA"):
                for name in await client.list_database_names():
                    if name.startswith(f"t{RUN_ID}"):
                        await client.drop_database(name)
        finally:
            await client.close()
    if _answers(AMQP_URL, 5672) and not os.environ.get("HATARAKU_KEEP_TEST_DATA"):
        await _cleanup_broker(f"t{RUN_ID}")
    if _answers(OPENSEARCH_URL, 9200) and not os.environ.get("HATARAKU_KEEP_TEST_DATA"):
        async with httpx.AsyncClient(base_url=OPENSEARCH_URL, timeout=30) as search:
            await search.delete(f"/t{RUN_ID}*", params={"expand_wildcards": "all"})
    assert not found, f"{len(found)} queries scan a whole collection:\n" + "\n".join(found)


# the whole system as processes (one instance per run, shared by tests/e2e and tests/web)
from tests.system import gw, system  # noqa: E402, F401
