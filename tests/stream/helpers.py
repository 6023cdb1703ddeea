"""Test helpers: produce raw input, read topics back, and a scripted annotator for fault/latency tests."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.annotation import Annotation
from schemas.events import TextEvent
from schemas.text import normalise_text, text_sha256
from stream.kafka_config import common_kwargs
from stream.settings import Settings
from stream.topics import ensure_topics
from workers.errors import PermanentBackendError, RetryableBackendError


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


class ScriptedAnnotator:
    """Annotates with fixed scores; can fail the first `fail_calls` calls, fail texts containing
    `poison` permanently, sleep `delay_s` per call (a latency-bound backend), or `slow_s` more for a
    batch with a text containing `slow` (a long tail); `in_flight` holds the texts being annotated."""

    def __init__(
        self,
        *,
        fail_calls: int = 0,
        poison: str | None = None,
        poison_retryable: bool = False,
        delay_s: float = 0.0,
        slow: str | None = None,
        slow_s: float = 0.0,
    ) -> None:
        self.fail_calls = fail_calls
        self.poison = poison
        self.poison_retryable = poison_retryable
        self.delay_s = delay_s
        self.slow = slow
        self.slow_s = slow_s
        self.in_flight: set[str] = set()
        self.calls = 0
        self.failures = 0
        self.max_concurrent = 0
        self._running = 0

    async def annotate(self, events: Sequence[TextEvent]) -> list[Annotation]:
        self.calls += 1
        self._running += 1
        self.max_concurrent = max(self.max_concurrent, self._running)
        texts = {e.text for e in events}
        self.in_flight |= texts
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            if self.slow is not None and any(self.slow in t for t in texts):
                await asyncio.sleep(self.slow_s)
            if self.failures < self.fail_calls:
                self.failures += 1
                raise RetryableBackendError("scripted outage")
            if self.poison is not None and any(self.poison in e.text for e in events):
                if self.poison_retryable:
                    raise RetryableBackendError("scripted timeout on poison")
                raise PermanentBackendError("scripted poison")
            return [
                Annotation(
                    event_id=e.id,
                    text_sha256=text_sha256(normalise_text(e.text)),
                    model="scripted",
                    model_version="1",
                    latency_ms=1.0,
                    valence=0.5,
                )
                for e in events
            ]
        finally:
            self._running -= 1
            self.in_flight -= texts
