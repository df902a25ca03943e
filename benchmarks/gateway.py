"""Gateway overhead: a small authenticated GET (``GET /api/v1/me`` with a bearer token), straight to
the service (the baseline) and through the gateway, each process a uvicorn with one worker, loaded
by N concurrent aiohttp clients for a fixed time. Prints requests/s, p50 and p99 and the ratio.

The service is the real identity (a staff account created with its CLI, a token from its login)
when it starts; otherwise a stub FastAPI app that verifies the token with servicekit's
TokenVerifier the same way. The output says which. With variants (default) it also measures two
minimal FastAPI catch-all proxies, one on httpx and one on aiohttp, which is why the gateway uses
aiohttp under a plain ASGI layer.

    .venv/bin/python benchmarks/gateway.py [--duration 10] [--concurrency 32]
                                           [--upstream auto|identity|stub] [--no-variants]

Needs MongoDB (the gateway keeps its maintenance state there) and, for the real identity,
RabbitMQ; uses its own databases and broker namespace and removes them at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiohttp
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from servicekit.auth import CurrentPrincipal, TokenVerifier  # noqa: E402

MONGODB_URL = os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017/")
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
RUN = uuid.uuid4().hex[:6]
PY = sys.executable


# --- the servers that run as subprocesses (python benchmarks/gateway.py _serve KIND PORT ...) ---


def serve_stub(port: int) -> None:
    """A service-shaped app: servicekit's request-id middleware and error handlers, and a GET that
    verifies the bearer token with TokenVerifier (keys from BENCH_JWKS)."""
    import uvicorn

    from servicekit.errors import install_error_handlers
    from servicekit.runtime import RequestContext

    jwks = json.loads(os.environ["BENCH_JWKS"])

    async def fetch() -> dict[str, Any]:
        return jwks

    app = FastAPI()
    app.state.verifier = TokenVerifier(fetch, issuer="hataraku-identity", audience="hataraku")
    install_error_handlers(app)

    @app.get("/api/v1/me")
    async def me(principal: CurrentPrincipal) -> dict[str, Any]:
        return {
            "account_id": principal.account_id,
            "role": principal.role,
            "email": principal.email,
        }

    @app.get("/.well-known/jwks.json")
    async def keys() -> dict[str, Any]:
        return jwks

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(RequestContext, service="stub")
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, loop="uvloop"
    )


def serve_variant(kind: str, port: int, upstream: str) -> None:
    """A minimal FastAPI catch-all proxy on httpx or aiohttp (no token check, no policy)."""
    import uvicorn
    from starlette.background import BackgroundTask

    hop = {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "upgrade",
        "host",
        "content-length",
    }
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if kind == "httpx":
            import httpx

            limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
            state["client"] = httpx.AsyncClient(base_url=upstream, limits=limits, timeout=30)
        else:
            state["client"] = aiohttp.ClientSession(
                upstream,
                connector=aiohttp.TCPConnector(limit=512, keepalive_timeout=3.5),
                auto_decompress=False,
            )
        yield
        await (state["client"].aclose() if kind == "httpx" else state["client"].close())

    app = FastAPI(lifespan=lifespan)

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def proxy(path: str, request: Request) -> StreamingResponse:
        headers = [(k, v) for k, v in request.headers.items() if k not in hop]
        body = await request.body() if request.headers.get("content-length") else None
        url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if kind == "httpx":
            req = state["client"].build_request(request.method, url, headers=headers, content=body)
            resp = await state["client"].send(req, stream=True)
            out = {k: v for k, v in resp.headers.items() if k.lower() not in hop}
            return StreamingResponse(
                resp.aiter_raw(),
                status_code=resp.status_code,
                headers=out,
                background=BackgroundTask(resp.aclose),
            )
        aresp = await state["client"].request(request.method, url, headers=headers, data=body)
        out = {k: v for k, v in aresp.headers.items() if k.lower() not in hop}
        return StreamingResponse(
            aresp.content.iter_any(),
            status_code=aresp.status,
            headers=out,
            background=BackgroundTask(aresp.release),
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, loop="uvloop"
    )


# --- the driver ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Processes:
    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **env},
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            self.stop(proc)


async def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise RuntimeError(f"{url} exited: {err[-2000:]}")
            try:
                async with session.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy")


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (Linux), 0 when unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    proxy_cpu: float = 0.0  # CPU seconds the proxy process spent in the measured phase

    @property
    def cpu_us(self) -> str:
        return f"{self.proxy_cpu / self.requests * 1e6:.0f}" if self.proxy_cpu else "-"

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100)[int(q) - 1] * 1000


async def load(
    name: str,
    url: str,
    headers: dict[str, str],
    *,
    concurrency: int,
    duration: float,
    proxy_pid: int | None = None,
) -> Result:
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        latencies: list[float] = []
        errors = 0
        stop_at = 0.0

        async def worker(record: bool) -> None:
            nonlocal errors
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                try:
                    async with session.get(url, headers=headers) as resp:
                        await resp.read()
                        ok = resp.status == 200
                except aiohttp.ClientError:
                    ok = False
                if record:
                    latencies.append(time.perf_counter() - t0)
                    errors += not ok

        stop_at = time.perf_counter() + 1.0  # warm up
        await asyncio.gather(*(worker(False) for _ in range(concurrency)))
        cpu = cpu_seconds(proxy_pid)
        started = time.perf_counter()
        stop_at = started + duration
        await asyncio.gather(*(worker(True) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(proxy_pid) - cpu
        return Result(name, len(latencies), errors, elapsed, latencies, cpu)


def stub_keys() -> tuple[dict[str, Any], str]:
    import jwt
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    jwks = {"keys": [{**jwk, "kid": "bench", "alg": "EdDSA", "use": "sig"}]}
    now = int(time.time())
    token = jwt.encode(
        {
            "sub": "bench-account",
            "role": "seeker",
            "iat": now,
            "exp": now + 3600,
            "iss": "hataraku-identity",
            "aud": "hataraku",
        },
        key,
        algorithm="EdDSA",
        headers={"kid": "bench"},
    )
    return jwks, token


async def start_identity(procs: Processes) -> tuple[str, str]:
    """The real identity with a fresh staff account; (base URL, access token)."""
    port = free_port()
    env = {
        "HTTP_PORT": str(port),
        "DB_NAME": f"bench{RUN}_identity",
        "BUS_PREFIX": f"bench{RUN}.",
        "LOG_LEVEL": "WARNING",
        "MONGODB_URL": MONGODB_URL,
        "AMQP_URL": AMQP_URL,
    }
    email, password = f"bench-{RUN}@example.jp", f"Bench-{uuid.uuid4().hex[:16]}-pw!"
    created = subprocess.run(
        [PY, "-m", "services.identity", "create-staff", "--email", email, "--office-code", "13010"],
        cwd=ROOT,
        env={**os.environ, **env},
        input=password.encode(),
        capture_output=True,
        timeout=60,
    )
    if created.returncode != 0:
        raise RuntimeError(f"create-staff failed: {created.stderr.decode()[-1000:]}")
    proc = procs.start([PY, "-m", "services.identity"], env)
    url = f"http://127.0.0.1:{port}"
    await wait_healthy(url, proc)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url + "/api/v1/auth/login", json={"email": email, "password": password}
        ) as resp,
    ):
        if resp.status != 200:
            raise RuntimeError(f"login failed: {resp.status} {await resp.text()}")
        token = (await resp.json())["access_token"]
    async with (
        aiohttp.ClientSession() as session,
        session.get(url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}) as resp,
    ):
        if resp.status != 200:
            raise RuntimeError(f"GET /api/v1/me failed: {resp.status}")
    return url, token


async def start_stub(procs: Processes) -> tuple[str, str]:
    jwks, token = stub_keys()
    port = free_port()
    proc = procs.start(
        [PY, __file__, "_serve", "stub", str(port)], {"BENCH_JWKS": json.dumps(jwks)}
    )
    url = f"http://127.0.0.1:{port}"
    await wait_healthy(url, proc)
    return url, token


async def start_gateway(procs: Processes, upstream: str) -> tuple[str, int]:
    port = free_port()
    env = {
        "HTTP_PORT": str(port),
        "INTERNAL_PORT": str(free_port()),
        "IDENTITY_URL": upstream,
        "JWKS_URL": upstream + "/.well-known/jwks.json",
        "DB_NAME": f"bench{RUN}_gateway",
        "LOG_LEVEL": "WARNING",
        "MONGODB_URL": MONGODB_URL,
    }
    proc = procs.start([PY, "-m", "gateway"], env)
    url = f"http://127.0.0.1:{port}"
    await wait_healthy(url, proc)
    return url, proc.pid


async def cleanup() -> None:
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        MONGODB_URL, serverSelectionTimeoutMS=3000
    )
    try:
        for name in await client.list_database_names():
            if name.startswith(f"bench{RUN}_"):
                await client.drop_database(name)
    except Exception as exc:
        print(f"(could not drop the benchmark databases: {exc!r})")
    finally:
        await client.close()
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
                    items = await resp.json() if resp.status == 200 else []
                for item in items:
                    if item["name"].startswith(f"bench{RUN}."):
                        vhost = "%2F" if item["vhost"] == "/" else item["vhost"]
                        await s.delete(f"{base}/{kind}/{vhost}/{item['name']}")
    except aiohttp.ClientError:
        pass


async def main(args: argparse.Namespace) -> None:
    procs = Processes()
    try:
        service = None
        if args.upstream in ("auto", "identity") and (ROOT / "services/identity/app.py").exists():
            try:
                upstream, token = await start_identity(procs)
                service = "the real identity service (python -m services.identity), GET /api/v1/me"
            except Exception as exc:
                if args.upstream == "identity":
                    raise
                print(f"identity did not start ({exc}); using the stub")
                procs.stop_all()
                procs.procs.clear()
        if service is None:
            upstream, token = await start_stub(procs)
            service = "a stub FastAPI app verifying the token with TokenVerifier, GET /api/v1/me"
        gateway, gateway_pid = await start_gateway(procs, upstream)
        headers = {"Authorization": f"Bearer {token}"}
        path = "/api/v1/me"
        opts = {"concurrency": args.concurrency, "duration": args.duration}
        print(f"upstream: {service}")
        print(
            f"{args.concurrency} concurrent clients, {args.duration:g} s per run, "
            f"{os.cpu_count()} CPUs, one uvicorn worker per process\n"
        )
        results = [await load("direct to the service (baseline)", upstream + path, headers, **opts)]
        results.append(
            await load(
                "through the gateway", gateway + path, headers, proxy_pid=gateway_pid, **opts
            )
        )
        if args.variants:
            for kind, label in (
                ("httpx", "FastAPI catch-all route + httpx"),
                ("aiohttp", "FastAPI catch-all route + aiohttp"),
            ):
                port = free_port()
                proc = procs.start([PY, __file__, "_serve", kind, str(port), upstream], {})
                url = f"http://127.0.0.1:{port}"
                await wait_healthy(url, proc)
                results.append(
                    await load(
                        f"{label} (no checks)", url + path, headers, proxy_pid=proc.pid, **opts
                    )
                )
                procs.stop(proc)
        print(
            f"{'scenario':<46} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
            f" {'proxy CPU us/req':>17}"
        )
        for r in results:
            print(
                f"{r.name:<46} {r.rps:>8.0f} {r.pct(50):>8.2f} {r.pct(99):>8.2f} {r.errors:>7}"
                f" {r.cpu_us:>17}"
            )
        base, through = results[0], results[1]
        print(
            f"\ngateway / direct: {through.rps / base.rps:.2f} of the throughput; "
            f"p50 {through.pct(50) - base.pct(50):+.2f} ms, p99 {through.pct(99) - base.pct(99):+.2f} ms"
        )
    finally:
        procs.stop_all()
        await cleanup()


def cli() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "_serve":
        kind, port = sys.argv[2], int(sys.argv[3])
        if kind == "stub":
            serve_stub(port)
        else:
            serve_variant(kind, port, sys.argv[4])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--upstream", choices=["auto", "identity", "stub"], default="auto")
    parser.add_argument("--no-variants", dest="variants", action="store_false")
    args = parser.parse_args()
    import uvloop

    uvloop.run(main(args))


if __name__ == "__main__":
    cli()
