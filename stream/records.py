"""Pure mapping between Kafka records and the contracts: decode input, build outputs and dead letters."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from schemas.annotation import AnnotatedEvent, Annotation, Provenance
from schemas.deadletter import DeadLetter
from schemas.errors import RejectReason, clean_detail
from schemas.events import DEFAULT_LIMITS, EventLimits, TextEvent, decode_event

#: aiokafka's and Kafka's default record limit (`max_request_size`, `message.max.bytes`).
DEFAULT_MAX_RECORD_BYTES = 1_048_576
#: Bytes a record costs beyond its key and value: aiokafka's estimate (batch header 61, record overhead
#: 21, length varints) stays under this, so a record within `record_size_bytes` is never refused for size.
RECORD_OVERHEAD_BYTES = 128
#: A dead letter's key (the input's) is cut to this when even an empty original would not fit.
_MAX_LETTER_KEY_BYTES = 1024


@dataclass(frozen=True, slots=True)
class InRecord:
    """The parts of a consumed record the service needs (decoupled from aiokafka's class)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True, slots=True)
class OutRecord:
    """A record to produce; `key` is the event id for outputs so duplicates are easy to drop."""

    topic: str
    key: bytes | None
    value: bytes
    #: The input this record answers for: lets the sink dead-letter an output the broker refuses for good.
    origin: InRecord | None = None
    #: The dead letter this record carries (None for outputs): lets the sink shrink it to fit.
    letter: DeadLetter | None = None


def record_size_bytes(key: bytes | None, value: bytes) -> int:
    """An upper bound of what a record counts against the producer's `max_request_size`."""
    return len(key or b"") + len(value) + RECORD_OVERHEAD_BYTES


def decode_record(rec: InRecord, limits: EventLimits = DEFAULT_LIMITS) -> TextEvent:
    """Decode a record's value into a `TextEvent`; raises `InvalidEvent` (an empty value is non-JSON)."""
    return decode_event(rec.value, limits)


def dead_letter(
    rec: InRecord,
    reason: RejectReason,
    detail: str,
    *,
    event_id: str | None = None,
    attempts: int = 0,
    worker: str | None = None,
) -> DeadLetter:
    """A dead letter keeping the original bytes (their size and digest too) and where they came from.

    The detail is bounded and has credentials masked (`clean_detail`): it often quotes an exception.
    """
    original = rec.value or b""
    return DeadLetter(
        reason=reason,
        detail=clean_detail(detail),
        original=original,
        original_size=len(original),
        original_sha256=hashlib.sha256(original).hexdigest(),
        key=rec.key,
        topic=rec.topic,
        partition=rec.partition,
        offset=rec.offset,
        event_id=event_id,
        attempts=attempts,
        worker=worker,
    )


def annotated_event(rec: InRecord, event: TextEvent, annotation: Annotation, worker: str) -> AnnotatedEvent:
    """The output for one input: its fields, its annotation, and provenance back to the input offset."""
    return AnnotatedEvent(
        event=event,
        annotation=annotation,
        provenance=Provenance(
            model=annotation.model,
            model_version=annotation.model_version,
            cached=annotation.cached,
            latency_ms=annotation.latency_ms,
            worker=worker,
            input_topic=rec.topic,
            input_partition=rec.partition,
            input_offset=rec.offset,
            input_truncated_chars=annotation.input_truncated_chars,
        ),
    )


def output_record(topic: str, out: AnnotatedEvent, origin: InRecord | None = None) -> OutRecord:
    return OutRecord(
        topic=topic, key=out.event.id.encode("utf-8"), value=out.model_dump_json().encode("utf-8"), origin=origin
    )


def _letter_record(topic: str, dl: DeadLetter) -> OutRecord:
    key = dl.event_id.encode("utf-8") if dl.event_id else dl.key
    return OutRecord(topic=topic, key=key, value=dl.model_dump_json().encode("utf-8"), letter=dl)


def dead_letter_record(topic: str, dl: DeadLetter, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> OutRecord:
    """The record for a dead letter, cut to fit `max_record_bytes` (see `fit_dead_letter`)."""
    return _letter_record(topic, fit_dead_letter(dl, max_record_bytes))


def fit_dead_letter(dl: DeadLetter, max_record_bytes: int) -> DeadLetter:
    """`dl` if its record fits `max_record_bytes`, else a copy that keeps the longest prefix of the original
    that fits (and says it is truncated). Pure; raises `ValueError` only if no dead letter can fit at all.
    """
    if record_size_bytes(*_key_value(dl)) <= max_record_bytes:
        return dl
    bare = dl.model_copy(update={"original": b"", "truncated": True})
    room = max_record_bytes - record_size_bytes(*_key_value(bare))
    if room < 0 and dl.key is not None and len(dl.key) > _MAX_LETTER_KEY_BYTES:
        bare = bare.model_copy(update={"key": dl.key[:_MAX_LETTER_KEY_BYTES]})
        room = max_record_bytes - record_size_bytes(*_key_value(bare))
    if room < 0:
        raise ValueError(f"a dead letter cannot fit {max_record_bytes} bytes")
    # base64 writes 4 characters per 3 bytes (plus padding): the prefix's encoded size is known in advance.
    n = max(0, room // 4 * 3 - 3)
    while True:
        cut = bare.model_copy(update={"original": dl.original[:n]})
        if record_size_bytes(*_key_value(cut)) <= max_record_bytes or n == 0:
            return cut
        n //= 2  # not reached with base64 as pydantic writes it; a guard, not a search


def _key_value(dl: DeadLetter) -> tuple[bytes | None, bytes]:
    r = _letter_record("", dl)
    return r.key, r.value
