"""The Redis cache against a real redis-server: batched reads and writes, TTLs, prefixes, and outages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from schemas.events import TextEvent
from tests.fakes import FakeBackend
from tests.fixtures.redis_server import RedisServer
from workers.cache import FailOpenCache
from workers.engine import AnnotationEngine
from workers.errors import CacheError
from workers.redis_cache import RedisCache


@pytest.fixture
def sync_redis(redis_url: str) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(redis_url) as r:
        yield r


def _mget_calls(r: redis.Redis) -> int:
    return int(r.info("commandstats").get("cmdstat_mget", {}).get("calls", 0))


async def test_set_many_then_get_many_round_trips_bytes_in_key_order(redis_url: str) -> None:
    async with RedisCache(redis_url, ttl_s=60) as c:
        await c.set_many([("k1", b"\x00one"), ("k2", b'{"valence":0.5}')])
        assert await c.get_many(["k2", "missing", "k1"]) == [b'{"valence":0.5}', None, b"\x00one"]
        assert await c.get_many([]) == []
        await c.set_many([])
        assert await c.ping()


async def test_every_written_key_gets_the_configured_ttl(redis_url: str, sync_redis: redis.Redis) -> None:
    async with RedisCache(redis_url, ttl_s=1234) as c:
        await c.set_many([(f"k{i}", b"v") for i in range(20)])
    ttls = [sync_redis.ttl(f"k{i}") for i in range(20)]
    assert all(1230 <= t <= 1234 for t in ttls), ttls


async def test_a_batch_is_read_with_one_mget(redis_url: str, sync_redis: redis.Redis) -> None:
    async with RedisCache(redis_url, ttl_s=60) as c:
        await c.set_many([(f"k{i}", b"v") for i in range(50)])
        before = _mget_calls(sync_redis)
        values = await c.get_many([f"k{i}" for i in range(60)])
        assert _mget_calls(sync_redis) == before + 1
    assert values == [b"v"] * 50 + [None] * 10


async def test_engine_writes_prefixed_keys_with_ttl_and_hits_them_next_time(
    redis_url: str, sync_redis: redis.Redis
) -> None:
    backend = FakeBackend(name="fake", version="7")
    engine = AnnotationEngine(backend, RedisCache(redis_url, ttl_s=600), cache_prefix="test:ann:")
    events = [TextEvent(id=f"e{i}", text=f"text number {i}") for i in range(5)]
    async with engine:
        first = await engine.annotate(events)
        second = await engine.annotate(events)
    keys = sorted(k.decode() if isinstance(k, bytes) else k for k in sync_redis.keys("*"))
    assert len(keys) == 5
    assert all(k.startswith("test:ann:fake:7:ei-reg+ei-oc+v-reg+v-oc+e-c:") for k in keys)
    assert {k.rsplit(":", 1)[1] for k in keys} == {a.text_sha256 for a in first}
    assert all(0 < sync_redis.ttl(k) <= 600 for k in keys)
    assert [a.cached for a in first] == [False] * 5
    assert [a.cached for a in second] == [True] * 5
    assert len(backend.texts_computed) == 5
    for a, b in zip(first, second, strict=True):
        assert a.model_dump(exclude={"cached", "latency_ms", "annotated_at"}) == b.model_dump(
            exclude={"cached", "latency_ms", "annotated_at"}
        )


async def test_a_dead_redis_raises_cache_error_and_the_client_reconnects(
    redis_url: str, redis_server: RedisServer
) -> None:
    async with RedisCache(redis_url, ttl_s=60, socket_timeout_s=0.5) as c:
        await c.set_many([("k", b"v")])
        redis_server.stop()
        try:
            with pytest.raises(CacheError, match="MGET"):
                await c.get_many(["k"])
            with pytest.raises(CacheError, match="SET"):
                await c.set_many([("k", b"w")])
            with pytest.raises(CacheError, match="PING"):
                await c.ping()
        finally:
            redis_server.start()
        # The server restarted empty (no persistence); the same client works again.
        assert await c.get_many(["k"]) == [None]
        await c.set_many([("k", b"w")])
        assert await c.get_many(["k"]) == [b"w"]


async def test_engine_keeps_annotating_while_redis_is_down_and_uses_it_again_after(
    redis_url: str, redis_server: RedisServer
) -> None:
    backend = FakeBackend()
    cache = FailOpenCache(RedisCache(redis_url, ttl_s=60, socket_timeout_s=0.5), retry_after_s=0.0)
    events = [TextEvent(id="a", text="first text"), TextEvent(id="b", text="second text")]
    async with AnnotationEngine(backend, cache) as engine:
        warm = await engine.annotate(events)
        assert [a.cached for a in warm] == [False, False]
        redis_server.stop()
        try:
            down1 = await engine.annotate(events)
            down2 = await engine.annotate(events)
        finally:
            redis_server.start()
        # Annotations kept flowing, computed by the backend since the cache could not serve them.
        assert [a.cached for a in down1 + down2] == [False] * 4
        assert [a.event_id for a in down1] == ["a", "b"]
        assert down1[0].valence == warm[0].valence
        assert len(backend.texts_computed) == 6
        # Redis is back (empty): the engine fills it again and then serves hits from it.
        refill = await engine.annotate(events)
        again = await engine.annotate(events)
        assert [a.cached for a in refill] == [False, False]
        assert [a.cached for a in again] == [True, True]
        assert len(backend.texts_computed) == 8
        assert cache.available
