"""Open event streams, counted per account and per client address (by each replica), so that one
account or one address cannot hold every upstream connection. Streams also have a connection
pool of their own (gateway/proxy.py): ordinary requests never wait behind them."""

from __future__ import annotations

from collections import Counter

from prometheus_client import Gauge

OPEN_STREAMS = Gauge("hataraku_gateway_open_streams", "Event streams open through this gateway")

# why a stream was refused
ACCOUNT, ADDRESS, FULL = "account", "address", "full"


class StreamSlots:
    def __init__(self, *, per_account: int, per_address: int, total: int) -> None:
        self.per_account = per_account
        self.per_address = per_address
        self.total = total
        self.open = 0
        self._accounts: Counter[str] = Counter()
        self._addresses: Counter[str] = Counter()

    def acquire(self, account: str | None, address: str) -> str | None:
        """Open one stream: None when allowed (``release`` it when it ends), else the reason
        (ACCOUNT, ADDRESS or FULL). Without a verified account only the address counts."""
        if account is not None and self._accounts[account] >= self.per_account:
            return ACCOUNT
        if self._addresses[address] >= self.per_address:
            return ADDRESS
        if self.open >= self.total:
            return FULL
        if account is not None:
            self._accounts[account] += 1
        self._addresses[address] += 1
        self.open += 1
        OPEN_STREAMS.inc()
        return None

    def release(self, account: str | None, address: str) -> None:
        if account is not None:
            self._accounts[account] -= 1
            if self._accounts[account] <= 0:
                del self._accounts[account]
        self._addresses[address] -= 1
        if self._addresses[address] <= 0:
            del self._addresses[address]
        self.open -= 1
        OPEN_STREAMS.dec()

    def count(self, *, account: str | None = None, address: str | None = None) -> int:
        if account is not None:
            return self._accounts[account]
        if address is not None:
            return self._addresses[address]
        return self.open
