"""Feedback store: durable, idempotent storage in a real Redis, with bad records reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from schemas.feedback import Feedback
from schemas.tasks import TaskFamily
from trainer.feedback_store import FeedbackStoreError, RedisFeedbackStore

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


async def test_records_that_no_longer_validate_are_reported(redis_url: str) -> None:
    async with aioredis.Redis.from_url(redis_url) as r:
        await r.hset("emostream:feedback:items", "x1", '{"task": "v-oc"}')
    async with RedisFeedbackStore(redis_url) as store:
        await store.add(make("ann1", 1, 0))
        items, bad = await store.load()
    assert len(items) == 1 and [fid for fid, _ in bad] == ["x1"]


async def test_unreachable_redis_raises_a_typed_error() -> None:
    with pytest.raises(FeedbackStoreError):
        async with RedisFeedbackStore("redis://127.0.0.1:1/0", socket_timeout_s=0.5):
            pass
