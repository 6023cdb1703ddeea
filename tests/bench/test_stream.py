"""The stream benchmark: its latency-bound backend wrapper and one small run end to end."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import SecretStr

from bench.cpu import NOT_AVAILABLE
from bench.stream import (
    BusyMeter,
    ConstantBackend,
    FixedDelayBackend,
    percentile,
    run_stream_bench,
    summarise_rounds,
    workload,
)
from schemas.annotation import AffectScores
from schemas.tasks import ALL_TASKS, TaskFamily
from stream.settings import Settings
from tests.fakes import FakeBackend, ScriptedAnnotator, fake_scores


async def test_fixed_delay_backend_overlaps_concurrent_calls_and_passes_results_through() -> None:
    inner = FakeBackend(name="counting", version="7")
    async with FixedDelayBackend(inner, 0.2) as b:
        assert (b.model_name, b.model_version) == ("counting", "7")
        t0 = time.perf_counter()
        outs = await asyncio.gather(*(b.annotate([f"t{i}"], ALL_TASKS) for i in range(5)))
        elapsed = time.perf_counter() - t0
    assert 0.2 <= elapsed < 0.6, "calls waited one after another instead of overlapping"
    assert [o[0] for o in outs] == [fake_scores(f"t{i}", ALL_TASKS) for i in range(5)]
    assert sorted(inner.texts_computed) == [f"t{i}" for i in range(5)]
    assert (inner.entered, inner.exited) == (1, 1)


def test_workload_repeats_about_the_asked_fraction_and_runs_never_share_misses() -> None:
    texts = [f"text {i}" for i in range(50)]
    a = workload(texts, 400, 0.5, "a")
    assert 0.4 < 1 - len(set(a)) / len(a) < 0.6
    assert not set(workload(texts, 400, 0.0, "b")) & set(a)
    assert len(set(workload(texts, 400, 0.0, "c"))) == 400


def test_percentile_picks_nearest_rank() -> None:
    assert percentile([], 0.5) == 0.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([float(i) for i in range(101)], 0.99) == 99.0


async def test_stream_bench_reads_back_one_output_and_latency_per_event() -> None:
    s = Settings(http_enabled=False)
    s.kafka.session_timeout_ms = 6000
    out = await asyncio.wait_for(
        run_stream_bench(
            s, [f"t {i}" for i in range(30)], repeat_fractions=(0.0,), in_flight=(2,), annotator=ScriptedAnnotator()
        ),
        120,
    )
    (row,) = out["runs"]
    assert row["events"] == row["outputs"] == 30
    assert row["events_per_s"] > 0 and 0 < row["latency_p50_s"] <= row["latency_p99_s"]
    assert row["stream_cpu_ms_per_event"] > 0


async def test_stream_bench_reports_cpu_per_event_of_worker_broker_redis_and_the_raw_model(redis_url: str) -> None:
    s = Settings(http_enabled=False)
    s.kafka.session_timeout_ms = 6000
    s.cache.redis_url = SecretStr(redis_url)
    s.cache.key_prefix = f"bench-test:{uuid.uuid4().hex[:8]}:"
    out = await asyncio.wait_for(
        run_stream_bench(
            s, [f"t {i}" for i in range(40)], repeat_fractions=(0.0,), in_flight=(1,), constant_model=True
        ),
        120,
    )
    (row,) = out["runs"]
    fields = (
        "stream_cpu_ms_per_event",
        "worker_cpu_ms_per_event",
        "broker_cpu_ms_per_event",
        "redis_cpu_ms_per_event",
        "raw_model_cpu_ms_per_event",
    )
    if not sys.platform.startswith("linux"):  # the broker is read from /proc
        assert row.pop("broker_cpu_ms_per_event") == NOT_AVAILABLE
        fields = tuple(f for f in fields if f != "broker_cpu_ms_per_event")
    assert all(isinstance(row[f], float) and row[f] >= 0 for f in fields), {f: row.get(f) for f in fields}
    # The process's CPU holds the loop thread's; the two clocks are read a moment apart, with their own
    # granularity, so the process figure may come out a hair under (0.642 vs 0.6421 ms/event seen once).
    assert row["worker_cpu_ms_per_event"] >= 0.99 * row["stream_cpu_ms_per_event"] > 0
    (line,) = out["summary"]
    assert all(line[f"{f}_median"] == row[f] for f in fields)


async def test_stream_bench_with_delayed_acks_runs_every_client_through_the_proxy() -> None:
    s = Settings(http_enabled=False)
    s.kafka.session_timeout_ms = 6000
    out = await asyncio.wait_for(
        run_stream_bench(
            s,
            [f"t {i}" for i in range(30)],
            repeat_fractions=(0.0,),
            in_flight=(1,),
            annotator=ScriptedAnnotator(),
            ack_delay_ms=20,
        ),
        120,
    )
    (row,) = out["runs"]
    assert out["ack_delay_ms"] == 20
    assert row["events"] == row["outputs"] == 30


async def test_constant_backend_fills_exactly_the_requested_tasks() -> None:
    async with ConstantBackend() as b:
        (only_v,) = await b.annotate(["x"], frozenset({TaskFamily.V_REG}))
        both = await b.annotate(["x", "y"], ALL_TASKS)
    assert only_v.model_dump(exclude_none=True) == {"valence": 0.5}
    assert len(both) == 2 and all(
        s.valence_class == 0 and s.emotions == [] and s.emotion_intensity and s.emotion_class for s in both
    )


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _HeldBackend(FakeBackend):
    """Each call returns when the test releases it (by its first text)."""

    def __init__(self) -> None:
        super().__init__()
        self.gates: dict[str, asyncio.Event] = {}

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        await self.gates.setdefault(texts[0], asyncio.Event()).wait()
        return await super().annotate(texts, tasks)


async def test_busy_meter_counts_time_with_a_call_outstanding_and_each_call_s_own_service_time() -> None:
    clock, inner = _Clock(), _HeldBackend()
    meter = BusyMeter(inner, clock=clock)

    async def at(t: float, text: str) -> asyncio.Task[object]:
        clock.now = t
        task = asyncio.create_task(meter.annotate([text], ALL_TASKS))
        await asyncio.sleep(0)  # the call has started (and waits for its gate)
        return task

    async def finish(t: float, text: str, task: asyncio.Task[object]) -> None:
        clock.now = t
        inner.gates.setdefault(text, asyncio.Event()).set()
        await task

    a = await at(0.0, "a")
    b = await at(1.0, "b")  # queued behind a, as in the local model's one-thread executor
    await finish(3.0, "a", a)
    await finish(4.0, "b", b)
    c = await at(6.0, "c")  # the model idled from 4 to 6
    await finish(7.0, "c", c)
    assert meter.busy_fraction() == 5.0 / 7.0
    assert meter.service_s() == [3.0, 1.0, 1.0]
    assert meter.gaps_s() == [0.0, 2.0]  # b overlapped a; c started 2 s after b ended
    meter.reset()
    assert meter.busy_fraction() is None and meter.service_s() == [] and meter.gaps_s() == []


def test_summarise_rounds_gives_each_setting_its_median_and_range_of_ratios() -> None:
    rows: list[dict[str, Any]] = [
        {"in_flight": 1, "repeat_fraction": 0.0, "vs_raw_backend": r} for r in (0.8, 0.95, 0.9)
    ] + [
        {"in_flight": 4, "repeat_fraction": 0.0, "vs_raw_backend": 1.1},
        {"in_flight": 4, "repeat_fraction": 0.0, "vs_raw_backend": None},  # no raw figure (custom annotator)
    ]
    rows[0]["backend_busy"] = 0.5  # one round with the busy fraction: its median is that round's
    for row, cpu in zip(rows[:3], (0.07, 0.09, 0.08), strict=True):
        row["stream_cpu_ms_per_event"] = cpu
    for row, gap in zip(rows[:2], (3.0, 5.0), strict=True):
        row["model_gap_ms_p50"] = gap
    for row, broker in zip(rows[:3], (0.5, "n/a", 0.7), strict=True):  # "n/a": no /proc to read
        row["broker_cpu_ms_per_event"] = broker
    assert summarise_rounds(rows) == [
        {
            "in_flight": 1,
            "repeat_fraction": 0.0,
            "rounds": 3,
            "vs_raw_median": 0.9,
            "vs_raw_min": 0.8,
            "vs_raw_max": 0.95,
            "backend_busy_median": 0.5,
            "stream_cpu_ms_per_event_median": 0.08,
            "model_gap_ms_p50_median": 4.0,
            "broker_cpu_ms_per_event_median": 0.6,
        },
        {
            "in_flight": 4,
            "repeat_fraction": 0.0,
            "rounds": 1,
            "vs_raw_median": 1.1,
            "vs_raw_min": 1.1,
            "vs_raw_max": 1.1,
        },
    ]
