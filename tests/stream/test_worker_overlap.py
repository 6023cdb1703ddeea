"""A batch's acks overlap the next batch's annotation, the next batch's preparation overlaps this one's
model call, and commits still wait for the acks.

Real broker, real engine, real producer: the acks are slowed at the wire by a proxy in front of the
broker that holds its answers to Produce requests (`stream/chaos/ack_proxy.py`). The backend is
`FakeBackend`, whose calls the test can count (and hold).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from schemas.annotation import AffectScores
from schemas.tasks import TaskFamily
from stream.broker import TansuBroker, free_port
from stream.chaos.ack_proxy import AckGate, ack_proxy
from stream.settings import KafkaSettings, Settings
from stream.worker import StreamWorker
from tests.fakes import FakeBackend
from tests.fixtures.broker import SettingsFactory
from tests.stream.helpers import committed, event_bytes, output_ids, produce, read_topic
from workers.cache import MemoryCache
from workers.engine import AnnotationEngine
from workers.redis_cache import RedisCache

BATCH = 4


@pytest.fixture
async def gated(tmp_path: Path) -> AsyncIterator[tuple[int, AckGate]]:
    """A broker of this test's own behind an ack-gating proxy: (the proxy's port, its gate)."""
    proxy_port = free_port()
    with TansuBroker(advertised_port=proxy_port, log_path=tmp_path / "tansu.log") as broker:
        async with ack_proxy(proxy_port, broker.port) as gate:
            yield proxy_port, gate


def gated_settings(make: SettingsFactory, port: int, **stream_kw: object) -> Settings:
    """One input partition (batches in offset order), batches of `BATCH`, the broker behind the proxy."""
    base = make(partitions=1, **stream_kw)
    base.engine.max_batch_size = BATCH
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}", group_id=base.kafka.group_id, session_timeout_ms=6000)
    return base.model_copy(update={"kafka": kafka})


async def until(cond: Callable[[], bool], timeout_s: float = 30.0) -> None:
    async def wait() -> None:
        while not cond():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), timeout_s)


async def committed_offset(s: Settings) -> int | None:
    tp = TopicPartition(s.topics.texts_topic, 0)
    return (await committed(s, [tp]))[tp]


def gauge(name: str, s: Settings) -> float:
    return REGISTRY.get_sample_value(name, {"worker": s.worker_id}) or 0.0


async def test_the_next_batch_is_annotated_while_the_previous_one_awaits_its_acks_and_nothing_is_committed_before(
    gated: tuple[int, AckGate], stream_settings: SettingsFactory
) -> None:
    port, gate = gated
    s = gated_settings(stream_settings, port, max_in_flight_batches=1, max_unacked_batches=1, exit_when_idle_s=1.0)
    n = 4 * BATCH
    await produce(s, [event_bytes(i) for i in range(n)])
    backend = FakeBackend()
    async with AnnotationEngine(backend, MemoryCache()) as engine, StreamWorker(s, engine) as w:
        gate.hold()
        try:
            run = asyncio.create_task(w.run())
            # One batch in annotation at a time (and one ready ahead of it), yet more backend calls
            # start while the first batch's outputs sit unacknowledged at the proxy.
            await until(lambda: len(backend.calls) == 3)
            assert gate.acks_delivered_at == []
            await until(lambda: gate.produce_requests >= 1)  # the first batch's outputs reached the broker
            assert w.processed == 0
            assert await committed_offset(s) in (None, 0)  # nothing past the first record
            # The ack stage holds one batch: the second and third keep their annotation slots (one
            # in-flight, one ready ahead) while they wait for room there, so no fourth batch is
            # fetched, however long the acks take.
            await asyncio.sleep(1.5)
            assert len(backend.calls) == 3
            assert gauge("emostream_unacked_batches", s) == 1
            assert gauge("emostream_in_flight_batches", s) == 3
            assert await committed_offset(s) in (None, 0)  # nothing past the first record
            t_release = time.monotonic()
        finally:
            gate.release()
        await asyncio.wait_for(run, 60)
    assert min(gate.acks_delivered_at) >= t_release
    assert len(backend.calls) == 4
    assert w.processed == n
    assert await committed_offset(s) == n
    outs = output_ids(await read_topic(s, s.topics.annotations_topic, until=n))
    assert sorted(outs) == sorted(f"ev-{i}" for i in range(n))


async def test_stop_while_acks_are_held_commits_nothing_unacknowledged(
    gated: tuple[int, AckGate], stream_settings: SettingsFactory
) -> None:
    """A drain that ends with the grace period abandons the batch awaiting acks and the ones annotated
    meanwhile: none is committed, and a restarted worker annotates them again."""
    port, gate = gated
    s = gated_settings(stream_settings, port, max_in_flight_batches=1, max_unacked_batches=1)
    s.shutdown_grace_s = 1.0
    n = 3 * BATCH
    await produce(s, [event_bytes(i) for i in range(n)])
    async with AnnotationEngine(FakeBackend(), MemoryCache()) as engine:
        async with StreamWorker(s, engine) as w:
            gate.hold()
            run = asyncio.create_task(w.run())
            await until(
                lambda: gauge("emostream_unacked_batches", s) == 1 and gauge("emostream_in_flight_batches", s) == 3
            )
            try:
                w.stop()
                await asyncio.wait_for(run, s.shutdown_grace_s + 10)
                assert w.processed == 0
                assert await committed_offset(s) in (None, 0)  # nothing past the first record
            finally:
                gate.release()  # the producer flushes what it sent when the worker closes
        again = s.model_copy(update={"stream": s.stream.model_copy(update={"exit_when_idle_s": 1.0})})
        async with StreamWorker(again, engine) as w2:
            await asyncio.wait_for(w2.run(), 60)
    assert w2.processed == n
    assert await committed_offset(s) == n


class _HeldBackend(FakeBackend):
    """Model calls that return only once the test sets `release`; `outstanding` counts the held ones."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.outstanding = 0

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        self.outstanding += 1
        try:
            await self.release.wait()
            return await super().annotate(texts, tasks)
        finally:
            self.outstanding -= 1


