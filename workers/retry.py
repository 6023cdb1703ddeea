"""Retry with exponential backoff and full jitter, and a circuit breaker: the policy primitives.

One owner applies them to backend calls (`workers.resilience.BackendGate`); backends
only translate their failures into the error tree. The delay schedule is a pure
function so it can be tested as a table; the breaker takes an injected clock.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from . import metrics
from .errors import BackendUnavailable, PermanentBackendError, RetryableBackendError

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


def retry_delay(attempt: int, policy: RetryPolicy, err: RetryableBackendError, rand: float) -> float:
    """`backoff_delay`, unless the server's (or the breaker's) Retry-After hint is larger; capped."""
    delay = backoff_delay(attempt, policy, rand)
    if err.retry_after_s is not None:
        delay = max(delay, min(err.retry_after_s, policy.max_delay_s))
    return delay


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
            delay = retry_delay(attempt, policy, e, rng.random())
            if on_retry is not None:
                on_retry(attempt, e, delay)
            await asyncio.sleep(delay)


#: The value of `emostream_breaker_state{backend}` for each state.
BREAKER_STATE_VALUES = {"closed": 0.0, "half-open": 1.0, "open": 2.0}


class CircuitBreaker:
    """Opens after `failure_threshold` consecutive failures; half-opens after `reset_after_s`.

    While open, calls are refused with `BackendUnavailable` so callers back off instead of
    hammering a dead backend; when half-open one trial call at a time is let through. Wrap
    every call in `with breaker.call():`, which records the outcome, whatever it is:
    - success: closed;
    - `RetryableBackendError` (overload, timeout, connection): a failure, and a failed trial
      re-opens it for a full `reset_after_s`;
    - `PermanentBackendError`: the backend answered (the input is at fault), so it is up: closed;
    - cancellation or any other exception: says nothing about the backend; state unchanged.
    In every case a trial's slot is released, so the breaker can never wedge half-open.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_after_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        name: str | None = None,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False
        #: The last retryable failure, named in refusals: whoever gives up reports the backend's own error.
        self._last_failure: str | None = None
        if name is not None:  # read at scrape time: open -> half-open is a matter of the clock
            metrics.BREAKER_STATE.labels(backend=name).set_function(lambda: BREAKER_STATE_VALUES[self.state])

    @property
    def state(self) -> str:
        """"closed", "open" or "half-open"."""
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_after_s:
            return "half-open"
        return "open"

    def admit(self) -> bool:
        """Let a call through or raise `BackendUnavailable`; True when the call is the half-open trial.

        Prefer `call()`, which releases the trial whatever happens; `admit` and `release` are its halves.
        """
        state = self.state
        if state == "open" or (state == "half-open" and self._trial_in_flight):
            assert self._opened_at is not None
            remaining = max(0.0, self.reset_after_s - (self._clock() - self._opened_at))
            why = f" (last: {self._last_failure})" if self._last_failure else ""
            raise BackendUnavailable(f"circuit open: backend failing{why}", retry_after_s=remaining or 0.05)
        if state == "half-open":
            self._trial_in_flight = True
            return True
        return False

    def release(self, trial: bool, outcome: BaseException | None) -> None:
        """Record how an admitted call ended (`None`: it succeeded) and free the trial slot."""
        if trial:
            self._trial_in_flight = False
        if outcome is None or isinstance(outcome, PermanentBackendError):
            self._failures = 0
            self._opened_at = None
            self._last_failure = None
        elif isinstance(outcome, RetryableBackendError):
            self._failures += 1
            self._last_failure = str(outcome)
            if self._failures >= self.failure_threshold or self._opened_at is not None:
                self._opened_at = self._clock()

    @contextmanager
    def call(self) -> Iterator[None]:
        """Admit one call (or raise `BackendUnavailable`) and record its outcome when the block exits."""
        trial = self.admit()
        try:
            yield
        except BaseException as e:
            self.release(trial, e)
            raise
        self.release(trial, None)
