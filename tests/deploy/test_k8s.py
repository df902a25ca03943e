"""deploy/k8s: every manifest is valid against the Kubernetes schemas (kubernetes-validate's bundled
ones, offline: the network is shut off while it runs), the overlays render (deploy/k8s/render.py, no
kubectl needed), and what they render keeps the invariants: one Deployment per process, each with
its probes, requests and limits, a grace period longer than the drain, and a Service, a
PodDisruptionBudget and a HorizontalPodAutoscaler that select it; settings named as the processes
read them, secrets only in Secrets; the gateway alone behind the Ingress; traces off by default
and exported over OTLP to a collector in production."""

from __future__ import annotations

import importlib
import inspect
import re
import socket
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from deploy.k8s.render import KustomizeError, build, load_documents, split_image
from servicekit import tracing
from servicekit.settings import ServiceSettings
from tests.deploy.test_production_set import PROCESSES

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy/k8s"
TREES = ["base", "overlays/local", "overlays/production"]
BUS_LESS = {"gateway", "web"}  # no broker: no AMQP_URL in their Secrets
UVICORN_ENV = {"FORWARDED_ALLOW_IPS"}  # uvicorn's own variable, not a settings field
# OpenTelemetry's standard variables (servicekit/tracing.py and the SDK read them), shared by every
# process; never OTEL_SERVICE_NAME: each process names its own traces after SERVICE_NAME
OTEL_ENV = {
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_RESOURCE_ATTRIBUTES",
}
SECRET_KEYS = {
    "MONGODB_URL",
    "AMQP_URL",
    "OPENSEARCH_URL",
    "AUTH_KEY_PEPPER",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
}
# the oldest Kubernetes these manifests are meant for, and the newest the package knows
VERSIONS = ["1.30.0", kubernetes_validate.utils.latest_version()]
EXACT_TAG = re.compile(r"^v?\d+\.\d+\.\d+(-[a-z0-9][a-z0-9.-]*)?$")


# --- helpers ----------------------------------------------------------------------------------


def settings_class(process: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"{PROCESSES[process]}.settings")
    (cls,) = [
        c
        for _, c in inspect.getmembers(module, inspect.isclass)
        if issubclass(c, ServiceSettings)
        and c is not ServiceSettings
        and c.__module__ == module.__name__
    ]
    return cls


def settings_fields(process: str) -> set[str]:
    """The environment variables the process reads (pydantic-settings: field names)."""
    return {f.upper() for f in settings_class(process).model_fields}


def default_port(process: str) -> int:
    return int(settings_class(process).model_fields["http_port"].default)


def internal_port(process: str) -> int | None:
    """The port of a process's internal listener (readiness, metrics), if it has one."""
    field = settings_class(process).model_fields.get("internal_port")
    return None if field is None else int(field.default)


def of_kind(resources: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["kind"] == kind]


def named(resources: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in of_kind(resources, kind) if r["metadata"]["name"] == name]
    return found


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def cpu(quantity: str | int) -> float:
    text = str(quantity)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def memory(quantity: str | int) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}
    match = re.fullmatch(r"(\d+)([KMG]i?)?", str(quantity))
    assert match, quantity
    return int(match.group(1)) * units.get(match.group(2) or "", 1)


def graceful_shutdown_seconds() -> int:
    """uvicorn's graceful shutdown as servicekit/run.py configures it (FastStream's drain, 15 s,
    happens inside it)."""
    text = (ROOT / "servicekit/run.py").read_text(encoding="utf-8")
    match = re.search(r"timeout_graceful_shutdown=(\d+)", text)
    assert match, "servicekit/run.py no longer sets timeout_graceful_shutdown"
    return int(match.group(1))


def tracing_flush_seconds() -> float:
    """How long a stopping process waits for its last spans (servicekit/runtime.py and
    gateway/core.py call ``tracing.shutdown(timeout_seconds=…)``), before the exit hook's wait
    of at most the exporter's timeout."""
    found = set()
    for path in ("servicekit/runtime.py", "gateway/core.py"):
        text = (ROOT / path).read_text(encoding="utf-8")
        found |= {
            float(s) for s in re.findall(r"tracing\.shutdown\(timeout_seconds=([\d.]+)\)", text)
        }
    assert found, "no tracing.shutdown(timeout_seconds=…) found"
    return max(found)


