"""Running a chaos scenario: real broker, Redis and worker processes; produce, inject faults, account.

A scenario produces its events at a steady rate while its fault script runs, then waits
until every event has an output or a dead letter (or its deadline passes: the rest are
lost), stops the workers with SIGTERM and tallies. A worker that exits by itself is a
crash: it is counted and restarted, as an orchestrator would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stream.broker import TansuBroker
from stream.chaos.accounting import Seen, Tally, recovery_s, tally
from stream.chaos.events import BROKER_LIMIT_BYTES, ChaosEvent
from stream.chaos.procs import FaultServerProcess, RedisProcess, WorkerProcess
from stream.kafka import KeyValue, produce_and_wait, producer, read_from_start
from stream.settings import KafkaSettings, TopicSettings
from stream.topics import ensure_service_topics

log = logging.getLogger(__name__)

_FETCH_BYTES = 8 << 20  # dead letters of near-limit records are larger than the record (base64)


class Stack:
    """The long-lived parts shared by a run's scenarios: one broker, one Redis, the fault server on demand."""

    def __init__(self, workdir: Path, root: Path, *, partitions: int = 4) -> None:
        self.workdir = workdir
        self.root = root
        self.partitions = partitions
        self.broker = TansuBroker(log_path=workdir / "tansu.log")
        (workdir / "redis").mkdir(parents=True, exist_ok=True)
        self.redis = RedisProcess(workdir / "redis")
        self._tgi: FaultServerProcess | None = None
        #: Every worker any scenario started: killed on `stop()` should a scenario be cut short.
        self.workers: list[WorkerProcess] = []

    def start(self) -> None:
        self.broker.start()
        try:
            self.redis.start()
        except BaseException:
            self.broker.stop()
            raise

    def stop(self) -> None:
        for w in self.workers:
            with contextlib.suppress(Exception):
                w.kill()
        for stop in (self.tgi_stop, self.redis.stop, self.broker.stop):
            with contextlib.suppress(Exception):
                stop()

    async def __aenter__(self) -> Stack:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)

    async def tgi(self) -> FaultServerProcess:
        """The TGI fault server, started on first use (loading SmolLM2 takes a while)."""
        if self._tgi is None:
            server = FaultServerProcess(self.root, self.workdir / "tgi-server.log")
            await asyncio.to_thread(server.start)
            self._tgi = server
        return self._tgi

    def tgi_stop(self) -> None:
        if self._tgi is not None:
            self._tgi.stop()
            self._tgi = None


@dataclass(slots=True)
class FaultWindow:
    name: str
    start_s: float
    end_s: float | None = None


@dataclass(slots=True)
class ScenarioResult:
    name: str
    description: str
    backend: str
    tally: Tally
    seconds: float
    peak_rss_mb: float
    crashes: int
    recover_s: float | None
    faults: list[str] = field(default_factory=list)
    logs: Path | None = None

    @property
    def ok(self) -> bool:
        """Nothing lost, no healthy event dead-lettered, hostile ones routed right, and no worker crashed."""
        return self.tally.ok and self.crashes == 0


