"""Retry with exponential backoff and full jitter, and a circuit breaker.

Shared by the backends (per request: 429/503/timeouts) and the stream (per
batch). The delay schedule is a pure function so it can be tested as a table.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from .errors import BackendUnavailable, RetryableBackendError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay_s: float = 0.2
    max_delay_s: float = 10.0


def backoff_delay(attempt: int, policy: RetryPolicy, rand: float) -> float:
    """Delay before retry number `attempt` (1-based): full jitter over min(cap, base * 2**(attempt-1)).

    `rand` in [0, 1) is passed in so the schedule is deterministic under test.
    """
    ceiling = min(policy.max_delay_s, policy.base_delay_s * (2 ** max(0, attempt - 1)))
    return ceiling * rand


async def retry_async(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    on_retry: Callable[[int, RetryableBackendError, float], None] | None = None,
    rng: random.Random | None = None,
) -> T:
    """Run `call`, retrying `RetryableBackendError`s with backoff; other errors propagate at once.

    A server's Retry-After hint, when larger than the jittered delay, wins.
    """
    rng = rng or random.Random()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except RetryableBackendError as e:
            if attempt >= policy.max_attempts:
                raise
            delay = backoff_delay(attempt, policy, rng.random())
            if e.retry_after_s is not None:
                delay = max(delay, min(e.retry_after_s, policy.max_delay_s))
            if on_retry is not None:
                on_retry(attempt, e, delay)
            await asyncio.sleep(delay)


class CircuitBreaker:
    """Opens after `failure_threshold` consecutive failures; half-opens after `reset_after_s`.

    While open, `check()` raises `BackendUnavailable` so callers back off instead
    of hammering a dead backend; one trial call is let through when half-open. A
    trial that reports nothing for `reset_after_s` (cancelled mid-call: its batch
    abandoned, a sibling request failed) is given up and another one let through,
    or the breaker would stay open for good after the backend recovered.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_after_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False
        self._trial_started_at = 0.0

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_after_s:
            return "half-open"
        return "open"

    def check(self) -> None:
        state = self.state
        if self._trial_in_flight and self._clock() - self._trial_started_at >= self.reset_after_s:
            self._trial_in_flight = False  # the trial never reported back
        if state == "open" or (state == "half-open" and self._trial_in_flight):
            assert self._opened_at is not None
            remaining = max(0.0, self.reset_after_s - (self._clock() - self._opened_at))
            raise BackendUnavailable("circuit open: backend failing", retry_after_s=remaining or 0.05)
        if state == "half-open":
            self._trial_in_flight = True
            self._trial_started_at = self._clock()

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._failures += 1
        self._trial_in_flight = False
        if self._failures >= self.failure_threshold or self._opened_at is not None:
            self._opened_at = self._clock()
