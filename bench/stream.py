"""`emostream bench --mode stream`: events/s and event latency end to end through a real broker.

Each run starts from fresh topics on an embedded Tansu broker, produces N events
while a worker (sharing one loaded engine across runs) consumes them, and reads
back broker timestamps: latency is output append time minus input append time
per event (queueing included), throughput is N over first-input-to-last-output.
The raw backend figure (the backend alone on as many fresh texts in engine-sized
batches, one call at a time) is measured right before each stream run, so each ratio
compares two measurements seconds apart. On a shared machine the load moves between
runs: `rounds` > 1 repeats the sweep, alternating raw and stream, and summarises each
setting's ratio by its median over the rounds.

`delay_ms` wraps the backend in `FixedDelayBackend`: every call waits that long
first, like a round trip to a remote model server. Calls then overlap, so the
stream's throughput grows with the in-flight limit until the backend saturates.
The latency-bound sweep: `emostream bench --mode stream --delay-ms 100 --repeats 0`.

`ack_delay_ms` delays the broker's produce acknowledgements at a proxy (`stream.chaos.ack_proxy`),
as replicas in other zones would: what a worker that waits for acks before its next batch loses.

`BusyMeter` wraps the built-in engine's backend and says how much of each stream run the model was
working: the part of the time between the first and the last backend call with a call outstanding
(`backend_busy`), and each call's service time, assuming calls run one at a time (the local model's),
against the raw measurement's (`service_ms_p50` vs `raw_service_ms_p50`), and the model's idle gap
before each call (`model_gap_ms_p50`, `_p90`: a call's start minus the previous call's end, 0 when
they overlap), which moves far less with the machine's load than events/s. A busy fraction under 1 is
the model idling on the stream; a slower service time is the stream's work slowing the model down.

`stream_cpu_ms_per_event` is the CPU time of the thread running the worker's event loop (this
process's main thread: decoding, the engine's bookkeeping, the cache, building and producing outputs,
offsets, metrics) during `run()`, per event. Models run in executor threads and the broker in its own
process, so this is the stream's own cost, and, unlike events/s, it hardly moves with the machine's
load. With `--constant-model` nothing else runs: the figure to compare before and after a change to
the worker's per-event path.

Beside it, over the same span, the CPU per event of everything else sharing the cores (`bench.cpu`):
`worker_cpu_ms_per_event`, the whole worker process (every thread: the event loop, aiokafka's, the
model's executor and ONNX threads; `time.process_time()`), `broker_cpu_ms_per_event`, the Tansu
process (all threads, from /proc: "n/a" off Linux), and `redis_cpu_ms_per_event`, the Redis server's
own count (`INFO cpu`; only with a Redis cache). `raw_model_cpu_ms_per_event` is this process's CPU
per event during the raw measurement, i.e. the model alone: the worker's figure minus it is what the
stream adds in the worker process, the model's own slowdown included.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, NamedTuple, Self

from aiokafka import AIOKafkaConsumer, TopicPartition
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bench.cpu import ms_per_event, parse_redis_cpu, process_cpu_s
from schemas.annotation import AffectScores
from schemas.tasks import ALL_TASKS, EI_EMOTIONS, TaskFamily
from stream.broker import TansuBroker, free_port
from stream.chaos.ack_proxy import AckGate, ack_proxy
from stream.processor import Annotator
from stream.settings import Settings
from stream.tools import produce_values
from stream.worker import StreamWorker
from workers.backend import Backend
from workers.config import StoreSettings
from workers.store import resolve_store, store_client


class _PassThrough:
    """A backend that forwards everything to `inner`; subclasses wrap `annotate`."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def model_version(self) -> str:
        return self.inner.model_version

    async def __aenter__(self) -> Self:
        await self.inner.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.inner.__aexit__(exc_type, exc, tb)

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        return await self.inner.annotate(texts, tasks)

    async def ready(self) -> bool:
        return await self.inner.ready()


class FixedDelayBackend(_PassThrough):
    """A backend plus a fixed wait per call (a remote server's latency); calls may overlap while waiting."""

    def __init__(self, inner: Backend, delay_s: float) -> None:
        super().__init__(inner)
        self.delay_s = delay_s

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        await asyncio.sleep(self.delay_s)
        return await self.inner.annotate(texts, tasks)