class Run:
    """One scenario's context: its topics and group, its workers, what the reader has seen so far."""

    def __init__(self, stack: Stack, name: str, backend: str, *, env: dict[str, str] | None = None) -> None:
        self.stack = stack
        self.name = name
        self.backend = backend
        tag = f"{name}-{uuid.uuid4().hex[:6]}"
        self.logdir = stack.workdir / tag
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.kafka = KafkaSettings(bootstrap_servers=stack.broker.bootstrap_servers, group_id=f"chaos-{tag}")
        self.topics = TopicSettings(prefix=f"chaos-{tag}.", partitions=stack.partitions)
        self.extra_env = env or {}
        self.workers: list[WorkerProcess] = []
        self.outputs: list[Seen] = []
        self.dead: list[Seen] = []
        self.windows: list[FaultWindow] = []
        self.t0 = time.monotonic()
        self._tgi_url: str | None = None

    # -- workers -----------------------------------------------------------------------------------

    def worker_env(self, worker_id: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("EMOSTREAM_")}
        env = {
            **base,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(self.stack.root), base.get("PYTHONPATH")])),
            "EMOSTREAM_KAFKA__BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "EMOSTREAM_KAFKA__GROUP_ID": self.kafka.group_id,
            # A crashed member is noticed after this long (a rebalance then hands its partitions on).
            "EMOSTREAM_KAFKA__SESSION_TIMEOUT_MS": "6000",
            "EMOSTREAM_TOPICS__PREFIX": self.topics.prefix,
            "EMOSTREAM_TOPICS__PARTITIONS": str(self.topics.partitions),
            "EMOSTREAM_CACHE__KIND": "redis",
            "EMOSTREAM_CACHE__REDIS_URL": self.stack.redis.url,
            "EMOSTREAM_CACHE__KEY_PREFIX": f"chaos:{self.topics.prefix}",
            "EMOSTREAM_BACKEND__KIND": self.backend,
            "EMOSTREAM_BACKEND__LOCAL__NUM_THREADS": "1",
            "EMOSTREAM_HTTP_ENABLED": "false",
            "EMOSTREAM_LOG_LEVEL": "WARNING",
            "EMOSTREAM_SHUTDOWN_GRACE_S": "10",
            "EMOSTREAM_WORKER_ID": worker_id,
        }
        if self._tgi_url is not None:
            env["EMOSTREAM_BACKEND__TGI__URL"] = self._tgi_url
        env.update(self.extra_env)
        return env

    def spawn(self) -> WorkerProcess:
        name = f"w{len(self.workers)}"
        w = WorkerProcess(name, self.worker_env(name), self.logdir / f"{name}.log", self.stack.root)
        w.start()
        self.workers.append(w)
        self.stack.workers.append(w)
        return w

    async def tgi(self) -> FaultServerProcess:
        server = await self.stack.tgi()
        self._tgi_url = server.url
        return server

    # -- faults ------------------------------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() - self.t0

    def fault_start(self, name: str) -> None:
        self.windows.append(FaultWindow(name, self.now()))

    def fault_end(self) -> None:
        self.windows[-1].end_s = self.now()

    async def fault(self, name: str, begin: Callable[[], Any], end: Callable[[], Any], hold_s: float) -> None:
        """Inject a fault (`begin`), hold it `hold_s`, lift it (`end`); the window is recorded for recovery."""
        self.fault_start(name)
        await asyncio.to_thread(begin)
        await asyncio.sleep(hold_s)
        await asyncio.to_thread(end)
        self.fault_end()

    async def wait_outputs(self, n: int, timeout_s: float = 120.0) -> bool:
        """Wait until `n` outputs (over the whole scenario) were read; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while len(self.outputs) < n:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.1)
        return True

    # -- background loops --------------------------------------------------------------------------

    async def supervise(self, restart_after_s: float = 1.0) -> None:
        """Sample peak memory; restart a worker that crashed (exited without being told to)."""
        while True:
            for w in list(self.workers):
                w.sample()
                if w.check():
                    log.warning("worker crashed; restarting", extra={"worker": w.name, "log": str(w.log_path)})
                    await asyncio.sleep(restart_after_s)
                    w.start()
            await asyncio.sleep(0.5)

    async def read(self) -> None:
        """Tail the output and dead-letter topics from the start, noting each record's event id and arrival."""
        records = read_from_start(
            self.kafka,
            [self.topics.annotations_topic, self.topics.dead_letters_topic],
            idle_s=None,
            max_partition_fetch_bytes=_FETCH_BYTES,
            fetch_max_bytes=_FETCH_BYTES,
        )
        async with contextlib.aclosing(records):
            async for batch in records:
                at = self.now()
                for m in batch:
                    key = m.key.decode("utf-8", "replace") if m.key is not None else "?"
                    if m.topic == self.topics.annotations_topic:
                        self.outputs.append(Seen(key, at))
                    else:
                        try:
                            reason = str(json.loads(m.value or b"{}").get("reason"))
                        except ValueError:
                            reason = "?"
                        self.dead.append(Seen(key, at, reason))

    def accounted(self, ids: set[str]) -> bool:
        return ids <= {s.event_id for s in self.outputs} | {s.event_id for s in self.dead}


