"""The batch core: dead-letter routing by reason, poison isolation, outage handling (no broker)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import pytest
from prometheus_client import REGISTRY

from schemas.annotation import Annotation
from schemas.deadletter import DeadLetter
from schemas.errors import RejectReason
from schemas.events import TextEvent
from stream.processor import BatchConfig, process_batch
from stream.records import InRecord, OutRecord
from tests.fakes import ScriptedAnnotator
from workers.errors import BackendOverloaded
from workers.resilience import BackendGate
from workers.retry import CircuitBreaker, RetryPolicy


class ListSink:
    def __init__(self) -> None:
        self.records: list[OutRecord] = []

    async def produce(self, records: Sequence[OutRecord]) -> None:
        self.records.extend(records)

    def on(self, topic: str) -> list[dict[str, object]]:
        return [json.loads(r.value) for r in self.records if r.topic == topic]


POLICY = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.01)
CFG = BatchConfig(
    output_topic="out",
    dead_letter_topic="dlq",
    worker="w",
)


def rec(offset: int, value: bytes | None) -> InRecord:
    return InRecord("in", 0, offset, None, value)


def gate() -> BackendGate:
    return BackendGate(POLICY, CircuitBreaker(failure_threshold=100, reset_after_s=0.01), outage_pause_s=0.01)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"\xff\xfe not utf-8", RejectReason.UNDECODABLE),
        (b"{not json", RejectReason.INVALID_JSON),
        (None, RejectReason.INVALID_JSON),
        (b'{"id": "x"}', RejectReason.SCHEMA_VIOLATION),
        (b'["a list"]', RejectReason.SCHEMA_VIOLATION),
        (json.dumps({"id": "x", "text": "a" * 10_001}).encode(), RejectReason.OVERSIZE_TEXT),
    ],
)
async def test_malformed_input_becomes_dead_letter_with_reason_and_original_bytes(
    value: bytes | None, reason: RejectReason
) -> None:
    sink = ListSink()
    good = json.dumps({"id": "ok", "text": "fine"}).encode()
    res = await process_batch([rec(0, value), rec(1, good)], ScriptedAnnotator(), sink, gate(), CFG)
    assert res.outputs == 1 and res.dead_letters == {reason: 1}
    (dl,) = sink.on("dlq")
    assert dl["reason"] == reason.value and dl["offset"] == 0 and dl["topic"] == "in"
    raw = next(r.value for r in sink.records if r.topic == "dlq")
    assert DeadLetter.model_validate_json(raw).original == (value or b"")
    assert [o["event"]["id"] for o in sink.on("out")] == ["ok"]  # type: ignore[index]


async def test_permanent_failure_dead_letters_only_the_poison_event() -> None:
    sink = ListSink()
    values = [json.dumps({"id": f"e{i}", "text": "POISON" if i == 5 else f"t{i}"}).encode() for i in range(8)]
    res = await process_batch(
        [rec(i, v) for i, v in enumerate(values)], ScriptedAnnotator(poison="POISON"), sink, gate(), CFG
    )
    assert res.outputs == 7
    (dl,) = sink.on("dlq")
    assert dl["reason"] == "annotation_failed" and dl["event_id"] == "e5"


async def test_event_that_times_out_while_others_succeed_is_dead_lettered_after_bounded_rounds() -> None:
    sink = ListSink()
    values = [json.dumps({"id": f"e{i}", "text": "SLOW" if i == 2 else f"t{i}"}).encode() for i in range(4)]
    ann = ScriptedAnnotator(poison="SLOW", poison_retryable=True)
    g = gate()
    res = await asyncio.wait_for(process_batch([rec(i, v) for i, v in enumerate(values)], ann, sink, g, CFG), 10)
    assert res.outputs == 3 and res.dead_letters == {RejectReason.RETRIES_EXHAUSTED: 1}
    (dl,) = sink.on("dlq")
    assert dl["event_id"] == "e2" and dl["reason"] == "retries_exhausted"
    # alone, it is given `poison_rounds` full rounds of attempts, then dead-lettered
    assert int(str(dl["attempts"])) == POLICY.max_attempts * g.poison_rounds


class OverloadedFor(ScriptedAnnotator):
    """Answers 429-like `BackendOverloaded` for batches holding `text`, the first `n` times, else annotates."""

    def __init__(self, text: str, n: int) -> None:
        super().__init__()
        self.text, self.left = text, n

    async def annotate(self, events: Sequence[TextEvent]) -> list[Annotation]:
        if self.left and any(self.text in e.text for e in events):
            self.left -= 1
            raise BackendOverloaded("HTTP 429: rate limited", retry_after_s=0.0)
        return await super().annotate(events)


def retries_seen(error: str) -> float:
    return REGISTRY.get_sample_value("emostream_backend_retries_total", {"backend": "backend", "error": error}) or 0.0


async def test_overload_of_one_event_while_others_succeed_never_dead_letters_it() -> None:
    sink = ListSink()
    g = gate()
    retries_before = retries_seen("BackendOverloaded")
    n = POLICY.max_attempts * (g.poison_rounds + 4)  # far more rounds than a timeout may take
    ann = OverloadedFor("UNLUCKY", n)
    values = [json.dumps({"id": f"e{i}", "text": "UNLUCKY" if i == 1 else f"t{i}"}).encode() for i in range(4)]
    res = await asyncio.wait_for(process_batch([rec(i, v) for i, v in enumerate(values)], ann, sink, g, CFG), 10)
    assert res.outputs == 4 and not res.dead_letters and ann.left == 0
    # operators see it: every retry is counted by error kind (the last call of each round is not a retry)
    rounds = -(-n // POLICY.max_attempts)
    assert retries_seen("BackendOverloaded") - retries_before >= n - rounds


async def test_breaker_rejections_never_dead_letter_and_the_breaker_closes_after_recovery() -> None:
    sink = ListSink()
    g = BackendGate(POLICY, CircuitBreaker(failure_threshold=1, reset_after_s=0.01), outage_pause_s=0.01)
    ann = ScriptedAnnotator(fail_calls=10, poison="POISON")
    values = [json.dumps({"id": f"e{i}", "text": "POISON" if i == 0 else f"t{i}"}).encode() for i in range(4)]
    res = await asyncio.wait_for(process_batch([rec(i, v) for i, v in enumerate(values)], ann, sink, g, CFG), 10)
    assert res.outputs == 3 and res.dead_letters == {RejectReason.ANNOTATION_FAILED: 1}
    assert g.breaker.state == "closed" and ann.failures == 10
    assert g.calls > ann.calls  # some calls were refused by the open breaker, never reaching the backend


async def test_outage_longer_than_retry_budget_waits_instead_of_dead_lettering() -> None:
    sink = ListSink()
    ann = ScriptedAnnotator(fail_calls=12)  # four rounds of three attempts
    values = [json.dumps({"id": f"e{i}", "text": f"t{i}"}).encode() for i in range(3)]
    res = await asyncio.wait_for(
        process_batch([rec(i, v) for i, v in enumerate(values)], ann, sink, gate(), CFG), 10
    )
    assert res.outputs == 3 and not res.dead_letters
    assert ann.failures == 12
