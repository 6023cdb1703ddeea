"""Annotation caches: the `Cache` protocol, the key scheme, an in-process LRU, and fail-open wrapping.

A cache key names everything that determines an annotation: model name,
model version, task set and the hash of the normalised text. A promoted model
therefore never serves a stale annotation: its version is in every key.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from schemas.tasks import TaskFamily, task_set_key

from . import metrics
from .errors import CacheError

log = logging.getLogger(__name__)


def cache_key(prefix: str, model_name: str, model_version: str, tasks: frozenset[TaskFamily], sha256: str) -> str:
    """`{prefix}{model}:{version}:{tasks}:{sha256}` — pure, stable across processes and languages."""
    return f"{prefix}{model_name}:{model_version}:{task_set_key(tasks)}:{sha256}"


@runtime_checkable
class Cache(Protocol):
    """A byte-valued cache with batched operations; raises `CacheError` when its store fails."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]: ...

    async def set_many(self, items: Sequence[tuple[str, bytes]]) -> None: ...

    async def ping(self) -> bool: ...


class NullCache:
    """Caches nothing (`EMOSTREAM_CACHE__KIND=none`)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [None] * len(keys)

    async def set_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        return None

    async def ping(self) -> bool:
        return True


class MemoryCache:
    """In-process LRU with a TTL: the embedded default when no Redis is configured."""

    def __init__(
        self, max_entries: int = 100_000, ttl_s: float = 7 * 24 * 3600, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._clock = clock
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def __len__(self) -> int:
        return len(self._data)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        now = self._clock()
        out: list[bytes | None] = []
        for k in keys:
            item = self._data.get(k)
            if item is None or item[0] < now:
                if item is not None:
                    del self._data[k]
                out.append(None)
            else:
                self._data.move_to_end(k)
                out.append(item[1])
        return out

    async def set_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        expires = self._clock() + self.ttl_s
        for k, v in items:
            self._data[k] = (expires, v)
            self._data.move_to_end(k)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    async def ping(self) -> bool:
        return True


class FailOpenCache:
    """Wraps a cache so that its failures never fail an annotation.

    On a `CacheError` it logs once, counts, and treats the cache as absent for
    `retry_after_s`; the next call after that probes the store again, so service
    recovers by itself when Redis returns.
    """

    def __init__(self, inner: Cache, retry_after_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.inner = inner
        self.retry_after_s = retry_after_s
        self._clock = clock
        self._down_until: float | None = None

    async def __aenter__(self) -> Self:
        await self.inner.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.inner.__aexit__(exc_type, exc, tb)

    @property
    def available(self) -> bool:
        return self._down_until is None or self._clock() >= self._down_until

    def _failed(self, op: str, e: CacheError) -> None:
        metrics.CACHE_ERRORS.labels(op=op).inc()
        if self._down_until is None:
            log.warning("cache unavailable, bypassing it", extra={"op": op, "error": str(e)})
        self._down_until = self._clock() + self.retry_after_s

    def _recovered(self) -> None:
        if self._down_until is not None:
            log.info("cache available again")
            self._down_until = None

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys or not self.available:
            return [None] * len(keys)
        try:
            values = await self.inner.get_many(keys)
        except CacheError as e:
            self._failed("get", e)
            return [None] * len(keys)
        self._recovered()
        return values

    async def set_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        if not items or not self.available:
            return
        try:
            await self.inner.set_many(items)
        except CacheError as e:
            self._failed("set", e)
            return
        self._recovered()

    async def ping(self) -> bool:
        try:
            return await self.inner.ping()
        except CacheError:
            return False
