"""docker-compose.yml and the image: every process is there, with its port, its settings (names
checked against the settings classes, so a typo cannot hide) and a health check. Docker itself is
not needed: this reads the files."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from servicekit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
PORTS = {
    "gateway": 8000,
    "identity": 8001,
    "jobs": 8002,
    "applications": 8003,
    "messaging": 8004,
    "notifier": 8005,
}
INFRA = {"mongodb", "rabbitmq", "mailpit"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def service_dirs() -> list[str]:
    return sorted(
        p.parent.name
        for p in (ROOT / "services").glob("*/__main__.py")
        if p.parent.name != "__pycache__"
    )


def settings_class(process: str) -> type[ServiceSettings]:
    module = importlib.import_module(
        "gateway.settings" if process == "gateway" else f"services.{process}.settings"
    )
    classes = [
        c
        for _, c in inspect.getmembers(module, inspect.isclass)
        if issubclass(c, ServiceSettings)
        and c is not ServiceSettings
        and c.__module__ == module.__name__
    ]
    assert len(classes) == 1, f"{module.__name__} should define one settings class"
    return classes[0]


def test_every_service_and_the_gateway_is_a_compose_service(compose):
    assert set(service_dirs()) >= set(PORTS) - {"gateway"}
    for name in [*service_dirs(), "gateway"]:
        assert name in compose["services"], f"{name} missing from docker-compose.yml"
    assert set(compose["services"]) >= INFRA


@pytest.mark.parametrize("process", sorted(PORTS))
def test_process_command_port_env_health_and_dependencies(compose, process):
    svc = compose["services"][process]
    module = "gateway" if process == "gateway" else f"services.{process}"
    assert svc["command"] == ["python", "-m", module]
    assert svc["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    env = svc["environment"]
    assert env["HTTP_PORT"] == str(PORTS[process])
    assert env["HTTP_HOST"] == "0.0.0.0"
    assert urlparse(env["MONGODB_URL"]).hostname == "mongodb"
    assert env["AMQP_URL"].startswith("amqp://") and "@rabbitmq:5672" in env["AMQP_URL"]
    assert env["JWKS_URL"] == "http://identity:8001/.well-known/jwks.json"
    # every variable names a settings field (pydantic-settings: the field name, any case)
    fields = {f.upper() for f in settings_class(process).model_fields}
    assert set(env) <= fields, f"unknown settings for {process}: {set(env) - fields}"
    assert "/healthz" in " ".join(svc["healthcheck"]["test"])
    for infra in ("mongodb", "rabbitmq"):
        assert svc["depends_on"][infra]["condition"] == "service_healthy"


def test_only_the_gateway_is_published(compose):
    assert compose["services"]["gateway"]["ports"] == ["8000:8000"]
    for name in set(PORTS) - {"gateway"}:
        assert "ports" not in compose["services"][name], (
            f"{name} should be reached through the gateway"
        )


def test_gateway_knows_every_upstream_and_waits_for_it(compose):
    gw = compose["services"]["gateway"]
    for name in set(PORTS) - {"gateway"}:
        assert gw["environment"][f"{name.upper()}_URL"] == f"http://{name}:{PORTS[name]}"
        assert gw["depends_on"][name]["condition"] == "service_healthy"


def test_notifier_sends_through_the_mail_catcher(compose):
    svc = compose["services"]["notifier"]
    env = svc["environment"]
    assert env["SMTP_HOST"] == "${SMTP_HOST:-mailpit}"
    assert env["SMTP_PORT"] == "${SMTP_PORT:-1025}"
    assert "system@mail.hataraku.example" in env["MAIL_FROM"]
    assert svc["depends_on"]["mailpit"]["condition"] == "service_healthy"
    mailpit = compose["services"]["mailpit"]
    assert mailpit["image"].startswith("axllent/mailpit")
    assert any(p.endswith(":8025") for p in mailpit["ports"])


def test_infrastructure_versions_and_health(compose):
    services = compose["services"]
    assert re.match(r"^mongo:8(\.|$)", services["mongodb"]["image"])
    assert re.match(r"^rabbitmq:4[.-].*management", services["rabbitmq"]["image"])
    for name in INFRA:
        assert services[name]["healthcheck"]["test"], name


def test_web_is_served_by_the_gateway(compose):
    web = compose["services"]["web"]
    assert "profiles" not in web
    assert web["command"] == ["python", "-m", "web"]
    assert web["environment"]["HTTP_PORT"] == "8006"
    assert web["environment"]["GATEWAY_URL"] == "http://gateway:8000"
    assert compose["services"]["gateway"]["environment"]["WEB_URL"].endswith("http://web:8006}")


def test_dockerfile_builds_from_the_lock_without_dev_tools():
    text = (ROOT / "deploy/docker/Dockerfile").read_text(encoding="utf-8")
    assert "uv sync --frozen --no-dev" in text
    assert "COPY pyproject.toml uv.lock" in text
    assert re.search(r"^USER (?!root)", text, re.MULTILINE)
    ignore = (ROOT / "deploy/docker/Dockerfile.dockerignore").read_text(encoding="utf-8")
    assert "**/.venv" in ignore and "**/.data" in ignore


def test_healthcheck_script_reports_an_answering_and_a_silent_port(monkeypatch):
    import http.server
    import threading

    from deploy.docker import healthcheck

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("HTTP_PORT", str(server.server_port))
        monkeypatch.setattr("sys.argv", ["healthcheck", "/healthz"])
        assert healthcheck.main() == 0
        monkeypatch.setattr("sys.argv", ["healthcheck", "/nope"])
        assert healthcheck.main() == 1
    finally:
        server.shutdown()
        server.server_close()
    monkeypatch.setenv("HTTP_PORT", str(server.server_port))
    monkeypatch.setattr("sys.argv", ["healthcheck"])
    assert healthcheck.main() == 1
