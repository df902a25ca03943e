"""The service processes of the system tests, forked from a server process that has imported
every service once (multiprocessing's forkserver, one per pytest worker), instead of each
``python -m <service>`` importing FastAPI, pydantic, FastStream, PyMongo … again: about 1.6 s of
CPU per process start saved, some 60 s over the suite (whole systems, restarts of the fault
suite, command-line tests). Each one is still a process of its own running ``python -m
<module>``'s code (the module's ``__main__`` through runpy) with its own arguments, environment,
input, output and exit status."""

from __future__ import annotations

import multiprocessing
import os
import runpy
import signal
import subprocess
import sys
import tempfile
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


def _run(
    module: str,
    env: dict[str, str],
    out: str,
    err: str | None = None,
    stdin: str | None = None,
    argv: tuple[str, ...] = (),
) -> None:
    """In the forked process: what ``python -m module *argv`` with this environment, working
    directory, input and output would do."""
    if stdin is not None:
        fd = os.open(stdin, os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    for target, path in ((1, out), (2, err or out)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, target)
        os.close(fd)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
    os.environ.clear()
    os.environ.update(env)
    os.chdir(ROOT)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
    sys.argv = [module, *argv]
    # its __main__ runs afresh (the server imported it only for what it imports)
    sys.modules.pop(f"{module}.__main__", None)
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit:
        raise
    except BaseException as error:  # as the interpreter ends: sys.excepthook, then status 1
        sys.excepthook(type(error), error, error.__traceback__)
        raise SystemExit(1) from None


def run(
    module: str, *argv: str, env: dict[str, str], input: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``subprocess.run([python, "-m", module, *argv], input=…, capture_output=True,
    text=True)`` for a command of this project, as a forked process: a command-line test
    checks the command's own argument parsing, output and exit status without paying the
    ~2 s of CPU its imports cost."""
    with tempfile.TemporaryDirectory(prefix="hataraku-run-") as tmp:
        stdin, out, err = (os.path.join(tmp, name) for name in ("stdin", "stdout", "stderr"))
        Path(stdin).write_text(input, encoding="utf-8")
        process = _forkserver().Process(target=_run, args=(module, env, out, err, stdin, argv))
        process.start()
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join()
            raise subprocess.TimeoutExpired([module, *argv], timeout)
        return subprocess.CompletedProcess(
            ["-m", module, *argv],
            process.exitcode,
            Path(out).read_text(encoding="utf-8") if os.path.exists(out) else "",
            Path(err).read_text(encoding="utf-8") if os.path.exists(err) else "",
        )


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
