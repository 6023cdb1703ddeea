"""`KafkaSink` against the real broker: records packed into batches land once, in order, where `send` puts them;
batches lost to an outage are sent again record by record, unless the worker is stopping."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner

from stream import metrics
from stream.broker import TansuBroker
from stream.kafka import producer, read_from_start
from stream.producing import KafkaSink
from stream.records import OutRecord
from stream.settings import KafkaSettings
from stream.topics import ensure_topics
from tests.fixtures.broker import SettingsFactory


async def test_batched_records_land_once_in_order_on_the_partition_their_key_picks(
    stream_settings: SettingsFactory,
) -> None:
    s = stream_settings(partitions=3)
    topic = s.topics.annotations_topic
    await ensure_topics(s.kafka, [topic], partitions=3)
    # Mostly small records (several fill a 16 KiB batch), some over a batch (sent alone, between the
    # batches), some without a key (any partition). Two calls: the second goes after the first.
    sizes = [40_000 if i % 37 == 5 else 300 + (i * 97) % 900 for i in range(260)]
    records = [
        OutRecord(topic, None if i % 50 == 7 else f"ev-{i}".encode(), f"{i:05d}".encode().ljust(n, b"x"))
        for i, n in enumerate(sizes)
    ]
    async with producer(s.kafka) as p:
        sink = KafkaSink(p, dead_letter_topic=s.topics.dead_letters_topic, worker=None, max_record_bytes=2**20)
        await sink.produce(records[:130])
        await sink.produce(records[130:])

    got: dict[int, list[int]] = {}
    landed: dict[int, int] = {}
    async with aclosing(read_from_start(s.kafka, topic, idle_s=2.0, timeout_s=30)) as batches:
        async for batch in batches:
            for m in batch:
                assert m.value is not None
                i = int(m.value[:5])
                assert m.value == records[i].value and m.key == records[i].key
                got.setdefault(m.partition, []).append(i)
                landed[i] = m.partition
    assert sorted(i for ids in got.values() for i in ids) == list(range(260))  # each once
    for ids in got.values():
        keyed = [i for i in ids if records[i].key]
        assert keyed == sorted(keyed)  # input order within each partition (keyless records go by `send`)
    picks = {i: DefaultPartitioner()(r.key, [0, 1, 2], [0, 1, 2]) for i, r in enumerate(records) if r.key}
    assert {i: landed[i] for i in picks} == picks  # the partition aiokafka's send would have chosen
    assert len(got) == 3


async def _values(kafka: KafkaSettings, topic: str) -> list[bytes]:
    out: list[bytes] = []
    async with aclosing(read_from_start(kafka, topic, idle_s=2.0, timeout_s=30)) as batches:
        async for batch in batches:
            out += [m.value for m in batch if m.value is not None]
    return out


async def test_batches_lost_to_a_broker_outage_are_sent_again_record_by_record_once_it_is_back() -> None:
    # The broker keeps topics in memory: a restart empties it, so what is read back is what was
    # produced after the restart, and each record must be there exactly once. Tansu acknowledges
    # records for a topic that does not exist (and keeps none), so the retry delay leaves time to
    # create the topic again: the batches fail at the 2 s request timeout, the records sent one by
    # one 2 s later, and their retry comes 5 s after that, after the restart at 6 s.
    async with TansuBroker() as broker:
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        await ensure_topics(kafka, ["out"], partitions=2)
        records = [OutRecord("out", f"ev-{i}".encode(), f"value {i}".encode()) for i in range(50)]
        async with producer(kafka, request_timeout_ms=2000) as p:
            sink = KafkaSink(p, dead_letter_topic="dlq", worker=None, max_record_bytes=2**20, retry_delay_s=5)
            await sink.produce(records[:5])  # metadata known, connections up
            broker.stop()
            before = metrics.PRODUCE_ERRORS.labels(kind="transient")._value.get()
            task = asyncio.create_task(sink.produce(records[5:]))
            await asyncio.sleep(6)  # past the request timeout: the packed batches fail
            assert not task.done()  # retrying, not dropping
            broker.start()
            await ensure_topics(kafka, ["out"], partitions=2)
            await asyncio.wait_for(task, 90)
            assert metrics.PRODUCE_ERRORS.labels(kind="transient")._value.get() > before
        assert sorted(await _values(kafka, "out")) == sorted(r.value for r in records[5:])


async def test_a_stopping_sink_raises_on_an_outage_instead_of_retrying() -> None:
    async with TansuBroker() as broker:
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        await ensure_topics(kafka, ["out"], partitions=1)
        stopping = asyncio.Event()
        async with producer(kafka, request_timeout_ms=2000) as p:
            sink = KafkaSink(p, dead_letter_topic="dlq", worker=None, max_record_bytes=2**20, stopping=stopping)
            await sink.produce([OutRecord("out", b"k", b"v")])
            broker.stop()
            stopping.set()
            with pytest.raises(KafkaError):
                await asyncio.wait_for(sink.produce([OutRecord("out", b"k2", b"v2")]), 30)
