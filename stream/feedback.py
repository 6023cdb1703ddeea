"""The Kafka edge for human feedback: feedback topic -> the durable store (`RedisFeedbackStore`), bad records
-> dead letters.

Delivery is at least once: a batch's offsets are committed only after its valid records are in Redis and
its invalid ones are acknowledged on the dead-letter topic. A redelivered batch is harmless because the
store keys each record by its content hash. Processing is sequential (one batch at a time), so nothing
is in flight when the group rebalances and no per-offset bookkeeping is needed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Self

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from schemas.decoding import decode_model
from schemas.errors import EmostreamError, InvalidEvent
from schemas.feedback import Feedback
from schemas.text import text_sha256
from stream.kafka import consumer_drained, group_consumer, produce_and_wait, producer
from stream.producing import KafkaSink
from stream.records import InRecord, dead_letter, dead_letter_record
from stream.settings import KafkaSettings, Settings
from stream.topics import ensure_topics
from workers.lifecycle import start_on

if TYPE_CHECKING:
    from workers.feedback_store import RedisFeedbackStore

log = logging.getLogger(__name__)


class FeedbackIngestError(EmostreamError):
    """The feedback consumer cannot run (e.g. no Redis configured)."""


# ---------------------------------------------------------------------------- pure mapping


def decode_feedback(rec: InRecord) -> Feedback:
    """A consumed record's value as `Feedback`; raises `InvalidEvent` with the dead-letter reason."""
    return decode_model(rec.value, Feedback)


def feedback_key(fb: Feedback) -> bytes:
    """Partition key: the item (event id, or the normalised text's digest), so one item's votes stay in order."""
    if fb.event_id is not None:
        return fb.event_id.encode("utf-8")
    return text_sha256(fb.text or "").encode("ascii")


# ---------------------------------------------------------------------------- the consumer


@dataclass(slots=True)
class IngestStats:
    """What one consumer run did; `stored` counts only records new to the store."""

    consumed: int = 0
    stored: int = 0
    duplicates: int = 0
    dead_lettered: int = 0


