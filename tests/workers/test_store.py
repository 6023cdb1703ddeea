"""The durable store: kept apart from the evicting cache, reached with timeouts, its eviction policy checked.

The durability test runs two real redis-servers configured as k8s/base configures them: the cache with
`allkeys-lru` and a small `maxmemory`, the store with `noeviction` and AOF. The cache is pushed far past
its memory; every feedback record and registry entry on the store survives (and survives a restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr
from redis.exceptions import TimeoutError as RedisTimeoutError

from schemas.feedback import Feedback
from schemas.registry import ModelVersion
from schemas.tasks import TaskFamily
from tests.fixtures.redis_server import RedisFactory
from workers.config import CacheSettings, StoreSettings
from workers.feedback_store import RedisFeedbackStore
from workers.redis_cache import RedisCache
from workers.registry import RedisRegistry, open_registry, read_champion
from workers.store import DURABLE_POLICY, check_durable, eviction_problem, resolve_store, store_client

CACHE_CONFIG = ["--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru"]
STORE_CONFIG = ["--maxmemory-policy", "noeviction", "--appendonly", "yes", "--appendfsync", "always"]
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _feedback(i: int) -> Feedback:
    return Feedback(
        text=f"text {i}",
        task=TaskFamily.V_OC,
        label=i % 7 - 3,
        annotator=f"ann{i % 5}",
        created_at=T0 + timedelta(seconds=i),
    )


async def _info(url: str, section: str) -> dict[str, object]:
    async with aioredis.Redis.from_url(url, decode_responses=True) as r:
        return dict(await r.info(section))


async def _fill_cache(url: str, total_bytes: int) -> None:
    """Write annotations through the real cache client until `total_bytes` went in."""
    value = b"v" * 2048
    async with RedisCache(url, ttl_s=7 * 24 * 3600, socket_timeout_s=5.0) as cache:
        for batch in range(total_bytes // (len(value) * 200) + 1):
            await cache.set_many([(f"emostream:ann:{batch}:{i}", value) for i in range(200)])


async def _write_durable_state(url: str, models_dir: Path) -> tuple[list[Feedback], list[ModelVersion]]:
    feedback = [_feedback(i) for i in range(300)]
    versions = [ModelVersion(version=f"v{i}", location=f"/models/v{i}") for i in range(1, 6)]
    async with RedisFeedbackStore(url) as store:
        assert await store.add_many(feedback) == len(feedback)
    async with open_registry(url, models_dir) as registry:
        for v in versions:
            await registry.register(v)
            await registry.promote(v.version, reason="better")
    return feedback, versions


async def _assert_durable_state(url: str, feedback: list[Feedback], versions: list[ModelVersion]) -> None:
    async with RedisFeedbackStore(url) as store:
        loaded, bad = await store.load()
    assert loaded == feedback and bad == []
    async with aioredis.Redis.from_url(url, decode_responses=True) as r:
        registry = RedisRegistry(r, Path("unused"))
        state = await registry.state()
        assert list(state.versions) == [v.version for v in versions]
        assert state.champion == "v5" and state.lineage == [v.version for v in versions]
        assert [m.version for m in state.history] == [v.version for v in versions]


async def test_feedback_and_registry_survive_the_cache_going_far_past_maxmemory(
    redis_server_factory: RedisFactory, tmp_path: Path
) -> None:
    cache = redis_server_factory(CACHE_CONFIG)
    store = redis_server_factory(STORE_CONFIG)
    feedback, versions = await _write_durable_state(store.url, tmp_path / "models")

    await _fill_cache(cache.url, 10 * 4 * 2**20)  # ten times the cache's maxmemory

    stats, memory = await _info(cache.url, "stats"), await _info(cache.url, "memory")
    assert int(str(stats["evicted_keys"])) > 1000, "the cache did not evict: the test proves nothing"
    assert int(str(memory["used_memory"])) <= int(str(memory["maxmemory"])) * 1.1
    assert int(str((await _info(store.url, "stats"))["evicted_keys"])) == 0
    await _assert_durable_state(store.url, feedback, versions)

    # AOF: a restart of the store (a rescheduled pod) loses nothing either
    store.stop()
    store.start()
    await _assert_durable_state(store.url, feedback, versions)


async def test_durable_state_on_the_cache_redis_is_evicted(redis_server_factory: RedisFactory, tmp_path: Path) -> None:
    """Why the store is separate: the same state on the cache's Redis loses records once the cache fills."""
    cache = redis_server_factory(CACHE_CONFIG)
    feedback, _versions = await _write_durable_state(cache.url, tmp_path / "models")
    await _fill_cache(cache.url, 10 * 4 * 2**20)
    async with RedisFeedbackStore(cache.url) as store:
        loaded, bad = await store.load()
    assert len(loaded) < len(feedback) or bad, "allkeys-lru kept every record: the eviction test above is void"


