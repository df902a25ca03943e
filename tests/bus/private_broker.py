"""A RabbitMQ node of the test's own (Debian's rabbitmq-server, its own node name, port and data
directory), so fault tests can stop and start a broker without disturbing anything else."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path

from tests.conftest import _answers
from tests.ports import free_port


class PrivateBroker:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.node = f"hatarakutest{self.port}@localhost"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "enabled_plugins").write_text("[].\n")
        os.chmod(folder, 0o777)  # noqa: S103 - the server drops to the rabbitmq user
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(folder / "pid"),
            "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq"),
        }

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @staticmethod
    def available() -> bool:
        return (
            shutil.which("rabbitmq-server") is not None and shutil.which("rabbitmqctl") is not None
        )

    async def _run(self, *args: str) -> int:
        proc = await asyncio.create_subprocess_exec(
            *args,
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        return await proc.wait()

    async def _ctl(self, *args: str) -> int:
        return await self._run("rabbitmqctl", "-n", self.node, *args)

    async def start(self) -> None:
        assert await self._run("rabbitmq-server", "-detached") == 0
        # the AMQP listener opens last in a boot: wait for it with a connect (rabbitmqctl costs an
        # Erlang VM start each time), then let rabbitmqctl confirm
        for _ in range(600):  # slow when the machine is busy
            await asyncio.sleep(0.2)
            if await asyncio.to_thread(_answers, self.url, self.port):
                break
        for _ in range(30):
            if await self._ctl("-q", "await_startup") == 0:
                return
            await asyncio.sleep(1)
        raise RuntimeError(f"private RabbitMQ node {self.node} did not start")

    async def stop_app(self) -> None:
        assert await self._ctl("stop_app") == 0

    async def start_app(self) -> None:
        assert await self._ctl("start_app") == 0

    async def stop(self) -> None:
        await self._ctl("stop")

    async def kill(self) -> None:
        """SIGKILL the node's Erlang VM: no clean shutdown, as a crash or an OOM kill (``start``
        brings it back on the same data)."""
        pid = int((self.folder / "pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)
        for _ in range(200):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"private RabbitMQ node {self.node} (pid {pid}) did not die")

    async def queues(self) -> dict[str, dict[str, int]]:
        """name → {messages, messages_ready, messages_unacknowledged, consumers}, as the broker
        sees them now (rabbitmqctl list_queues; the node has no management plugin)."""
        columns = ("messages", "messages_ready", "messages_unacknowledged", "consumers")
        proc = await asyncio.create_subprocess_exec(
            *("rabbitmqctl", "-n", self.node, "-q", "list_queues", "--no-table-headers"),
            *("name", *columns),
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await proc.communicate()
        assert proc.returncode == 0, "rabbitmqctl list_queues failed"
        result: dict[str, dict[str, int]] = {}
        for line in out.decode().splitlines():
            name, *values = line.split("\t")
            if len(values) == len(columns):
                result[name] = dict(zip(columns, (int(v) for v in values), strict=True))
        return result
