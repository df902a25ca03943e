"""Container health check: GET http://127.0.0.1:$HTTP_PORT<path>, exit 0 when it answers 200.

python -m deploy.docker.healthcheck [path]      path: /readyz (the default) or /healthz

Compose waits on /readyz (database and broker reachable): a process that is alive but not yet
ready must not count as healthy for the ones that depend on it.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/readyz"
    url = f"http://127.0.0.1:{int(os.environ.get('HTTP_PORT', '8000'))}{path}"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
