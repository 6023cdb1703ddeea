"""The Kafka edge: client configuration from `KafkaSettings`, client lifecycles, produce-and-wait, read
from the start, and a partition's bounds and ranges read outside any group.

One place knows how SASL/SSL settings map onto aiokafka, so producers, consumers and the admin client
are configured alike; secrets are unwrapped here and only here, and nothing returned by this module is
ever logged. The worker, the feedback consumer, the CLI tools, the chaos harness and the tests open
their clients here, so they agree on acks, record limits, group timing and manual commits.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaConnectionError, KafkaError
from aiokafka.structs import ConsumerRecord, RecordMetadata

from schemas.errors import EmostreamError
from stream.settings import KafkaSettings

log = logging.getLogger(__name__)

#: A record to send: (key, value).
KeyValue = tuple[bytes | None, bytes]


class KafkaEdgeError(EmostreamError):
    """A Kafka tool could not do its work: the broker or the topic is not there."""


class BrokerUnreachable(KafkaEdgeError):
    """No broker of `bootstrap_servers` answered."""


class UnknownTopic(KafkaEdgeError):
    """The topic does not exist on the broker."""


def ssl_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    """An SSL context for SSL/SASL_SSL, built from the configured CA, cert and key files."""
    if kafka.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    ctx = ssl.create_default_context(cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None)
    if kafka.ssl_certfile is not None:
        ctx.load_cert_chain(str(kafka.ssl_certfile), str(kafka.ssl_keyfile) if kafka.ssl_keyfile is not None else None)
    return ctx


def common_kwargs(kafka: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments shared by AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": kafka.bootstrap_servers,
        "client_id": kafka.client_id,
        "request_timeout_ms": kafka.request_timeout_ms,
        "security_protocol": kafka.security_protocol,
    }
    ctx = ssl_context(kafka)
    if ctx is not None:
        kwargs["ssl_context"] = ctx
    if kafka.security_protocol.startswith("SASL_"):
        kwargs["sasl_mechanism"] = kafka.sasl_mechanism or "PLAIN"
        if kafka.sasl_username is not None:
            kwargs["sasl_plain_username"] = kafka.sasl_username
        if kafka.sasl_password is not None:
            kwargs["sasl_plain_password"] = kafka.sasl_password.get_secret_value()
    return kwargs


#: The producer's `max_batch_size` (aiokafka's default): `KafkaSink` packs record batches up to it.
PRODUCER_BATCH_BYTES = 16_384


def producer_kwargs(kafka: KafkaSettings) -> dict[str, Any]:
    """`common_kwargs` plus what every emostream producer shares: acks from all replicas, the record limit."""
    return {
        **common_kwargs(kafka),
        "acks": "all",
        "max_request_size": kafka.max_request_bytes,
        "max_batch_size": PRODUCER_BATCH_BYTES,
    }


def rebalance_timeout_ms(kafka: KafkaSettings, revoke_wait_s: float) -> int:
    """How long the broker waits for members to rejoin a rebalance: long enough for our revoke callback.

    A member rejoins only once its revoke callback returned: that waits up to `revoke_wait_s` for the
    revoked partitions' batches (a longer batch is abandoned there, and re-read by the new owner),
    then commits (one request, up to `request_timeout_ms`). A session timeout on top is the slack for
    the join round trips. Too short a timeout evicts a member that was only finishing its batches,
    which makes the next rebalance, and the next (a storm).
    """
    return int(revoke_wait_s * 1000) + kafka.request_timeout_ms + kafka.session_timeout_ms


def group_consumer_kwargs(kafka: KafkaSettings, *, revoke_wait_s: float = 0.0) -> dict[str, Any]:
    """`common_kwargs` plus what every emostream group consumer shares: manual commits and group timing.

    `revoke_wait_s`: the longest the consumer's revoke callback waits for in-flight work (see
    `rebalance_timeout_ms`).
    """
    return {
        **common_kwargs(kafka),
        "enable_auto_commit": False,
        "auto_offset_reset": kafka.auto_offset_reset,
        "session_timeout_ms": kafka.session_timeout_ms,
        "heartbeat_interval_ms": max(100, kafka.session_timeout_ms // 10),
        "max_poll_interval_ms": kafka.max_poll_interval_ms,
        "rebalance_timeout_ms": rebalance_timeout_ms(kafka, revoke_wait_s),
    }


async def consumer_drained(consumer: AIOKafkaConsumer) -> bool:
    """Assigned partitions exist and are read to their end (not mid-rebalance, none paused, no lag).

    The end is the high watermark of the last fetch response, not a ListOffsets request:
    Tansu 0.6.0 answers ListOffsets(latest) with the last record batch's base offset + 1,
    which is too low whenever a producer batched several records.
    """
    if _rebalancing(consumer):
        # aiokafka keeps reporting the previous assignment from the start of a rejoin until the new one
        # arrives (and runs the revoke callback in between): read to its end, that says nothing about the
        # partitions a leaving member is handing over.
        return False
    if consumer.paused():
        return False  # a paused partition is not fetched: its high watermark is as old as the pause
    assignment = consumer.assignment()
    if not assignment:
        return False
    try:
        for tp in assignment:
            hw = consumer.highwater(tp)
            if hw is None or await consumer.position(tp) < hw:
                return False
    except (KafkaError, AssertionError, IllegalStateError):  # partition revoked meanwhile
        return False
    # `position` can wait (a partition whose offset is being reset): a rebalance may have begun meanwhile.
    return not _rebalancing(consumer) and consumer.assignment() == assignment


def _rebalancing(consumer: AIOKafkaConsumer) -> bool:
    """True from the moment the member knows it must rejoin its group until its new assignment arrives.

    aiokafka has no public flag for this, so it reads two private ones (pinned by the tests on the real
    broker): `reassignment_in_progress`, set when a rejoin starts (its fetcher holds records back on it),
    and the coordinator's `need_rejoin`, set as soon as a heartbeat hears of the rebalance.
    """
    subscription = consumer._subscription
    if subscription.reassignment_in_progress:
        return True
    need_rejoin = getattr(consumer._coordinator, "need_rejoin", None)  # absent without a group
    current = subscription.subscription
    return need_rejoin is not None and current is not None and bool(need_rejoin(current))


# ---------------------------------------------------------------------------- client lifecycles


@asynccontextmanager
async def producer(kafka: KafkaSettings, **overrides: Any) -> AsyncIterator[AIOKafkaProducer]:
    """A started producer (`producer_kwargs`, a 5 ms linger to batch bursts), stopped on exit."""
    p = AIOKafkaProducer(**{**producer_kwargs(kafka), "linger_ms": 5, **overrides})
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


@asynccontextmanager
async def consumer(
    kafka: KafkaSettings, *, group_id: str | None = None, **overrides: Any
) -> AsyncIterator[AIOKafkaConsumer]:
    """A started consumer that subscribes to nothing and never commits by itself, stopped on exit.

    For reading assigned partitions, or a group's committed offsets (`group_id`) without joining it.
    """
    c = AIOKafkaConsumer(**{**common_kwargs(kafka), "enable_auto_commit": False, **overrides}, group_id=group_id)
    try:
        await c.start()
    except BaseException:
        await c.stop()  # a failed start (no broker) leaves the client open otherwise
        raise
    try:
        yield c
    finally:
        await c.stop()


@asynccontextmanager
async def group_consumer(
    kafka: KafkaSettings,
    topics: Sequence[str],
    *,
    group_id: str,
    listener: ConsumerRebalanceListener | None = None,
    revoke_wait_s: float = 0.0,
) -> AsyncIterator[AIOKafkaConsumer]:
    """A started member of `group_id` subscribed to `topics` (`group_consumer_kwargs`), stopped on exit.

    Stopping it leaves the group (after `listener`'s revoke callback), so the members left take over at once.
    """
    c = AIOKafkaConsumer(**group_consumer_kwargs(kafka, revoke_wait_s=revoke_wait_s), group_id=group_id)
    c.subscribe(list(topics), listener=listener)
    await c.start()
    try:
        yield c
    finally:
        await c.stop()


# ---------------------------------------------------------------------------- produce and read


async def _each(records: Iterable[KeyValue] | AsyncIterable[KeyValue]) -> AsyncIterator[KeyValue]:
    if isinstance(records, AsyncIterable):
        async for r in records:
            yield r
    else:
        for r in records:
            yield r


async def produce_and_wait(
    p: AIOKafkaProducer, topic: str, records: Iterable[KeyValue] | AsyncIterable[KeyValue]
) -> list[RecordMetadata]:
    """Send `(key, value)` records to `topic` and return once the broker acknowledged every one.

    Any failure raises: this is the plain path for tools and tests; the worker's `KafkaSink` retries and
    dead-letters record by record instead. An async iterable lets the caller pace the sending.
    """
    futures = [await p.send(topic, value, key=key) async for key, value in _each(records)]
    return list(await asyncio.gather(*futures))


async def read_from_start(
    kafka: KafkaSettings,
    topics: str | Sequence[str],
    *,
    idle_s: float | None = 2.0,
    timeout_s: float | None = None,
    **overrides: Any,
) -> AsyncGenerator[list[ConsumerRecord[bytes, bytes]], None]:
    """The records of `topics` from the beginning, read outside any consumer group: each fetch's (never empty).

    Stops after `idle_s` without a record (None: follows forever) or `timeout_s` in all, whichever comes
    first; a topic that does not exist yet has nothing to read. `overrides` go to the consumer (fetch sizes).
    Close it early with `contextlib.aclosing`, so that its consumer stops at once.
    """
    names = [topics] if isinstance(topics, str) else list(topics)
    async with consumer(kafka, **overrides) as c:
        await c.topics()  # refresh the metadata: the topics may be newer than the bootstrap's
        tps = [TopicPartition(t, p) for t in names for p in sorted(c.partitions_for_topic(t) or ())]
        if not tps:
            return
        c.assign(tps)
        await c.seek_to_beginning(*tps)
        now = last = time.monotonic()
        deadline = now + timeout_s if timeout_s is not None else None
        while (idle_s is None or now - last < idle_s) and (deadline is None or now < deadline):
            got = await c.getmany(timeout_ms=200)
            now = time.monotonic()
            batch = [m for msgs in got.values() for m in msgs]
            if batch:
                last = now
                yield batch


# ---------------------------------------------------------------------------- bounds and ranges


@asynccontextmanager
async def reachable_consumer(kafka: KafkaSettings, **overrides: Any) -> AsyncIterator[AIOKafkaConsumer]:
    """`consumer` (no group, no commits), whose failure to bootstrap is `BrokerUnreachable` naming the address."""
    async with AsyncExitStack() as stack:
        try:
            c = await stack.enter_async_context(consumer(kafka, **overrides))
        except KafkaConnectionError as e:
            raise BrokerUnreachable(f"cannot reach the Kafka broker at {kafka.bootstrap_servers}") from e
        yield c


async def topic_partitions(c: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """The partitions of `topic`, from fresh metadata; raises `UnknownTopic` when the broker has no such topic."""
    await c.topics()  # refresh the metadata: the topic may be newer than the bootstrap's
    partitions = c.partitions_for_topic(topic)
    if not partitions:
        raise UnknownTopic(f"topic {topic!r} does not exist on the broker")
    return [TopicPartition(topic, p) for p in sorted(partitions)]


@dataclass(frozen=True, slots=True)
class PartitionBounds:
    """A partition's offsets when they were asked for: [beginning, end), and where `since` starts."""

    partition: int
    beginning: int
    end: int
    #: The first offset whose record is at or after the asked timestamp (`end` when none is); None: not asked.
    since: int | None = None


async def partition_ends(
    c: AIOKafkaConsumer, tps: Sequence[TopicPartition], *, timeout_s: float
) -> dict[TopicPartition, int]:
    """Each partition's end offset (the offset the next record will get), now.

    ListOffsets(latest) is not enough: Tansu 0.6.0 answers it with the last record batch's base offset + 1,
    too low whenever a producer batched several records. So the consumer (assigned to `tps` from here on)
    fetches once from that offset and takes the high watermark of the fetch response (what
    `consumer_drained` trusts too), the larger of the two. The records of that fetch are dropped.
    """
    listed = await c.end_offsets(list(tps))
    c.assign(list(tps))
    for tp in tps:
        c.seek(tp, listed[tp])
    deadline = time.monotonic() + timeout_s
    while any(c.highwater(tp) is None for tp in tps):
        if time.monotonic() > deadline:
            missing = sorted(tp.partition for tp in tps if c.highwater(tp) is None)
            raise BrokerUnreachable(f"no fetch answer for partitions {missing} of {tps[0].topic} in {timeout_s:g}s")
        await c.getmany(*tps, timeout_ms=200)
    return {tp: max(listed[tp], c.highwater(tp) or 0) for tp in tps}


async def partition_bounds(
    c: AIOKafkaConsumer, tps: Sequence[TopicPartition], *, since_ms: int | None = None, timeout_s: float = 30.0
) -> dict[TopicPartition, PartitionBounds]:
    """Beginning, end (`partition_ends`) and, with `since_ms`, the first offset at or after that time.

    The time lookup is ListOffsets by timestamp. Tansu 0.6.0 answers it by its own append times (a few
    milliseconds after the producer's), and for a time after its last record with offset 0 and timestamp
    -1 instead of "none": both a missing answer and a timestamp of -1 mean "no record since", the end.
    """
    beginnings = await c.beginning_offsets(list(tps))
    ends = await partition_ends(c, tps, timeout_s=timeout_s)
    since: dict[TopicPartition, int | None] = dict.fromkeys(tps)
    if since_ms is not None:
        found = await c.offsets_for_times(dict.fromkeys(tps, max(0, since_ms)))
        for tp in tps:
            hit = found.get(tp)
            since[tp] = ends[tp] if hit is None or hit.timestamp < 0 else min(max(hit.offset, beginnings[tp]), ends[tp])
    return {tp: PartitionBounds(tp.partition, beginnings[tp], ends[tp], since[tp]) for tp in tps}


class RangeReader:
    """Reads each partition's records in its [start, end) with an assigned consumer, outside any group.

    `batches()` stops once every partition reached its end: records produced after the ends were taken are
    not waited for, so a live topic does not keep it reading. A partition that stops short of its end (its
    records deleted meanwhile) ends it after `idle_s` without a record. `done` holds the partitions read to
    their end (a range may end past its last record: a transaction marker, a compacted gap).

    A finished partition is unassigned, not paused: aiokafka 0.13's consumer can hang in `stop()` when a
    partition was paused before its first fetch.
    """

    def __init__(
        self, c: AIOKafkaConsumer, ranges: Mapping[TopicPartition, tuple[int, int]], *, idle_s: float = 10.0
    ) -> None:
        self.c = c
        self.ranges = dict(ranges)
        self.idle_s = idle_s
        self.done: set[TopicPartition] = {tp for tp, (start, end) in self.ranges.items() if start >= end}

    async def _assign(self, positions: Mapping[TopicPartition, int]) -> None:
        self.c.assign(list(positions))
        for tp, offset in positions.items():
            self.c.seek(tp, offset)

    async def batches(self) -> AsyncGenerator[list[ConsumerRecord[bytes, bytes]], None]:
        """Each fetch's records within the ranges (never empty), in offset order per partition."""
        todo = {tp: end for tp, (_start, end) in self.ranges.items() if tp not in self.done}
        if not todo:
            return
        await self._assign({tp: self.ranges[tp][0] for tp in todo})
        last = time.monotonic()
        while todo:
            got = await self.c.getmany(*todo, timeout_ms=200)
            batch = [m for tp, msgs in got.items() if tp in todo for m in msgs if m.offset < todo[tp]]
            positions = {tp: await self.c.position(tp) for tp in todo}
            finished = {tp for tp, offset in positions.items() if offset >= todo[tp]}
            if batch:
                last = time.monotonic()
                yield batch
            if finished:
                self.done |= finished
                todo = {tp: end for tp, end in todo.items() if tp not in finished}
                if todo:
                    await self._assign({tp: positions[tp] for tp in todo})
            elif not batch and time.monotonic() - last > self.idle_s:
                log.warning("partitions %s stopped short of their end", sorted(tp.partition for tp in todo))
                return
