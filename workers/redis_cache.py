"""The Redis cache: one MGET per batch to read, one pipelined round trip of SET EX to write."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self, cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from .errors import CacheError


class RedisCache:
    """A `Cache` over redis.asyncio; every Redis failure surfaces as `CacheError`."""

    def __init__(self, url: str, *, ttl_s: int, socket_timeout_s: float = 0.5, ssl_ca_certs: str | None = None) -> None:
        self.ttl_s = ttl_s
        kwargs: dict[str, Any] = {
            "socket_timeout": socket_timeout_s,
            "socket_connect_timeout": socket_timeout_s,
            "health_check_interval": 15,
        }
        if ssl_ca_certs:
            kwargs["ssl_ca_certs"] = ssl_ca_certs
        self._client: aioredis.Redis = aioredis.Redis.from_url(url, **kwargs)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._client.aclose()

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        try:
            # Bytes, not str: the client is built without decode_responses.
            return cast("list[bytes | None]", await self._client.mget(list(keys)))
        except (RedisError, OSError) as e:
            raise CacheError(f"redis MGET failed: {e}") from e

    async def set_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        if not items:
            return
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for k, v in items:
                    pipe.set(k, v, ex=self.ttl_s)
                await pipe.execute()
        except (RedisError, OSError) as e:
            raise CacheError(f"redis SET pipeline failed: {e}") from e

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError) as e:
            raise CacheError(f"redis PING failed: {e}") from e
