"""The dashboard and the alerts cannot drift from the code: every metric name their PromQL uses
is served on some process's /metrics (a service's and the gateway's, read here) or is one of
rabbitmq_prometheus's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from servicekit.runtime import Runtime
from servicekit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy/grafana/hataraku.json"
ALERTS = ROOT / "deploy/prometheus/alerts.yml"
SCRAPE = ROOT / "deploy/prometheus/prometheus.yml"
# rabbitmq_prometheus (per-object endpoint) names the dashboard may use
RABBITMQ = frozenset(
    {
        "rabbitmq_queue_messages",
        "rabbitmq_queue_messages_ready",
        "rabbitmq_queue_messages_unacked",
        "rabbitmq_queue_consumers",
        "rabbitmq_connections",
    }
)
# Prometheus's own series
BUILTIN = frozenset({"up"})
METRIC = re.compile(r"\b((?:hataraku|faststream|rabbitmq)_[a-z0-9_]+|up)\b(?!\s*\()")


def exprs(node: Any) -> list[str]:
    """Every ``expr`` in a dashboard or a rule file, however deep."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(exprs(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(exprs(item))
    return found


def names_in(expressions: list[str]) -> set[str]:
    names: set[str] = set()
    for expr in expressions:
        # label matchers and legend text hold no metric names
        stripped = re.sub(r"\{[^}]*\}", "", expr)
        names |= set(METRIC.findall(stripped))
    return names


def series_names(text: str) -> set[str]:
    """The names a Prometheus server stores for this exposition (counters as ``_total``,
    histograms as ``_bucket``/``_sum``/``_count``), samples or not."""
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names |= {sample.name for sample in family.samples}
        if family.type == "counter":
            names.add(family.name + "_total")
        elif family.type == "histogram":
            names |= {family.name + s for s in ("_bucket", "_sum", "_count")}
    return names


@pytest.fixture(scope="module")
async def served() -> set[str]:
    """What a service's /metrics and the gateway's internal /metrics serve (no database or
    broker needed: the registries are filled as the processes are built)."""

    class Service(ServiceSettings):
        service_name: str = "metrics-drift"

    runtime = Runtime(Service())
    service_app = runtime.build_app(title="drift", routers=[])
    gateway = create_gateway(GatewaySettings())
    names: set[str] = set()
    for app in (service_app, gateway.internal):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            resp = await client.get("/metrics")
            assert resp.status_code == 200
            names |= series_names(resp.text)
    await runtime.client.close()
    await gateway.state.gateway.client.close()
    return names


def test_the_dashboard_is_valid_grafana_json() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] == "hataraku"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    for topic in ("request rate", "errors", "latency", "lag", "duration", "outbox", "dead"):
        assert topic in titles, topic
    assert "queue depth" in titles


async def test_every_metric_the_dashboard_uses_is_served(served: set[str]) -> None:
    used = names_in(exprs(json.loads(DASHBOARD.read_text(encoding="utf-8"))))
    assert {n for n in used if n.startswith("hataraku_")}, "the dashboard uses no metric?"
    missing = sorted(used - served - RABBITMQ - BUILTIN)
    assert not missing, f"the dashboard uses metrics nothing serves: {missing}"


async def test_every_metric_an_alert_uses_is_served(served: set[str]) -> None:
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    used = names_in(exprs(rules))
    missing = sorted(used - served - RABBITMQ - BUILTIN)
    assert not missing, f"alerts use metrics nothing serves: {missing}"
    alerts = [r["alert"] for g in rules["groups"] for r in g["rules"]]
    # each alert has its runbook
    operations = (ROOT / "docs/OPERATIONS.md").read_text(encoding="utf-8")
    for alert in alerts:
        assert f"### {alert}" in operations, f"no runbook for {alert}"


def test_prometheus_scrapes_the_gateway_internal_port_and_rabbitmq_per_object() -> None:
    config = yaml.safe_load(SCRAPE.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["gateway"]["static_configs"][0]["targets"] == ["gateway:9000"]
    assert jobs["rabbitmq"]["metrics_path"] == "/metrics/per-object"
    assert jobs["rabbitmq"]["static_configs"][0]["targets"] == ["rabbitmq:15692"]
    services = set(jobs["services"]["static_configs"][0]["targets"])
    assert {"identity:8001", "jobs:8002", "applications:8003"} <= services
    assert config["rule_files"] == ["alerts.yml"]


def test_a_name_nothing_serves_is_caught(served: set[str]) -> None:
    used = names_in(["sum(rate(hataraku_no_such_thing_total[5m])) by (queue)"])
    assert used - served == {"hataraku_no_such_thing_total"}
