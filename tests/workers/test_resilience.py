"""The one retry owner (`workers.resilience.BackendGate`) with the real engine and TGI backend.

Faults are injected at the wire by the suite's TGI-compatible server (real SmolLM2
generation): 503 storms, a 422 on the breaker's half-open trial, a text the model
always answers with garbage. The request counts are the server's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from schemas.annotation import Annotation
from schemas.errors import RejectReason
from schemas.events import TextEvent
from schemas.tasks import TaskFamily
from workers.backends.tgi import TGIBackend
from workers.cache import NullCache
from workers.config import TGIBackendSettings
from workers.engine import AnnotationEngine
from workers.errors import AnswerParseError, BackendOverloaded
from workers.resilience import BackendGate, Poison
from workers.retry import CircuitBreaker, RetryPolicy

if TYPE_CHECKING:
    from tests.fixtures.tgi_server import TGITestServer

V_OC = [TaskFamily.V_OC]
POLICY = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.05)
MARKER = "qq-cursed-qq"


def event(i: int, text: str | None = None, tasks: list[TaskFamily] = V_OC) -> TextEvent:
    return TextEvent(id=f"e{i}", text=text or f"test text number {i}, what a day", tasks=tasks)


@pytest.fixture
async def engine(tgi_server: TGITestServer) -> AsyncIterator[AnnotationEngine]:
    settings = TGIBackendSettings(url=tgi_server.url, timeout_s=60.0)
    async with AnnotationEngine(TGIBackend(settings), NullCache()) as e:
        yield e


def gate(threshold: int = 2, reset_after_s: float = 0.2, **kw: object) -> BackendGate:
    breaker = CircuitBreaker(threshold, reset_after_s, name="tgi-test")
    return BackendGate(POLICY, breaker, name="tgi-test", outage_pause_s=0.05, **kw)  # type: ignore[arg-type]


async def test_503_storm_then_recovery_closes_the_breaker_and_annotates_every_event(
    tgi_server: TGITestServer, engine: AnnotationEngine
) -> None:
    g = gate()
    tgi_server.faults.fail_next(12, 503)  # several rounds of breaker openings
    events = [event(i) for i in range(3)]
    out = await asyncio.wait_for(g.annotate(engine, events), 120)
    assert all(isinstance(a, Annotation) for a in out), out
    assert [a.event_id for a in out if isinstance(a, Annotation)] == ["e0", "e1", "e2"]
    assert not tgi_server.faults.statuses and g.breaker.state == "closed"
    assert g.calls > POLICY.max_attempts  # the storm outlasted a round: it waited, nothing was dead-lettered


async def test_a_422_on_the_half_open_trial_does_not_wedge_the_breaker(
    tgi_server: TGITestServer, engine: AnnotationEngine
) -> None:
    g = gate(threshold=1, reset_after_s=0.1)
    tgi_server.faults.fail_next(1, 503)
    with pytest.raises(BackendOverloaded):
        await g.call(engine, [event(0)])
    assert g.breaker.state == "open"
    while g.breaker.state != "half-open":
        await asyncio.sleep(0.02)
    # The trial is answered with a validation error: the backend is up, the batch is bisected, and
    # (the 422 being spent) both events are annotated on their own; a wedged breaker would refuse forever.
    tgi_server.faults.fail_next(1, 422)
    out = await asyncio.wait_for(g.annotate(engine, [event(1), event(2)]), 120)
    assert [a.event_id for a in out if isinstance(a, Annotation)] == ["e1", "e2"]
    assert g.breaker.state == "closed"


@pytest.mark.parametrize("tasks", [[TaskFamily.V_OC], [TaskFamily.V_OC, TaskFamily.V_REG]])
async def test_one_round_of_a_503_storm_sends_at_most_max_attempts_requests_per_prompt(
    tgi_server: TGITestServer, engine: AnnotationEngine, tasks: list[TaskFamily]
) -> None:
    # The documented bound (docs/streaming.md): per round, an event's batch makes at most
    # `max_attempts` calls, each at most one request per prompt of the event's tasks. The breaker
    # is kept closed here (threshold above the storm) so that every attempt reaches the wire.
    g = gate(threshold=100, max_outage_rounds=1)
    tgi_server.faults.fail_next(1000, 503)
    before = tgi_server.requests
    with pytest.raises(BackendOverloaded):
        await asyncio.wait_for(g.annotate(engine, [event(0, tasks=tasks)]), 120)
    sent = tgi_server.requests - before
    tgi_server.faults.reset()
    assert POLICY.max_attempts <= sent <= POLICY.max_attempts * len(tasks)


async def test_a_text_the_model_always_garbles_is_poison_alone_and_the_rest_is_annotated(
    tgi_server: TGITestServer, engine: AnnotationEngine
) -> None:
    tgi_server.faults.answer_when[MARKER] = "no idea, sorry"
    events = [event(0), event(1, f"this one is {MARKER}"), event(2)]
    out = await asyncio.wait_for(gate().annotate(engine, events), 120)
    assert [type(a) for a in out] == [Annotation, Poison, Annotation]
    poison = out[1]
    assert isinstance(poison, Poison) and poison.reason is RejectReason.ANNOTATION_FAILED
    assert "v-oc" in poison.detail


async def test_a_waiter_on_a_text_whose_owner_batch_fails_for_another_text_retries_it_alone(
    tgi_server: TGITestServer, engine: AnnotationEngine
) -> None:
    tgi_server.faults.answer_when[MARKER] = "no idea, sorry"
    shared = event(0, "the shared text: lovely weather today")
    owner = asyncio.create_task(engine.annotate([shared, event(1, f"this one is {MARKER}")]))
    while not engine._inflight:  # the owner's batch has claimed the shared text
        await asyncio.sleep(0.005)
    waiter = asyncio.create_task(engine.annotate([event(2, shared.text)]))
    with pytest.raises(AnswerParseError):
        await asyncio.wait_for(owner, 120)
    [ann] = await asyncio.wait_for(waiter, 120)
    assert ann.event_id == "e2" and ann.valence_class is not None
    assert engine.stats.deduplicated == 0 and engine._inflight == {}
