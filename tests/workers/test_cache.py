"""Cache keys, the in-process LRU (eviction, TTL), fail-open wrapping and cache selection."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydantic import SecretStr

from schemas.tasks import ALL_TASKS, TaskFamily
from schemas.text import text_sha256
from tests.fakes import assert_conforms
from workers import metrics
from workers.cache import Cache, FailOpenCache, MemoryCache, NullCache, cache_key
from workers.config import CacheSettings
from workers.errors import CacheError
from workers.factory import build_cache
from workers.redis_cache import RedisCache

T = TaskFamily
SHA = text_sha256("hello there")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FlakyCache(MemoryCache):
    """A memory cache whose store can be switched off, raising `CacheError` like a dead Redis."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.gets = 0
        self.sets = 0

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        self.gets += 1
        if self.down:
            raise CacheError("connection refused")
        return await super().get_many(keys)

    async def set_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        self.sets += 1
        if self.down:
            raise CacheError("connection refused")
        await super().set_many(items)

    async def ping(self) -> bool:
        if self.down:
            raise CacheError("connection refused")
        return True


# ---- keys -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "model", "version", "tasks", "sha", "key"),
    [
        ("p:", "m", "1", frozenset({T.V_REG}), SHA, f"p:m:1:v-reg:{SHA}"),
        (
            "emostream:ann:", "local", "1.0.0+ab", ALL_TASKS, SHA,
            f"emostream:ann:local:1.0.0+ab:ei-reg+ei-oc+v-reg+v-oc+e-c:{SHA}",
        ),
        ("", "m", "2", frozenset({T.E_C, T.EI_REG}), "0" * 64, "m:2:ei-reg+e-c:" + "0" * 64),
    ],
)
def test_cache_key_table(
    prefix: str, model: str, version: str, tasks: frozenset[TaskFamily], sha: str, key: str
) -> None:
    assert cache_key(prefix, model, version, tasks, sha) == key


BASE_KEY = ("p:", "m", "1", frozenset({T.V_REG, T.E_C}), SHA)


@pytest.mark.parametrize(
    "other",
    [
        ("q:", "m", "1", frozenset({T.V_REG, T.E_C}), SHA),  # prefix
        ("p:", "n", "1", frozenset({T.V_REG, T.E_C}), SHA),  # model name
        ("p:", "m", "2", frozenset({T.V_REG, T.E_C}), SHA),  # model version: a promotion never hits old entries
        ("p:", "m", "1", frozenset({T.V_REG}), SHA),  # task set
        ("p:", "m", "1", frozenset({T.V_REG, T.E_C}), text_sha256("hello there!")),  # text
    ],
)
def test_every_key_component_changes_the_key(other: tuple[str, str, str, frozenset[TaskFamily], str]) -> None:
    assert cache_key(*other) != cache_key(*BASE_KEY)


def test_cache_key_ignores_task_order() -> None:
    a = cache_key("p:", "m", "1", frozenset([T.E_C, T.EI_OC, T.V_REG]), SHA)
    b = cache_key("p:", "m", "1", frozenset([T.V_REG, T.E_C, T.EI_OC]), SHA)
    assert a == b


# ---- MemoryCache ------------------------------------------------------------------------------------


async def test_memory_cache_returns_values_in_key_order_with_misses_as_none() -> None:
    async with MemoryCache() as c:
        await c.set_many([("a", b"1"), ("b", b"2")])
        assert await c.get_many(["b", "x", "a"]) == [b"2", None, b"1"]
        assert await c.get_many([]) == []


async def test_memory_cache_evicts_the_least_recently_used_entry() -> None:
    c = MemoryCache(max_entries=3)
    await c.set_many([("a", b"1"), ("b", b"2"), ("c", b"3")])
    assert await c.get_many(["a"]) == [b"1"]  # a is now the most recently used
    await c.set_many([("d", b"4")])
    assert len(c) == 3
    assert await c.get_many(["a", "b", "c", "d"]) == [b"1", None, b"3", b"4"]
    await c.set_many([("c", b"33")])  # overwriting refreshes recency too
    await c.set_many([("e", b"5")])
    assert await c.get_many(["a", "c", "d", "e"]) == [None, b"33", b"4", b"5"]


async def test_memory_cache_set_larger_than_capacity_keeps_the_newest() -> None:
    c = MemoryCache(max_entries=2)
    await c.set_many([(k, k.encode()) for k in "abcde"])
    assert len(c) == 2
    assert await c.get_many(["c", "d", "e"]) == [None, b"d", b"e"]