class BusyMeter(_PassThrough):
    """A backend pass-through that records when calls start and end (monotonic seconds).

    `busy_s` is the union of the intervals with at least one call outstanding; `service_s` are the
    calls' durations less any wait behind the previous call, right for a backend that runs its
    calls one at a time in order (the local model's executor).
    """

    def __init__(self, inner: Backend, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(inner)
        self._clock = clock
        self.calls: list[tuple[float, float]] = []
        self._active = 0
        self._since = 0.0
        self.busy_s = 0.0

    def reset(self) -> None:
        self.calls.clear()
        self.busy_s = 0.0

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        t0 = self._clock()
        if self._active == 0:
            self._since = t0
        self._active += 1
        try:
            return await self.inner.annotate(texts, tasks)
        finally:
            t1 = self._clock()
            self._active -= 1
            if self._active == 0:
                self.busy_s += t1 - self._since
            self.calls.append((t0, t1))

    def busy_fraction(self) -> float | None:
        """Busy time over the span from the first call's start to the last call's end."""
        if not self.calls:
            return None
        span = max(e for _, e in self.calls) - min(s for s, _ in self.calls)
        return self.busy_s / span if span > 0 else None

    def gaps_s(self) -> list[float]:
        """The model's idle time before each call after the first: its start minus the latest end before it
        (0 when calls overlap). At in-flight 1 it is the stream's work between two consecutive model calls."""
        out: list[float] = []
        last_end: float | None = None
        for start, end in sorted(self.calls):
            if last_end is not None:
                out.append(max(0.0, start - last_end))
            last_end = end if last_end is None else max(last_end, end)
        return out

    def service_s(self) -> list[float]:
        out: list[float] = []
        prev_end = float("-inf")
        for start, end in sorted(self.calls, key=lambda c: c[1]):
            out.append(end - max(start, prev_end))
            prev_end = end
        return out


class ConstantBackend:
    """Neutral scores at no compute cost: with `FixedDelayBackend`, a remote model as the worker sees it.

    Measures the stream's own ceiling (broker, engine, cache), with nothing competing for the CPU.
    """

    model_name = "constant"
    model_version = "1"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        scores = AffectScores(
            valence=0.5 if TaskFamily.V_REG in tasks else None,
            valence_class=0 if TaskFamily.V_OC in tasks else None,
            emotion_intensity={e: 0.5 for e in EI_EMOTIONS} if TaskFamily.EI_REG in tasks else None,
            emotion_class={e: 0 for e in EI_EMOTIONS} if TaskFamily.EI_OC in tasks else None,
            emotions=[] if TaskFamily.E_C in tasks else None,
        )
        return [scores] * len(texts)

    async def ready(self) -> bool:
        return True


def workload(texts: Sequence[str], n: int, repeat_fraction: float, run: str, seed: int = 7) -> list[str]:
    """`n` texts of which about `repeat_fraction` repeat earlier ones; `run` keeps runs' misses distinct."""
    rng = random.Random(seed)
    out: list[str] = []
    for i in range(n):
        if out and rng.random() < repeat_fraction:
            out.append(rng.choice(out))
        else:
            out.append(f"{texts[i % len(texts)]} [{run}-{i}]")
    return out


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


async def _timestamps(bootstrap: str, topic: str, n: int, timeout_s: float) -> dict[tuple[int, int], int]:
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await c.start()
    try:
        await c.topics()
        tps = [TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic) or set())]
        c.assign(tps)
        await c.seek_to_beginning(*tps)
        out: dict[tuple[int, int], int] = {}
        deadline = time.monotonic() + timeout_s
        while len(out) < n and time.monotonic() < deadline:
            for msgs in (await c.getmany(timeout_ms=200)).values():
                for m in msgs:
                    out[(m.partition, m.offset)] = m.timestamp
        return out
    finally:
        await c.stop()


