"""The per-batch core: decode, annotate with retries, isolate poison events, produce, await acks.

`process_batch` does no consuming and no committing: it returns only once
every record of the batch has an acknowledged output or dead letter, and the
worker marks the batch's offsets done after that. If it raises or is
cancelled, nothing of the batch is committed and the records are re-read.

Failure policy:
- undecodable / non-JSON / schema-violating / oversize input -> dead letter at once;
- `PermanentBackendError` (or an unexpected error) for a batch -> bisect to find the
  events that fail alone; those are dead-lettered, the rest annotated;
- `RetryableBackendError` -> exponential backoff with jitter behind a circuit
  breaker. An outage (no call succeeds) never dead-letters anything: the batch
  waits, uncommitted. A batch that exhausts its attempts while the backend
  answers other calls is split; a single event that does so is a poison event
  (e.g. a text that always times out) and is dead-lettered.
- any other exception (a bug, an unclassified failure) -> `process_batch_guarded`
  retries the whole batch a bounded number of times, then processes each record
  alone and dead-letters (`annotation_failed`, detail naming the exception) the
  ones that still fail, so one bad event can never hold a partition's commit point.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from schemas.annotation import Annotation
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
from workers.errors import PermanentBackendError, RetryableBackendError
from workers.retry import CircuitBreaker, RetryPolicy, retry_async

log = logging.getLogger(__name__)


class Annotator(Protocol):
    """What the stream needs from the annotation engine (`workers.engine.AnnotationEngine`)."""

    async def annotate(self, events: Sequence[TextEvent]) -> list[Annotation]: ...


class Sink(Protocol):
    """Produces records and returns once the broker acknowledged all of them (raises otherwise)."""

    async def produce(self, records: Sequence[OutRecord]) -> None: ...


@dataclass(frozen=True, slots=True)
class BatchConfig:
    output_topic: str
    dead_letter_topic: str
    worker: str
    policy: RetryPolicy = RetryPolicy()
    limits: EventLimits = DEFAULT_LIMITS
    #: Pause between outage rounds once a round of retries is exhausted.
    outage_pause_s: float = 1.0
    #: Whole-batch attempts on an unexpected exception before records are isolated one by one.
    unexpected_attempts: int = 3


@dataclass(slots=True)
class BatchResult:
    outputs: int = 0
    dead_letters: Counter[RejectReason] = field(default_factory=Counter)
    cached: int = 0


class BackendGate:
    """A circuit breaker plus the time of the last successful call, shared by a worker's batches.

    The success clock is what tells an outage (nothing succeeds) from a poison event
    (others succeed while this one keeps failing).
    """

    def __init__(self, breaker: CircuitBreaker) -> None:
        self.breaker = breaker
        self.last_success = 0.0

    async def call(self, annotator: Annotator, events: Sequence[TextEvent]) -> list[Annotation]:
        self.breaker.check()
        try:
            out = await annotator.annotate(events)
        except RetryableBackendError:
            self.breaker.record_failure()
            raise
        self.breaker.record_success()
        self.last_success = time.monotonic()
        return out


class _Poison(Exception):
    """Internal: an event that failed alone; carries the dead-letter reason detail and attempts."""

    def __init__(self, detail: str, attempts: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.attempts = attempts


class _Split(Exception):
    """Internal: the batch keeps failing while the backend serves other calls; bisect it."""

    def __init__(self, since: float) -> None:
        super().__init__("split")
        self.since = since


async def _annotate_retrying(
    annotator: Annotator,
    gate: BackendGate,
    events: Sequence[TextEvent],
    cfg: BatchConfig,
    failing_since: float | None,
) -> list[Annotation]:
    """Annotate with backoff; through an outage keep trying (uncommitted) until some call succeeds.

    When a round of retries is exhausted, a batch is split; a single event whose round ends
    while the backend answered other calls since it started failing (`failing_since`) is a
    poison, and one that fails while nothing succeeds waits out the outage.
    """
    attempts = 0

    def on_retry(attempt: int, err: RetryableBackendError, delay: float) -> None:
        nonlocal attempts
        attempts += 1
        metrics.BATCH_RETRIES.labels(error=type(err).__name__).inc()
        log.warning(
            "backend retry", extra={"attempt": attempt, "delay_s": round(delay, 3), "error": str(err)}
        )

    while True:
        round_start = time.monotonic()
        since = round_start if failing_since is None else min(failing_since, round_start)
        try:
            return await retry_async(lambda: gate.call(annotator, events), cfg.policy, on_retry=on_retry)
        except RetryableBackendError as e:
            attempts += 1
            if len(events) > 1:
                # Split even in an outage: the halves then wait on their own, and the first one to
                # succeed after recovery lets the rest through; in a batch with one event that always
                # fails, the healthy halves succeed, which is what singles out the poison.
                raise _Split(since) from e
            if gate.last_success > since:
                raise _Poison(f"retries exhausted: {e}", attempts) from e
            log.warning("backend unavailable, batch waiting", extra={"events": len(events), "error": str(e)})
            await asyncio.sleep(cfg.outage_pause_s)


async def annotate_isolating(
    annotator: Annotator,
    gate: BackendGate,
    events: Sequence[TextEvent],
    cfg: BatchConfig,
    failing_since: float | None = None,
) -> list[Annotation | _Poison]:
    """Annotate `events`; where the batch fails for a reason that is not an outage, bisect to the culprits."""
    try:
        return list(await _annotate_retrying(annotator, gate, events, cfg, failing_since))
    except _Poison as p:
        return [p]
    except _Split as sp:
        since = sp.since
    except (PermanentBackendError, ValueError, TypeError) as e:
        # ValueError covers a backend answer that fails the contract's range checks.
        if len(events) == 1:
            return [_Poison(f"{type(e).__name__}: {e}", 1)]
        log.info("batch failed, bisecting", extra={"events": len(events), "error": str(e)})
        since = time.monotonic()
    mid = len(events) // 2
    left = await annotate_isolating(annotator, gate, events[:mid], cfg, since)
    right = await annotate_isolating(annotator, gate, events[mid:], cfg, since)
    return left + right


async def process_batch(
    records: Sequence[InRecord],
    annotator: Annotator,
    sink: Sink,
    gate: BackendGate,
    cfg: BatchConfig,
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

    if valid:
        anns = await annotate_isolating(annotator, gate, [ev for _, ev in valid], cfg)
        for (rec, ev), ann in zip(valid, anns, strict=True):
            if isinstance(ann, _Poison):
                dl = dead_letter(
                    rec,
                    RejectReason.ANNOTATION_FAILED,
                    ann.detail,
                    event_id=ev.id,
                    attempts=ann.attempts,
                    worker=cfg.worker,
                )
                out.append(dead_letter_record(cfg.dead_letter_topic, dl))
                result.dead_letters[RejectReason.ANNOTATION_FAILED] += 1
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
) -> BatchResult:
    """`process_batch` that an unexpected exception cannot leave stuck (and so block its partitions).

    The batch is tried `cfg.unexpected_attempts` times (the error may be transient); then each record
    is processed alone, and one that still fails is dead-lettered with reason `annotation_failed` and
    the exception in its detail. Exceptions of a `passthrough` type (the sink's broker errors: nothing
    was produced, the caller retries the batch) propagate untouched.
    """
    last: Exception | None = None
    for attempt in range(1, cfg.unexpected_attempts + 1):
        try:
            return await process_batch(records, annotator, sink, gate, cfg)
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
                await asyncio.sleep(min(cfg.policy.max_delay_s, cfg.policy.base_delay_s * 2 ** (attempt - 1)))
    log.error(
        "batch keeps failing; processing its records one by one",
        extra={"records": len(records), "error": f"{type(last).__name__}: {last}"},
    )
    result = BatchResult()
    for rec in records:
        try:
            one = await process_batch([rec], annotator, sink, gate, cfg)
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