async def produce_steadily(kafka: KafkaSettings, topic: str, events: Sequence[ChaosEvent], rate_per_s: float) -> None:
    """Send `events` keyed by id at about `rate_per_s`, waiting for every acknowledgement."""

    async def paced(chunk: Sequence[ChaosEvent], first: int) -> AsyncIterator[KeyValue]:
        for i, ev in enumerate(chunk, first):
            delay = t0 + i / rate_per_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            yield ev.key, ev.value

    async with producer(kafka, max_request_size=BROKER_LIMIT_BYTES + 4096) as p:
        t0 = time.monotonic()
        for first in range(0, len(events), 1000):  # acknowledged a thousand at a time
            await produce_and_wait(p, topic, paced(events[first : first + 1000], first))


FaultScript = Callable[[Run], Coroutine[Any, Any, None]]


async def run_scenario(
    stack: Stack,
    *,
    name: str,
    description: str,
    backend: str,
    events: Sequence[ChaosEvent],
    rate_per_s: float,
    faults: FaultScript | None = None,
    workers: int = 1,
    settle_timeout_s: float = 60.0,
    stall_s: float = 30.0,
    env: dict[str, str] | None = None,
) -> ScenarioResult:
    """Run one scenario end to end and account for every event (see the module doc).

    The fault script starts once the first output appears, alongside the steady production. Once
    production and faults are over, it waits up to `settle_timeout_s` for the rest, but gives up
    after `stall_s` without a single new output or dead letter.
    """
    run = Run(stack, name, backend, env=env)
    if backend == "tgi":
        await run.tgi()
    await ensure_service_topics(run.kafka, run.topics)
    background = [asyncio.create_task(run.read()), asyncio.create_task(run.supervise())]
    started = time.monotonic()
    try:
        for _ in range(workers):
            run.spawn()
        # A few events first; once they come out the workers are up, and the rest streams in while the
        # faults happen, so every fault hits a flowing stream and there is output after it to time recovery.
        warm = max(1, min(len(events) // 10, 50))
        await produce_steadily(run.kafka, run.topics.texts_topic, events[:warm], rate_per_s=1e9)
        if await run.wait_outputs(1, timeout_s=240):
            producing = asyncio.create_task(
                produce_steadily(run.kafka, run.topics.texts_topic, events[warm:], rate_per_s)
            )
            script = asyncio.create_task(faults(run)) if faults is not None else None
            await producing
            if script is not None:
                await script
        else:  # the workers never produced anything: send the rest anyway, so the tally shows them lost
            await produce_steadily(run.kafka, run.topics.texts_topic, events[warm:], rate_per_s=1e9)
        ids = {e.id for e in events}
        deadline = time.monotonic() + settle_timeout_s
        seen, progress_at = 0, time.monotonic()
        while not run.accounted(ids) and time.monotonic() < deadline:
            if len(run.outputs) + len(run.dead) != seen:
                seen, progress_at = len(run.outputs) + len(run.dead), time.monotonic()
            elif time.monotonic() - progress_at > stall_s:
                break  # a stalled stream: what is missing now stays missing
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # late duplicates
    finally:
        await asyncio.gather(*(asyncio.to_thread(w.terminate) for w in run.workers))
        for t in background:
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await t
    counts = tally(events, run.outputs, run.dead)
    arrivals = [s.at_s for s in run.outputs]
    recoveries = [r for w in run.windows if (r := recovery_s(arrivals, w.end_s)) is not None]
    lost_after_fault = any(recovery_s(arrivals, w.end_s) is None for w in run.windows)
    return ScenarioResult(
        name=name,
        description=description,
        backend=backend,
        tally=counts,
        seconds=round(time.monotonic() - started, 1),
        peak_rss_mb=round(max((w.peak_rss_mb for w in run.workers), default=0.0), 1),
        crashes=sum(w.crashes for w in run.workers),
        recover_s=None if lost_after_fault or not recoveries else max(recoveries),
        faults=[w.name for w in run.windows],
        logs=run.logdir,
    )
