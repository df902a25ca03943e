"""Real HTTP pieces for the gateway tests: an upstream FastAPI app (echo, SSE, slow, JWKS,
readyz, typed routes for the merged docs), a server that answers garbage, signing keys, and
running apps with uvicorn on free ports."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, create_model

from tests.ports import free_port


@asynccontextmanager
async def serve(app: Any, port: int | None = None, **options: Any) -> AsyncIterator[str]:
    """Run an ASGI app with uvicorn in this event loop; yields its base URL."""
    port = port or free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
        **options,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server did not start")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def garbage_server() -> AsyncIterator[str]:
    """Answers every request with something that is not HTTP."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"this is not http\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


class Keys:
    """Ed25519 signing keys and the JWKS that publishes them."""

    def __init__(self) -> None:
        self.private: dict[str, Ed25519PrivateKey] = {}
        self.published: list[dict[str, Any]] = []

    def add(self, *, publish: bool = True) -> str:
        kid = uuid.uuid4().hex[:12]
        key = Ed25519PrivateKey.generate()
        self.private[kid] = key
        if publish:
            self.publish(kid)
        return kid

    def publish(self, kid: str) -> None:
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.private[kid].public_key()))
        self.published.append({**jwk, "kid": kid, "alg": "EdDSA", "use": "sig"})

    def token(self, kid: str, *, role: str = "seeker", ttl: int = 600, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "sub": claims.pop("sub", uuid.uuid4().hex),
            "role": role,
            "iat": now,
            "exp": now + ttl,
            "iss": "hataraku-identity",
            "aud": "hataraku",
            **claims,
        }
        return jwt.encode(payload, self.private[kid], algorithm="EdDSA", headers={"kid": kid})


class Item(BaseModel):
    code: str
    name: str


# a different schema under the same name, as another service would have it
JobItem = create_model("Item", job_id=(str, ...), title=(str, ...))


class Upstream:
    """A stand-in service. Every request it receives is kept in ``seen``."""

    def __init__(self, name: str, keys: Keys | None = None) -> None:
        self.name = name
        self.keys = keys
        self.seen: list[dict[str, Any]] = []
        self.jwks_fetches = 0
        self.ready = True
        self.slow_seconds = 2.0
        self.sse_release = asyncio.Event()
        self.sse_closed = asyncio.Event()
        self.app = self._build()

    def reset(self) -> None:
        self.seen.clear()
        self.sse_release = asyncio.Event()
        self.sse_closed = asyncio.Event()

    def _build(self) -> FastAPI:
        app = FastAPI(title=f"test {self.name}")
        up = self

        @app.get("/.well-known/jwks.json", include_in_schema=False)
        async def jwks() -> dict[str, Any]:
            up.jwks_fetches += 1
            return {"keys": list(up.keys.published) if up.keys else []}

        @app.get("/readyz", include_in_schema=False)
        async def readyz() -> JSONResponse:
            return JSONResponse({"ready": up.ready}, status_code=200 if up.ready else 503)

        @app.get("/api/v1/me/events", include_in_schema=False)
        async def events(request: Request) -> StreamingResponse:
            async def stream() -> AsyncIterator[bytes]:
                try:
                    yield b"data: first\n\n"
                    await up.sse_release.wait()
                    yield b"data: second\n\n"
                    while not await request.is_disconnected():
                        await asyncio.sleep(0.05)
                        yield b": keep-alive\n\n"
                finally:
                    up.sse_closed.set()

            return StreamingResponse(stream(), media_type="text/event-stream")

        @app.get("/api/v1/jobs/slow", include_in_schema=False)
        async def slow() -> dict[str, str]:
            await asyncio.sleep(up.slow_seconds)
            return {"slow": "done"}

        # typed routes, for the merged OpenAPI: both services call a schema "Item"
        if self.name == "identity":

            @app.get("/api/v1/occupations", response_model=list[Item])
            async def occupations() -> list[Item]:
                return [Item(code="01", name="管理的職業")]

            @app.get("/api/v1/jobs/stray")
            async def stray() -> dict[str, str]:
                return {}

            @app.get("/api/v1/auth/moved", include_in_schema=False)
            async def moved(request: Request) -> RedirectResponse:
                # an absolute redirect to the upstream's own address, as FastAPI's slash
                # redirects are
                return RedirectResponse(str(request.url_for("occupations")), status_code=307)

        else:

            @app.get("/api/v1/jobs/{job_id}", response_model=JobItem)
            async def job(job_id: str) -> Any:
                return JobItem(job_id=job_id, title="")

        @app.api_route(
            "/{path:path}",
            methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
            include_in_schema=False,
        )
        async def echo(path: str, request: Request) -> JSONResponse:
            body = await request.body()
            seen = {
                "service": up.name,
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "headers": {k: v for k, v in request.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "body_length": len(body),
            }
            up.seen.append(seen)
            return JSONResponse(seen, headers={"set-cookie": "upstream=1; Path=/"})

        return app
