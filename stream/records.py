"""Pure mapping between Kafka records and the contracts: decode input, build outputs and dead letters."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.annotation import AnnotatedEvent, Annotation, Provenance
from schemas.deadletter import DeadLetter
from schemas.errors import InvalidEvent, RejectReason
from schemas.events import DEFAULT_LIMITS, EventLimits, TextEvent, decode_event

_MAX_DETAIL = 4096


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


def decode_record(rec: InRecord, limits: EventLimits = DEFAULT_LIMITS) -> TextEvent:
    """Decode a record's value into a `TextEvent`; raises `InvalidEvent` (an empty value is non-JSON)."""
    if rec.value is None:
        raise InvalidEvent(RejectReason.INVALID_JSON, "record has no value (tombstone)")
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
    """A dead letter keeping the original bytes and where they came from."""
    return DeadLetter(
        reason=reason,
        detail=detail[:_MAX_DETAIL],
        original=rec.value or b"",
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


def output_record(topic: str, out: AnnotatedEvent) -> OutRecord:
    return OutRecord(
        topic=topic, key=out.event.id.encode("utf-8"), value=out.model_dump_json().encode("utf-8")
    )


def dead_letter_record(topic: str, dl: DeadLetter) -> OutRecord:
    key = dl.event_id.encode("utf-8") if dl.event_id else dl.key
    return OutRecord(topic=topic, key=key, value=dl.model_dump_json().encode("utf-8"))