def kustomizations() -> list[Path]:
    return sorted(p.parent for p in K8S.rglob("kustomization.yaml"))


def patch_files() -> set[Path]:
    out = set()
    for directory in kustomizations():
        spec = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
        out |= {(directory / p["path"]).resolve() for p in spec.get("patches", []) if "path" in p}
    return out


def resource_files() -> set[Path]:
    out = set()
    for directory in kustomizations():
        spec = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
        for entry in spec.get("resources", []):
            path = (directory / entry).resolve()
            if path.is_file():
                out.add(path)
    return out


EXAMPLE_SECRETS = K8S / "overlays/production/secrets.example.yaml"


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {tree: build(K8S / tree) for tree in TREES}


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No connection can be opened: the schemas must come from the installed package."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("the network is shut off in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# --- schemas ----------------------------------------------------------------------------------


def test_every_yaml_file_is_a_resource_a_patch_or_the_secrets_example():
    files = {p.resolve() for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml"}
    known = resource_files() | patch_files() | {EXAMPLE_SECRETS.resolve()}
    assert files == known, f"stray or missing manifests: {files ^ known}"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(offline, rendered, version):
    objects: list[tuple[str, dict[str, Any]]] = []
    for tree, resources in rendered.items():
        objects += [(tree, r) for r in resources]
    for path in [*sorted(resource_files()), EXAMPLE_SECRETS]:
        objects += [(str(path.relative_to(ROOT)), r) for r in load_documents(path)]
    assert len(objects) > 60
    errors = []
    for where, resource in objects:
        try:
            kubernetes_validate.validate(resource, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            field = "/".join(str(p) for p in exc.path)
            errors.append(
                f"{where}: {resource['kind']}/{resource['metadata']['name']}: {field}: {exc.message}"
            )
    assert not errors, "\n".join(errors)


def test_the_validator_rejects_a_misspelt_field(offline, rendered):
    deployment = named(rendered["base"], "Deployment", "identity")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    try:
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)
    finally:
        del deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"]


# --- invariants -------------------------------------------------------------------------------


@pytest.mark.parametrize("tree", TREES)
def test_one_deployment_per_process_with_probes_resources_and_a_graceful_stop(rendered, tree):
    resources = rendered[tree]
    deployments = {d["metadata"]["name"]: d for d in of_kind(resources, "Deployment")}
    assert set(deployments) == set(PROCESSES)
    drain = graceful_shutdown_seconds()
    for name, deployment in deployments.items():
        spec = deployment["spec"]
        assert "replicas" not in spec, f"{name}: the autoscaler owns the replica count"
        pod = spec["template"]["spec"]
        assert selects(spec["selector"]["matchLabels"], spec["template"]["metadata"]["labels"])
        (container,) = pod["containers"]
        assert container["command"] == ["python", "-m", PROCESSES[name]]
        port, *others = container["ports"]
        assert port == {"name": "http", "containerPort": default_port(name)}
        env = {e["name"]: e for e in container.get("env", [])}
        assert env["HTTP_PORT"]["value"] == str(port["containerPort"])
        # readiness and metrics on the internal listener where there is one (the gateway's)
        ready_on, metrics_on = "http", port["containerPort"]
        if internal_port(name) is not None:
            assert others == [{"name": "internal", "containerPort": internal_port(name)}], name
            assert env["INTERNAL_PORT"]["value"] == str(internal_port(name))
            ready_on, metrics_on = "internal", internal_port(name)
        else:
            assert others == [], name
        annotations = spec["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(metrics_on), name
        assert annotations["prometheus.io/path"] == "/metrics", name

        probes = (("readinessProbe", "/readyz", ready_on), ("livenessProbe", "/healthz", "http"))
        for probe, path, on in probes:
            assert container[probe]["httpGet"] == {"path": path, "port": on}, (name, probe)
        assert (
            container["livenessProbe"]["failureThreshold"]
            * container["livenessProbe"]["periodSeconds"]
            >= 30
        ), f"{name}: liveness must not kill a pod for a short stall"

        requests, limits = container["resources"]["requests"], container["resources"]["limits"]
        assert set(requests) == set(limits) == {"cpu", "memory"}, name
        assert cpu(requests["cpu"]) <= cpu(limits["cpu"]), name
        assert memory(requests["memory"]) <= memory(limits["memory"]), name

        grace = pod["terminationGracePeriodSeconds"]
        pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
        assert pre_stop[0] == "sleep"
        assert grace > 15, f"{name}: FastStream drains for 15 s"
        assert grace > int(pre_stop[1]) + drain, f"{name}: preStop + uvicorn's {drain} s drain"

        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert pod["automountServiceAccountToken"] is False
        # no SERVICE_HOST/PORT variables next to the settings (pydantic-settings reads them all)
        assert pod["enableServiceLinks"] is False

        image, tag, _ = split_image(container["image"])
        assert EXACT_TAG.match(tag), f"{name}: {container['image']} is not an exact version"
        if tree == "overlays/production":
            assert image.startswith("registry."), f"{name}: production pulls from the registry"


@pytest.mark.parametrize("tree", TREES)
def test_every_deployment_has_one_service_pdb_and_hpa_that_select_it(rendered, tree):
    resources = rendered[tree]
    deployments = of_kind(resources, "Deployment")
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        others = [
            d["spec"]["template"]["metadata"]["labels"]
            for d in deployments
            if d["metadata"]["name"] != name
        ]

        pdbs = [
            p
            for p in of_kind(resources, "PodDisruptionBudget")
            if selects(p["spec"]["selector"]["matchLabels"], labels)
        ]
        assert len(pdbs) == 1, f"{name}: {len(pdbs)} PodDisruptionBudgets"
        assert not any(selects(pdbs[0]["spec"]["selector"]["matchLabels"], o) for o in others)
        assert "maxUnavailable" in pdbs[0]["spec"] or "minAvailable" in pdbs[0]["spec"]

        hpas = [
            h
            for h in of_kind(resources, "HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"]
            == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        ]
        assert len(hpas) == 1, f"{name}: {len(hpas)} HorizontalPodAutoscalers"
        assert 1 <= hpas[0]["spec"]["minReplicas"] <= hpas[0]["spec"]["maxReplicas"]
        assert hpas[0]["spec"]["metrics"], name

        services = [
            s for s in of_kind(resources, "Service") if selects(s["spec"]["selector"], labels)
        ]
        assert len(services) == 1, f"{name}: {len(services)} Services"
        (service,) = services
        assert service["metadata"]["name"] == name
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", name
        # the public port only: an internal listener is for the kubelet and Prometheus alone
        (port,) = service["spec"]["ports"]
        assert port["port"] == default_port(name) and port["targetPort"] == "http"
    assert len(of_kind(resources, "PodDisruptionBudget")) == len(deployments)
    assert len(of_kind(resources, "HorizontalPodAutoscaler")) == len(deployments)
    assert len(of_kind(resources, "Service")) == len(deployments)


@pytest.mark.parametrize("tree", TREES)
def test_only_the_gateway_is_behind_the_ingress(rendered, tree):
    (ingress,) = of_kind(rendered[tree], "Ingress")
    backends = [
        path["backend"]["service"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert "defaultBackend" not in ingress["spec"]
    assert backends and all(b == {"name": "gateway", "port": {"name": "http"}} for b in backends)
    if tree == "overlays/production":
        assert ingress["spec"]["tls"] and ingress["spec"]["ingressClassName"]


@pytest.mark.parametrize("tree", TREES)
def test_settings_in_the_configmap_secrets_in_secrets(rendered, tree):
    resources = rendered[tree]
    config = named(resources, "ConfigMap", "hataraku-config")["data"]
    every_field = set().union(*(settings_fields(p) for p in PROCESSES)) | UVICORN_ENV | OTEL_ENV
    assert set(config) <= every_field, f"not a setting: {set(config) - every_field}"
    assert not set(config) & SECRET_KEYS, "credentials belong in a Secret"
    assert not any(re.search(r"://[^/@]+:[^/@]+@", str(v)) for v in config.values())
    for name in set(PROCESSES) - {"gateway"}:
        assert config[f"{name.upper()}_URL"] == f"http://{name}:{default_port(name)}"
    assert config["GATEWAY_URL"] == f"http://gateway:{default_port('gateway')}"
    assert config["JWKS_URL"] == f"http://identity:{default_port('identity')}/.well-known/jwks.json"
    assert config["FORWARDED_ALLOW_IPS"] != "*"
    assert {"SMTP_HOST", "SMTP_PORT", "MAIL_FROM", "FORWARDED_ALLOW_IPS"} <= set(config)

    # each process: the ConfigMap and its own Secret; its env names settings it has
    for deployment in of_kind(resources, "Deployment"):
        name = deployment["metadata"]["name"]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["envFrom"] == [
            {"configMapRef": {"name": "hataraku-config"}},
            {"secretRef": {"name": f"hataraku-{name}"}},
        ]
        env = {e["name"] for e in container.get("env", [])}
        assert env <= settings_fields(name), f"{name}: not settings: {env - settings_fields(name)}"


@pytest.mark.parametrize("tree", TREES)
def test_traces_are_off_locally_and_exported_to_a_collector_in_production(rendered, tree):
    resources = rendered[tree]
    config = named(resources, "ConfigMap", "hataraku-config")["data"]
    assert "OTEL_SERVICE_NAME" not in config, "one name for every process"
    for deployment in of_kind(resources, "Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert not any(e["name"].startswith("OTEL_") for e in container.get("env", []))
    # the processes' own decision (servicekit/tracing.py) on what the ConfigMap gives them
    if tree != "overlays/production":
        assert not tracing.exporting(config), f"{tree}: traces are off by default"
        return
    assert tracing.exporting(config), "production exports its traces"
    endpoint = config["OTEL_EXPORTER_OTLP_ENDPOINT"]
    assert re.fullmatch(r"https?://[a-z0-9.-]+:\d+", endpoint), endpoint
    # OTLP over HTTP (the exporter servicekit uses), not gRPC's port
    assert not endpoint.endswith(":4317"), endpoint
    assert "OTEL_EXPORTER_OTLP_HEADERS" not in config, "credentials belong in a Secret"
    # an unreachable collector never holds a stopping pod past its grace period
    stop = tracing_flush_seconds() + tracing.export_timeout(config)
    for deployment in of_kind(resources, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
        grace = pod["terminationGracePeriodSeconds"]
        assert pre_stop + graceful_shutdown_seconds() + stop < grace, deployment["metadata"]


@pytest.mark.parametrize("tree", ["overlays/local", "overlays/production"])
def test_every_process_has_its_secret_and_identity_its_signing_key(rendered, tree):
    resources = rendered[tree]
    if tree == "overlays/production":
        # production's Secrets come from its secret store, never from this repository
        assert not of_kind(resources, "Secret")
        secrets = load_documents(EXAMPLE_SECRETS)
    else:
        secrets = of_kind(resources, "Secret")
    by_name = {s["metadata"]["name"]: s["stringData"] for s in secrets}
    assert set(by_name) == {f"hataraku-{p}" for p in PROCESSES} | {"hataraku-token-signing-key"}
    for name in PROCESSES:
        keys = set(by_name[f"hataraku-{name}"])
        assert keys <= SECRET_KEYS & settings_fields(name), (name, keys)
        expected = {"MONGODB_URL"} if name in BUS_LESS else {"MONGODB_URL", "AMQP_URL"}
        assert expected <= keys, name
    # the current key and the previous one (empty: none), read from files (signing_keys.py)
    assert set(by_name["hataraku-token-signing-key"]) == {"signing-key.pem", "previous-key.pem"}

    identity = named(resources, "Deployment", "identity")["spec"]["template"]["spec"]
    (volume,) = [v for v in identity["volumes"] if "secret" in v]
    assert volume["secret"]["secretName"] == "hataraku-token-signing-key"
    assert volume["secret"]["defaultMode"] & 0o007 == 0, "the key is not world-readable"
    (container,) = identity["containers"]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
    assert mount["readOnly"] is True
    for deployment in of_kind(resources, "Deployment"):
        if deployment["metadata"]["name"] != "identity":
            volumes = deployment["spec"]["template"]["spec"].get("volumes", [])
            assert not any("secret" in v for v in volumes), "the signing key is identity's alone"


def test_overlays_set_the_namespace_and_the_labels_spare_the_selectors(rendered):
    for tree in ("overlays/local", "overlays/production"):
        assert {r["metadata"].get("namespace") for r in rendered[tree]} == {"hataraku"}
    for resources in rendered.values():
        for resource in resources:
            assert resource["metadata"]["labels"]["app.kubernetes.io/part-of"] == "hataraku"
        for deployment in of_kind(resources, "Deployment"):
            assert deployment["spec"]["selector"]["matchLabels"] == {
                "app.kubernetes.io/name": deployment["metadata"]["name"]
            }
            labels = deployment["spec"]["template"]["metadata"]["labels"]
            assert labels["app.kubernetes.io/part-of"] == "hataraku"


def test_the_image_is_the_one_compose_builds(rendered):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    built = compose["x-python"]["image"]
    for tree in ("base", "overlays/local"):
        for deployment in of_kind(rendered[tree], "Deployment"):
            assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == built
    production = {
        split_image(d["spec"]["template"]["spec"]["containers"][0]["image"])[1]
        for d in of_kind(rendered["overlays/production"], "Deployment")
    }
    assert production == {split_image(built)[1]}


# --- the renderer -----------------------------------------------------------------------------


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec:
      containers:
        - name: app
          image: example/app:1.0.0
          args: [one, two]
          env: [{name: A, value: "1"}, {name: B, value: "2"}]
        - name: side
          image: example/side:2.0.0
"""


def test_renderer_merges_like_a_strategic_merge_patch(tmp_path):
    write(
        tmp_path / "base", {"kustomization.yaml": "resources: [app.yaml]\n", "app.yaml": DEPLOYMENT}
    )
    overlay = write(
        tmp_path / "overlay",
        {
            "kustomization.yaml": (
                "namespace: ns\nresources: [../base]\npatches: [{path: patch.yaml}]\n"
                "labels: [{pairs: {team: t}, includeTemplates: true}]\n"
                "images: [{name: example/app, newName: registry.example/app, newTag: 1.0.1}]\n"
            ),
            "patch.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\n"
                "spec:\n  template:\n    spec:\n      containers:\n"
                "        - name: app\n          args: [three]\n"
                "          env: [{name: B, value: '20'}, {name: C, value: '3'}]\n"
                "          resources: {limits: {cpu: '1'}}\n"
                "        - name: side\n          image: null\n"
            ),
        },
    )
    (deployment,) = build(overlay)
    assert deployment["metadata"]["namespace"] == "ns"
    assert deployment["metadata"]["labels"] == {"team": "t"}
    assert deployment["spec"]["template"]["metadata"]["labels"] == {"app": "a", "team": "t"}
    assert deployment["spec"]["selector"]["matchLabels"] == {"app": "a"}
    app, side = deployment["spec"]["template"]["spec"]["containers"]
    assert app["image"] == "registry.example/app:1.0.1"
    assert app["args"] == ["three"]  # replaced
    assert app["env"] == [  # merged by name
        {"name": "A", "value": "1"},
        {"name": "B", "value": "20"},
        {"name": "C", "value": "3"},
    ]
    assert app["resources"] == {"limits": {"cpu": "1"}}
    assert side == {"name": "side"}  # null deletes


@pytest.mark.parametrize(
    ("kustomization", "patch", "message"),
    [
        ("commonLabels: {a: b}\n", None, "does not model"),
        ("configMapGenerator: []\n", None, "does not model"),
        ("labels: [{pairs: {a: b}, includeSelectors: true}]\n", None, "includeSelectors"),
        (
            "patches: [{path: patch.yaml}]\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n"
            "  template:\n    spec:\n      containers:\n"
            "        - name: app\n          ports: [{containerPort: 80}]\n",
            "not modelled",
        ),
        (
            "patches: [{path: patch.yaml}]\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: nothing}\n",
            "matches nothing",
        ),
    ],
)
def test_renderer_refuses_what_it_does_not_model(tmp_path, kustomization, patch, message):
    files = {
        "kustomization.yaml": "resources: [app.yaml]\n" + kustomization,
        "app.yaml": DEPLOYMENT,
    }
    if patch:
        files["patch.yaml"] = patch
    with pytest.raises(KustomizeError, match=message):
        build(write(tmp_path, files))


def test_renderer_command_line(capsys):
    from deploy.k8s.render import main

    assert main([str(K8S / "overlays/local")]) == 0
    documents = list(yaml.safe_load_all(capsys.readouterr().out))
    assert {d["kind"] for d in documents} >= {"Deployment", "Ingress", "Secret", "ConfigMap"}
    assert main([]) == 2
