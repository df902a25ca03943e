"""The production dependency set is complete: the image installs `uv sync --frozen --no-dev`
(deploy/docker/Dockerfile); this builds exactly that set into an environment of its own, once per
test session, then imports every module of the production packages and starts every process
module from it against the local infrastructure (its own databases and broker namespace), waits
until it answers, and stops it. A runtime import of a dev-only package (httpx was one, for web)
fails here instead of in a container that never starts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import AMQP_URL, MONGODB_URL, RUN_ID
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
# every process of the image: python -m <module>
PROCESSES = {
    "identity": "services.identity",
    "jobs": "services.jobs",
    "applications": "services.applications",
    "messaging": "services.messaging",
    "notifier": "services.notifier",
    "gateway": "gateway",
    "web": "web",
}
# the code the image runs (deploy.local and deploy.k8s are developer tools, tests are not shipped)
PRODUCTION_PACKAGES = ["servicekit", "contracts", "services", "gateway", "web", "deploy.docker"]
# packages that must stay out of the production set (dev tools and the dev mail sink; PyYAML is
# not among them: uvicorn[standard] brings it)
DEV_ONLY = ["pytest", "aiosmtpd", "ruff", "mypy", "playwright", "kubernetes_validate"]
BUS_PREFIX = f"t{RUN_ID}deploy."  # its own namespace: its consumers must not take other tests'


def uv() -> list[str]:
    found = shutil.which("uv")
    return [found] if found else ["python3", "-m", "uv"]


def isolated_env(**extra: str) -> dict[str, str]:
    """The environment without this test run's virtual environment or import path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT")
    }
    return {**env, "PYTHONUNBUFFERED": "1", "PYTHONNOUSERSITE": "1", **extra}


@pytest.fixture(scope="session")
def production_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of an environment holding exactly the image's dependency set."""
    venv = tmp_path_factory.mktemp("production-set") / "venv"
    started = time.monotonic()
    result = subprocess.run(
        [*uv(), "sync", "--frozen", "--no-dev", "--python", sys.executable, "--quiet"],
        cwd=ROOT,
        env=isolated_env(UV_PROJECT_ENVIRONMENT=str(venv), UV_PYTHON_DOWNLOADS="never"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"uv sync --no-dev failed:\n{result.stdout}\n{result.stderr}"
    python = venv / "bin" / "python"
    assert python.exists(), f"no interpreter in {venv}"
    print(f"production set built in {time.monotonic() - started:.1f}s")
    return python


def run_python(python: Path, code: str) -> subprocess.CompletedProcess[str]:
    # -I: isolated (no user site, no PYTHON* variables, not even the script's directory on the
    # path), so only the production environment and the repository (added below) are importable
    return subprocess.run(
        [str(python), "-I", "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{code}"],
        cwd=ROOT,
        env=isolated_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_production_set_leaves_out_the_dev_tools(production_python: Path):
    result = run_python(
        production_python,
        "import importlib.util\n"
        f"print(','.join(m for m in {DEV_ONLY!r} if importlib.util.find_spec(m)))",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"dev-only packages in the production set: {result.stdout}"


def test_every_production_module_imports_from_the_production_set(production_python: Path):
    code = f"""
import importlib, json, pkgutil, traceback
imported, failed = [], []
for top in {PRODUCTION_PACKAGES!r}:
    package = importlib.import_module(top)
    names = [top] + [m.name for m in pkgutil.walk_packages(package.__path__, top + ".")]
    for name in names:
        if ".tests" in name or name.rsplit(".", 1)[-1].startswith("test_"):
            continue
        try:
            importlib.import_module(name)
            imported.append(name)
        except BaseException:
            failed.append(name + ": " + traceback.format_exc(limit=1).strip().splitlines()[-1])
print(json.dumps({{"imported": imported, "failed": failed}}))
"""
    result = run_python(production_python, code)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert not report["failed"], (
        "modules that do not import with the production dependencies:\n"
        + ("\n".join(report["failed"]))
    )
    # the process modules and their app modules were among them
    expected = {f"{m}.{part}" for m in PROCESSES.values() for part in ("__main__", "app")}
    assert expected <= set(report["imported"]), expected - set(report["imported"])


def get(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_every_process_starts_from_the_production_set(
    production_python: Path, infra: None, name: str, tmp_path: Path
):
    """python -m <module> as the image runs it: /healthz answers 200 (and, for the five services,
    /readyz: database, broker and consumers work from this set too); SIGTERM stops it cleanly."""
    port = free_port()
    env = isolated_env(
        HTTP_HOST="127.0.0.1",
        HTTP_PORT=str(port),
        MONGODB_URL=MONGODB_URL,
        AMQP_URL=AMQP_URL,
        DB_NAME=f"t{RUN_ID}deploy_{name}",
        BUS_PREFIX=BUS_PREFIX,
        LOG_JSON="true",
        # nothing answers there: the gateway and web start without their upstreams
        GATEWAY_URL=f"http://127.0.0.1:{free_port()}",
        JWKS_URL=f"http://127.0.0.1:{free_port()}/.well-known/jwks.json",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(free_port()),
    )
    internal = free_port()  # the gateway's internal listener (readiness, metrics)
    env["INTERNAL_PORT"] = str(internal)
    log_path = tmp_path / f"{name}.log"
    # web's /readyz asks the gateway's /healthz, which is not running: alive is enough there; the
    # gateway's readiness (its own database) is on its internal port
    checks = {
        "web": [(port, "/healthz")],
        "gateway": [(port, "/healthz"), (internal, "/readyz"), (internal, "/metrics")],
    }.get(name, [(port, "/healthz"), (port, "/readyz")])
    with log_path.open("wb") as log:
        # -m puts the working directory (the repository) first on the path, as in the image
        proc = subprocess.Popen(
            [str(production_python), "-m", PROCESSES[name]],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            for on, path in checks:
                deadline = time.monotonic() + 60
                while (status := get(on, path)) != 200:
                    if proc.poll() is not None:
                        pytest.fail(
                            f"{name} exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}"
                        )
                    if time.monotonic() > deadline:
                        pytest.fail(
                            f"{name}: {path} answered {status}:\n{log_path.read_text()[-3000:]}"
                        )
                    time.sleep(0.2)
        finally:
            proc.terminate()
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                pytest.fail(f"{name} did not stop within 30 s of SIGTERM")
    # uvicorn drains, logs the end and then re-raises the signal it caught (exit status -15)
    log_text = log_path.read_text()
    assert code in (0, -signal.SIGTERM), f"{name} exited {code} on SIGTERM:\n{log_text[-3000:]}"
    assert "Finished server process" in log_text, f"{name} did not shut down:\n{log_text[-3000:]}"
