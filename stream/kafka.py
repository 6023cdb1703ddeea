"""The Kafka edge: client configuration from `KafkaSettings`, client lifecycles, produce-and-wait, read
from the start.

One place knows how SASL/SSL settings map onto aiokafka, so producers, consumers and the admin client
are configured alike; secrets are unwrapped here and only here, and nothing returned by this module is
ever logged. The worker, the feedback consumer, the CLI tools, the chaos harness and the tests open
their clients here, so they agree on acks, record limits, group timing and manual commits.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError
from aiokafka.structs import ConsumerRecord, RecordMetadata

from stream.settings import KafkaSettings

#: A record to send: (key, value).
KeyValue = tuple[bytes | None, bytes]


def ssl_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    """An SSL context for SSL/SASL_SSL, built from the configured CA, cert and key files."""
    if kafka.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    ctx = ssl.create_default_context(cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None)
    if kafka.ssl_certfile is not None:
        ctx.load_cert_chain(
            str(kafka.ssl_certfile), str(kafka.ssl_keyfile) if kafka.ssl_keyfile is not None else None
        )
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


def producer_kwargs(kafka: KafkaSettings) -> dict[str, Any]:
    """`common_kwargs` plus what every emostream producer shares: acks from all replicas, the record limit."""
    return {**common_kwargs(kafka), "acks": "all", "max_request_size": kafka.max_request_bytes}


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
    """Assigned partitions exist and are read to their end (not mid-rebalance, no lag).

    The end is the high watermark of the last fetch response, not a ListOffsets request:
    Tansu 0.6.0 answers ListOffsets(latest) with the last record batch's base offset + 1,
    which is too low whenever a producer batched several records.
    """
    assignment = list(consumer.assignment())
    if not assignment:
        return False
    try:
        for tp in assignment:
            hw = consumer.highwater(tp)
            if hw is None or await consumer.position(tp) < hw:
                return False
    except (KafkaError, AssertionError, IllegalStateError):  # partition revoked meanwhile
        return False
    return True


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
    await c.start()
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
