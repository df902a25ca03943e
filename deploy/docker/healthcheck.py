"""Container health check: GET http://127.0.0.1:<port><path>, exit 0 when it answers 200.

python -m deploy.docker.healthcheck [path]      path: /readyz (the default) or /healthz

The port: ``INTERNAL_PORT`` when the container sets it (the gateway, whose /readyz and /healthz
are on its internal listener; its public port answers 404 there), else ``HTTP_PORT`` (every
service and web; 8000 when unset). One command for every image, no per-container override.

Compose waits on /readyz (database and broker reachable): a process that is alive but not yet
ready must not count as healthy for the ones that depend on it.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def port(env: dict[str, str] | os._Environ[str] = os.environ) -> int:
    internal = env.get("INTERNAL_PORT", "").strip()
    if internal and internal != "0":
        return int(internal)
    return int(env.get("HTTP_PORT", "8000"))


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/readyz"
    url = f"http://127.0.0.1:{port()}{path}"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except (OSError, ValueError):
        return 1


if __name__ == "__main__":
    sys.exit(main())
