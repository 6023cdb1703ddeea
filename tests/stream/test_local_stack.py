"""`emostream up` gives the durable store a Redis of its own, configured never to evict."""

from __future__ import annotations

import redis.asyncio as aioredis
from pydantic import SecretStr

from stream.local_stack import local_store
from stream.settings import Settings
from workers.config import StoreSettings
from workers.store import DURABLE_POLICY


async def test_up_starts_a_noeviction_aof_redis_for_the_store() -> None:
    async with local_store(Settings()) as url:
        assert url is not None
        async with aioredis.Redis.from_url(url, decode_responses=True) as r:
            assert (await r.config_get("maxmemory-policy"))["maxmemory-policy"] == DURABLE_POLICY
            assert (await r.config_get("appendonly"))["appendonly"] == "yes"


async def test_up_uses_a_configured_store_that_answers(redis_url: str) -> None:
    settings = Settings(store=StoreSettings(redis_url=SecretStr(redis_url)))
    async with local_store(settings) as url:
        assert url == redis_url
