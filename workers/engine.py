"""The annotation engine: cache, de-duplication and backend calls for batches of events.

Each distinct (model, version, task set, normalised text) is computed at most
once at a time: duplicates inside a batch collapse to one backend input, and a
text already being computed by a concurrent call is awaited rather than
recomputed (a "single flight" table of futures). The engine makes one attempt:
retries belong to the caller's `workers.resilience.BackendGate`. A waiter whose
owner failed permanently (perhaps for another text of the owner's batch) or was
cancelled computes its text again on its own, so it never inherits another
batch's poison; a retryable failure is shared (the backend is failing for all).

`limit_backend_calls(n)` bounds the backend calls running at once, and only them: a batch past the
limit does its cache lookup first and waits for a call slot with its texts ready, and a call that
returns hands its slot to that batch before its own cache write-back and annotations are built. The
stream worker sets it to its in-flight limit and lets one more batch into the engine, so the model
does not idle between calls while the next batch is decoded and looked up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from schemas.annotation import AffectScores, Annotation
from schemas.events import TextEvent
from schemas.tasks import ALL_TASKS, TaskFamily
from schemas.text import normalise_text, normalised_sha256

from . import metrics
from .backend import Backend
from .cache import Cache, cache_key
from .config import EngineSettings
from .errors import BackendError, PermanentBackendError, RetryableBackendError

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Item:
    key: str
    sha: str
    text: str  # normalised
    tasks: frozenset[TaskFamily]


@dataclass(slots=True)
class EngineStats:
    events: int = 0
    cache_hits: int = 0
    computed: int = 0
    deduplicated: int = 0

    @property
    def hit_rate(self) -> float:
        return self.cache_hits / self.events if self.events else 0.0


class AnnotationEngine:
    """Annotates `TextEvent`s with a `Backend` behind a `Cache`.

    `async with engine:` enters the backend and the cache. `swap_backend` hot-
    swaps the model (promotion): calls already running finish on the old one,
    and the new version's cache keys never collide with the old ones.

    The engine owns every backend it serves with: the first is entered with the
    engine, each swapped-in one by `swap_backend`; a swapped-out one is closed
    once the calls pinned to it finish, and the current one when the engine
    exits, each exactly once.
    """

    def __init__(
        self,
        backend: Backend,
        cache: Cache,
        settings: EngineSettings | None = None,
        *,
        cache_prefix: str = "emostream:ann:",
        default_tasks: frozenset[TaskFamily] = ALL_TASKS,
        backend_label: str = "backend",
    ) -> None:
        self.backend = backend
        self.cache = cache
        self.settings = settings or EngineSettings()
        self.cache_prefix = cache_prefix
        self.default_tasks = default_tasks
        self.backend_label = backend_label
        self.stats = EngineStats()
        self._inflight: dict[str, asyncio.Future[AffectScores]] = {}
        self._stack = AsyncExitStack()
        #: Calls running per backend (by identity): a swapped-out backend is closed when its count is 0.
        self._pins: dict[int, int] = {}
        self._unpinned = asyncio.Condition()
        self._retiring: set[asyncio.Task[None]] = set()
        #: Backend calls at once (`limit_backend_calls`); None: no limit.
        self._call_slots: asyncio.Semaphore | None = None

    @property
    def model_name(self) -> str:
        return self.backend.model_name

    @property
    def model_version(self) -> str:
        return self.backend.model_version

    async def __aenter__(self) -> Self:
        await self._stack.__aenter__()
        try:
            await self._stack.enter_async_context(self.cache)
            await self.backend.__aenter__()
            # Not `enter_async_context(self.backend)`: the backend current at exit is closed, not the first.
            self._stack.push_async_callback(self._close_current)
            self._stack.push_async_callback(self.drained)
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.__aexit__(exc_type, exc, tb)

    async def _close_current(self) -> None:
        await self.backend.__aexit__(None, None, None)

    async def swap_backend(self, backend: Backend) -> Backend:
        """Enter `backend` and make it current; the old one is closed once the calls pinned to it finish.

        Returns the old backend, for the record only: the engine closes it.
        """
        await backend.__aenter__()
        old, self.backend = self.backend, backend
        log.info("model swapped", extra={"model": backend.model_name, "model_version": backend.model_version})
        task = asyncio.create_task(self._retire(old), name="retire-backend")
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)
        return old

    async def _retire(self, old: Backend) -> None:
        async with self._unpinned:
            await self._unpinned.wait_for(lambda: not self._pins.get(id(old)))
        try:
            await old.__aexit__(None, None, None)
        except Exception:
            log.exception("closing a swapped-out backend failed", extra={"model_version": old.model_version})

    def limit_backend_calls(self, limit: int | None) -> None:
        """At most `limit` backend calls at once (None: no limit), whatever the number of `annotate` calls.

        Set it while no `annotate` call runs (the stream worker does, at its start): a call holding a
        slot of the previous limit would release it there.
        """
        if limit is not None and limit < 1:
            raise ValueError(f"backend call limit must be at least 1, got {limit}")
        self._call_slots = asyncio.Semaphore(limit) if limit is not None else None

    async def drained(self) -> None:
        """Wait until every swapped-out backend is closed (the engine's exit waits for this too)."""
        while self._retiring:
            await asyncio.wait(set(self._retiring))

    async def ready(self) -> bool:
        return await self.backend.ready()

    async def annotate(self, events: Sequence[TextEvent]) -> list[Annotation]:
        """One `Annotation` per event, in order. Raises `BackendError` if the backend fails for the batch."""
        if not events:
            return []
        backend = self.backend  # pinned: a concurrent swap must not mix versions inside one batch
        self._pins[id(backend)] = self._pins.get(id(backend), 0) + 1
        try:
            return await self._annotate(backend, events)
        finally:
            left = self._pins[id(backend)] - 1
            if left:
                self._pins[id(backend)] = left
            else:
                del self._pins[id(backend)]
                async with self._unpinned:
                    self._unpinned.notify_all()

    async def _annotate(self, backend: Backend, events: Sequence[TextEvent]) -> list[Annotation]:
        t0 = time.perf_counter()
        name, version = backend.model_name, backend.model_version
        items: list[_Item] = []
        for ev in events:
            tasks = frozenset(ev.tasks) if ev.tasks else self.default_tasks
            norm = normalise_text(ev.text)
            sha = normalised_sha256(norm)
            items.append(_Item(cache_key(self.cache_prefix, name, version, tasks, sha), sha, norm, tasks))

        unique: dict[str, _Item] = {}
        for it in items:
            unique.setdefault(it.key, it)
        keys = list(unique)
        raw = await self.cache.get_many(keys)
        results: dict[str, AffectScores] = {}
        hits: set[str] = set()
        for k, v in zip(keys, raw, strict=True):
            if v is None:
                continue
            try:
                results[k] = AffectScores.model_validate_json(v)
                hits.add(k)
            except ValueError:
                log.warning("ignoring undecodable cache entry", extra={"key": k})

        misses = {k: unique[k] for k in keys if k not in results}
        found, n_computed = await self._single_flight(backend, misses)
        results.update(found)

        n_hits = sum(1 for it in items if it.key in hits)
        metrics.CACHE_HITS.inc(n_hits)
        metrics.CACHE_MISSES.inc(len(items) - n_hits)
        metrics.DEDUPED.inc(len(items) - n_hits - n_computed)
        self.stats.events += len(items)
        self.stats.cache_hits += n_hits
        self.stats.computed += n_computed
        self.stats.deduplicated += len(items) - n_hits - n_computed

        latency_ms = (time.perf_counter() - t0) * 1000.0
        out: list[Annotation] = []
        for ev, it in zip(events, items, strict=True):
            scores = results[it.key]
            out.append(
                Annotation(
                    # The scores' field values as they are (`__dict__` holds exactly the fields): validation
                    # copies them into the annotation, and `model_dump()` would copy them once more before.
                    **scores.__dict__,
                    event_id=ev.id,
                    text_sha256=it.sha,
                    model=name,
                    model_version=version,
                    cached=it.key in hits,
                    latency_ms=latency_ms,
                )
            )
        return out

    async def _single_flight(self, backend: Backend, misses: dict[str, _Item]) -> tuple[dict[str, AffectScores], int]:
        """Scores for `misses`: computed here, or awaited from a concurrent call computing them.

        Returns the scores and how many texts this call computed.
        """
        waiting: dict[str, asyncio.Future[AffectScores]] = {}
        owned: dict[str, _Item] = {}
        for k, it in misses.items():
            fut = self._inflight.get(k)
            if fut is not None:
                waiting[k] = fut
            else:
                owned[k] = it
                self._inflight[k] = asyncio.get_running_loop().create_future()

        try:
            computed = await self._compute(backend, owned)
        except BaseException as e:
            # cancelled, or a bug: nothing about the texts, and waiters then compute them themselves
            shared = e if isinstance(e, BackendError) else PermanentBackendError(f"{type(e).__name__}: {e}")
            for k in owned:
                fut = self._inflight.pop(k)
                if not fut.done():
                    fut.set_exception(shared)
                    fut.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        for k, scores in computed.items():
            self._inflight[k].set_result(scores)
        results = dict(computed)
        try:
            if computed:
                await self.cache.set_many(
                    [(k, s.model_dump_json(exclude_none=True).encode()) for k, s in computed.items()]
                )
        finally:
            # Removed only once the cache holds the result: a concurrent call that missed the
            # cache during the write still finds the finished future instead of recomputing.
            for k in computed:
                self._inflight.pop(k, None)
        again: dict[str, _Item] = {}
        for k, fut in waiting.items():
            try:
                results[k] = await asyncio.shield(fut)
            except RetryableBackendError:
                raise  # the backend fails for everyone: the caller's retry policy decides
            except BackendError:
                # The owner's batch failed permanently, maybe because of another of its texts, or the
                # owner was cancelled: that says nothing about this text, so it is computed again on its
                # own (through the table: a third call may be computing it by now) rather than sharing
                # another batch's poison.
                again[k] = misses[k]
        n_computed = len(owned)
        if again:
            found, n_again = await self._single_flight(backend, again)
            results.update(found)
            n_computed += n_again
        return results, n_computed

    async def _compute(self, backend: Backend, owned: dict[str, _Item]) -> dict[str, AffectScores]:
        by_tasks: dict[frozenset[TaskFamily], list[_Item]] = {}
        for it in owned.values():
            by_tasks.setdefault(it.tasks, []).append(it)
        out: dict[str, AffectScores] = {}
        size = self.settings.max_batch_size
        for tasks, group in by_tasks.items():
            for i in range(0, len(group), size):
                chunk = group[i : i + size]
                slots = self._call_slots
                async with slots or contextlib.nullcontext():
                    t0 = time.perf_counter()
                    try:
                        scores = await backend.annotate([it.text for it in chunk], tasks)
                    except BackendError as e:
                        kind = "retryable" if e.retryable else "permanent"
                        metrics.BACKEND_ERRORS.labels(backend=self.backend_label, kind=kind).inc()
                        raise
                    took_s = time.perf_counter() - t0
                if slots is not None:
                    # The release woke the batch waiting for the slot (its texts decoded and looked up
                    # already): yielding once lets it start its call now, not after this batch's cache
                    # write-back (a Redis round trip), its annotations and whatever the caller does
                    # with them before it next yields.
                    await asyncio.sleep(0)
                metrics.BACKEND_LATENCY.labels(backend=self.backend_label).observe(took_s)
                metrics.BACKEND_BATCH_SIZE.labels(backend=self.backend_label).observe(len(chunk))
                if len(scores) != len(chunk):
                    raise PermanentBackendError(f"backend returned {len(scores)} results for {len(chunk)} texts")
                for it, s in zip(chunk, scores, strict=True):
                    out[it.key] = s
        return out
