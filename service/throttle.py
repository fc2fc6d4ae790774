"""Password guessing: failures counted per account and per client address, hashing bounded.

Counts live in Redis when `redis_url` is set, so every API replica sees the same ones, and in
memory otherwise. argon2 runs in threads, at most `password_hashing_concurrency` at once with
`password_hashing_queue` waiting; beyond that a sign-in is refused at once with 429, so a
flood of sign-ins never queues up in front of other users' requests.
"""

import asyncio
import math
import time
from collections.abc import Callable
from typing import TypeVar

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from core.settings import Settings
from service.errors import TooManyRequests, Unavailable
from workflows.messages import N_

T = TypeVar("T")
TOO_MANY_SIGN_INS = N_("too many failed sign-ins; try again later")
TOO_MANY_RESETS = N_("too many password reset requests; try again later")
BUSY = N_("too many sign-ins at once; try again in a moment")


def limits_storage(settings: Settings) -> Storage:
    """Redis when configured (shared by the replicas), else this process's memory."""
    if settings.redis_url is None:
        return MemoryStorage()
    uri = settings.redis_url
    for scheme in ("redis://", "rediss://"):
        if uri.startswith(scheme):
            uri = "async+" + uri
    return RedisStorage(uri, wrap_exceptions=True, key_prefix="pilotflow")


class AttemptLimits:
    """What may be tried how often, per account and per client address."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.limiter = MovingWindowRateLimiter(storage or limits_storage(settings))
        window = settings.signin_window_minutes
        self.failures = RateLimitItemPerMinute(settings.signin_max_failures, window)
        self.resets = RateLimitItemPerMinute(settings.password_reset_max_requests, window)

    async def check_sign_in(self, email: str, address: str) -> None:
        """429 if this account or address failed too often lately; nothing is counted."""
        await self._check(self.failures, "signin", email, address, TOO_MANY_SIGN_INS)

    async def sign_in_failed(self, email: str, address: str) -> None:
        await self._hit(self.failures, "signin", email, address)

    async def reset_requested(self, email: str, address: str) -> None:
        """Count a reset request; 429 once this account or address asked too often."""
        await self._check(self.resets, "reset", email, address, TOO_MANY_RESETS)
        await self._hit(self.resets, "reset", email, address)

    async def _check(
        self, item: RateLimitItem, kind: str, email: str, address: str, detail: str
    ) -> None:
        for key in _keys(kind, email, address):
            try:
                if not await self.limiter.test(item, *key):
                    stats = await self.limiter.get_window_stats(item, *key)
                    retry_after = math.ceil(stats.reset_time - time.time())
                    raise TooManyRequests(detail, retry_after=retry_after)
            except StorageError as error:
                raise Unavailable(N_("the attempt counter cannot be reached")) from error

    async def _hit(self, item: RateLimitItem, kind: str, email: str, address: str) -> None:
        for key in _keys(kind, email, address):
            try:
                await self.limiter.hit(item, *key)
            except StorageError as error:
                raise Unavailable(N_("the attempt counter cannot be reached")) from error


def _keys(kind: str, email: str, address: str) -> list[tuple[str, str, str]]:
    return [(kind, "account", email.strip().lower()), (kind, "address", address)]


class HashingPool:
    """argon2 in threads, a few at once; a full queue refuses at once instead of waiting."""

    def __init__(self, settings: Settings) -> None:
        self.concurrency = settings.password_hashing_concurrency
        self.capacity = settings.password_hashing_concurrency + settings.password_hashing_queue
        self._slots: asyncio.Semaphore | None = None
        self._admitted = 0

    async def run(self, function: Callable[..., T], *args: object) -> T:
        if self._admitted >= self.capacity:
            raise TooManyRequests(BUSY, retry_after=1)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        self._admitted += 1
        try:
            async with self._slots:
                return await asyncio.to_thread(function, *args)
        finally:
            self._admitted -= 1
