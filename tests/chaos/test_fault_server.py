"""The chaos suite's wire faults on the TGI test server, seen through the real TGI backend client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from schemas.annotation import Annotation
from schemas.events import TextEvent
from schemas.tasks import TaskFamily
from stream.chaos.events import REFUSED_MARKER
from workers.backends.tgi import TGIBackend
from workers.cache import NullCache
from workers.config import TGIBackendSettings
from workers.engine import AnnotationEngine
from workers.errors import PermanentBackendError, RetryableBackendError
from workers.resilience import BackendGate
from workers.retry import CircuitBreaker, RetryPolicy

if TYPE_CHECKING:
    from tests.fixtures.tgi_server import TGITestServer

TEXT = "I finally got the job, I can't stop smiling!"
V_OC = frozenset({TaskFamily.V_OC})


def settings(url: str, **kw: Any) -> TGIBackendSettings:
    base: dict[str, Any] = {"url": url, "timeout_s": 30.0, "retry_base_delay_s": 0.01, "max_attempts": 3}
    return TGIBackendSettings(**(base | kw))


def engine(url: str, **kw: Any) -> AnnotationEngine:
    return AnnotationEngine(TGIBackend(settings(url, **kw)), NullCache())


def gate(max_attempts: int = 3) -> BackendGate:
    """The one retry owner, as the stream and `annotate` use it (the backend itself never retries)."""
    policy = RetryPolicy(max_attempts=max_attempts, base_delay_s=0.01, max_delay_s=0.05)
    return BackendGate(policy, CircuitBreaker(failure_threshold=10, reset_after_s=0.2, name="chaos-test"))


async def test_connection_resets_are_retryable_and_the_call_succeeds_once_they_stop(
    tgi_server: TGITestServer,
) -> None:
    event = TextEvent(id="e1", text=TEXT, tasks=[TaskFamily.V_OC])
    async with engine(tgi_server.url) as e:
        tgi_server.faults.reset_next(2)
        with pytest.raises(RetryableBackendError, match="unreachable"):
            await e.annotate([event])  # one attempt: the backend translates, it does not retry
        g = gate(max_attempts=3)
        [ann] = await g.annotate(e, [event])  # the second reset is retried by the gate
        assert isinstance(ann, Annotation) and ann.valence_class is not None
        assert g.calls == 2


async def test_a_latency_spike_longer_than_the_timeout_is_retried(tgi_server: TGITestServer) -> None:
    # The timeout bounds the generation too: it must leave room for a real one on a busy CPU.
    event = TextEvent(id="e1", text=TEXT, tasks=[TaskFamily.V_OC])
    async with engine(tgi_server.url, timeout_s=5.0) as e:
        tgi_server.faults.delay_next(1, 8.0)
        g = gate(max_attempts=3)
        [ann] = await g.annotate(e, [event])
    # At least the spiked attempt was retried (on a loaded CPU a generation itself may also time out once).
    assert isinstance(ann, Annotation) and ann.valence_class is not None and g.calls >= 2


async def test_a_marked_text_is_refused_with_422_every_time_and_others_are_served(tgi_server: TGITestServer) -> None:
    tgi_server.faults.status_when[REFUSED_MARKER] = 422
    async with TGIBackend(settings(tgi_server.url)) as backend:
        with pytest.raises(PermanentBackendError):
            await backend.annotate([f"{REFUSED_MARKER} please"], V_OC)
        [scores] = await backend.annotate([TEXT], V_OC)
    assert scores.valence_class is not None
