"""Producing with acknowledgements: each record sent once, refused records turned into dead letters.

A produce error is either transient (broker away, leader moving, timeout) or permanent (this record is
too large, the topic is invalid, the client may not write to it). Retrying a permanent error can only
fail again, and retrying a whole batch re-sends the records the broker already acknowledged. So
`KafkaSink.produce` sends every record once, retries only those whose send failed transiently, and
replaces a permanently refused record: an output by a dead letter for its input, a dead letter by a
smaller one (the original cut to a prefix, then dropped). A dead letter the broker refuses even bare
raises `ProduceRejected`: nothing more can be done for that record, and the worker must stop.

The first attempt packs a call's records into one record batch per partition (aiokafka's
`create_batch`/`send_batch`, partitioned by key as `send` would): per-record `send` costs the event
loop about as much as decoding and annotating the event did. The broker appends a batch whole or not
at all, so the records of a refused batch were not written; they are tried again one `send` each,
which tells the refused record from its neighbours. Records larger than a batch go by `send` at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from enum import StrEnum

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    CorruptRecordException,
    InvalidTimestampError,
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    PolicyViolationError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
    UnsupportedForMessageFormatError,
)
from aiokafka.partitioner import DefaultPartitioner

from schemas.errors import EmostreamError, RejectReason
from stream import metrics
from stream.kafka import PRODUCER_BATCH_BYTES
from stream.records import OutRecord, dead_letter, dead_letter_record, fit_dead_letter, record_size_bytes

log = logging.getLogger(__name__)


class ProduceErrorKind(StrEnum):
    """What a produce error means for the record; the `kind` label of `emostream_produce_errors_total`."""

    TOO_LARGE = "too_large"
    INVALID_TOPIC = "invalid_topic"
    AUTHORIZATION = "authorization"
    INVALID_RECORD = "invalid_record"
    TRANSIENT = "transient"


_PERMANENT: list[tuple[tuple[type[KafkaError], ...], ProduceErrorKind]] = [
    ((MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError), ProduceErrorKind.TOO_LARGE),
    ((InvalidTopicError,), ProduceErrorKind.INVALID_TOPIC),
    (
        (TopicAuthorizationFailedError, ClusterAuthorizationFailedError, TransactionalIdAuthorizationFailed),
        ProduceErrorKind.AUTHORIZATION,
    ),
    (
        (CorruptRecordException, InvalidTimestampError, UnsupportedForMessageFormatError, PolicyViolationError),
        ProduceErrorKind.INVALID_RECORD,
    ),
]


def classify_produce_error(e: KafkaError) -> ProduceErrorKind:
    """Permanent kinds for errors that would recur on every retry of the record; everything else is transient.

    aiokafka's own `retriable` flag is no guide: `KafkaTimeoutError` (a broker away) says False.
    """
    for types, kind in _PERMANENT:
        if isinstance(e, types):
            return kind
    return ProduceErrorKind.TRANSIENT


class ProduceRejected(EmostreamError):
    """The broker refuses a record for good and no dead letter can stand in for it."""


class KafkaSink:
    """Produces records and returns once the broker acknowledged each (acks=all) or its stand-in.

        `max_record_bytes` is the producer's `max_request_size`. `stopping`, when set, makes a transient
        failure raise (the caller leaves the batch uncommitted) instead of retrying after `retry_delay_s`.
    `batch_bytes` is the producer's `max_batch_size`: a record over it is sent on its own.
    """

    def __init__(
        self,
        producer: AIOKafkaProducer,
        *,
        dead_letter_topic: str,
        worker: str | None,
        max_record_bytes: int,
        retry_delay_s: float = 1.0,
        stopping: asyncio.Event | None = None,
        batch_bytes: int = PRODUCER_BATCH_BYTES,
    ) -> None:
        self._producer = producer
        self._dlq = dead_letter_topic
        self._worker = worker
        self._max = max_record_bytes
        self._retry_delay_s = retry_delay_s
        self._stopping = stopping
        # A packed batch holds at most one record over this, so it stays within the record limit too.
        self._batch_bytes = min(batch_bytes, max_record_bytes // 2)
        self._partitioner = DefaultPartitioner()

    async def produce(self, records: Sequence[OutRecord]) -> None:
        todo = self._retry_one_by_one(await self._send_batched(list(records)))
        while todo:
            failed = await self._send_each(todo)
            todo, transient = [], []
            for r, err in failed:
                if not isinstance(err, KafkaError):
                    raise err
                kind = classify_produce_error(err)
                metrics.PRODUCE_ERRORS.labels(kind=kind.value).inc()
                if kind is ProduceErrorKind.TRANSIENT:
                    transient.append(r)
                    last = err
                else:
                    todo.append(self._stand_in(r, kind, err))
            if transient:
                # Only these are sent again: the others were acknowledged (or replaced) already.
                log.warning("produce failed, retrying", extra={"records": len(transient), "error": str(last)})
                if self._stopping is not None and self._stopping.is_set():
                    raise last
                await asyncio.sleep(self._retry_delay_s)
                todo += transient

    def _retry_one_by_one(self, failed: list[tuple[OutRecord, BaseException]]) -> list[OutRecord]:
        """The records of refused batches, to send again one `send` each.

        A refused batch wrote none of its records; sent on their own, a record the broker refuses for good
        is told from its neighbours before anything stands in for it. Their errors are counted then, per
        record. A stopping worker does not retry a transient failure: it raises, leaving the batch
        uncommitted.
        """
        errors: list[KafkaError] = []
        for _, err in failed:
            if not isinstance(err, KafkaError):
                raise err
            errors.append(err)
        if errors:
            transient = [e for e in errors if classify_produce_error(e) is ProduceErrorKind.TRANSIENT]
            log.warning(
                "record batch refused; sending its records one by one",
                extra={"records": len(errors), "error": str(errors[0])},
            )
            if transient and self._stopping is not None and self._stopping.is_set():
                raise transient[0]
        return [r for r, _ in failed]

    async def _send_each(self, records: list[OutRecord]) -> list[tuple[OutRecord, BaseException]]:
        """One `send` per record; the records that failed, each with its error."""
        sent: list[tuple[OutRecord, asyncio.Future[object]]] = []
        failed: list[tuple[OutRecord, BaseException]] = []
        for r in records:
            try:
                # aiokafka refuses a record over max_request_size here, before queueing it.
                sent.append((r, await self._producer.send(r.topic, r.value, key=r.key)))
            except KafkaError as e:
                failed.append((r, e))
        results = await asyncio.gather(*(f for _, f in sent), return_exceptions=True)
        return failed + [(r, res) for (r, _), res in zip(sent, results, strict=True) if isinstance(res, BaseException)]

    async def _send_batched(self, records: list[OutRecord]) -> list[tuple[OutRecord, BaseException]]:
        """Record batches per partition, in order; every record of a failed batch fails with it.

        A record over `batch_bytes` goes by `send` to the same partition, between the batches before and
        after it, and so does a record without a key (to the partition `send` picks); records of a topic
        without metadata fail with the metadata error.
        """
        groups: dict[tuple[str, int | None], list[OutRecord]] = {}
        partitions: dict[str, list[int] | KafkaError] = {}
        failed: list[tuple[OutRecord, BaseException]] = []
        for r in records:
            if r.topic not in partitions:
                try:
                    partitions[r.topic] = sorted(await self._producer.partitions_for(r.topic))
                except KafkaError as e:  # no metadata: waited for once, not again per record
                    partitions[r.topic] = e
            parts = partitions[r.topic]
            if isinstance(parts, KafkaError):
                failed.append((r, parts))
            else:  # a record without a key goes by `send`, which picks among the partitions with a leader
                groups.setdefault((r.topic, self._partitioner(r.key, parts, parts) if r.key else None), []).append(r)
        sent: list[tuple[list[OutRecord], asyncio.Future[object]]] = []

        async def submit(part: list[OutRecord], send: Awaitable[asyncio.Future[object]]) -> None:
            try:
                sent.append((part, await send))
            except KafkaError as e:  # refused before queueing (over max_request_size, producer closed)
                failed.extend((r, e) for r in part)

        for (topic, partition), group in groups.items():
            batch = self._producer.create_batch()
            part: list[OutRecord] = []
            for r in group:
                if partition is None or record_size_bytes(r.key, r.value) > self._batch_bytes:
                    if part:
                        await submit(part, self._producer.send_batch(batch, topic, partition=partition))
                        batch, part = self._producer.create_batch(), []
                    await submit([r], self._producer.send(topic, r.value, key=r.key, partition=partition))
                    continue
                if batch.append(key=r.key, value=r.value, timestamp=None) is None:  # full: send it, start another
                    await submit(part, self._producer.send_batch(batch, topic, partition=partition))
                    batch, part = self._producer.create_batch(), []
                    batch.append(key=r.key, value=r.value, timestamp=None)  # the first record always fits
                part.append(r)
            if part:
                await submit(part, self._producer.send_batch(batch, topic, partition=partition))
        results = await asyncio.gather(*(f for _, f in sent), return_exceptions=True)
        for (part, _), res in zip(sent, results, strict=True):
            if isinstance(res, BaseException):
                failed += [(r, res) for r in part]
        return failed

    def _stand_in(self, r: OutRecord, kind: ProduceErrorKind, err: KafkaError) -> OutRecord:
        """What to send instead of a record the broker refuses for good (`ProduceRejected` if nothing can be)."""
        why = f"{kind.value}: {type(err).__name__}: {err}"
        if r.letter is not None:
            letter = r.letter
            if kind is ProduceErrorKind.TOO_LARGE and letter.original:
                smaller = fit_dead_letter(letter, self._max)
                if smaller == letter:  # it fit our limit, so the broker's is lower: keep no original at all
                    smaller = letter.model_copy(update={"original": b"", "truncated": True})
                log.warning("dead letter too large; sending it truncated", extra={"error": why})
                return dead_letter_record(r.topic, smaller, self._max)
            raise ProduceRejected(f"the broker refuses a dead letter on {r.topic}: {why}") from err
        if r.origin is None:
            raise ProduceRejected(f"the broker refuses a record on {r.topic}: {why}") from err
        reason = RejectReason.OVERSIZE_TEXT if kind is ProduceErrorKind.TOO_LARGE else RejectReason.ANNOTATION_FAILED
        log.warning("output refused by the broker; dead-lettering its input", extra={"error": why})
        metrics.DEAD_LETTERS.labels(reason=reason.value).inc()
        event_id = r.key.decode("utf-8", "replace") if r.key is not None else None
        dl = dead_letter(
            r.origin, reason, f"the annotated output was refused: {why}", event_id=event_id, worker=self._worker
        )
        return dead_letter_record(self._dlq, dl, self._max)