class FeedbackConsumer:
    """Consumes the feedback topic into Redis; `async with FeedbackConsumer(settings) as c: await c.run()`.

    `exit_when_idle_s` (default: `settings.stream.exit_when_idle_s`) makes `run()` return once every assigned
    partition is read to its end and nothing came for that long (tests, one-shot ingestion).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        group_id: str | None = None,
        exit_when_idle_s: float | None = None,
        store: RedisFeedbackStore | None = None,
        retry_delay_s: float = 1.0,
    ) -> None:
        self.settings = settings
        self.group_id = group_id or f"{settings.kafka.group_id}-feedback"
        self.exit_when_idle_s = exit_when_idle_s if exit_when_idle_s is not None else settings.stream.exit_when_idle_s
        self.retry_delay_s = retry_delay_s
        self.stats = IngestStats()
        self._store = store
        self._stack = AsyncExitStack()
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._sink: KafkaSink | None = None

    async def __aenter__(self) -> Self:
        await start_on(self._stack, self._start)
        return self

    async def _start(self) -> None:
        s = self.settings
        if self._store is None:
            from workers.feedback_store import RedisFeedbackStore

            durable = s.durable_store()
            if durable is None:
                raise FeedbackIngestError("feedback needs Redis: set EMOSTREAM_STORE__REDIS_URL")
            self._store = await self._stack.enter_async_context(RedisFeedbackStore(durable))
            moved = await self._store.migrate_legacy()
            if moved:
                log.info("moved feedback from the single hash to per-record keys", extra={"records": moved})
        topics = s.topics
        await ensure_topics(
            s.kafka,
            [topics.feedback_topic, topics.dead_letters_topic],
            partitions=topics.partitions,
            replication_factor=topics.replication_factor,
        )
        out = await self._stack.enter_async_context(producer(s.kafka))
        # With `stopping` set, a broker outage ends the batch (uncommitted) rather than retrying in the shield.
        self._sink = KafkaSink(
            out,
            dead_letter_topic=topics.dead_letters_topic,
            worker=s.worker_id,
            max_record_bytes=s.kafka.max_request_bytes,
            retry_delay_s=self.retry_delay_s,
            stopping=self._stopping,
        )
        self._consumer = await self._stack.enter_async_context(
            group_consumer(s.kafka, [topics.feedback_topic], group_id=self.group_id)
        )
        log.info("feedback consumer started", extra={"topic": topics.feedback_topic, "group": self.group_id})

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()
        await self._stack.__aexit__(exc_type, exc, tb)

    def stop(self) -> None:
        """Stop after the current batch (which is stored and committed first)."""
        self._stopping.set()

    async def run(self) -> IngestStats:
        """Consume, store, dead-letter and commit, batch by batch, until stopped or drained."""
        assert self._consumer is not None
        last_data = time.monotonic()
        while not self._stopping.is_set():
            got = await self._consumer.getmany(timeout_ms=200, max_records=500)
            records = [InRecord(m.topic, m.partition, m.offset, m.key, m.value) for msgs in got.values() for m in msgs]
            if not records:
                idle = time.monotonic() - last_data
                if self.exit_when_idle_s is not None and idle >= self.exit_when_idle_s and await self._drained():
                    log.info("feedback drained, exiting", extra={"consumed": self.stats.consumed})
                    break
                continue
            last_data = time.monotonic()
            await self._handle_with_retry(records)
        return self.stats

    async def _handle_with_retry(self, records: Sequence[InRecord]) -> None:
        """Retry a batch while Redis or the broker is away; on stop, leave it uncommitted (it is re-read)."""
        from workers.feedback_store import FeedbackStoreError

        while True:
            try:
                # Shielded: a cancellation must not cut a batch between its store write and its commit.
                await asyncio.shield(self._handle(records))
                return
            except (FeedbackStoreError, KafkaError) as e:
                if self._stopping.is_set():
                    log.warning("stopping with an unstored batch; it will be re-read", extra={"error": str(e)})
                    return
                log.warning("feedback batch failed, retrying", extra={"error": str(e)})
                await asyncio.sleep(self.retry_delay_s)

    async def _handle(self, records: Sequence[InRecord]) -> None:
        assert self._store is not None and self._sink is not None and self._consumer is not None
        valid: list[Feedback] = []
        letters = []
        dlq = self.settings.topics.dead_letters_topic
        for rec in records:
            try:
                valid.append(decode_feedback(rec))
            except InvalidEvent as e:
                dl = dead_letter(rec, e.reason, e.detail, worker=self.settings.worker_id)
                letters.append(dead_letter_record(dlq, dl, self.settings.kafka.max_request_bytes))
        # Both writes must succeed before the commit; a failure raises and the batch is read again later.
        new = await self._store.add_many(valid) if valid else 0
        await self._sink.produce(letters)
        offsets: dict[TopicPartition, int] = {}
        for rec in records:
            tp = TopicPartition(rec.topic, rec.partition)
            offsets[tp] = max(offsets.get(tp, 0), rec.offset + 1)
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as e:  # a rebalance took the partition: it is re-read, stored once
            log.warning("feedback commit failed; the batch will be re-read", extra={"error": str(e)})
        self.stats.consumed += len(records)
        self.stats.stored += new
        self.stats.duplicates += len(valid) - new
        self.stats.dead_lettered += len(letters)

    async def _drained(self) -> bool:
        assert self._consumer is not None
        return await consumer_drained(self._consumer)


async def ingest_feedback(
    settings: Settings, *, group_id: str | None = None, exit_when_idle_s: float | None = None
) -> IngestStats:
    """Run one feedback consumer until stopped (or drained, with `exit_when_idle_s`)."""
    async with FeedbackConsumer(settings, group_id=group_id, exit_when_idle_s=exit_when_idle_s) as c:
        return await c.run()


# ---------------------------------------------------------------------------- the producer side


async def send_feedback(kafka: KafkaSettings, topic: str, items: Iterable[Feedback]) -> int:
    """Send feedback records to `topic`, keyed by item, waiting for every acknowledgement."""
    records = ((feedback_key(fb), fb.model_dump_json().encode("utf-8")) for fb in items)
    async with producer(kafka) as p:
        return len(await produce_and_wait(p, topic, records))


def parse_feedback_lines(lines: Iterable[str]) -> tuple[list[Feedback], list[tuple[int, str]]]:
    """JSONL feedback (blank lines skipped) -> (valid records, [(line number, why)] for the rest)."""
    good: list[Feedback] = []
    bad: list[tuple[int, str]] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            good.append(decode_feedback(InRecord("file", 0, n, None, line.encode("utf-8"))))
        except InvalidEvent as e:
            bad.append((n, f"{e.reason.value}: {e.detail}"))
    return good, bad
