"""The service processes of the system tests, forked from a server process that has imported
every service once (multiprocessing's forkserver, one per pytest worker), instead of each
``python -m <service>`` importing FastAPI, pydantic, FastStream, PyMongo … again: about 1.6 s of
CPU per process start saved, some 60 s over the suite (whole systems, restarts of the fault
suite). Each one is still a process of its own running ``python -m <module>``'s code (the
module's ``__main__`` through runpy) with its own environment, output and exit status; the
processes that tests start to check the command line itself still use subprocess."""

from __future__ import annotations

import multiprocessing
import os
import runpy
import signal
import subprocess
import sys
from multiprocessing.context import ForkServerContext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = [
    "services.identity.__main__",
    "services.jobs.__main__",
    "services.applications.__main__",
    "services.messaging.__main__",
    "services.notifier.__main__",
    "gateway.__main__",
    "web.__main__",
]
_context: list[ForkServerContext] = []


def _forkserver() -> ForkServerContext:
    if not _context:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(MODULES)
        _context.append(ctx)
    return _context[0]


def _run(module: str, env: dict[str, str], log: str) -> None:
    """In the forked process: what ``python -m module`` with this environment, working
    directory and output would do."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
    os.environ.clear()
    os.environ.update(env)
    os.chdir(ROOT)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
    sys.argv = [module]
    # its __main__ runs afresh (the server imported it only for what it imports)
    sys.modules.pop(f"{module}.__main__", None)
    runpy.run_module(module, run_name="__main__", alter_sys=True)


class Forked:
    """What the system tests use of subprocess.Popen, for a forked service process."""

    def __init__(self, module: str, env: dict[str, str], log: Path) -> None:
        self.args = ["-m", module]
        self._process = _forkserver().Process(target=_run, args=(module, env, str(log)))
        self._process.start()

    @property
    def pid(self) -> int:
        pid = self._process.pid
        assert pid is not None
        return pid

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        code = self._process.exitcode
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return code

    def send_signal(self, sig: int) -> None:
        if self._process.exitcode is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)
