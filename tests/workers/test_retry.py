"""Retry backoff (a pure delay schedule) and the circuit breaker's state machine, on injected clocks."""

from __future__ import annotations

import asyncio
import random

import pytest
from prometheus_client import REGISTRY

from workers.errors import BackendError, BackendUnavailable, PermanentBackendError, RetryableBackendError
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


OUTCOMES: dict[str, BaseException | None] = {
    "ok": None,
    "503": RetryableBackendError("503 overloaded"),
    "422": PermanentBackendError("422 validation"),
    "cancel": asyncio.CancelledError(),
    "bug": ValueError("a bug, not the backend"),
}


def drive(breaker: CircuitBreaker, clock: Clock, steps: str) -> list[str]:
    """Run `steps` (space-separated: an outcome of one call through `breaker.call()`, `wait` to let the
    reset period pass, or `refused` for a call the breaker must turn away); the state after each."""
    states: list[str] = []
    for step in steps.split():
        if step == "wait":
            clock.now += breaker.reset_after_s
        elif step == "refused":
            with pytest.raises(BackendUnavailable):
                breaker.admit()
        else:
            outcome = OUTCOMES[step]
            try:
                with breaker.call():
                    if outcome is not None:
                        raise outcome
            except (BackendError, asyncio.CancelledError, ValueError) as e:
                assert e is outcome
        states.append(breaker.state)
    return states


@pytest.mark.parametrize(
    ("steps", "states"),
    [
        # closed: only consecutive retryable failures count; a success or a permanent error resets them
        ("503 503 ok 503 503 503", "closed closed closed closed closed open"),
        ("503 503 422 503 503 503", "closed closed closed closed closed open"),
        ("503 503 cancel bug 503", "closed closed closed closed open"),
        # open: refused until the reset period passed, then one trial decides
        ("503 503 503 refused wait ok ok", "closed closed open open half-open closed closed"),
        ("503 503 503 wait 503 refused", "closed closed open half-open open open"),
        # a trial that ends in a permanent error proves the backend answers: closed, not wedged
        ("503 503 503 wait 422 ok", "closed closed open half-open closed closed"),
        # a cancelled trial (a sibling failed) or a bug says nothing: half-open, and the next call is a trial
        ("503 503 503 wait cancel ok", "closed closed open half-open half-open closed"),
        ("503 503 503 wait bug bug 503", "closed closed open half-open half-open half-open open"),
        # a 503 storm, then recovery: closed within one reset period of the first good answer
        ("503 503 503 wait 503 wait 503 wait ok", "closed closed open half-open open half-open open half-open closed"),
    ],
)
def test_breaker_state_machine_table(steps: str, states: str) -> None:
    clock = Clock()
    b = CircuitBreaker(failure_threshold=3, reset_after_s=5, clock=clock)
    assert drive(b, clock, steps) == states.split()


def test_open_breaker_refuses_with_the_time_left_as_retry_after() -> None:
    clock = Clock()
    b = CircuitBreaker(failure_threshold=1, reset_after_s=5, clock=clock)
    drive(b, clock, "503")
    clock.now += 3
    with pytest.raises(BackendUnavailable) as info:
        b.admit()
    assert info.value.retry_after_s == pytest.approx(2.0) and info.value.retryable
    # the refusal says why the circuit opened: a caller that gives up reports the backend's own failure
    assert str(info.value) == f"circuit open: backend failing (last: {OUTCOMES['503']})"


def test_half_open_admits_one_trial_at_a_time_and_frees_the_slot_on_any_outcome() -> None:
    clock = Clock()
    b = CircuitBreaker(failure_threshold=1, reset_after_s=5, clock=clock)
    drive(b, clock, "503 wait")
    for outcome in ("cancel", "bug"):
        with pytest.raises((asyncio.CancelledError, ValueError)), b.call():
            with pytest.raises(BackendUnavailable):  # a second call while the trial is in flight
                b.admit()
            raise OUTCOMES[outcome]  # type: ignore[misc]
        assert b.state == "half-open"
    assert b.admit() is True  # the slot was freed: a new trial goes through


async def test_a_cancelled_trial_task_frees_the_half_open_slot() -> None:
    clock = Clock()
    b = CircuitBreaker(failure_threshold=1, reset_after_s=5, clock=clock)
    drive(b, clock, "503 wait")
    started = asyncio.Event()

    async def trial() -> None:
        with b.call():
            started.set()
            await asyncio.Event().wait()  # a request on the wire, cancelled by gather_or_cancel

    task = asyncio.create_task(trial())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert b.admit() is True


def test_breaker_state_is_exported_per_backend() -> None:
    clock = Clock()
    b = CircuitBreaker(failure_threshold=1, reset_after_s=5, clock=clock, name="test-breaker")

    def gauge() -> float | None:
        return REGISTRY.get_sample_value("emostream_breaker_state", {"backend": "test-breaker"})

    assert gauge() == 0.0
    drive(b, clock, "503")
    assert gauge() == 2.0
    clock.now += 5
    assert gauge() == 1.0
    drive(b, clock, "ok")
    assert gauge() == 0.0
