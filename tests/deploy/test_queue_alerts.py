"""What the alerts and the dashboard watch on RabbitMQ exists: their queue patterns match the
queues the processes declare (each consumer's queue, its ``.delayed`` queue where retries and
claim waits are parked, its ``.dead`` queue), read from the processes as they are built (no
broker or database needed), and no pattern names a queue that no longer exists."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from servicekit.bus import Consumer
from servicekit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy/grafana/hataraku.json"
ALERTS = ROOT / "deploy/prometheus/alerts.yml"
SERVICES = ["identity", "jobs", "applications", "messaging", "notifier"]
# a label matcher on ``queue``: =~ or !~ and its (PromQL-escaped) pattern
MATCHER = re.compile(r'queue\s*(=~|!~|=|!=)\s*"((?:[^"\\]|\\.)*)"')


def settings_for(service: str) -> ServiceSettings:
    module = importlib.import_module(f"services.{service}.settings")
    (cls,) = [
        c
        for _, c in inspect.getmembers(module, inspect.isclass)
        if issubclass(c, ServiceSettings)
        and c is not ServiceSettings
        and c.__module__ == module.__name__
    ]
    return cls()


@pytest.fixture(scope="module")
async def consumers() -> AsyncIterator[list[Consumer]]:
    """Every consumer of every process (the five services and the gateway's session feed)."""
    found: list[Consumer] = []
    apps: list[Any] = []
    for service in SERVICES:
        app = importlib.import_module(f"services.{service}.app").create_app(settings_for(service))
        apps.append(app)
        found += app.state.runtime.bus.consumers
    gateway = create_gateway(GatewaySettings())
    found += gateway.state.gateway.revoked.bus.consumers
    yield found
    for app in apps:
        await app.state.runtime.client.close()
    await gateway.state.gateway.client.close()


def matchers(expr: str) -> list[tuple[str, re.Pattern[str]]]:
    """The queue matchers of one PromQL expression, as Prometheus applies them (fully anchored;
    PromQL's string escapes undone)."""
    out = []
    for op, quoted in MATCHER.findall(expr):
        pattern = quoted.encode().decode("unicode_escape")
        if op in ("=", "!="):
            pattern = re.escape(pattern)
        out.append((op, re.compile(f"^(?:{pattern})$")))
    return out


def selects(expr: str, queue: str) -> bool:
    return all(bool(p.match(queue)) == (op in ("=~", "=")) for op, p in matchers(expr))


def alert(name: str) -> str:
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    (rule,) = [r for g in rules["groups"] for r in g["rules"] if r.get("alert") == name]
    return str(rule["expr"])


def panel(title_start: str) -> str:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    (found,) = [p for p in dashboard["panels"] if p["title"].startswith(title_start)]
    (target,) = found["targets"]
    return str(target["expr"])


def every_expr() -> list[str]:
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    found = [str(r["expr"]) for g in rules["groups"] for r in g["rules"]]
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    found += [str(t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])]
    return found


async def test_the_side_queues_are_named_as_the_patterns_expect(consumers):
    assert len(consumers) >= 10
    for consumer in consumers:
        assert consumer.delay_queue.name == f"{consumer.name}.delayed"
        assert consumer.dead_queue.name == f"{consumer.name}.dead"


async def test_backlog_and_consumer_alerts_cover_every_queue_and_its_delay_relay(consumers):
    backlog, no_consumer = alert("HatarakuQueueBacklog"), alert("HatarakuNoConsumer")
    depth, consumers_panel = panel("Queue depth"), panel("Consumers per queue")
    for consumer in consumers:
        queue, delayed, dead = consumer.name, consumer.delay_queue.name, consumer.dead_queue.name
        for prefix in ("", "test-"):  # BUS_PREFIX goes in front of every name
            q, d, x = prefix + queue, prefix + delayed, prefix + dead
            assert selects(backlog, q) and selects(depth, q), q
            # parked messages are not a backlog: they wait for their due time
            assert not selects(backlog, d) and not selects(depth, d), d
            # without its delay relay a queue's retries never come back
            assert selects(no_consumer, q) and selects(no_consumer, d), q
            assert selects(consumers_panel, q) and selects(consumers_panel, d), q
            assert not selects(no_consumer, x) and not selects(backlog, x), x
            assert selects(alert("HatarakuDeadLetters"), x) and not selects(
                alert("HatarakuDeadLetters"), d
            )
            assert selects(panel("Waiting for a retry"), d)
            assert not selects(panel("Waiting for a retry"), q)
    # an employer system's reply queue, the notifier's live queues: not ours to alert on
    for other in ("employer-E1.replies", "amq.gen-abc", "hataraku.unrouted"):
        assert not selects(no_consumer, other) and not selects(backlog, other), other


def test_no_expression_names_the_retired_retry_and_wait_queues():
    for expr in every_expr():
        # <queue>.retry.<ms>ms and <queue>.wait.1000ms are gone (servicekit/bus.py: .delayed)
        for retired in ("retry\\", "wait\\", ".retry.", ".wait."):
            assert retired not in expr, expr
