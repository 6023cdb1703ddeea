"""Retry backoff (a pure delay schedule) and the circuit breaker's state machine, on injected clocks."""

from __future__ import annotations

import random

import pytest

from workers.errors import BackendUnavailable, PermanentBackendError, RetryableBackendError
from workers.retry import CircuitBreaker, RetryPolicy, backoff_delay, retry_async

POLICY = RetryPolicy(max_attempts=5, base_delay_s=0.2, max_delay_s=1.0)


@pytest.mark.parametrize(
    ("attempt", "rand", "delay"),
    [
        (1, 0.0, 0.0),
        (1, 0.5, 0.1),
        (1, 0.999, 0.1998),
        (2, 0.5, 0.2),
        (3, 0.5, 0.4),
        (3, 1.0, 0.8),
        (4, 1.0, 1.0),  # 1.6 capped at max_delay_s
        (10, 0.5, 0.5),
        (0, 1.0, 0.2),  # never below the base ceiling
    ],
)
def test_backoff_delay_table(attempt: int, rand: float, delay: float) -> None:
    assert backoff_delay(attempt, POLICY, rand) == pytest.approx(delay)


class Flaky:
    """Fails with the given errors in turn, then returns 'ok'."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []

    async def fake_sleep(delay: float) -> None:
        slept.append(delay)

    monkeypatch.setattr("workers.retry.asyncio.sleep", fake_sleep)
    return slept


async def test_retryable_errors_are_retried_with_the_backoff_schedule(no_sleep: list[float]) -> None:
    call = Flaky(RetryableBackendError("503"), RetryableBackendError("timeout"))
    seen: list[tuple[int, float]] = []
    first_rand = random.Random(7).random()
    result = await retry_async(call, POLICY, on_retry=lambda a, e, d: seen.append((a, d)), rng=random.Random(7))
    assert result == "ok" and call.calls == 3
    assert [a for a, _ in seen] == [1, 2]
    assert no_sleep == [d for _, d in seen]
    assert no_sleep[0] == pytest.approx(backoff_delay(1, POLICY, first_rand))
    assert 0 <= no_sleep[1] <= 0.4


async def test_retry_gives_up_after_max_attempts_with_the_last_error(no_sleep: list[float]) -> None:
    errors = [RetryableBackendError(f"fail {i}") for i in range(5)]
    call = Flaky(*errors)
    with pytest.raises(RetryableBackendError, match="fail 4"):
        await retry_async(call, POLICY)
    assert call.calls == 5 and len(no_sleep) == 4


async def test_permanent_errors_are_not_retried(no_sleep: list[float]) -> None:
    call = Flaky(PermanentBackendError("bad request"))
    with pytest.raises(PermanentBackendError):
        await retry_async(call, POLICY)
    assert call.calls == 1 and no_sleep == []


@pytest.mark.parametrize(("retry_after", "expected"), [(0.7, 0.7), (30.0, 1.0), (0.0, 0.0)])
async def test_a_larger_retry_after_hint_wins_but_is_capped(
    no_sleep: list[float], retry_after: float, expected: float
) -> None:
    class ZeroRandom(random.Random):
        def random(self) -> float:
            return 0.0

    call = Flaky(RetryableBackendError("429", retry_after_s=retry_after))
    assert await retry_async(call, POLICY, rng=ZeroRandom()) == "ok"
    assert no_sleep == [pytest.approx(expected)]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_consecutive_failures_only() -> None:
    b = CircuitBreaker(failure_threshold=3, reset_after_s=5, clock=Clock())
    b.record_failure()
    b.record_failure()
    b.record_success()  # resets the count
    b.record_failure()
    b.record_failure()
    assert b.state == "closed"
    b.check()
    b.record_failure()
    assert b.state == "open"
    with pytest.raises(BackendUnavailable) as info:
        b.check()
    assert info.value.retry_after_s == pytest.approx(5.0)
    assert info.value.retryable


def test_breaker_half_opens_lets_one_trial_through_and_closes_on_success() -> None:
    clock = Clock()
    b = CircuitBreaker(failure_threshold=1, reset_after_s=5, clock=clock)
    b.record_failure()
    clock.now += 3
    with pytest.raises(BackendUnavailable) as info:
        b.check()
    assert info.value.retry_after_s == pytest.approx(2.0)
    clock.now += 2
    assert b.state == "half-open"
    b.check()  # the trial call
    with pytest.raises(BackendUnavailable):
        b.check()  # only one trial at a time
    b.record_success()
    assert b.state == "closed"
    b.check()
    b.check()


def test_breaker_reopens_for_a_full_period_when_the_trial_fails() -> None:
    clock = Clock()
    b = CircuitBreaker(failure_threshold=2, reset_after_s=5, clock=clock)
    b.record_failure()
    b.record_failure()
    clock.now += 5
    b.check()
    b.record_failure()  # one failure is enough once it has opened
    assert b.state == "open"
    clock.now += 4.9
    assert b.state == "open"
    clock.now += 0.1
    assert b.state == "half-open"
    b.check()


def test_breaker_trial_that_never_reports_is_given_up_after_a_reset_period() -> None:
    """A trial call cancelled mid-flight (its batch cancelled, a sibling request failed) records neither
    success nor failure; the breaker must not stay open for ever waiting for it."""
    clock = Clock()
    b = CircuitBreaker(failure_threshold=1, reset_after_s=5, clock=clock)
    b.record_failure()
    clock.now += 5
    b.check()  # the trial call, then cancelled: nothing is recorded
    clock.now += 4.9
    with pytest.raises(BackendUnavailable):
        b.check()  # the trial may still be running
    clock.now += 0.1
    b.check()  # a new trial
    b.record_success()
    assert b.state == "closed"
