"""Feedback store: durable, idempotent storage in a real Redis, one key per record, bad records reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from schemas.feedback import Feedback
from schemas.tasks import TaskFamily
from tests.fixtures.redis_server import RedisFactory
from workers.config import StoreSettings
from workers.feedback_store import PAGE, FeedbackStoreError, RedisFeedbackStore, feedback_id

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def make(annotator: str, label: int, minutes: int) -> Feedback:
    return Feedback(
        text="rain again",
        task=TaskFamily.V_OC,
        label=label,
        annotator=annotator,
        created_at=T0 + timedelta(minutes=minutes),
    )


async def test_feedback_survives_reconnection_and_redelivery_is_stored_once(redis_url: str) -> None:
    a, b = make("ann1", -1, 5), make("ann2", -2, 1)
    async with RedisFeedbackStore(redis_url) as store:
        assert await store.add(a) is True
        assert await store.add(a) is False  # redelivered message
        assert await store.add_many([a, b]) == 1
    async with RedisFeedbackStore(redis_url) as store:
        assert await store.count() == 2
        items, bad = await store.load()
    assert items == [b, a] and bad == []  # oldest first


async def test_each_record_is_its_own_key_beside_an_index(redis_url: str) -> None:
    a, b = make("ann1", -1, 5), make("ann2", -2, 1)
    async with RedisFeedbackStore(redis_url) as store:
        await store.add_many([a, b])
    async with aioredis.Redis.from_url(redis_url, decode_responses=True) as r:
        keys = sorted(await r.keys("emostream:feedback:*"))
        assert keys == sorted(
            ["emostream:feedback:index"] + [f"emostream:feedback:item:{feedback_id(fb)}" for fb in (a, b)]
        )
        assert await r.type("emostream:feedback:index") == "zset"
        assert Feedback.model_validate_json(await r.get(f"emostream:feedback:item:{feedback_id(a)}") or "") == a


async def test_load_reads_every_page_in_order(redis_url: str) -> None:
    items = [make(f"ann{i}", i % 7 - 3, i) for i in range(2 * PAGE + 17)]
    async with RedisFeedbackStore(redis_url) as store:
        assert await store.add_many(reversed(items)) == len(items)
        loaded, bad = await store.load()
    assert loaded == items and bad == []


async def test_records_that_no_longer_validate_or_are_gone_are_reported(redis_url: str) -> None:
    async with RedisFeedbackStore(redis_url) as store:
        await store.add(make("ann1", 1, 0))
        async with aioredis.Redis.from_url(redis_url) as r:
            await r.set("emostream:feedback:item:x1", '{"task": "v-oc"}')
            await r.zadd("emostream:feedback:index", {"x1": 1.0, "x2": 2.0})  # x2 indexed, never stored
        items, bad = await store.load()
    assert len(items) == 1 and [fid for fid, _ in bad] == ["x1", "x2"]


async def test_feedback_in_the_old_single_hash_moves_to_per_record_keys(redis_url: str) -> None:
    a, b = make("ann1", -1, 5), make("ann2", -2, 1)
    async with aioredis.Redis.from_url(redis_url) as r:
        await r.hset(
            "emostream:feedback:items",
            mapping={feedback_id(a): a.model_dump_json(), feedback_id(b): b.model_dump_json(), "bad": "{}"},
        )
    async with RedisFeedbackStore(redis_url) as store:
        await store.add(a)  # already moved once, e.g. before a crash that left the hash behind
        assert await store.migrate_legacy() == 1
        assert await store.migrate_legacy() == 0
        items, bad = await store.load()
    assert items == [b, a] and bad == []
    async with aioredis.Redis.from_url(redis_url, decode_responses=True) as r:
        assert await r.hkeys("emostream:feedback:items") == ["bad"]  # kept for an operator to look at


async def test_unreachable_redis_raises_a_typed_error() -> None:
    store = StoreSettings.model_validate(
        {"redis_url": "redis://127.0.0.1:1/0", "socket_timeout_s": 0.5, "socket_connect_timeout_s": 0.5}
    )
    with pytest.raises(FeedbackStoreError):
        async with RedisFeedbackStore(store):
            pass


async def test_a_full_noeviction_store_refuses_the_batch_with_a_typed_error(
    redis_server_factory: RedisFactory,
) -> None:
    """A store out of memory refuses writes (the consumer then retries and commits nothing) and keeps its data."""
    server = redis_server_factory(["--maxmemory-policy", "noeviction"])
    first = make("ann0", 0, 0)
    async with RedisFeedbackStore(server.url) as store:
        assert await store.add(first)
        async with aioredis.Redis.from_url(server.url) as r:
            await r.config_set("maxmemory", 1)  # already past it: every write is refused from now on
            with pytest.raises(FeedbackStoreError, match="used memory > 'maxmemory'"):
                await store.add_many(make(f"ann{i}", 1, i) for i in range(1, 50))
            await r.config_set("maxmemory", 0)
        items, _bad = await store.load()
        assert items == [first]  # the refused batch left nothing half-written
        assert await store.add(make("ann1", 1, 1))  # and writes succeed again once there is room
