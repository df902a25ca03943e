"""The whole system as separate processes (every service and the gateway, on their own ports,
databases and broker namespace), with an SMTP sink of the test's own, driven through the
gateway only."""

from __future__ import annotations

import io
import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from deploy.local.mailsink import EmlWriter
from tests import forked
from tests.conftest import AMQP_URL, MONGODB_URL, RUN_ID
from tests.forked import Forked
from tests.ports import free_port
from web.gateway import KEEPALIVE_SECONDS

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ["identity", "jobs", "applications", "messaging", "notifier"]


@dataclass
class System:
    gateway: str
    ports: dict[str, int]
    mail_dir: Path
    env: dict[str, str]
    logs: Path
    processes: dict[str, Forked] = field(default_factory=dict)
    # databases t<run>_<namespace>_<service>, broker prefix t<run><namespace>.
    namespace: str = "e2e"

    def service_env(self, name: str) -> dict[str, str]:
        db = f"t{RUN_ID}_{self.namespace}_{name}"
        env = {**self.env, "HTTP_PORT": str(self.ports[name]), "DB_NAME": db}
        if name == "gateway":  # its readiness is on its internal listener
            env["INTERNAL_PORT"] = str(self.ports["gateway-internal"])
        return env

    def cli(self, service: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return forked.run(f"services.{service}", *args, env=self.service_env(service), input=stdin)

    async def create_staff(
        self, email: str, password: str, *, office: str = "13010", admin: bool = False
    ) -> None:
        """identity's ``create-staff`` command run in this process on the system's identity
        database: the command's own code (services.identity.cli) without a process start, which
        costs about 2 s of CPU each (the command as a process: tests/identity/test_cli.py and
        tests/e2e/test_opening.py)."""
        from services.identity import cli
        from services.identity.settings import IdentitySettings

        env = self.service_env("identity")
        fields = IdentitySettings.model_fields
        values: dict[str, Any] = {k.lower(): v for k, v in env.items() if k.lower() in fields}
        settings = IdentitySettings(**values)
        out, err = io.StringIO(), io.StringIO()
        code = await cli.create_staff(
            settings,
            email=email,
            office_code=office,
            admin=admin,
            name=None,
            password=password,
            out=out,
            err=err,
        )
        assert code == 0, err.getvalue()

    def start(self, name: str) -> None:
        module = "gateway" if name == "gateway" else f"services.{name}"
        self.processes[name] = Forked(module, self.service_env(name), self.logs / f"{name}.log")

    def stop(self, name: str) -> None:
        proc = self.processes.pop(name)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

    def wait_ready(self, name: str, timeout: float = 60) -> None:
        port = self.ports["gateway-internal" if name == "gateway" else name]
        url = f"http://127.0.0.1:{port}/readyz"
        wait_ready(url, self.processes[name], self.logs / f"{name}.log", timeout)


def wait_ready(url: str, proc: Forked, log: Path, timeout: float = 60) -> None:
    """Until ``url`` (a process's /readyz) answers 200; fails with the end of its log when the
    process exits or the time is up."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as client:  # one client: each new one loads the CA bundle
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{log.stem} exited: {log.read_text()[-3000:]}")
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"{log.stem} not ready: {log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def system(infra: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    # start-up, not an event: generous, for a machine loaded by the other pytest workers
    timeout = float(os.environ.get("HATARAKU_READY_TIMEOUT", "180"))
    with whole_system(tmp_path_factory.mktemp("e2e"), ready_timeout=timeout) as sys_:
        yield sys_


@contextmanager
def whole_system(
    base: Path,
    *,
    namespace: str = "e2e",
    extra_env: Mapping[str, str] | None = None,
    ready_timeout: float = 60,
) -> Iterator[System]:
    """Every service and the gateway as processes, ready; ``namespace`` keeps its databases and
    broker names apart from another system's, ``extra_env`` is added to every process's
    environment (e.g. OTEL_EXPORTER_OTLP_ENDPOINT)."""
    mail_dir = base / "mail"
    smtp_port = free_port()
    smtp = Controller(EmlWriter(mail_dir), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    ports = {name: free_port() for name in [*SERVICES, "gateway", "gateway-internal"]}
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "MONGODB_URL": MONGODB_URL,
        "AMQP_URL": AMQP_URL,
        # its own namespace: its consumers must not take other tests' messages
        "BUS_PREFIX": f"t{RUN_ID}{namespace}.",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "JWKS_URL": f"http://127.0.0.1:{ports['identity']}/.well-known/jwks.json",
        "LOG_JSON": "true",
        # every test client comes from 127.0.0.1: the per-IP login limits would throttle the suite
        "RATE_LIMIT_PER_MINUTE": "10000",
        "RATE_LIMIT_BURST": "10000",
        **{f"{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}" for name in SERVICES},
        **(extra_env or {}),
    }
    logs = Path(os.environ.get("HATARAKU_TEST_LOGS", base / "logs"))
    if namespace != "e2e":
        logs = logs / namespace
    logs.mkdir(parents=True, exist_ok=True)
    sys_ = System(
        gateway=f"http://127.0.0.1:{ports['gateway']}",
        ports=ports,
        mail_dir=mail_dir,
        env=env,
        logs=logs,
        namespace=namespace,
    )
    try:
        for name in [*SERVICES, "gateway"]:
            sys_.start(name)
        for name in [*SERVICES, "gateway"]:
            sys_.wait_ready(name, timeout=ready_timeout)
        yield sys_
    finally:
        for name in list(sys_.processes):
            sys_.stop(name)
        smtp.stop()


@pytest.fixture
async def gw(system: System) -> AsyncIterator[httpx.AsyncClient]:
    # idle connections dropped before uvicorn closes them (5 s), as web's client does
    limits = httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS)
    async with httpx.AsyncClient(base_url=system.gateway, timeout=30, limits=limits) as client:
        yield client
