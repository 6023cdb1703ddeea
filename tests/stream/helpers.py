"""Test helpers: produce raw input, read topics back, and a scripted annotator for fault/latency tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from contextlib import aclosing

from aiokafka import TopicPartition

from stream.kafka import consumer, produce_and_wait, producer, read_from_start
from stream.settings import Settings
from stream.topics import ensure_topics


def event_bytes(i: int, text: str | None = None) -> bytes:
    return json.dumps({"id": f"ev-{i}", "text": text or f"text number {i}"}).encode()


#: The test side's record limit: above any worker's, so oversize inputs reach the topic.
TEST_MAX_REQUEST_BYTES = 8 * 1_048_576


async def produce(
    settings: Settings,
    values: Sequence[bytes],
    topic: str | None = None,
    *,
    keys: Sequence[bytes] | None = None,
) -> dict[TopicPartition, int]:
    """Send `values` (keyed by `keys`) to the input topic (or `topic`) and wait for every acknowledgement;
    returns each partition's end offset.

    The topic is created first with the settings' partition count: Tansu 0.6.0 creates a topic a
    producer's metadata request names, with its own default of 4 partitions, not ours.
    """
    target = topic or settings.topics.texts_topic
    await ensure_topics(settings.kafka, [target], partitions=settings.topics.partitions)
    records = zip(keys if keys is not None else [None] * len(values), values, strict=True)
    async with producer(settings.kafka, max_request_size=TEST_MAX_REQUEST_BYTES) as p:
        metas = await produce_and_wait(p, target, records)
    ends: dict[TopicPartition, int] = {}
    for m in metas:
        tp = TopicPartition(m.topic, m.partition)
        ends[tp] = max(ends.get(tp, 0), m.offset + 1)
    return ends


async def read_topic(settings: Settings, topic: str, *, until: int, timeout_s: float = 60.0) -> list[bytes]:
    """Every value on `topic` from the beginning, once at least `until` were read or the timeout hit."""
    out: list[bytes] = []
    records = read_from_start(settings.kafka, topic, idle_s=None, timeout_s=timeout_s)
    async with aclosing(records):
        async for batch in records:
            out.extend(m.value for m in batch if m.value is not None)
            if len(out) >= until:
                break
    if not out:  # perhaps not created yet (the worker creates topics when it starts): callers poll
        await asyncio.sleep(min(timeout_s, 0.2))
    return out


async def committed(
    settings: Settings, tps: Sequence[TopicPartition], *, group_id: str | None = None
) -> dict[TopicPartition, int | None]:
    """The committed offset of each of `tps` in `group_id` (default: the settings' group), read without joining."""
    async with consumer(settings.kafka, group_id=group_id or settings.kafka.group_id) as c:
        return {tp: await c.committed(tp) for tp in tps}


def output_ids(values: Sequence[bytes]) -> list[str]:
    return [json.loads(v)["event"]["id"] for v in values]


