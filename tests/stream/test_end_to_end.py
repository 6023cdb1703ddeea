"""End to end with the real engine: `local` backend, real Redis cache, real broker."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from typing import Any

import pytest

from stream.worker import (
    GC_YOUNG_THRESHOLD,
    GIL_SWITCH_INTERVAL_S,
    StreamWorker,
    raise_gc_threshold,
    shorten_gil_switch_interval,
)
from tests.fixtures.broker import SettingsFactory
from tests.fixtures.redis_server import RedisServer
from tests.stream.helpers import event_bytes, produce, read_topic

TEXTS = [
    "I love this so much!",
    "This is terrible, I am furious.",
    "I'm scared of tomorrow.",
    "What a calm day.",
]


def by_id(values: list[bytes]) -> dict[str, dict[str, Any]]:
    return {json.loads(v)["event"]["id"]: json.loads(v) for v in values}


async def test_every_event_is_annotated_by_the_local_model_and_repeats_come_from_redis(
    stream_settings: SettingsFactory, redis_url: str
) -> None:
    s = stream_settings(exit_when_idle_s=1.0, cache_url=redis_url)
    n = 40
    first = [event_bytes(i, TEXTS[i % len(TEXTS)] + f" #{i}") for i in range(n)]
    async with StreamWorker(s) as w:
        await produce(s, first)
        await asyncio.wait_for(w.run(), 120)
    outs = by_id(await read_topic(s, s.topics.annotations_topic, until=n))
    assert set(outs) == {f"ev-{i}" for i in range(n)}
    for i in range(n):
        o = outs[f"ev-{i}"]
        assert o["event"]["text"] == TEXTS[i % len(TEXTS)] + f" #{i}"
        assert o["annotation"]["event_id"] == f"ev-{i}"
        assert 0.0 <= o["annotation"]["valence"] <= 1.0
        assert o["provenance"]["model_version"] == o["annotation"]["model_version"]
        assert o["provenance"]["input_topic"] == s.topics.texts_topic
        assert o["provenance"]["cached"] is False

    # The same texts again under new ids: now served from Redis.
    again = [event_bytes(1000 + i, TEXTS[i % len(TEXTS)] + f" #{i}") for i in range(n)]
    async with StreamWorker(s) as w2:
        await produce(s, again)
        await asyncio.wait_for(w2.run(), 120)
    outs = by_id(await read_topic(s, s.topics.annotations_topic, until=2 * n))
    repeats = [outs[f"ev-{1000 + i}"] for i in range(n)]
    assert all(o["provenance"]["cached"] for o in repeats)
    assert [o["annotation"]["valence"] for o in repeats] == [outs[f"ev-{i}"]["annotation"]["valence"] for i in range(n)]


async def test_redis_stopped_mid_stream_and_restarted_loses_nothing_and_hits_resume(
    stream_settings: SettingsFactory, redis_server: RedisServer, redis_url: str
) -> None:
    s = stream_settings(exit_when_idle_s=1.5, cache_url=redis_url)
    s.cache.retry_after_s = 0.2
    s.engine.max_batch_size = 8

    async def phase(w: StreamWorker, ids: range, text: str) -> None:
        target = w.processed + len(ids)
        await produce(s, [event_bytes(i, f"{text} {i % 10}") for i in ids])
        async with asyncio.timeout(60):
            while w.processed < target:
                await asyncio.sleep(0.05)

    async with StreamWorker(s) as w:
        task = asyncio.create_task(w.run())
        await phase(w, range(0, 20), "before")
        redis_server.stop()
        await phase(w, range(20, 40), "during")
        redis_server.start()
        await asyncio.sleep(0.5)  # past the cache's back-off
        await phase(w, range(40, 50), "after")
        await phase(w, range(50, 60), "after")  # the same ten texts again
        await asyncio.wait_for(task, 60)
    outs = by_id(await read_topic(s, s.topics.annotations_topic, until=60))
    assert set(outs) == {f"ev-{i}" for i in range(60)}
    assert all(outs[f"ev-{i}"]["provenance"]["cached"] for i in range(50, 60))


async def test_a_started_worker_collects_young_garbage_less_often_and_keeps_a_higher_setting(
    stream_settings: SettingsFactory,
) -> None:
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, saved[1], saved[2])
        async with StreamWorker(stream_settings(exit_when_idle_s=0.5)):
            assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, saved[1], saved[2])
        gc.set_threshold(50_000, saved[1], saved[2])
        raise_gc_threshold()
        assert gc.get_threshold()[0] == 50_000
    finally:
        gc.set_threshold(*saved)


async def test_a_started_worker_hands_the_gil_over_sooner_and_keeps_a_shorter_setting(
    stream_settings: SettingsFactory,
) -> None:
    saved = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)
        async with StreamWorker(stream_settings(exit_when_idle_s=0.5)):
            assert sys.getswitchinterval() == pytest.approx(GIL_SWITCH_INTERVAL_S)
        sys.setswitchinterval(0.0002)
        shorten_gil_switch_interval()
        assert sys.getswitchinterval() == pytest.approx(0.0002)
    finally:
        sys.setswitchinterval(saved)
