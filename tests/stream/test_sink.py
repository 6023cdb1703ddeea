"""`KafkaSink` against the real broker: records packed into batches land once, in order, where `send` puts them."""

from __future__ import annotations

from contextlib import aclosing

from aiokafka.partitioner import DefaultPartitioner

from stream.kafka import producer, read_from_start
from stream.producing import KafkaSink
from stream.records import OutRecord
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
        assert ids == sorted(ids)  # input order within each partition
    picks = {i: DefaultPartitioner()(r.key, [0, 1, 2], [0, 1, 2]) for i, r in enumerate(records) if r.key}
    assert {i: landed[i] for i in picks} == picks  # the partition aiokafka's send would have chosen
    assert len(got) == 3