@pytest.mark.parametrize(
    ("store", "cache", "expected"),
    [
        (StoreSettings(), CacheSettings(), None),
        (StoreSettings(), CacheSettings(redis_url=SecretStr("redis://cache:6379/0")), "redis://cache:6379/0"),
        (
            StoreSettings(redis_url=SecretStr("redis://store:6379/0")),
            CacheSettings(redis_url=SecretStr("redis://cache:6379/0")),
            "redis://store:6379/0",
        ),
        (StoreSettings(redis_url=SecretStr("rediss://store:6380/0")), CacheSettings(), "rediss://store:6380/0"),
    ],
)
def test_resolve_store_prefers_the_store_and_falls_back_to_the_cache(
    store: StoreSettings, cache: CacheSettings, expected: str | None
) -> None:
    got = resolve_store(store, cache)
    assert (got.redis_url.get_secret_value() if got and got.redis_url else None) == expected


def test_the_fallback_takes_the_cache_ca_but_keeps_the_store_timeouts() -> None:
    cache = CacheSettings(redis_url=SecretStr("rediss://cache:6380/0"), ssl_ca_certs=Path("/ca.crt"))
    got = resolve_store(StoreSettings(socket_timeout_s=2.0), cache)
    assert got is not None and got.ssl_ca_certs == Path("/ca.crt") and got.socket_timeout_s == 2.0


@pytest.mark.parametrize(
    ("policy", "fit"),
    [(DURABLE_POLICY, True), (None, True), ("allkeys-lru", False), ("volatile-lru", False), ("allkeys-lfu", False)],
)
def test_eviction_problem_accepts_only_noeviction(policy: str | None, fit: bool) -> None:
    assert (eviction_problem(policy) is None) == fit


async def test_check_durable_warns_about_an_evicting_redis(
    redis_server_factory: RedisFactory, caplog: pytest.LogCaptureFixture
) -> None:
    cache, store = redis_server_factory(CACHE_CONFIG), redis_server_factory(STORE_CONFIG)
    with caplog.at_level(logging.WARNING, logger="workers.store"):
        async with store_client(StoreSettings(redis_url=SecretStr(store.url))) as r:
            assert await check_durable(r) is None
        assert not caplog.records
        async with store_client(StoreSettings(redis_url=SecretStr(cache.url)), decode_responses=True) as r:
            assert "allkeys-lru" in (await check_durable(r) or "")
        assert "may lose data" in caplog.text


@contextlib.asynccontextmanager
async def _silent_server() -> AsyncIterator[int]:
    """A TCP server that accepts connections and never answers: a hung Redis."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for w in held:
            w.close()
        server.close()
        await server.wait_closed()


async def test_the_registry_client_times_out_on_a_hung_redis() -> None:
    """A worker reading the champion from a Redis that never answers fails fast instead of hanging."""
    async with _silent_server() as port:
        settings = StoreSettings(
            redis_url=SecretStr(f"redis://127.0.0.1:{port}/0"), socket_timeout_s=0.3, socket_connect_timeout_s=0.3
        )
        async with store_client(settings) as client:
            # the outer bound only turns a regression (no socket timeout) into a failure instead of a hang
            with pytest.raises(RedisTimeoutError):
                await asyncio.wait_for(read_champion(client), timeout=30)
