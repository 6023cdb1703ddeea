"""The one owner of retries: backoff, the circuit breaker and poison isolation for backend calls.

Backends only translate their failures into `RetryableBackendError` (with
`BackendOverloaded` for load) or `PermanentBackendError`; `BackendGate` decides
what happens next, for the stream (`stream.processor`) and `emostream annotate`
alike. Its policy, per batch of events:

- A call goes through the breaker; a retryable error is retried with backoff
  (`retry.retry_delay`) up to `policy.max_attempts` calls: one *round*.
- A permanent error (or a contract-violating answer: ValueError/TypeError) for a
  batch bisects it; an event that fails permanently alone is poison
  (`annotation_failed`).
- A batch whose round is exhausted is split too, so a bad event cannot hold the
  others. A single event whose round is exhausted waits `outage_pause_s` and
  tries another round. Overload (429/503, connection refused, breaker
  rejections) or an outage (no call succeeded since it began failing) never
  makes poison: the event waits, however long. Only an event that keeps failing
  with other retryable errors (a timeout) for `poison_rounds` rounds while the
  backend served other calls is dead-lettered, as `retries_exhausted`.
- `max_outage_rounds` (None in the stream: wait forever, uncommitted) ends a
  wait by raising the last error: `emostream annotate` stops rather than hang.

So, per round, one event's batch makes at most `policy.max_attempts` calls, and
a call reaches the wire only while the breaker admits it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from schemas.annotation import Annotation
from schemas.errors import RejectReason
from schemas.events import TextEvent

from . import metrics
from .errors import BackendOverloaded, PermanentBackendError, RetryableBackendError
from .retry import CircuitBreaker, RetryPolicy, retry_delay

log = logging.getLogger(__name__)


class Annotator(Protocol):
    """What the gate calls: `workers.engine.AnnotationEngine` (one attempt, no retries of its own)."""

    async def annotate(self, events: Sequence[TextEvent]) -> list[Annotation]: ...


@dataclass(frozen=True, slots=True)
class Poison:
    """An event that fails on its own: the reason and detail for its dead letter, and the calls it cost."""

    reason: RejectReason
    detail: str
    attempts: int


class _RoundFailed(Exception):
    """Internal: a round's attempts are spent; `suspect` when an error other than overload was seen."""

    def __init__(self, error: RetryableBackendError, attempts: int, suspect: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.attempts = attempts
        self.suspect = suspect


class BackendGate:
    """Retries, breaker and poison isolation for one backend, shared by all of a process's batches.

    The time of the last successful call is what tells an outage (nothing succeeds) from a
    poison event (others succeed while this one keeps failing).
    """

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        *,
        name: str = "backend",
        outage_pause_s: float = 1.0,
        poison_rounds: int = 3,
        max_outage_rounds: int | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.breaker = breaker or CircuitBreaker(name=name)
        self.name = name
        self.outage_pause_s = outage_pause_s
        self.poison_rounds = poison_rounds
        self.max_outage_rounds = max_outage_rounds
        self.rng = rng or random.Random()
        self._clock = clock
        self.last_success = -math.inf
        #: Calls made through the breaker (refused ones included); for tests and logs.
        self.calls = 0

    async def call(self, annotator: Annotator, events: Sequence[TextEvent]) -> list[Annotation]:
        """One attempt through the breaker (raises `BackendUnavailable` while it is open)."""
        self.calls += 1
        with self.breaker.call():
            out = await annotator.annotate(events)
        self.last_success = self._clock()
        return out

    async def _round(self, annotator: Annotator, events: Sequence[TextEvent]) -> list[Annotation]:
        suspect = False
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                return await self.call(annotator, events)
            except RetryableBackendError as e:
                suspect = suspect or not isinstance(e, BackendOverloaded)
                if attempt >= self.policy.max_attempts:
                    raise _RoundFailed(e, attempt, suspect) from e
                delay = retry_delay(attempt, self.policy, e, self.rng.random())
                metrics.BACKEND_RETRIES.labels(backend=self.name, error=type(e).__name__).inc()
                log.warning(
                    "backend retry",
                    extra={"attempt": attempt, "events": len(events), "delay_s": round(delay, 3), "error": str(e)},
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: max_attempts >= 1")

    async def annotate(self, annotator: Annotator, events: Sequence[TextEvent]) -> list[Annotation | Poison]:
        """One `Annotation` or `Poison` per event, in order (see the module doc for the policy)."""
        if not events:
            return []
        return await self._isolate(annotator, list(events), None)

    async def _isolate(
        self, annotator: Annotator, events: list[TextEvent], failing_since: float | None
    ) -> list[Annotation | Poison]:
        attempts = suspect_rounds = waited_rounds = 0
        since = failing_since
        while True:
            if since is None:
                since = self._clock()
            try:
                return list(await self._round(annotator, events))
            except _RoundFailed as rf:
                attempts += rf.attempts
                if len(events) > 1:
                    # Split even in an outage: the halves then wait on their own, and the first to succeed
                    # after recovery lets the rest through; in a batch with one event that always fails,
                    # the healthy halves succeed, which is what singles out the poison.
                    return await self._bisect(annotator, events, since)
                if rf.suspect and self.last_success > since:
                    suspect_rounds += 1
                    if suspect_rounds >= self.poison_rounds:
                        detail = f"{suspect_rounds} rounds of retries failed while others succeeded: {rf.error}"
                        return [Poison(RejectReason.RETRIES_EXHAUSTED, detail, attempts)]
                else:
                    waited_rounds += 1
                    if self.max_outage_rounds is not None and waited_rounds >= self.max_outage_rounds:
                        raise rf.error from None
                metrics.OUTAGE_ROUNDS.labels(backend=self.name).inc()
                log.warning(
                    "retry round failed, event waiting",
                    extra={"event": events[0].id, "attempts": attempts, "error": str(rf.error)},
                )
                await asyncio.sleep(self.outage_pause_s)
            except (PermanentBackendError, ValueError, TypeError) as e:
                # ValueError covers a backend answer that fails the contract's range checks.
                attempts += 1
                if len(events) == 1:
                    return [Poison(RejectReason.ANNOTATION_FAILED, f"{type(e).__name__}: {e}", attempts)]
                log.info("batch failed, bisecting", extra={"events": len(events), "error": str(e)})
                return await self._bisect(annotator, events, self._clock())

    async def _bisect(
        self, annotator: Annotator, events: list[TextEvent], since: float
    ) -> list[Annotation | Poison]:
        mid = len(events) // 2
        left = await self._isolate(annotator, events[:mid], since)
        right = await self._isolate(annotator, events[mid:], since)
        return left + right
