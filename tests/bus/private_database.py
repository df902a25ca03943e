"""A MongoDB-compatible server of the test's own (its own port and data directory), so fault tests
can kill and restart the database without disturbing anything else: the `mongod` on PATH if
there is one, else the `secantusd-rs` that deploy/local/mongodb.sh built into .data/bin/."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
from pathlib import Path

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def server_command(port: int, folder: Path) -> list[str] | None:
    if mongod := shutil.which("mongod"):
        return [mongod, "--dbpath", str(folder), "--bind_ip", "127.0.0.1", "--port", str(port)]
    data = Path(os.environ.get("HATARAKU_DATA", ROOT / ".data"))
    built = sorted((data / "bin").glob("secantusd-rs-*"))
    if built:
        return [
            str(built[-1]),
            *("--host", "127.0.0.1", "--port", str(port), "--storage-path", str(folder)),
            *("--cache-size", "256M", "--sync-on-commit", "--log-level", "WARNING"),
        ]
    return None


class PrivateDatabase:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def available(self) -> bool:
        return server_command(self.port, self.folder) is not None

    async def start(self) -> None:
        command = server_command(self.port, self.folder)
        assert command is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        log = (self.folder.parent / f"{self.folder.name}.log").open("ab")
        self.proc = subprocess.Popen(command, stdout=log, stderr=log)
        for _ in range(300):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.1)
        raise RuntimeError(f"the test's database did not start on port {self.port}")

    async def kill(self) -> None:
        """SIGKILL: no clean shutdown, as a crash or an OOM kill."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            await asyncio.to_thread(self.proc.wait)
            self.proc = None

    async def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(asyncio.to_thread(self.proc.wait), 20)
            except TimeoutError:
                self.proc.kill()
            self.proc = None