class Timing(NamedTuple):
    """A stream run read back from the broker's append times (seconds)."""

    latencies: list[float]
    #: First input appended -> last output appended: what events/s divides by.
    span_s: float
    #: First -> last input appended: the bench producing its input, before the worker's `run()` starts.
    produce_s: float
    #: First input appended -> first output appended.
    first_output_s: float
    #: When the first input was appended (epoch seconds).
    span_start_s: float


async def _output_latencies(bootstrap: str, settings: Settings, n: int) -> Timing:
    ins = await _timestamps(bootstrap, settings.topics.texts_topic, n, 30)
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await c.start()
    lat: list[float] = []
    last_out = 0
    first_out: int | None = None
    try:
        await c.topics()
        topic = settings.topics.annotations_topic
        tps = [TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic) or set())]
        c.assign(tps)
        await c.seek_to_beginning(*tps)
        deadline = time.monotonic() + 60
        while len(lat) < n and time.monotonic() < deadline:
            for msgs in (await c.getmany(timeout_ms=200)).values():
                for m in msgs:
                    prov = json.loads(m.value or b"{}")["provenance"]
                    t_in = ins.get((prov["input_partition"], prov["input_offset"]))
                    if t_in is not None:
                        lat.append((m.timestamp - t_in) / 1000.0)
                    last_out = max(last_out, m.timestamp)
                    first_out = m.timestamp if first_out is None else min(first_out, m.timestamp)
    finally:
        await c.stop()
    if not ins or not last_out or first_out is None:
        return Timing(lat, 0.0, 0.0, 0.0, 0.0)
    t0 = min(ins.values())
    return Timing(
        lat, (last_out - t0) / 1000.0, (max(ins.values()) - t0) / 1000.0, (first_out - t0) / 1000.0, t0 / 1000.0
    )


class _CpuReadings(NamedTuple):
    """CPU seconds used so far by the worker process, its event-loop thread, the broker and Redis."""

    process_s: float
    thread_s: float
    broker_s: float | None
    redis_s: float | None


async def _redis_cpu_s(redis: Redis | None) -> float | None:
    if redis is None:
        return None
    try:
        return parse_redis_cpu(await redis.info("cpu"))
    except RedisError:
        return None


async def _cpu_readings(broker: TansuBroker, redis: Redis | None) -> _CpuReadings:
    pid = broker.pid
    return _CpuReadings(
        time.process_time(),
        time.thread_time(),
        process_cpu_s(pid) if pid is not None else None,
        await _redis_cpu_s(redis),
    )


def _redis_for_cpu(settings: Settings) -> Redis | None:
    """A client for the cache's Redis, to read its CPU time, or None when the cache is not Redis.

    Built as the durable store's client would be on that server (its timeouts, the cache's CA).
    """
    target = resolve_store(StoreSettings(), settings.cache)
    if target is None or settings.cache.kind not in ("auto", "redis"):
        return None
    return store_client(target)


async def _raw_backend(annotator: Any, texts: Sequence[str], batch: int) -> float:
    backend = getattr(annotator, "backend", None)
    if backend is None:
        return 0.0
    if isinstance(backend, BusyMeter):
        backend.reset()
    t0 = time.perf_counter()
    for i in range(0, len(texts), batch):
        await backend.annotate(list(texts[i : i + batch]), ALL_TASKS)
    return len(texts) / (time.perf_counter() - t0)


