"""An unexpected exception (a bug) in one event must not block its partition.

`process_batch_guarded` retries the batch a bounded number of times, then dead-letters
what fails alone; the worker then commits past the batch. Scripted annotators raise a
`RuntimeError` (not a typed backend error) for chosen texts.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import pytest

from schemas.annotation import Annotation
from schemas.deadletter import DeadLetter
from schemas.events import TextEvent
from stream.processor import BatchConfig, process_batch_guarded
from stream.records import InRecord, OutRecord
from stream.worker import StreamWorker, WorkerCrashed
from tests.fakes import ScriptedAnnotator
from tests.fixtures.broker import SettingsFactory
from tests.stream.helpers import event_bytes, output_ids, produce, read_topic
from workers.resilience import BackendGate
from workers.retry import CircuitBreaker, RetryPolicy

POLICY = RetryPolicy(max_attempts=2, base_delay_s=0.001, max_delay_s=0.01)
CFG = BatchConfig(
    output_topic="out",
    dead_letter_topic="dlq",
    worker="w",
    unexpected_attempts=3,
)


class BuggyAnnotator(ScriptedAnnotator):
    """Raises RuntimeError for batches holding `bug` (the first `bug_calls` such calls; -1: always)."""

    def __init__(self, bug: str, bug_calls: int = -1, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.bug = bug
        self.bug_calls = bug_calls
        self.bugs_raised = 0

    async def annotate(self, events: Sequence[TextEvent]) -> list[Annotation]:
        if any(self.bug in e.text for e in events) and self.bug_calls != self.bugs_raised:
            self.bugs_raised += 1
            raise RuntimeError(f"scripted bug on {self.bug!r}")
        return await super().annotate(events)


class ListSink:
    def __init__(self, fail_with: BaseException | None = None) -> None:
        self.records: list[OutRecord] = []
        self.fail_with = fail_with

    async def produce(self, records: Sequence[OutRecord]) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.records.extend(records)

    def on(self, topic: str) -> list[bytes]:
        return [r.value for r in self.records if r.topic == topic]


def records(texts: Sequence[str]) -> list[InRecord]:
    values = [json.dumps({"id": f"e{i}", "text": t}).encode() for i, t in enumerate(texts)]
    return [InRecord("in", 0, i, None, v) for i, v in enumerate(values)]


def gate() -> BackendGate:
    return BackendGate(POLICY, CircuitBreaker(failure_threshold=100, reset_after_s=0.01), outage_pause_s=0.01)


TEXTS = [f"text {i}" for i in range(8)]


@pytest.mark.parametrize(
    ("bug_calls", "outputs", "dead_ids", "calls_with_bug"),
    [
        # A bug that always fires: 3 whole-batch attempts, then alone -> only that event is dead-lettered.
        (-1, 7, ["e5"], 4),
        # A transient one: the second whole-batch attempt succeeds, nothing is dead-lettered.
        (1, 8, [], 1),
        # Transient across every whole-batch attempt, gone when alone: still nothing lost.
        (3, 8, [], 3),
    ],
)
async def test_unexpected_error_is_retried_then_isolated_to_the_failing_event(
    bug_calls: int, outputs: int, dead_ids: list[str], calls_with_bug: int
) -> None:
    texts = [*TEXTS[:5], "BUG here", *TEXTS[6:]]
    ann = BuggyAnnotator("BUG", bug_calls)
    sink = ListSink()
    res = await process_batch_guarded(records(texts), ann, sink, gate(), CFG)
    assert res.outputs == outputs
    assert sorted(json.loads(v)["event"]["id"] for v in sink.on("out")) == sorted(
        f"e{i}" for i in range(8) if f"e{i}" not in dead_ids
    )
    dls = [DeadLetter.model_validate_json(v) for v in sink.on("dlq")]
    assert [d.event_id for d in dls] == dead_ids
    for d in dls:
        assert d.reason == "annotation_failed"
        assert "RuntimeError" in d.detail and "scripted bug" in d.detail
        assert d.attempts == CFG.unexpected_attempts + 1
        assert d.offset == 5 and json.loads(d.original)["text"] == "BUG here"
    assert ann.bugs_raised == calls_with_bug


async def test_passthrough_errors_propagate_without_retry_or_dead_letters() -> None:
    class BrokerAway(Exception):
        pass

    sink = ListSink(fail_with=BrokerAway("no broker"))
    ann = ScriptedAnnotator()
    with pytest.raises(BrokerAway):
        await process_batch_guarded(records(TEXTS), ann, sink, gate(), CFG, passthrough=(BrokerAway,))
    assert ann.calls == 1 and sink.records == []


async def test_output_path_that_cannot_even_dead_letter_raises_for_the_worker_to_stop() -> None:
    sink = ListSink(fail_with=TypeError("broken serialiser"))
    with pytest.raises(TypeError):
        await process_batch_guarded(records(TEXTS[:2]), ScriptedAnnotator(), sink, gate(), CFG)


async def test_bug_in_one_event_is_dead_lettered_and_the_partition_commits_past_it(
    stream_settings: SettingsFactory,
) -> None:
    s = stream_settings(partitions=1, exit_when_idle_s=1.0, retry_base_delay_s=0.01, retry_max_delay_s=0.02)
    s.engine.max_batch_size = 8
    n = 40
    values = [event_bytes(i, "this one is a BUG" if i == 13 else None) for i in range(n)]
    await produce(s, values)
    async with StreamWorker(s, BuggyAnnotator("BUG")) as w:
        await asyncio.wait_for(w.run(), 60)
    assert w.processed == n
    outs = await read_topic(s, s.topics.annotations_topic, until=n - 1)
    dead = await read_topic(s, s.topics.dead_letters_topic, until=1)
    dls = [DeadLetter.model_validate_json(v) for v in dead]
    assert set(output_ids(outs)) == {f"ev-{i}" for i in range(n) if i != 13}
    assert [(d.event_id, d.reason.value) for d in dls] == [("ev-13", "annotation_failed")]
    assert "RuntimeError" in dls[0].detail
    # The commit point moved past the batch: a restarted worker has nothing left to read.
    async with StreamWorker(s, ScriptedAnnotator()) as again:
        await asyncio.wait_for(again.run(), 60)
    assert again.processed == 0


async def test_worker_stops_with_worker_crashed_when_a_batch_cannot_be_finished(
    stream_settings: SettingsFactory,
) -> None:
    s = stream_settings(partitions=1, exit_when_idle_s=5.0, retry_base_delay_s=0.01, retry_max_delay_s=0.02)
    await produce(s, [event_bytes(i) for i in range(5)])
    async with StreamWorker(s, ScriptedAnnotator()) as w:
        w._sink = ListSink(fail_with=TypeError("broken serialiser"))  # type: ignore[assignment]
        with pytest.raises(WorkerCrashed):
            await asyncio.wait_for(w.run(), 60)
    # Nothing was committed: a healthy worker re-reads and annotates every event.
    healthy = stream_settings(partitions=1, exit_when_idle_s=1.0)
    async with StreamWorker(healthy, ScriptedAnnotator()) as again:
        await asyncio.wait_for(again.run(), 60)
    assert again.processed == 5
