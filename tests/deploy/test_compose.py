"""docker-compose.yml and the image: every process is there, with its port, its settings (names
checked against the settings classes, so a typo cannot hide) and a health check. Docker itself is
not needed: this reads the files."""

from __future__ import annotations

import importlib
import inspect
import ipaddress
import re
import tomllib
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from servicekit.settings import ServiceSettings
from web.settings import WebSettings

ROOT = Path(__file__).resolve().parents[2]
PORTS = {
    "gateway": 8000,
    "identity": 8001,
    "jobs": 8002,
    "applications": 8003,
    "messaging": 8004,
    "notifier": 8005,
}
INFRA = {"mongodb", "rabbitmq", "mailpit", "opensearch"}
# uvicorn's own variable (the addresses whose X-Forwarded-For it takes), not a settings field
UVICORN_ENV = {"FORWARDED_ALLOW_IPS"}
# an exact version: 8.0.29, v1.30.5, 3.11.16-slim-bookworm, 4.3.5-management (no 8, 4-management,
# latest, 3.11-slim)
EXACT_TAG = re.compile(r"^v?\d+\.\d+\.\d+(-[a-z0-9][a-z0-9.-]*)?$")


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
    if process == "gateway":
        fields |= UVICORN_ENV
    assert set(env) <= fields, f"unknown settings for {process}: {set(env) - fields}"
    # compose waits on readiness (database and broker reachable), not on mere liveness; the
    # gateway's readiness is on its internal port (404 on the public one), which the check reads
    # from INTERNAL_PORT
    if process == "gateway":
        assert env["INTERNAL_PORT"] == "9000"
    check = ["CMD", "python", "-m", "deploy.docker.healthcheck", "/readyz"]
    assert svc["healthcheck"]["test"] == check
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
    assert set(web["environment"]) <= {f.upper() for f in WebSettings.model_fields} | UVICORN_ENV
    assert web["healthcheck"]["test"][-1] == "/readyz"
    assert compose["services"]["gateway"]["environment"]["WEB_URL"].endswith("http://web:8006}")


def test_dockerfile_builds_from_the_lock_without_dev_tools():
    text = (ROOT / "deploy/docker/Dockerfile").read_text(encoding="utf-8")
    assert "uv sync --frozen --no-dev" in text
    assert "COPY pyproject.toml uv.lock" in text
    assert re.search(r"^USER (?!root)", text, re.MULTILINE)
    (healthcheck,) = re.findall(
        r"^\s+CMD (\[.*deploy\.docker\.healthcheck.*\])$", text, re.MULTILINE
    )
    assert healthcheck.endswith('"/readyz"]')
    ignore = (ROOT / "deploy/docker/Dockerfile.dockerignore").read_text(encoding="utf-8")
    assert "**/.venv" in ignore and "**/.data" in ignore


def test_healthcheck_script_reports_an_answering_and_a_silent_port(monkeypatch):
    import http.server
    import threading

    from deploy.docker import healthcheck

    seen: list[str] = []

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(200 if self.path in ("/healthz", "/readyz") else 404)
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
        monkeypatch.setattr("sys.argv", ["healthcheck"])
        assert healthcheck.main() == 0
        assert seen == ["/healthz", "/nope", "/readyz"]  # readiness by default
    finally:
        server.shutdown()
        server.server_close()
    monkeypatch.setenv("HTTP_PORT", str(server.server_port))
    monkeypatch.setattr("sys.argv", ["healthcheck"])
    assert healthcheck.main() == 1


def split_image(image: str) -> tuple[str, str]:
    """("axllent/mailpit", "v1.30.5") from "axllent/mailpit:v1.30.5" (a registry port is no tag)."""
    name, sep, tag = image.rpartition(":")
    if not sep or "/" in tag:
        return image, ""
    return name, tag


def dockerfile_images() -> list[str]:
    """Every FROM of the Dockerfile with its ARG defaults filled in (stages named earlier skipped)."""
    text = (ROOT / "deploy/docker/Dockerfile").read_text(encoding="utf-8")
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", text, re.MULTILINE))
    images, stages = [], set()
    for source, stage in re.findall(r"^FROM (\S+)(?: AS (\S+))?", text, re.MULTILINE):
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], source)
        if image not in stages:
            images.append(image)
        if stage:
            stages.add(stage)
    return images


def test_no_floating_tags(compose):
    images = {name: svc["image"] for name, svc in compose["services"].items()}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for name, image in images.items():
        tag = split_image(image)[1]
        assert EXACT_TAG.match(tag), f"{name}: {image} is not pinned to an exact version"
        if name not in INFRA:
            assert image == f"hataraku:{project['version']}", name
    built = dockerfile_images()
    assert len(built) >= 2
    for image in built:
        assert EXACT_TAG.match(split_image(image)[1]), f"Dockerfile: {image} is not pinned"
    assert any(re.match(r"^python:3\.11\.\d+-slim-bookworm$", image) for image in built), built


def test_images_are_the_pinned_releases(compose):
    """The versions chosen for this release (bump them here and in the files together)."""
    services = compose["services"]
    assert services["mongodb"]["image"] == "mongo:8.0.29"
    assert services["rabbitmq"]["image"] == "rabbitmq:4.3.5-management"
    assert services["mailpit"]["image"] == "axllent/mailpit:v1.30.5"
    assert "python:3.11.16-slim-bookworm" in dockerfile_images()


def test_forwarded_allow_ips_names_exactly_the_containers(compose):
    """The gateway takes the browser's address from web's X-Forwarded-For, and web from the
    gateway's: each trusts the project's containers, never '*' and never the bridge's own
    address (where host-loopback connections to the published port come from)."""
    (ipam,) = compose["networks"]["default"]["ipam"]["config"]
    subnet = ipaddress.IPv4Network(ipam["subnet"])
    containers = ipaddress.IPv4Network(ipam["ip_range"])
    bridge = ipaddress.IPv4Address(ipam["gateway"])
    assert containers.subnet_of(subnet) and bridge in subnet and bridge not in containers
    for name in ("gateway", "web"):
        value = compose["services"][name]["environment"]["FORWARDED_ALLOW_IPS"]
        assert value != "*"
        assert [ipaddress.ip_network(v.strip()) for v in value.split(",")] == [containers], name
    for name in set(PORTS) - {"gateway"}:
        assert "FORWARDED_ALLOW_IPS" not in compose["services"][name]["environment"], name


def test_the_image_build_context_leaves_out_local_data_and_secrets():
    """`COPY . .` must never put .data/ (databases, logs, the development signing key), the
    virtualenv or the repository's history into an image."""
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".data", ".venv", ".git"} <= ignored