class _CountedRedisCache(RedisCache):
    """The real Redis cache, counting its lookups (one `MGET` per batch)."""

    lookups = 0

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        self.lookups += 1
        return await super().get_many(keys)


async def test_the_next_batch_is_fetched_decoded_and_looked_up_while_the_model_call_of_the_one_before_runs(
    stream_settings: SettingsFactory, redis_url: str
) -> None:
    """At one batch in annotation, the model does not wait between calls for the next batch's fetch,
    decode and cache lookup: those happen during the call before. Still one model call at a time, one
    batch ready ahead, and every offset committed only after its output."""
    s = stream_settings(partitions=1, max_in_flight_batches=1, exit_when_idle_s=1.0)
    s.engine.max_batch_size = BATCH
    n = 3 * BATCH
    await produce(s, [event_bytes(i) for i in range(n)])
    backend = _HeldBackend()
    cache = _CountedRedisCache(redis_url, ttl_s=60)
    async with AnnotationEngine(backend, cache) as engine, StreamWorker(s, engine) as w:
        run = asyncio.create_task(w.run())
        try:
            await until(lambda: backend.outstanding == 1)
            await until(lambda: cache.lookups == 2, timeout_s=10)  # the second batch, looked up already
            await asyncio.sleep(0.5)
            assert cache.lookups == 2  # one batch ahead, not more
            assert len(backend.calls) == 0 and backend.outstanding == 1  # one model call at a time
            assert gauge("emostream_in_flight_batches", s) == 2
            assert w.processed == 0
            assert await committed_offset(s) in (None, 0)
        finally:
            backend.release.set()
        await asyncio.wait_for(run, 60)
    assert len(backend.calls) == 3
    assert w.processed == n
    assert await committed_offset(s) == n
    outs = output_ids(await read_topic(s, s.topics.annotations_topic, until=n))
    assert sorted(outs) == sorted(f"ev-{i}" for i in range(n))
