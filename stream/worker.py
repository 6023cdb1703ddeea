"""The stream worker: consume `TextEvent`s, annotate batches concurrently, produce, commit at-least-once.

Why aiokafka directly and not a faust agent: faust-streaming 0.15.3's commit
path loses records, reproduced here (docs/faust-evaluation.md, stress probe
`tests/stream/probes/faust_stress.py`, 28 records lost in 5 of 36 runs of a
stateless agent with concurrency 4 under SIGKILL): it commits past a record
still in flight when the committed offset is that record's (an off-by-one in
`Consumer._new_offset`, faust-streaming#606, fix proposed in #707), on a
partition with nothing committed yet (its head check treats 0/None as "no
check"), and during a revocation (it forgets the committed offset before
waiting for in-flight events). A crash before that record finishes loses it.
Its commit does wait for output acks, and it never stalled; the loss needs a
record in flight at a bad moment, which a slow backend or a rebalance makes
common. This worker owns the commit path: `OffsetTracker` commits a
partition's offset only past records whose output or dead letter the broker
acknowledged (acks=all), and a rebalance listener drains and commits revoked
partitions before giving them up. Everything else (batching with a size and a
time bound, bounded in-flight batches) is a few dozen lines on aiokafka.

A batch passes two bounded stages (`stream.stages`): annotation, then waiting
for its outputs' acks. The fetch loop takes an annotation slot before fetching;
a batch whose annotations are back takes an ack slot and frees its annotation
slot, so the next batch's backend call overlaps this batch's output building,
produce and acks instead of waiting for them. With the built-in engine the
annotation stage holds one batch more than `in_flight_batches()`, and the engine
bounds the backend calls to that many (`AnnotationEngine.limit_backend_calls`):
the extra batch is fetched, decoded and looked up in the cache while the calls
before it run, and takes a call slot the moment one returns, so the model does
not wait for that work (nor for the returning batch's cache write-back) between
calls. Memory is bounded: at most `in_flight_batches() + READY_AHEAD_BATCHES +
max_unacked_batches` batches exist, and a broker that stops acknowledging fills
the ack stage, then the annotation stage, and pauses consumption; aiokafka's
prefetch is bounded by its fetch sizes.

An outage must not cost the group membership: aiokafka leaves the group when
`getmany` has not been called for `max_poll_interval_ms`, and batches waiting on
a dead backend can hold every slot far longer than that. So while every annotation
slot is busy the worker pauses its partitions and keeps polling (a paused partition
returns nothing); it stays in the group, `stop()` and SIGTERM interrupt the
wait, and the partitions resume when a slot frees, with no rebalance.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, ConsumerStoppedError, KafkaError
from redis.exceptions import RedisError

from schemas.errors import EmostreamError
from schemas.events import EventLimits
from stream import metrics
from stream.http import HealthServer
from stream.kafka import consumer_drained, group_consumer, producer
from stream.offsets import TP, OffsetTracker
from stream.processor import Annotator, BackendGate, BatchConfig, process_batch_guarded
from stream.producing import KafkaSink, ProduceRejected
from stream.records import InRecord
from stream.settings import Settings
from stream.stages import BatchStages, BatchTicket, Stage
from stream.topics import ensure_service_topics
from workers.backend import Backend
from workers.config import BackendSettings
from workers.engine import AnnotationEngine
from workers.lifecycle import start_on
from workers.retry import CircuitBreaker, RetryPolicy

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from schemas.registry import ModelVersion

log = logging.getLogger(__name__)


#: Batches in annotation beyond the engine's backend-call limit: each is fetched, decoded and looked up in
#: the cache while the calls before it run, and so is ready the moment a call slot frees.
READY_AHEAD_BATCHES = 1

#: Net allocations of container objects between young-generation collections (CPython's default: 700).
GC_YOUNG_THRESHOLD = 10_000


def raise_gc_threshold(young: int = GC_YOUNG_THRESHOLD) -> None:
    """Collect the young generation after `young` net allocations instead of 700 (a threshold set higher stays).

    Per event the worker allocates a few dozen short-lived containers, nearly all freed by reference
    counting; at 700 the collector ran every ~60 events, and every ~6,000 scanned the whole heap (the
    model, clients, modules: 25-40 ms holding the GIL, which the model's threads need too). That was
    ~10% of the stream's CPU per event in `emostream bench --mode stream --constant-model`. Cyclic
    garbage is still collected, a little later: memory grows by at most that many young objects.
    """
    threshold, middle, old = gc.get_threshold()
    if threshold < young:
        gc.set_threshold(young, middle, old)


#: How long a thread may hold the GIL while another waits for it (CPython's default: 5 ms).
GIL_SWITCH_INTERVAL_S = 0.001


def shorten_gil_switch_interval(interval_s: float = GIL_SWITCH_INTERVAL_S) -> None:
    """Make a thread that holds the GIL hand it over after `interval_s` when another asks (a shorter setting stays).

    The local model's thread needs the GIL between its GIL-free parts (the lexicon, numpy glue, scores),
    while ONNX Runtime's threads, which do not, wait for it at the call's barriers. The event loop works
    through a batch's events in one go; at the default 5 ms, each time it held the GIL when the model's
    thread asked, the model's cores idled for up to 5 ms. A model call of 64 texts beside a loop busy
    4 ms of every 29 took +41-45% longer at 5 ms, +7-20% at 1 ms (one run, a CPU-bound neighbour).
    """
    if sys.getswitchinterval() > interval_s:
        sys.setswitchinterval(interval_s)


class WorkerCrashed(EmostreamError):
    """A batch could be neither annotated nor dead-lettered; the worker stopped, to re-read it on restart."""


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, worker: StreamWorker) -> None:
        self._worker = worker

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        # aiokafka calls this with nothing revoked before the first join, inside `start()`: the worker's
        # consumer is not set yet then, and there is nothing to wait for or commit.
        if revoked:
            await self._worker._on_revoked([TP(tp.topic, tp.partition) for tp in revoked])

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self._worker._on_assigned(list(assigned))


class StreamWorker:
    """One worker process's stream loop; `async with` it, then `await run()`; `stop()` drains and exits.

    `annotator` defaults to the engine built from `settings` (entered with the worker).
    """

    def __init__(self, settings: Settings, annotator: Annotator | None = None) -> None:
        self.settings = settings
        self._annotator = annotator
        self._stack = AsyncExitStack()
        self._tracker = OffsetTracker()
        self._committed: dict[TP, int] = {}
        self._commit_lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        #: When stopping began: the drain (and a revocation meanwhile) ends a grace period after it.
        self._stop_at: float | None = None
        #: Set when an annotation slot frees or stop() is called: wakes the fetch loop waiting for a slot.
        self._wake = asyncio.Event()
        #: Whether the fetch loop holds the partitions paused (every annotation slot busy, or draining).
        self._paused = False
        #: Partitions owned since their assignment, until revoked: the only ones with gauges.
        self._owned: set[TP] = set()
        #: When each owned partition's commit point last advanced (or it was caught up, or assigned).
        self._progress_at: dict[TP, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        st = settings.stream
        # The built-in engine (the default, or one passed in) bounds its backend calls itself (`_start`), so
        # batches ahead of those calls may be prepared; another annotator's calls are bounded by the stage.
        self._ready_ahead = READY_AHEAD_BATCHES if annotator is None or isinstance(annotator, AnnotationEngine) else 0
        self._stages = BatchStages(
            settings.in_flight_batches() + self._ready_ahead, st.max_unacked_batches, on_free=self._wake.set
        )
        kind = settings.backend.kind
        self._gate = BackendGate(
            RetryPolicy(st.max_attempts, st.retry_base_delay_s, st.retry_max_delay_s),
            CircuitBreaker(st.breaker_failure_threshold, st.breaker_reset_after_s, name=kind),
            name=kind,
            outage_pause_s=st.outage_pause_s,
            poison_rounds=st.poison_rounds,
        )
        self._cfg = BatchConfig(
            output_topic=settings.topics.annotations_topic,
            dead_letter_topic=settings.topics.dead_letters_topic,
            worker=settings.worker_id,
            limits=EventLimits(settings.engine.max_text_chars, settings.engine.max_text_bytes),
        )
        self._consumer: AIOKafkaConsumer | None = None
        self._sink: KafkaSink | None = None
        self.http: HealthServer | None = None
        self.processed = 0
        self._fatal: Exception | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    @property
    def annotator(self) -> Annotator | None:
        return self._annotator

    async def _open_registry(self) -> tuple[Redis, ModelVersion | None] | None:
        """The registry's Redis client and its champion now (None if unreadable yet), or None if unusable.

        The registry lives in the durable store (`EMOSTREAM_STORE__*`, else the cache's Redis), read with
        the store's socket timeouts, so a hung Redis fails a read instead of stalling the worker's start.
        """
        from workers.registry import read_champion
        from workers.store import store_client

        s = self.settings
        durable = s.durable_store()
        if durable is None:
            log.warning("follow_champion needs EMOSTREAM_STORE__REDIS_URL (registry in Redis); not following")
            return None
        client = store_client(durable)
        self._stack.push_async_callback(client.aclose)
        try:
            champion = await read_champion(client, s.stream.registry_prefix)
        except (RedisError, OSError, ValueError) as e:
            log.warning("cannot read the champion; serving the configured model", extra={"error": str(e)})
            champion = None
        return client, champion

    async def _enter_engine(self, champion: ModelVersion | None) -> tuple[AnnotationEngine, str | None]:
        """The worker's engine (and the champion it serves): the registry's champion, else the configured model.

        A champion that fails to load (a missing or corrupt artefact included) is logged and the configured
        model served instead: a worker that cannot start would only crash-loop, and the follower tries
        the champion again when the alias moves.
        """
        from workers.factory import build_engine

        s = self.settings
        if champion is not None:
            try:
                engine = build_engine(s.engine, s.cache, await self._champion_backend_settings(champion))
                return await self._stack.enter_async_context(engine), champion.version
            except Exception:
                log.exception(
                    "cannot load the champion; serving the configured model",
                    extra={"champion": champion.version},
                )
        return await self._stack.enter_async_context(build_engine(s.engine, s.cache, s.backend)), None

    async def _champion_backend_settings(self, version: ModelVersion) -> BackendSettings:
        """The backend settings serving `version`, its artefact fetched from the model store and verified."""
        from workers.model_store import build_model_store, materialise
        from workers.registry import backend_settings_for

        s = self.settings
        store = s.model_store
        local = await materialise(
            version, build_model_store(store), store.cache_dir, keep_previous=store.cache_keep_previous
        )
        return backend_settings_for(local, s.backend)

    async def _load_champion(self, version: ModelVersion) -> Backend:
        from workers.factory import build_backend

        return build_backend(await self._champion_backend_settings(version))

    def _follow_champion(self, engine: AnnotationEngine, client: Redis, serving: str | None) -> None:
        """Hot-swap `engine`'s model whenever the trainer moves the registry's champion alias, until exit.

        `workers.registry.follow_champion` does the following; the engine closes every backend it served.
        """
        from workers.registry import follow_champion

        st = self.settings.stream
        task = asyncio.create_task(
            follow_champion(
                engine,
                client,
                self._load_champion,
                prefix=st.registry_prefix,
                serving=serving,
                poll_interval_s=st.champion_poll_s,
            ),
            name="follow-champion",
        )

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        self._stack.push_async_callback(stop)

    async def __aenter__(self) -> Self:
        await start_on(self._stack, self._start)
        return self

    async def _start(self) -> None:
        s = self.settings
        log.info("worker starting", extra={"settings": s.redacted()})
        raise_gc_threshold()
        shorten_gil_switch_interval()
        await ensure_service_topics(s.kafka, s.topics)
        registry = await self._open_registry() if s.stream.follow_champion else None
        serving: str | None = None  # the registry version the engine runs, if known
        if self._annotator is None:
            self._annotator, serving = await self._enter_engine(registry[1] if registry else None)
        if self._ready_ahead:
            engine = self._annotator
            assert isinstance(engine, AnnotationEngine)
            engine.limit_backend_calls(s.in_flight_batches())
            self._stack.callback(engine.limit_backend_calls, None)  # an engine passed in outlives the worker
        if registry is not None:
            engine = self._annotator
            if isinstance(engine, AnnotationEngine):
                self._follow_champion(engine, registry[0], serving)
            else:
                log.warning("follow_champion needs the built-in engine; not following")
        out = await self._stack.enter_async_context(producer(s.kafka))
        self._sink = KafkaSink(
            out,
            dead_letter_topic=s.topics.dead_letters_topic,
            worker=s.worker_id,
            max_record_bytes=s.kafka.max_request_bytes,
        )
        self._consumer = await self._stack.enter_async_context(
            group_consumer(
                s.kafka,
                [s.topics.texts_topic],
                group_id=s.kafka.group_id,
                listener=_Rebalance(self),
                revoke_wait_s=s.shutdown_grace_s,
            )
        )
        if s.http_enabled:
            self.http = await self._stack.enter_async_context(HealthServer(s.http_host, s.http_port, ready=self.ready))

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        await self._drain()
        await self._stack.__aexit__(exc_type, exc, tb)

    def stop(self) -> None:
        """Stop fetching; `run()` then finishes in-flight batches (within the grace period), commits and returns.

        Safe from a signal handler; interrupts any wait of the fetch loop, an outage's included.
        """
        if self._stop_at is None:
            self._stop_at = time.monotonic()
        self._stopping.set()
        self._wake.set()

    def assigned(self) -> bool:
        """Whether the consumer group has given this worker partitions yet."""
        return self._consumer is not None and bool(self._consumer.assignment())

    def assignment(self) -> set[TP]:
        """The partitions the consumer group has given this worker now."""
        if self._consumer is None:
            return set()
        return {TP(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    async def ready(self) -> bool:
        """Broker reachable (partitions or a live group), and the engine's model loaded."""
        if self._consumer is None or self._stopping.is_set():
            return False
        engine_ready = getattr(self._annotator, "ready", None)
        if engine_ready is not None and not await engine_ready():
            return False
        return bool(await self._broker_ok())

    async def _broker_ok(self) -> bool:
        assert self._consumer is not None
        try:
            await asyncio.wait_for(self._consumer.topics(), timeout=2.0)
            return True
        except (KafkaError, TimeoutError):
            return False

    # -- main loop -------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Fetch batches until stopped (or idle for `exit_when_idle_s`), then drain and commit.

        Raises `WorkerCrashed` (after draining and committing the rest) if a batch could be neither
        annotated nor dead-lettered.
        """
        assert self._consumer is not None
        st = self.settings.stream
        commit_task = asyncio.create_task(self._commit_loop())
        lag_task = asyncio.create_task(self._lag_loop())
        last_data = time.monotonic()
        try:
            while not self._stopping.is_set():
                if self._stages.full():
                    await self._wait_for_slot()
                    continue
                ticket = await self._stages.admit()
                try:
                    records = await self._fetch_batch()
                except BaseException:
                    ticket.release()
                    raise
                if not records:
                    ticket.release()
                    idle = time.monotonic() - last_data
                    if (
                        st.exit_when_idle_s is not None
                        and idle >= st.exit_when_idle_s
                        and not self._tasks
                        and await self._drained()
                    ):
                        log.info("input drained, exiting", extra={"processed": self.processed})
                        break
                    continue
                last_data = time.monotonic()
                task = asyncio.create_task(self._run_batch(records, ticket))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                task.add_done_callback(lambda _: self._wake.set())  # the drain and the idle exit wait for tasks
        finally:
            self.stop()
            await self._drain()
            for t in (commit_task, lag_task):
                t.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            await asyncio.shield(self._commit())
        if self._fatal is not None:
            raise WorkerCrashed(f"a batch could not be finished: {self._fatal!r}") from self._fatal

    def _poll_every_s(self) -> float:
        """How often a waiting fetch loop polls: well inside `max_poll_interval_ms`, and at least each second."""
        return min(1.0, self.settings.kafka.max_poll_interval_ms / 3000.0)

    async def _wait_for_slot(self) -> None:
        """Every annotation slot is busy: wait for one to free (or for stop()) without leaving the group.

        A short wait needs no poll, and keeps aiokafka's prefetched records; a longer one (a slow or
        dead backend) pauses the partitions and polls, see `_poll_paused`.
        """
        deadline = time.monotonic() + self._poll_every_s()
        # The wake-up also comes when a batch ends, which frees an ack slot, not an annotation slot.
        while self._stages.full() and not self._stopping.is_set():
            self._wake.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), left)
        if self._stages.full() and not self._stopping.is_set():
            log.debug(
                "all batch slots busy; partitions paused",
                extra={"batches": len(self._tasks), "awaiting_acks": self._stages.awaiting_acks},
            )
            await self._poll_paused(lambda: not self._stages.full() or self._stopping.is_set())
            log.debug("batch slot free; partitions resumed")

    async def _poll_paused(self, done: Callable[[], bool], deadline: float | None = None) -> None:
        """Keep the consumer polling, with every assigned partition paused, until `done()` or the deadline.

        aiokafka's heartbeat task leaves the group once no `getmany` call ran for `max_poll_interval_ms`;
        a paused partition's records stay unfetched (its position does not move), so polling returns
        nothing and costs nothing. Records that a poll does return (a partition assigned between the
        pause and the poll) are handed back by seeking to them, so none is skipped.
        """
        assert self._consumer is not None
        consumer = self._consumer
        self._paused = True
        try:
            while not done():
                self._wake.clear()
                self._pause_assigned()
                try:
                    got = await self._poll(0, limit_s=self._poll_every_s())
                    for tp, msgs in got.items():
                        consumer.seek(tp, msgs[0].offset)
                        consumer.pause(tp)
                except (KafkaError, ConsumerStoppedError) as e:  # a coordination error: the next poll retries
                    log.debug("paused poll failed", extra={"error": str(e)})
                if done():
                    break
                timeout_s = self._poll_every_s()
                if deadline is not None:
                    timeout_s = min(timeout_s, deadline - time.monotonic())
                    if timeout_s <= 0:
                        break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout_s)
        finally:
            self._paused = False
            with contextlib.suppress(KafkaError):
                consumer.resume(*consumer.paused())

    async def _poll(
        self, timeout_ms: int, max_records: int | None = None, *, limit_s: float | None = None
    ) -> dict[TopicPartition, list[Any]]:
        """`getmany`, cut short by stop() or after `limit_s`; a call cut short returned no records.

        aiokafka's `getmany` waits out a rebalance in progress, however long the other members take
        to rejoin; a stop must not wait for that.
        """
        assert self._consumer is not None
        fetch = asyncio.ensure_future(self._consumer.getmany(timeout_ms=timeout_ms, max_records=max_records))
        stop = None if self._stopping.is_set() else asyncio.ensure_future(self._stopping.wait())
        try:
            waiters: set[asyncio.Future[Any]] = {fetch} if stop is None else {fetch, stop}
            await asyncio.wait(waiters, timeout=limit_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if stop is not None:
                stop.cancel()
            if not fetch.done():  # still waiting (for records or a reassignment): nothing was consumed
                fetch.cancel()
                await asyncio.wait({fetch})
        return {} if fetch.cancelled() else fetch.result()

    def _pause_assigned(self) -> None:
        assert self._consumer is not None
        assigned = self._consumer.assignment()
        if assigned:
            self._consumer.pause(*assigned)

    async def _drained(self) -> bool:
        assert self._consumer is not None
        return await consumer_drained(self._consumer)

    async def _fetch_batch(self) -> list[InRecord]:
        """Up to `engine.max_batch_size` records, waiting at most `max_batch_wait_ms` to fill the batch."""
        assert self._consumer is not None
        size = self.settings.engine.max_batch_size
        wait_s = self.settings.stream.max_batch_wait_ms / 1000.0
        out: list[InRecord] = []
        deadline: float | None = None
        while len(out) < size and not self._stopping.is_set():
            if deadline is None:
                timeout_ms = 200  # nothing yet: poll, and check stopping between polls
            else:
                timeout_ms = int(max(0.0, deadline - time.monotonic()) * 1000)
            got = await self._poll(timeout_ms, max_records=size - len(out))
            for tp, msgs in got.items():
                key = TP(tp.topic, tp.partition)
                self._tracker.track(key, (m.offset for m in msgs))
                out.extend(InRecord(m.topic, m.partition, m.offset, m.key, m.value) for m in msgs)
            if deadline is None:
                if not out:
                    return out
                deadline = time.monotonic() + wait_s
            if time.monotonic() >= deadline:
                break
        return out

    async def _run_batch(self, records: list[InRecord], ticket: BatchTicket) -> None:
        """Annotate, produce and await acks for one batch (holding `ticket`'s slots), then finish its offsets."""
        assert self._annotator is not None and self._sink is not None
        worker = self.settings.worker_id
        metrics.IN_FLIGHT_BATCHES.labels(worker).inc()

        async def annotated() -> None:
            # Before the outputs are built: from here the next batch may use the backend.
            if ticket.stage is Stage.ANNOTATING:
                await ticket.annotated()
                metrics.UNACKED_BATCHES.labels(worker).inc()

        metrics.BATCH_SIZE.observe(len(records))
        metrics.EVENTS_IN.labels(topic=self.settings.topics.texts_topic).inc(len(records))
        t0 = time.monotonic()
        try:
            while True:
                try:
                    # ProduceRejected (not even a dead letter is accepted) is fatal: straight to the handler below.
                    await process_batch_guarded(
                        records,
                        self._annotator,
                        self._sink,
                        self._gate,
                        self._cfg,
                        passthrough=(KafkaError, ProduceRejected),
                        annotated=annotated,
                    )
                    break
                except KafkaError as e:
                    # The sink retries transient produce errors itself (sending only unacknowledged records)
                    # and replaces refused records; a broker error from elsewhere: try the batch again.
                    log.warning("produce failed, retrying batch", extra={"error": str(e)})
                    await asyncio.sleep(1.0)
            by_tp: dict[TP, list[int]] = {}
            for r in records:
                by_tp.setdefault(TP(r.topic, r.partition), []).append(r.offset)
            for tp, offs in by_tp.items():
                self._tracker.finish(tp, offs)
            self.processed += len(records)
            elapsed = time.monotonic() - t0
            for _ in records:
                metrics.EVENT_LATENCY.observe(elapsed)
        except Exception as e:
            # Even dead-lettering failed (not a broker outage: a bug in the output path). The batch's
            # offsets cannot be finished, and an unfinished offset holds its partition's commit point
            # forever, so stop the worker: `run()` raises `WorkerCrashed`, the process exits non-zero,
            # and the restarted worker re-reads the batch from the last commit.
            log.critical("batch could not be finished; stopping the worker", exc_info=True)
            if self._fatal is None:
                self._fatal = e
            self._stopping.set()
        finally:
            metrics.IN_FLIGHT_BATCHES.labels(worker).dec()
            if ticket.stage is Stage.AWAITING_ACKS:
                metrics.UNACKED_BATCHES.labels(worker).dec()
            ticket.release()

    def _grace_deadline(self) -> float:
        """When the grace period of the stop in progress ends (or would, for a stop now)."""
        start = self._stop_at if self._stop_at is not None else time.monotonic()
        return start + self.settings.shutdown_grace_s

    async def _drain(self) -> None:
        """Let in-flight batches finish within the grace period; cancel (and so not commit) the rest.

        The consumer keeps polling, its partitions paused, so the group keeps it (and takes the final
        commit) however long the grace period is.
        """
        if not self._tasks:
            return
        if self._consumer is not None:
            await self._poll_paused(lambda: not self._tasks, self._grace_deadline())
        else:
            await asyncio.wait(set(self._tasks), timeout=max(0.0, self._grace_deadline() - time.monotonic()))
        pending = set(self._tasks)
        for t in pending:
            t.cancel()
        if pending:
            log.warning("grace period over; abandoning batches", extra={"batches": len(pending)})
            await asyncio.wait(pending, timeout=5.0)

    # -- commits ---------------------------------------------------------------------------------------

    async def _commit_loop(self) -> None:
        interval = self.settings.stream.commit_interval_ms / 1000.0
        while True:
            await asyncio.sleep(interval)
            await self._commit()

    async def _lag_loop(self) -> None:
        """Keep `emostream_consumer_lag` current even when no records arrive (a stalled or saturated worker).

        Lag is the partition's end minus the group's committed offset: what KEDA's Kafka scaler reads,
        so the gauge and the autoscaler agree. Broker errors skip a round; the next one retries.
        """
        assert self._consumer is not None
        while True:
            await asyncio.sleep(self.settings.stream.lag_interval_s)
            try:
                await self.update_lag()
            except (KafkaError, OSError) as e:
                log.debug("lag update failed", extra={"error": str(e)})

    async def update_lag(self) -> dict[TP, int]:
        """Set the lag and commit-stall gauges of every owned partition from the broker; returns the lags.

        The stall is the time since the partition's commit point last advanced, while records wait
        behind it (0 when caught up): a backend outage, a stuck batch or failing commits all show.
        """
        assert self._consumer is not None
        assigned = [tp for tp in self._consumer.assignment() if TP(tp.topic, tp.partition) in self._owned]
        if not assigned:
            return {}
        ends = await self._consumer.end_offsets(assigned)
        lags: dict[TP, int] = {}
        for tp in assigned:
            key = TP(tp.topic, tp.partition)
            committed = self._committed.get(key)
            if committed is None and key in self._owned:
                committed = await self._consumer.committed(tp) or 0
            # Every await above may have let a rebalance revoke the partition: its gauges are gone, and
            # aiokafka asserts on `highwater` of a partition it no longer has, which would end `run()`.
            if key not in self._owned or committed is None:
                continue
            # The fetch's high watermark as a floor: Tansu 0.6.0 answers ListOffsets(latest) too low after
            # batched produces (docs/streaming.md); on Kafka the two agree or ListOffsets is newer.
            end = max(ends[tp], self._consumer.highwater(tp) or 0)
            lags[key] = max(0, end - committed)
            now = time.monotonic()
            if lags[key] == 0:
                self._progress_at[key] = now
            stalled_s = now - self._progress_at.setdefault(key, now)
            metrics.CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lags[key])
            metrics.COMMIT_STALLED.labels(tp.topic, str(tp.partition)).set(stalled_s)
        return lags

    async def _commit(self, only: Sequence[TP] | None = None) -> None:
        """Commit each partition's acknowledged prefix, if it moved since the last commit."""
        assert self._consumer is not None
        async with self._commit_lock:
            assigned = {TP(tp.topic, tp.partition) for tp in self._consumer.assignment()}
            todo: dict[TopicPartition, int] = {}
            for tp, off in self._tracker.committable().items():
                if (only is not None and tp not in only) or tp not in assigned:
                    continue
                if self._committed.get(tp) != off:
                    todo[TopicPartition(tp.topic, tp.partition)] = off
            if not todo:
                return
            try:
                await self._consumer.commit(todo)
            except (CommitFailedError, KafkaError) as e:
                metrics.COMMITS.labels("failed").inc()
                log.warning("commit failed (will be retried or re-read)", extra={"error": str(e)})
                return
            metrics.COMMITS.labels("ok").inc()
            now = time.monotonic()
            for tp, off in todo.items():
                self._committed[TP(tp.topic, tp.partition)] = off
                self._progress_at[TP(tp.topic, tp.partition)] = now

    def _on_assigned(self, assigned: list[TopicPartition]) -> None:
        """New partitions: owned from now (gauged from the next lag round); paused if the fetch loop is."""
        metrics.PARTITION_ASSIGNMENTS.labels(self.settings.worker_id).inc()
        now = time.monotonic()
        for tp in assigned:
            key = TP(tp.topic, tp.partition)
            self._owned.add(key)
            self._progress_at.setdefault(key, now)
        if self._paused and assigned and self._consumer is not None:
            self._consumer.pause(*assigned)  # the paused poll would hand back their records anyway
        log.info("partitions assigned", extra={"partitions": sorted(f"{t.topic}:{t.partition}" for t in assigned)})

    async def _on_revoked(self, revoked: list[TP]) -> None:
        """Before giving partitions up: wait (bounded) for their batches, commit, forget them and their gauges.

        The wait ends with the grace period, or with the stop's grace period when the worker is stopping
        (the group's rebalance timeout leaves room for it: `group_consumer_kwargs`).
        """
        for tp in revoked:
            self._owned.discard(tp)  # before any await: a lag round in progress must not set them again
        deadline = time.monotonic() + self.settings.shutdown_grace_s
        while any(self._tracker.in_flight(tp) for tp in revoked):
            now = time.monotonic()
            if now >= deadline or (self._stop_at is not None and now >= self._grace_deadline()):
                break
            await asyncio.sleep(0.02)
        await self._commit(only=revoked)
        self._tracker.forget(revoked)
        for tp in revoked:
            self._committed.pop(tp, None)
            self._progress_at.pop(tp, None)
            for gauge in (metrics.CONSUMER_LAG, metrics.COMMIT_STALLED):
                with contextlib.suppress(KeyError):  # never gauged (revoked before a lag round)
                    gauge.remove(tp.topic, str(tp.partition))
        log.info("partitions revoked", extra={"partitions": sorted(f"{t.topic}:{t.partition}" for t in revoked)})
