"""In-memory token buckets per (endpoint group, client IP). Each gateway replica counts on its
own: with N replicas a client gets at most N times the rate, which is fine for slowing down
guessing and mail flooding (identity locks accounts itself)."""

from __future__ import annotations

import math

from servicekit.clock import Clock


class RateLimiter:
    def __init__(
        self, *, per_minute: float, burst: int, clock: Clock, max_keys: int = 100_000
    ) -> None:
        self.rate = per_minute / 60.0  # tokens per second
        self.burst = float(burst)
        self.clock = clock
        self.max_keys = max_keys
        # key → (tokens, at); insertion order is last-use order (re-inserted on every take)
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def take(self, group: str, client: str) -> int:
        """Take one token. 0 when allowed, else the whole seconds until one is available."""
        now = self.clock.now().timestamp()
        key = (group, client)
        tokens, at = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + max(0.0, now - at) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            self._prune()
            return 0
        self._buckets[key] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def _prune(self) -> None:
        # drop the least recently used buckets; an unused bucket refills to full anyway
        while len(self._buckets) > self.max_keys:
            del self._buckets[next(iter(self._buckets))]
