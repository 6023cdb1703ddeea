"""Test helpers: produce raw input, read topics back, and a scripted annotator for fault/latency tests."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from stream.kafka_config import common_kwargs
from stream.settings import Settings
from stream.topics import ensure_topics


def event_bytes(i: int, text: str | None = None) -> bytes:
    return json.dumps({"id": f"ev-{i}", "text": text or f"text number {i}"}).encode()


async def produce(settings: Settings, values: Sequence[bytes], topic: str | None = None) -> None:
    """Send `values` to the input topic (or `topic`) and wait for every acknowledgement.

    The topic is created first with the settings' partition count: Tansu 0.6.0 creates a topic a
    producer's metadata request names, with its own default of 4 partitions, not ours.
    """
    target = topic or settings.topics.texts_topic
    await ensure_topics(settings.kafka, [target], partitions=settings.topics.partitions)
    p = AIOKafkaProducer(**common_kwargs(settings.kafka), acks="all")
    await p.start()
    try:
        futs = [await p.send(target, v) for v in values]
        await asyncio.gather(*futs)
    finally:
        await p.stop()


async def read_topic(settings: Settings, topic: str, *, until: int, timeout_s: float = 60.0) -> list[bytes]:
    """Every value on `topic` from the beginning, once at least `until` were read or the timeout hit."""
    c = AIOKafkaConsumer(**common_kwargs(settings.kafka), enable_auto_commit=False)
    await c.start()
    try:
        parts = c.partitions_for_topic(topic) or set()
        if not parts:
            await c.topics()
            parts = c.partitions_for_topic(topic) or set()
        if not parts:  # not created yet (the worker creates topics when it starts)
            await asyncio.sleep(min(timeout_s, 0.2))
            return []
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        c.assign(tps)
        await c.seek_to_beginning(*tps)
        out: list[bytes] = []
        deadline = time.monotonic() + timeout_s
        while len(out) < until and time.monotonic() < deadline:
            got = await c.getmany(timeout_ms=200)
            for msgs in got.values():
                out.extend(m.value for m in msgs if m.value is not None)
        return out
    finally:
        await c.stop()


def output_ids(values: Sequence[bytes]) -> list[str]:
    return [json.loads(v)["event"]["id"] for v in values]