async def run_stream_bench(
    settings: Settings,
    texts: list[str],
    *,
    repeat_fractions: Sequence[float] = (0.0, 0.5),
    in_flight: Sequence[int] = (4,),
    annotator: Annotator | None = None,
    delay_ms: float = 0.0,
    constant_model: bool = False,
    rounds: int = 1,
    unacked: int | None = None,
    ack_delay_ms: float = 0.0,
    console: Any = None,
) -> dict[str, Any]:
    """Measure the stream end to end for each in-flight limit and repeat fraction; returns a JSON-able dict.

    `delay_ms` > 0 adds a fixed latency to every backend call (`FixedDelayBackend`; built-in engine only);
    `constant_model` replaces the model with `ConstantBackend` (what remains is the stream's own cost).
    `rounds`: how many times to run the whole sweep (raw backend, then stream, for every setting).
    `unacked`: the worker's `max_unacked_batches` (None: its default).
    `ack_delay_ms` > 0 puts a proxy in front of the broker that delays every answer to a Produce
    request by that much (`stream.chaos.ack_proxy`), as acks from replicas in other zones would be,
    once the bench's input is produced.
    """
    from contextlib import AsyncExitStack

    from workers.factory import build_engine

    n = len(texts)
    results: list[dict[str, Any]] = []
    async with AsyncExitStack() as stack:
        gate: AckGate | None = None
        if ack_delay_ms > 0:
            # Every client reaches the broker through the proxy (the broker advertises its port);
            # the delay is switched on only once the bench's input is produced.
            proxy_port = free_port()
            broker = await stack.enter_async_context(TansuBroker(binary=settings.tansu_bin, advertised_port=proxy_port))
            gate = await stack.enter_async_context(ack_proxy(proxy_port, broker.port))
            bootstrap = f"127.0.0.1:{proxy_port}"
        else:
            broker = await stack.enter_async_context(TansuBroker(binary=settings.tansu_bin))
            bootstrap = broker.bootstrap_servers
        engine: Any = annotator
        meter: BusyMeter | None = None
        if engine is None:
            engine = build_engine(settings.engine, settings.cache, settings.backend)
            if constant_model:
                engine.backend = ConstantBackend()
            if delay_ms > 0:
                engine.backend = FixedDelayBackend(engine.backend, delay_ms / 1000.0)
            engine.backend = meter = BusyMeter(engine.backend)
            await stack.enter_async_context(engine)
        redis = _redis_for_cpu(settings)
        if redis is not None:
            await stack.enter_async_context(redis)  # closes the client
        raws: list[float] = []
        settings_grid = [(r, lim, f) for r in range(1, rounds + 1) for lim in in_flight for f in repeat_fractions]
        for rnd, limit, frac in settings_grid:
            # The raw texts carry a tag of the same shape as the stream's (six hex digits), so both
            # measurements see texts of the same token counts.
            raw_texts = workload(texts, n, 0.0, uuid.uuid4().hex[:6])
            raw_cpu = time.process_time()
            raw_eps = await _raw_backend(engine, raw_texts, settings.engine.max_batch_size)
            raw_cpu_s = time.process_time() - raw_cpu
            raws.append(raw_eps)
            raw_service = meter.service_s() if meter is not None else []
            if meter is not None:
                meter.reset()
            run = uuid.uuid4().hex[:6]
            s = settings.model_copy(deep=True)
            s.kafka.bootstrap_servers = bootstrap
            s.kafka.group_id = f"bench-{run}"
            s.topics.prefix = f"bench-{run}."
            s.stream.max_in_flight_batches = limit
            if unacked is not None:
                s.stream.max_unacked_batches = unacked
            s.stream.exit_when_idle_s = 1.0
            s.http_enabled = False
            values = [
                json.dumps({"id": f"b-{run}-{i}", "text": t}).encode()
                for i, t in enumerate(workload(texts, n, frac, run))
            ]
            async with StreamWorker(s, engine) as w:
                # Produce only once the group has assigned partitions, so that the (seconds-long)
                # group join is not counted as stream time.
                deadline = time.monotonic() + 30
                while not w.assigned() and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                await produce_values(s.kafka, s.topics.texts_topic, values)
                if gate is not None:
                    gate.delay_s = ack_delay_ms / 1000.0
                cpu0 = await _cpu_readings(broker, redis)
                run_wall, run_mono = time.time(), time.monotonic()
                await w.run()
                cpu1 = await _cpu_readings(broker, redis)
            if gate is not None:
                gate.delay_s = 0.0
            timing = await _output_latencies(bootstrap, s, n)
            lat, span_s = timing.latencies, timing.span_s
            eps = n / span_s if span_s > 0 else 0.0
            row = {
                "round": rnd,
                "in_flight": limit,
                "repeat_fraction": frac,
                "events": n,
                "outputs": len(lat),
                "events_per_s": round(eps, 1),
                "raw_backend_events_per_s": round(raw_eps, 1),
                "vs_raw_backend": round(eps / raw_eps, 3) if raw_eps else None,
                "latency_p50_s": round(percentile(lat, 0.5), 4),
                "latency_p99_s": round(percentile(lat, 0.99), 4),
                "latency_mean_s": round(statistics.fmean(lat), 4) if lat else None,
                "produce_s": round(timing.produce_s, 3),
                "first_output_s": round(timing.first_output_s, 3),
                "run_started_s": round(run_wall - timing.span_start_s, 3),
                "stream_cpu_ms_per_event": ms_per_event(cpu0.thread_s, cpu1.thread_s, n),
                "worker_cpu_ms_per_event": ms_per_event(cpu0.process_s, cpu1.process_s, n),
                "broker_cpu_ms_per_event": ms_per_event(cpu0.broker_s, cpu1.broker_s, n),
            }
            if redis is not None:
                row["redis_cpu_ms_per_event"] = ms_per_event(cpu0.redis_s, cpu1.redis_s, n)
            if raw_eps:
                row["raw_model_cpu_ms_per_event"] = ms_per_event(0.0, raw_cpu_s, n)
            if meter is not None and meter.calls:
                busy = meter.busy_fraction()
                row["backend_busy"] = round(busy, 3) if busy is not None else None
                row["first_call_s"] = round(min(c for c, _ in meter.calls) - run_mono, 3)
                row["service_ms_p50"] = round(1000 * statistics.median(meter.service_s()), 1)
                gaps = meter.gaps_s()
                if gaps:
                    row["model_gap_ms_p50"] = round(1000 * percentile(gaps, 0.5), 2)
                    row["model_gap_ms_p90"] = round(1000 * percentile(gaps, 0.9), 2)
                row["raw_service_ms_p50"] = round(1000 * statistics.median(raw_service), 1) if raw_service else None
            results.append(row)
            if console is not None:
                console.print(f"stream bench: {row}")
    summary = summarise_rounds(results)
    if console is not None:
        for line in summary:
            console.print(f"stream bench, over {rounds} round(s): {line}")
    return {
        "mode": "stream",
        "backend_delay_ms": delay_ms,
        "ack_delay_ms": ack_delay_ms,
        "model": getattr(engine, "model_name", None),
        "batch_size": settings.engine.max_batch_size,
        "rounds": rounds,
        "raw_backend_events_per_s": round(statistics.median(raws), 1) if raws else 0.0,
        "runs": results,
        "summary": summary,
    }


