"""Ports for the servers the tests start.

``bind(("127.0.0.1", 0))`` hands out a port from the kernel's ephemeral range, the range every
outgoing connection takes its local port from: between the test releasing the port and its
server binding it, a connection to the broker or the database could take it ("address already
in use", seen once in a full run). So the ports come from below that range, where no
connection's local port ever is: each pytest-xdist worker its own slice (two workers never
hand out the same port), handed out in turn from a random start, each checked free by binding."""

from __future__ import annotations

import itertools
import os
import random
import socket
from collections.abc import Iterator
from pathlib import Path

FIRST = 20000
SLICES = 8  # more than the suite's workers


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _candidates() -> Iterator[int]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    size = (_ephemeral_start() - FIRST) // SLICES
    low = FIRST + (int(worker) if worker.isdigit() else 0) % SLICES * size
    ports = list(range(low, low + size))
    start = random.randrange(size)
    return itertools.cycle(ports[start:] + ports[:start])


_next = _candidates()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on or is bound to now, and that this process
    has not handed out recently."""
    for port in _next:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("unreachable")  # the cycle never ends
