"""The batch core: dead-letter routing by reason, poison isolation, outage handling (no broker)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import pytest

from schemas.deadletter import DeadLetter
from schemas.errors import RejectReason
from stream.processor import BackendGate, BatchConfig, process_batch
from stream.records import InRecord, OutRecord
from tests.fakes import ScriptedAnnotator
from workers.retry import CircuitBreaker, RetryPolicy


class ListSink:
    def __init__(self) -> None:
        self.records: list[OutRecord] = []

    async def produce(self, records: Sequence[OutRecord]) -> None:
        self.records.extend(records)

    def on(self, topic: str) -> list[dict[str, object]]:
        return [json.loads(r.value) for r in self.records if r.topic == topic]


CFG = BatchConfig(
    output_topic="out",
    dead_letter_topic="dlq",
    worker="w",
    policy=RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.01),
    outage_pause_s=0.01,
)


def rec(offset: int, value: bytes | None) -> InRecord:
    return InRecord("in", 0, offset, None, value)


def gate() -> BackendGate:
    return BackendGate(CircuitBreaker(failure_threshold=100, reset_after_s=0.01))


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


async def test_event_that_times_out_while_others_succeed_is_dead_lettered_after_bounded_retries() -> None:
    sink = ListSink()
    values = [json.dumps({"id": f"e{i}", "text": "SLOW" if i == 2 else f"t{i}"}).encode() for i in range(4)]
    ann = ScriptedAnnotator(poison="SLOW", poison_retryable=True)
    res = await asyncio.wait_for(
        process_batch([rec(i, v) for i, v in enumerate(values)], ann, sink, gate(), CFG), 10
    )
    assert res.outputs == 3
    (dl,) = sink.on("dlq")
    assert dl["event_id"] == "e2" and int(str(dl["attempts"])) >= CFG.policy.max_attempts


async def test_outage_longer_than_retry_budget_waits_instead_of_dead_lettering() -> None:
    sink = ListSink()
    ann = ScriptedAnnotator(fail_calls=12)  # four rounds of three attempts
    values = [json.dumps({"id": f"e{i}", "text": f"t{i}"}).encode() for i in range(3)]
    res = await asyncio.wait_for(
        process_batch([rec(i, v) for i, v in enumerate(values)], ann, sink, gate(), CFG), 10
    )
    assert res.outputs == 3 and not res.dead_letters
    assert ann.failures == 12