#: Row fields whose median over the rounds each setting's summary line carries (as `<field>_median`),
#: with the digits they are rounded to.
_MEDIANS: tuple[tuple[str, int], ...] = (
    ("backend_busy", 3),
    ("stream_cpu_ms_per_event", 4),
    ("worker_cpu_ms_per_event", 4),
    ("broker_cpu_ms_per_event", 4),
    ("redis_cpu_ms_per_event", 4),
    ("raw_model_cpu_ms_per_event", 4),
    ("model_gap_ms_p50", 2),
)


def summarise_rounds(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (in-flight limit, repeat fraction): the median, lowest and highest stream/raw ratio over rounds,
    and the medians of the model's busy fraction, its idle gap between calls (p50) and the CPU figures
    per event, over the rows that have them as numbers (not None or "n/a")."""
    by: dict[tuple[int, float], list[float]] = {}
    values: dict[tuple[tuple[int, float], str], list[float]] = {}
    for r in rows:
        key = (r["in_flight"], r["repeat_fraction"])
        if r["vs_raw_backend"] is not None:
            by.setdefault(key, []).append(r["vs_raw_backend"])
        for field, _ in _MEDIANS:
            v = r.get(field)
            if isinstance(v, int | float):
                values.setdefault((key, field), []).append(v)
    out: list[dict[str, Any]] = []
    for key, ratios in by.items():
        limit, frac = key
        line: dict[str, Any] = {
            "in_flight": limit,
            "repeat_fraction": frac,
            "rounds": len(ratios),
            "vs_raw_median": round(statistics.median(ratios), 3),
            "vs_raw_min": min(ratios),
            "vs_raw_max": max(ratios),
        }
        for field, digits in _MEDIANS:
            if values.get((key, field)):
                line[f"{field}_median"] = round(statistics.median(values[(key, field)]), digits)
        out.append(line)
    return out
