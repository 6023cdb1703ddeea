"""Delivery under faults against the real broker: nothing is lost (scripted annotator, see helpers)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from stream.worker import StreamWorker
from tests.fakes import ScriptedAnnotator
from tests.fixtures.broker import SettingsFactory
from tests.stream.helpers import event_bytes, output_ids, produce, read_topic

ROOT = Path(__file__).resolve().parents[2]


async def test_finished_worker_committed_everything_so_a_restart_reprocesses_nothing(
    stream_settings: SettingsFactory,
) -> None:
    s = stream_settings(exit_when_idle_s=1.0)
    await produce(s, [event_bytes(i) for i in range(40)])
    async with StreamWorker(s, ScriptedAnnotator()) as w:
        await asyncio.wait_for(w.run(), 60)
    assert w.processed == 40
    async with StreamWorker(s, ScriptedAnnotator()) as again:
        await asyncio.wait_for(again.run(), 60)
    assert again.processed == 0


async def test_malformed_events_go_to_dead_letters_with_reason_and_valid_ones_are_annotated(
    stream_settings: SettingsFactory,
) -> None:
    s = stream_settings(exit_when_idle_s=1.0)
    bad = {
        b"\xc3\x28 bad utf8": "undecodable",
        b"not json at all": "invalid_json",
        b'{"id": "no-text"}': "schema_violation",
        json.dumps({"id": "big", "text": "x" * 20_000}).encode(): "oversize_text",
    }
    values = [event_bytes(i) for i in range(30)] + list(bad)
    await produce(s, values)
    async with StreamWorker(s, ScriptedAnnotator()) as w:
        await asyncio.wait_for(w.run(), 60)
    outs = await read_topic(s, s.topics.annotations_topic, until=30)
    dls = await read_topic(s, s.topics.dead_letters_topic, until=4)
    assert sorted(set(output_ids(outs))) == sorted(f"ev-{i}" for i in range(30))
    from schemas.deadletter import DeadLetter

    got = {DeadLetter.model_validate_json(v).original: DeadLetter.model_validate_json(v).reason for v in dls}
    assert got == bad


async def test_backend_failing_for_a_while_is_retried_and_nothing_is_lost(
    stream_settings: SettingsFactory,
) -> None:
    s = stream_settings(
        exit_when_idle_s=1.5,
        max_attempts=2,
        retry_base_delay_s=0.01,
        retry_max_delay_s=0.05,
        breaker_reset_after_s=0.05,
    )
    ann = ScriptedAnnotator(fail_calls=10)
    await produce(s, [event_bytes(i) for i in range(50)])
    async with StreamWorker(s, ann) as w:
        await asyncio.wait_for(w.run(), 90)
    outs = await read_topic(s, s.topics.annotations_topic, until=50)
    dls = await read_topic(s, s.topics.dead_letters_topic, until=1, timeout_s=1.0)
    assert ann.failures == 10
    assert sorted(set(output_ids(outs))) == sorted(f"ev-{i}" for i in range(50))
    assert dls == []


async def test_more_batches_in_flight_raise_throughput_with_a_latency_bound_backend(
    stream_settings: SettingsFactory,
) -> None:
    elapsed: dict[int, float] = {}
    for in_flight in (1, 4):
        s = stream_settings(exit_when_idle_s=0.5, max_in_flight_batches=in_flight)
        s.topics.prefix += f"if{in_flight}."
        s.engine.max_batch_size = 8
        ann = ScriptedAnnotator(delay_s=0.15)
        async with StreamWorker(s, ann) as w:
            await produce(s, [event_bytes(i) for i in range(64)])
            t0 = time.monotonic()
            await asyncio.wait_for(w.run(), 90)
            elapsed[in_flight] = time.monotonic() - t0 - 0.5
        assert w.processed == 64
        if in_flight > 1:
            assert ann.max_concurrent > 1
    assert elapsed[4] < 0.6 * elapsed[1], elapsed


async def test_two_workers_share_partitions_and_one_stopping_loses_nothing(
    stream_settings: SettingsFactory,
) -> None:
    s = stream_settings(partitions=4, exit_when_idle_s=2.0)
    s.engine.max_batch_size = 5
    n = 120
    a, b = ScriptedAnnotator(delay_s=0.02), ScriptedAnnotator(delay_s=0.02)
    async with StreamWorker(s, a) as wa:
        ta = asyncio.create_task(wa.run())
        async with StreamWorker(s.model_copy(update={"worker_id": "other"}), b) as wb:
            tb = asyncio.create_task(wb.run())
            await produce(s, [event_bytes(i) for i in range(n)])
            while wa.processed + wb.processed < n // 3:
                await asyncio.sleep(0.05)
            wb.stop()
            await asyncio.wait_for(tb, 60)
        await asyncio.wait_for(ta, 90)
    outs = await read_topic(s, s.topics.annotations_topic, until=n)
    assert set(output_ids(outs)) == {f"ev-{i}" for i in range(n)}
    assert a.calls > 0 and b.calls > 0


async def test_worker_killed_with_sigkill_mid_stream_loses_nothing_after_restart(
    stream_settings: SettingsFactory,
) -> None:
    s = stream_settings(partitions=2, exit_when_idle_s=2.0)
    s.engine.max_batch_size = 5
    n = 150
    env = {
        **os.environ,
        "EMOSTREAM_TEST_SETTINGS": s.model_dump_json(),
        "EMOSTREAM_TEST_DELAY_S": "0.05",
    }
    cmd = [sys.executable, "-m", "tests.stream.scripted_worker"]
    await produce(s, [event_bytes(i) for i in range(n)])
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        # Kill it once it has produced some outputs but (given the per-call delay) not all.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(await read_topic(s, s.topics.annotations_topic, until=20, timeout_s=0.5)) >= 20:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        first = output_ids(await read_topic(s, s.topics.annotations_topic, until=n, timeout_s=1.0))
        assert len(set(first)) < n, "worker finished before it was killed; the test proves nothing"
        restarted = subprocess.run(cmd, cwd=ROOT, env=env, timeout=120)
        assert restarted.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    # Duplicates are allowed (at-least-once, idempotent by id); losses are not.
    outs = output_ids(await read_topic(s, s.topics.annotations_topic, until=n))
    assert set(outs) == {f"ev-{i}" for i in range(n)}


async def test_a_record_in_flight_for_many_commit_intervals_is_never_committed_past(
    stream_settings: SettingsFactory,
) -> None:
    """Where faust-streaming 0.15.3 lost records in our stress probe (docs/faust-evaluation.md): a record
    still in flight past the commit interval while later ones finish, first on a partition with nothing
    committed yet, then mid-partition. The committed offset must never pass a record still in flight."""
    from aiokafka import TopicPartition

    from stream.kafka import consumer

    s = stream_settings(partitions=1, exit_when_idle_s=1.0, max_in_flight_batches=4, commit_interval_ms=20)
    s.engine.max_batch_size = 1  # one record per batch: later records finish while a slow one runs
    ann = ScriptedAnnotator(slow="SLOW", slow_s=1.0)
    # The second slow record takes 2 s: it starts while the first (1 s) still runs, and is still in
    # flight for about a second after the first ends, for commits to advance up to it.
    slow_offsets = {"SLOW record zero": 0, "SLOW SLOW record fifteen": 15}
    values = [event_bytes(i, next((t for t, o in slow_offsets.items() if o == i), None)) for i in range(40)]
    await produce(s, values)  # one partition: offsets are positions in `values`
    tp = TopicPartition(s.topics.texts_topic, 0)
    seen: list[tuple[int, int]] = []  # (committed offset, lowest slow offset in flight) while one is in flight
    async with consumer(s.kafka, group_id=s.kafka.group_id) as observer:
        async with StreamWorker(s, ann) as w:
            run = asyncio.create_task(w.run())
            while not run.done():
                in_flight = [o for t, o in slow_offsets.items() if t in ann.in_flight]
                committed = await observer.committed(tp)
                if in_flight:
                    seen.append((committed or 0, min(in_flight)))
                await asyncio.sleep(0.01)
            await run
        final = await observer.committed(tp)
    assert w.processed == 40 and final == 40
    assert {low for _, low in seen} == {0, 15}, "both slow records must have been observed in flight"
    assert any(c > 0 for c, _ in seen), "commits must have advanced while the second slow record ran"
    assert all(c <= low for c, low in seen), [x for x in seen if x[0] > x[1]][:5]
