"""`consumer_drained` on the real broker: a member whose group is rebalancing, or whose partition is paused,
is not drained, however far it read what it held before."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from stream.kafka import consumer_drained, group_consumer, produce_and_wait, producer
from stream.topics import ensure_service_topics
from tests.fixtures.broker import SettingsFactory


class HoldRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Once armed, the next revoke callback signals and then waits: the rebalance stays in progress."""

    def __init__(self) -> None:
        self.armed = False
        self.revoking = asyncio.Event()
        self.release = asyncio.Event()

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        if self.armed:
            self.revoking.set()
            await self.release.wait()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        pass


async def _poll_until(consumers: list[AIOKafkaConsumer], cond: Callable[[], bool], timeout_s: float = 30.0) -> None:
    """Keep every consumer polling (it takes part in the group through its polls) until `cond()`."""

    async def loop() -> None:
        while not cond():
            for c in consumers:
                await c.getmany(timeout_ms=50)

    await asyncio.wait_for(loop(), timeout_s)


async def _read_until_drained(c: AIOKafkaConsumer, timeout_s: float = 30.0) -> None:
    async def loop() -> None:
        while not await consumer_drained(c):
            await c.getmany(timeout_ms=50)

    await asyncio.wait_for(loop(), timeout_s)


async def test_a_member_whose_group_is_rebalancing_is_not_drained_while_a_lagging_partition_comes_its_way(
    stream_settings: SettingsFactory,
) -> None:
    s = stream_settings(partitions=2)
    await ensure_service_topics(s.kafka, s.topics)
    topic = s.topics.texts_topic
    group = s.kafka.group_id
    hold = HoldRevoke()
    async with (
        group_consumer(s.kafka, [topic], group_id=group, listener=hold) as c1,
        contextlib.AsyncExitStack() as stack,
    ):
        c2 = await stack.enter_async_context(group_consumer(s.kafka, [topic], group_id=group))
        await _poll_until([c1, c2], lambda: len(c1.assignment()) == 1 and len(c2.assignment()) == 1)
        [mine] = c1.assignment()
        [theirs] = c2.assignment()
        async with producer(s.kafka) as p:
            for tp in (mine, theirs):
                futures = [await p.send(topic, b"x", partition=tp.partition) for _ in range(3)]
                await asyncio.gather(*futures)
        await _read_until_drained(c1)  # c1 has read all of its partition; c2 never reads its own

        hold.armed = True
        await stack.aclose()  # c2 leaves the group: its lagging partition goes to c1
        await asyncio.wait_for(hold.revoking.wait(), 30)
        try:
            # Mid-rebalance aiokafka still reports c1's previous assignment, read to its end; but c1 is
            # about to own `theirs`, with 3 records nobody has read.
            assert c1.assignment() == {mine}
            assert not await consumer_drained(c1)
        finally:
            hold.release.set()

        await _poll_until([c1], lambda: c1.assignment() == {mine, theirs})
        await _read_until_drained(c1)
        assert await c1.position(theirs) == 3


async def test_a_paused_partition_is_not_drained_its_end_is_not_fetched(stream_settings: SettingsFactory) -> None:
    s = stream_settings(partitions=1)
    await ensure_service_topics(s.kafka, s.topics)
    topic = s.topics.texts_topic
    async with group_consumer(s.kafka, [topic], group_id=s.kafka.group_id) as c, producer(s.kafka) as p:
        await _poll_until([c], lambda: len(c.assignment()) == 1)
        await produce_and_wait(p, topic, [(None, b"x")] * 2)
        await _read_until_drained(c)
        c.pause(*c.assignment())
        for _ in range(15):  # past a long-poll fetch sent before the pause (fetch_max_wait_ms: 500)
            await c.getmany(timeout_ms=50)
        await produce_and_wait(p, topic, [(None, b"x")] * 2)
        for _ in range(15):  # polls that would have fetched the new end, had the partition not been paused
            await c.getmany(timeout_ms=50)
        assert not await consumer_drained(c)
        c.resume(*c.paused())
        [tp] = c.assignment()
        # its high watermark stays as old as the pause until the resumed partition is fetched again
        await _poll_until([c], lambda: c.highwater(tp) == 4)
        await _read_until_drained(c)
        assert await c.position(tp) == 4
