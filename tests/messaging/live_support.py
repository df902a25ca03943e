"""Test support for the notifier's in-app side: the messaging and notifier services side by side
in one broker namespace, apps served by real uvicorn servers on free ports (Server-Sent Events
need a real HTTP stream), and a small SSE client."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from tests.ports import free_port


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """Serve the app (lifespan included) with uvicorn on a free port; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class SseEvent:
    event: str
    data: Any
    id: str | None


@dataclass
class SseClient:
    """Reads one event stream in the background; events and comment lines are collected."""

    url: str
    headers: dict[str, str]
    events: asyncio.Queue[SseEvent] = field(default_factory=asyncio.Queue)
    comments: list[str] = field(default_factory=list)
    status: int | None = None
    _task: asyncio.Task[None] | None = None
    _opened: asyncio.Event = field(default_factory=asyncio.Event)

    async def __aenter__(self) -> SseClient:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self._opened.wait(), 10)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _run(self) -> None:
        timeout = httpx.Timeout(10, read=None)
        async with (
            httpx.AsyncClient(timeout=timeout) as client,
            client.stream("GET", self.url, headers=self.headers) as resp,
        ):
            self.status = resp.status_code
            self._opened.set()
            event: dict[str, Any] = {}
            async for line in resp.aiter_lines():
                if line == "":
                    if "data" in event:
                        await self.events.put(
                            SseEvent(
                                event.get("event", "message"),
                                json.loads(event["data"]),
                                event.get("id"),
                            )
                        )
                    event = {}
                elif line.startswith(":"):
                    self.comments.append(line[1:].strip())
                else:
                    name, _, value = line.partition(":")
                    event[name] = value.removeprefix(" ")

    async def next(self, *kinds: str, timeout: float = 5.0) -> SseEvent:
        """The next event of these kinds (others are skipped)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no {kinds} event within {timeout}s")
            item = await asyncio.wait_for(self.events.get(), left)
            if not kinds or item.event in kinds:
                return item

    async def none(self, *kinds: str, within: float) -> None:
        try:
            item = await self.next(*kinds, timeout=within)
        except (AssertionError, TimeoutError):
            return
        raise AssertionError(f"unexpected event {item}")
