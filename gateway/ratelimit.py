"""In-memory token buckets per (endpoint group, key), the key being a client IP or a (client IP,
account) pair. Each gateway replica counts on its own: with N replicas a client gets at most N
times the rate, which is fine for slowing down guessing and mail flooding (identity locks
accounts itself)."""

from __future__ import annotations

import math
from collections.abc import Iterable

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

    def _tokens(self, key: tuple[str, str], now: float) -> float:
        tokens, at = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + max(0.0, now - at) * self.rate)

    def _wait(self, tokens: float) -> int:
        return 0 if tokens >= 1.0 else max(1, math.ceil((1.0 - tokens) / self.rate))

    def wait(self, group: str, client: str) -> int:
        """What ``take`` would answer, taking nothing."""
        return self._wait(self._tokens((group, client), self.clock.now().timestamp()))

    def take(self, group: str, client: str) -> int:
        """Take one token. 0 when allowed, else the whole seconds until one is available."""
        now = self.clock.now().timestamp()
        key = (group, client)
        tokens = self._tokens(key, now)
        self._buckets.pop(key, None)
        wait = self._wait(tokens)
        self._buckets[key] = (tokens if wait else tokens - 1.0, now)
        if not wait:
            self._prune()
        return wait

    def _prune(self) -> None:
        # drop the least recently used buckets; an unused bucket refills to full anyway
        while len(self._buckets) > self.max_keys:
            del self._buckets[next(iter(self._buckets))]


def take_all(buckets: Iterable[tuple[RateLimiter, str, str]]) -> int:
    """One token from each (limiter, group, key) bucket, or from none when any is empty: then
    the longest wait. A refused request uses up nothing."""
    buckets = list(buckets)
    wait = max((limiter.wait(group, key) for limiter, group, key in buckets), default=0)
    if wait:
        return wait
    for limiter, group, key in buckets:
        limiter.take(group, key)
    return 0