async def test_memory_cache_entries_expire_after_their_ttl() -> None:
    clock = Clock()
    c = MemoryCache(ttl_s=10, clock=clock)
    await c.set_many([("a", b"1")])
    clock.now += 5
    await c.set_many([("b", b"2")])
    clock.now += 5  # a is exactly at its expiry: still served
    assert await c.get_many(["a", "b"]) == [b"1", b"2"]
    clock.now += 0.5
    assert await c.get_many(["a", "b"]) == [None, b"2"]
    assert len(c) == 1  # expired entries are dropped, not kept around
    clock.now += 5
    assert await c.get_many(["b"]) == [None]


async def test_null_cache_stores_nothing() -> None:
    async with NullCache() as c:
        await c.set_many([("a", b"1")])
        assert await c.get_many(["a", "b"]) == [None, None]
        assert await c.ping()


def test_caches_satisfy_the_protocol() -> None:
    for c in (NullCache(), MemoryCache(), FailOpenCache(MemoryCache()), RedisCache("redis://127.0.0.1:1/0", ttl_s=1)):
        assert isinstance(c, Cache)
        assert_conforms(c, Cache)


# ---- FailOpenCache ----------------------------------------------------------------------------------


async def test_fail_open_cache_turns_store_failures_into_misses_and_bypasses_for_a_while() -> None:
    clock = Clock()
    inner = FlakyCache()
    c = FailOpenCache(inner, retry_after_s=2.0, clock=clock)
    errors_before = metrics.CACHE_ERRORS.labels(op="get")._value.get()
    async with c:
        await c.set_many([("a", b"1")])
        assert await c.get_many(["a"]) == [b"1"]
        inner.down = True
        assert await c.get_many(["a", "b"]) == [None, None]
        assert not c.available
        assert metrics.CACHE_ERRORS.labels(op="get")._value.get() == errors_before + 1
        gets = inner.gets
        # While bypassed, the store is not touched at all.
        assert await c.get_many(["a"]) == [None]
        await c.set_many([("b", b"2")])
        assert inner.gets == gets
        assert not await c.ping()
        # After retry_after_s a call probes the store again; it is still down, so the bypass restarts.
        clock.now += 2.0
        assert c.available
        assert await c.get_many(["a"]) == [None]
        assert inner.gets == gets + 1 and not c.available
        # The store returns: the next probe recovers for good.
        inner.down = False
        clock.now += 2.0
        assert await c.get_many(["a"]) == [b"1"]
        assert c.available
        await c.set_many([("b", b"2")])
        assert await c.get_many(["b"]) == [b"2"]
        assert await c.ping()


async def test_fail_open_cache_set_failure_also_starts_the_bypass() -> None:
    clock = Clock()
    inner = FlakyCache()
    c = FailOpenCache(inner, retry_after_s=1.0, clock=clock)
    inner.down = True
    await c.set_many([("a", b"1")])  # no exception
    assert not c.available
    inner.down = False
    assert await c.get_many(["a"]) == [None]  # bypassed: store not read
    clock.now += 1.0
    assert await c.get_many(["a"]) == [None]  # read, and the set had really failed
    assert c.available


async def test_fail_open_cache_skips_the_store_for_empty_requests() -> None:
    inner = FlakyCache()
    c = FailOpenCache(inner)
    assert await c.get_many([]) == []
    await c.set_many([])
    assert inner.gets == inner.sets == 0


# ---- selection --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (CacheSettings(), MemoryCache),
        (CacheSettings(kind="memory", redis_url=SecretStr("redis://h:1/0")), MemoryCache),
        (CacheSettings(kind="none"), NullCache),
        (CacheSettings(redis_url=SecretStr("redis://127.0.0.1:1/0")), FailOpenCache),
        (CacheSettings(kind="redis", redis_url=SecretStr("redis://127.0.0.1:1/0")), FailOpenCache),
    ],
)
def test_build_cache_picks_the_configured_cache(settings: CacheSettings, expected: type) -> None:
    cache = build_cache(settings)
    assert type(cache) is expected
    if isinstance(cache, FailOpenCache):
        assert isinstance(cache.inner, RedisCache)
        assert cache.inner.ttl_s == settings.ttl_s


def test_build_cache_memory_uses_the_configured_size_and_ttl() -> None:
    cache = build_cache(CacheSettings(kind="memory", memory_max_entries=7, ttl_s=9))
    assert isinstance(cache, MemoryCache)
    assert (cache.max_entries, cache.ttl_s) == (7, 9)


def test_build_cache_redis_without_url_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="REDIS_URL"):
        build_cache(CacheSettings(kind="redis"))
