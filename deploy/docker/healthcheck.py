"""Container health check: GET http://127.0.0.1:$HTTP_PORT/healthz, exit 0 when it answers 200.

python -m deploy.docker.healthcheck [path]
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/healthz"
    url = f"http://127.0.0.1:{int(os.environ.get('HTTP_PORT', '8000'))}{path}"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
