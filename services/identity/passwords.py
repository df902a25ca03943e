"""Argon2id password hashing, always off the event loop (a dedicated thread pool)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")


class PasswordHasher:
    """Hashes and verifies with Argon2id in a thread pool. ``verify`` against ``None`` checks a
    dummy hash so an unknown account costs the same time as a wrong password."""

    def __init__(
        self, *, memory_kib: int = 19456, time_cost: int = 2, parallelism: int = 1, threads: int = 0
    ) -> None:
        self._ph = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=argon2.Type.ID,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=threads or os.cpu_count() or 2, thread_name_prefix="argon2"
        )
        self._dummy: str | None = None

    async def _run(self, fn: Callable[..., T], *args: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def hash(self, password: str) -> str:
        return await self._run(self._ph.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        if stored is None:
            await self.warm_up()
            assert self._dummy is not None
            await self._run(self._verify, self._dummy, password)
            return False
        return await self._run(self._verify, stored, password)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._ph.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def verify_blocking(self, stored: str, password: str) -> bool:
        """The raw verify in the calling thread (benchmarks)."""
        return self._verify(stored, password)

    def hash_blocking(self, password: str) -> str:
        return self._ph.hash(password)

    def needs_rehash(self, stored: str) -> bool:
        try:
            return self._ph.check_needs_rehash(stored)
        except InvalidHashError:
            return True

    async def warm_up(self) -> None:
        if self._dummy is None:
            self._dummy = await self.hash("dummy-password-for-timing!1")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
