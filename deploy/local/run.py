"""`make run`: the whole system on this machine.

Starts the missing local infrastructure (infra.sh), every service and the gateway as separate
processes (logs in .data/log/<name>.log), restarts a process that dies (so `make restart
S=jobs` — or killing one — restarts just that one), creates the demo accounts, prints where
everything is, and on Ctrl-C stops what it started.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("HATARAKU_DATA", ROOT / ".data"))
LOGS = DATA / "log"
RUN = DATA / "run"
INFRA = ROOT / "deploy" / "local"


@dataclass
class Proc:
    name: str
    module: str
    port: int
    # the internal listener (readiness, metrics), where the process has one: the gateway
    internal_port: int | None = None
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = field(default=0.0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ready_url(self) -> str:
        return f"http://127.0.0.1:{self.internal_port or self.port}/readyz"


PROCESSES = [
    Proc("identity", "services.identity", 8001),
    Proc("jobs", "services.jobs", 8002),
    Proc("applications", "services.applications", 8003),
    Proc("messaging", "services.messaging", 8004),
    Proc("notifier", "services.notifier", 8005),
    Proc("web", "web", 8006),
    Proc("gateway", "gateway", 8000, internal_port=9000),
]


def say(text: str) -> None:
    print(f"[run] {text}", flush=True)


def infra_state() -> dict[str, bool]:
    out = {}
    for piece in ("rabbitmq", "mongodb", "opensearch", "smtp"):
        res = subprocess.run(
            ["bash", str(INFRA / f"{piece}.sh"), "status"], capture_output=True, text=True
        )
        out[piece] = res.stdout.strip().split(" ")[0] == "up"
    return out


def start(proc: Proc, env: dict[str, str]) -> None:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{proc.name}.log").open("ab")
    proc_env = {**env, "HTTP_PORT": str(proc.port)}
    if proc.internal_port is not None:
        proc_env["INTERNAL_PORT"] = str(proc.internal_port)
    proc.process = subprocess.Popen(
        [sys.executable, "-m", proc.module],
        cwd=ROOT,
        env=proc_env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    proc.started_at = time.monotonic()
    (RUN / f"{proc.name}.pid").write_text(str(proc.process.pid))


async def wait_healthy(procs: list[Proc], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        for proc in procs:
            while True:
                try:
                    async with session.get(proc.ready_url) as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if proc.process and proc.process.poll() is not None:
                    raise SystemExit(
                        f"{proc.name} exited at start: see {LOGS / (proc.name + '.log')}"
                    )
                if time.monotonic() > deadline:
                    raise SystemExit(
                        f"{proc.name} not ready after {timeout:.0f} s: see {LOGS / (proc.name + '.log')}"
                    )
                await asyncio.sleep(0.3)


async def supervise(procs: list[Proc], env: dict[str, str], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for proc in procs:
            if proc.process and proc.process.poll() is not None and not stop.is_set():
                code = proc.process.returncode
                proc.restarts += 1
                delay = (
                    min(2 ** min(proc.restarts, 5), 30)
                    if time.monotonic() - proc.started_at < 10
                    else 0
                )
                say(f"{proc.name} exited ({code}); restarting{f' in {delay} s' if delay else ''}")
                await asyncio.sleep(delay)
                start(proc, env)
        try:
            await asyncio.wait_for(stop.wait(), timeout=0.5)
        except TimeoutError:
            pass


def terminate(procs: list[Proc]) -> None:
    for proc in procs:
        if proc.process and proc.process.poll() is None:
            proc.process.send_signal(signal.SIGTERM)
    for proc in procs:
        if proc.process:
            try:
                proc.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                proc.process.kill()
        pidfile = RUN / f"{proc.name}.pid"
        if proc.process and pidfile.exists() and pidfile.read_text() == str(proc.process.pid):
            pidfile.unlink()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-demo", action="store_true", help="do not create demo accounts")
    args = parser.parse_args()
    RUN.mkdir(parents=True, exist_ok=True)
    (RUN / "supervisor.pid").write_text(str(os.getpid()))

    before = infra_state()
    subprocess.run(["bash", str(INFRA / "infra.sh"), "up"], check=True)
    started_infra = [piece for piece, up in before.items() if not up]

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.setdefault("HATARAKU_MAIL_DIR", str(DATA / "mail"))
    if not args.no_demo:
        seed_postings(env)
    for proc in PROCESSES:
        start(proc, env)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await wait_healthy(PROCESSES)
        demo_lines: list[str] = []
        if not args.no_demo:
            from deploy.local.demo import create_demo

            demo_lines = await create_demo(
                gateway="http://127.0.0.1:8000", mail_dir=Path(env["HATARAKU_MAIL_DIR"])
            )
        banner(demo_lines)
        await supervise(PROCESSES, env, stop)
    finally:
        say("stopping services")
        terminate(PROCESSES)
        for piece in reversed(started_infra):
            subprocess.run(["bash", str(INFRA / f"{piece}.sh"), "stop"], check=False)
        (RUN / "supervisor.pid").unlink(missing_ok=True)


def seed_postings(env: dict[str, str], count: int = 3000) -> None:
    """Realistic postings for the demo, once per data folder, before the services start: the jobs
    service publishes their events from its outbox when it starts."""
    marker = DATA / "demo-postings.done"
    if marker.exists():
        return
    say(f"loading {count} demo postings (first run only)")
    subprocess.run(
        [sys.executable, "-m", "services.jobs.seed", "--count", str(count), "--seed", "1"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    marker.write_text(str(count))


def banner(demo: list[str]) -> None:
    lines = [
        "",
        "Hataraku is running.",
        "  web My Page            http://127.0.0.1:8000/  (seekers, employers at /employer, staff at /staff, admin at /admin/maintenance)",
        "  gateway (public API)   http://127.0.0.1:8000/api/  — API docs: http://127.0.0.1:8000/api/docs",
        "  gateway (internal)     http://127.0.0.1:9000/readyz, /metrics, /status/upstreams",
        "  status                 http://127.0.0.1:8000/api/v1/status",
        *[
            f"  {p.name:<22} {p.url}/healthz  (log: .data/log/{p.name}.log)"
            for p in PROCESSES
            if p.name != "gateway"
        ],
        "  RabbitMQ management    http://127.0.0.1:15672/ (guest/guest)",
        "  OpenSearch             http://127.0.0.1:9200/ (the jobs search index; rebuild: python -m services.jobs.reindex)",
        f"  dev mailbox            {DATA / 'mail'}/*.eml (one file per mail)",
        "  demo postings          3,000 across the 47 prefectures: GET http://127.0.0.1:8000/api/v1/jobs?q=介護",
        *demo,
        "",
        "Restart one process: make restart S=jobs   ·   Ctrl-C stops everything started here.",
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
