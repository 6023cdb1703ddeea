"""Producing with acknowledgements: each record sent once, refused records turned into dead letters.

A produce error is either transient (broker away, leader moving, timeout) or permanent (this record is
too large, the topic is invalid, the client may not write to it). Retrying a permanent error can only
fail again, and retrying a whole batch re-sends the records the broker already acknowledged. So
`KafkaSink.produce` sends every record once, retries only those whose send failed transiently, and
replaces a permanently refused record: an output by a dead letter for its input, a dead letter by a
smaller one (the original cut to a prefix, then dropped). A dead letter the broker refuses even bare
raises `ProduceRejected`: nothing more can be done for that record, and the worker must stop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
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

from schemas.errors import EmostreamError, RejectReason
from stream import metrics
from stream.records import OutRecord, dead_letter, dead_letter_record, fit_dead_letter

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
    ) -> None:
        self._producer = producer
        self._dlq = dead_letter_topic
        self._worker = worker
        self._max = max_record_bytes
        self._retry_delay_s = retry_delay_s
        self._stopping = stopping

    async def produce(self, records: Sequence[OutRecord]) -> None:
        todo = list(records)
        while todo:
            sent: list[tuple[OutRecord, asyncio.Future[object]]] = []
            failed: list[tuple[OutRecord, BaseException]] = []
            for r in todo:
                try:
                    # aiokafka refuses a record over max_request_size here, before queueing it.
                    sent.append((r, await self._producer.send(r.topic, r.value, key=r.key)))
                except KafkaError as e:
                    failed.append((r, e))
            results = await asyncio.gather(*(f for _, f in sent), return_exceptions=True)
            failed += [(r, res) for (r, _), res in zip(sent, results, strict=True) if isinstance(res, BaseException)]
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
        dl = dead_letter(r.origin, reason, f"the annotated output was refused: {why}", event_id=event_id,
                         worker=self._worker)
        return dead_letter_record(self._dlq, dl, self._max)
