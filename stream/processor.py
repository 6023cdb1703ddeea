"""The per-batch core: decode, annotate through the backend gate, produce, await acks.

`process_batch` does no consuming and no committing: it returns only once
every record of the batch has an acknowledged output or dead letter, and the
worker marks the batch's offsets done after that. If it raises or is
cancelled, nothing of the batch is committed and the records are re-read.
Between annotating and producing it awaits the caller's `annotated` hook: the
worker moves the batch from its annotation slot to an ack slot there
(`stream.stages`), so the next batch's backend call overlaps this one's output
building and acknowledgements.

Failure policy:
- undecodable / non-JSON / schema-violating / oversize input -> dead letter at once;
- backend failures -> `workers.resilience.BackendGate`, the one owner of retries, the
  circuit breaker and poison isolation: an outage or overload never dead-letters anything
  (the batch waits, uncommitted); an event that fails on its own with a permanent error is
  dead-lettered (`annotation_failed`), one that keeps timing out alone while the backend
  serves others after a bounded number of rounds (`retries_exhausted`);
- any other exception (a bug, an unclassified failure) -> `process_batch_guarded`
  retries the whole batch a bounded number of times, then processes each record
  alone and dead-letters (`annotation_failed`, detail naming the exception) the
  ones that still fail, so one bad event can never hold a partition's commit point.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from schemas.errors import InvalidEvent, RejectReason
from schemas.events import DEFAULT_LIMITS, EventLimits, TextEvent
from stream import metrics
from stream.records import (
    InRecord,
    OutRecord,
    annotated_event,
    dead_letter,
    dead_letter_record,
    decode_record,
    output_record,
)
from workers.resilience import Annotator, BackendGate, Poison
from workers.retry import backoff_delay

log = logging.getLogger(__name__)


class Sink(Protocol):
    """Produces records and returns once the broker acknowledged all of them (raises otherwise)."""

    async def produce(self, records: Sequence[OutRecord]) -> None: ...


@dataclass(frozen=True, slots=True)
class BatchConfig:
    output_topic: str
    dead_letter_topic: str
    worker: str
    limits: EventLimits = DEFAULT_LIMITS
    #: Whole-batch attempts on an unexpected exception before records are isolated one by one.
    unexpected_attempts: int = 3


#: Awaited once a batch's backend work is done, before its outputs are built and produced.
AnnotatedHook = Callable[[], Awaitable[None]]


async def _no_hook() -> None:
    return None


@dataclass(slots=True)
class BatchResult:
    outputs: int = 0
    dead_letters: Counter[RejectReason] = field(default_factory=Counter)
    cached: int = 0


async def process_batch(
    records: Sequence[InRecord],
    annotator: Annotator,
    sink: Sink,
    gate: BackendGate,
    cfg: BatchConfig,
    *,
    annotated: AnnotatedHook = _no_hook,
) -> BatchResult:
    """Turn a batch of input records into acknowledged outputs and dead letters (see the module doc)."""
    result = BatchResult()
    out: list[OutRecord] = []
    valid: list[tuple[InRecord, TextEvent]] = []
    for rec in records:
        try:
            valid.append((rec, decode_record(rec, cfg.limits)))
        except InvalidEvent as e:
            dl = dead_letter(rec, e.reason, e.detail, worker=cfg.worker)
            out.append(dead_letter_record(cfg.dead_letter_topic, dl))
            result.dead_letters[e.reason] += 1

    anns = await gate.annotate(annotator, [ev for _, ev in valid]) if valid else []
    await annotated()
    for (rec, ev), ann in zip(valid, anns, strict=True):
        if isinstance(ann, Poison):
            dl = dead_letter(rec, ann.reason, ann.detail, event_id=ev.id, attempts=ann.attempts, worker=cfg.worker)
            out.append(dead_letter_record(cfg.dead_letter_topic, dl))
            result.dead_letters[ann.reason] += 1
        else:
            out.append(output_record(cfg.output_topic, annotated_event(rec, ev, ann, cfg.worker), rec))
            result.outputs += 1
            result.cached += int(ann.cached)

    await sink.produce(out)
    for reason, n in result.dead_letters.items():
        metrics.DEAD_LETTERS.labels(reason=reason.value).inc(n)
    if result.outputs:
        metrics.EVENTS_OUT.labels(topic=cfg.output_topic).inc(result.outputs)
    return result


def _event_id(rec: InRecord, limits: EventLimits) -> str | None:
    try:
        return decode_record(rec, limits).id
    except Exception:
        return None


async def process_batch_guarded(
    records: Sequence[InRecord],
    annotator: Annotator,
    sink: Sink,
    gate: BackendGate,
    cfg: BatchConfig,
    *,
    passthrough: tuple[type[BaseException], ...] = (),
    annotated: AnnotatedHook = _no_hook,
) -> BatchResult:
    """`process_batch` that an unexpected exception cannot leave stuck (and so block its partitions).

    The batch is tried `cfg.unexpected_attempts` times (the error may be transient); then each record
    is processed alone, and one that still fails is dead-lettered with reason `annotation_failed` and
    the exception in its detail. Exceptions of a `passthrough` type (the sink's broker errors: nothing
    was produced, the caller retries the batch) propagate untouched. `annotated` is passed to every
    `process_batch` call; the worker's hook acts on the first call only, so a retry after the
    hand-over annotates again outside the annotation stage (a bug path, and its texts are usually
    cached by then).
    """
    last: Exception | None = None
    for attempt in range(1, cfg.unexpected_attempts + 1):
        try:
            return await process_batch(records, annotator, sink, gate, cfg, annotated=annotated)
        except passthrough:
            raise
        except Exception as e:
            last = e
            log.warning(
                "batch failed unexpectedly",
                exc_info=True,
                extra={"attempt": attempt, "records": len(records), "error": f"{type(e).__name__}: {e}"},
            )
            if attempt < cfg.unexpected_attempts:
                await asyncio.sleep(backoff_delay(attempt, gate.policy, gate.rng.random()))
    log.error(
        "batch keeps failing; processing its records one by one",
        extra={"records": len(records), "error": f"{type(last).__name__}: {last}"},
    )
    result = BatchResult()
    for rec in records:
        try:
            one = await process_batch([rec], annotator, sink, gate, cfg, annotated=annotated)
        except passthrough:
            raise
        except Exception as e:
            detail = f"unexpected {type(e).__name__}: {e}"
            dl = dead_letter(
                rec,
                RejectReason.ANNOTATION_FAILED,
                detail,
                event_id=_event_id(rec, cfg.limits),
                attempts=cfg.unexpected_attempts + 1,
                worker=cfg.worker,
            )
            await sink.produce([dead_letter_record(cfg.dead_letter_topic, dl)])
            metrics.DEAD_LETTERS.labels(reason=RejectReason.ANNOTATION_FAILED.value).inc()
            result.dead_letters[RejectReason.ANNOTATION_FAILED] += 1
            continue
        result.outputs += one.outputs
        result.cached += one.cached
        result.dead_letters.update(one.dead_letters)
    return result
