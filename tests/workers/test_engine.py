"""The annotation engine: ordering, task sets, caching, de-duplication, single flight, errors and swaps."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from schemas.annotation import AffectScores
from schemas.events import TextEvent
from schemas.tasks import ALL_TASKS, TaskFamily
from schemas.text import text_sha256
from tests.fakes import CountingBackend, FakeBackend, fake_scores
from workers.cache import MemoryCache, NullCache, cache_key
from workers.config import EngineSettings
from workers.engine import AnnotationEngine
from workers.errors import BackendError, PermanentBackendError, RetryableBackendError
from workers.local_model import LocalBackend

T = TaskFamily


def ev(i: int | str, text: str, tasks: list[str] | None = None) -> TextEvent:
    return TextEvent(id=str(i), text=text, tasks=tasks)  # type: ignore[arg-type]


class SlowCache(MemoryCache):
    """A memory cache with network-like latency on every operation."""

    def __init__(self, get_delay_s: float, set_delay_s: float) -> None:
        super().__init__()
        self.get_delay_s = get_delay_s
        self.set_delay_s = set_delay_s

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        await asyncio.sleep(self.get_delay_s)
        return await super().get_many(keys)

    async def set_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        await asyncio.sleep(self.set_delay_s)
        await super().set_many(items)


class ShortBackend(FakeBackend):
    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        return (await super().annotate(texts, tasks))[:-1]


async def test_one_annotation_per_event_in_input_order_with_identity_fields() -> None:
    backend = FakeBackend(name="fake-model", version="3.1")
    events = [ev(i, f"text {i}") for i in range(7)]
    async with AnnotationEngine(backend, MemoryCache()) as engine:
        out = await engine.annotate(events)
    assert [a.event_id for a in out] == [e.id for e in events]
    for e, a in zip(events, out, strict=True):
        assert a.text_sha256 == text_sha256(e.text)
        assert (a.model, a.model_version, a.cached) == ("fake-model", "3.1", False)
        assert a.latency_ms >= 0
        assert a.model_dump(include=set(AffectScores.model_fields)) == fake_scores(e.text, ALL_TASKS).model_dump()
    assert backend.entered == backend.exited == 1


async def test_annotations_of_one_computed_text_share_no_containers_with_each_other() -> None:
    # Duplicates in a batch are computed once: every annotation must still own its dicts and lists.
    async with AnnotationEngine(FakeBackend(), MemoryCache()) as engine:
        a, b = await engine.annotate([ev(1, "same text"), ev(2, "same text")])
    assert a.model_dump(exclude={"event_id", "annotated_at"}) == b.model_dump(exclude={"event_id", "annotated_at"})
    for field in ("emotion_intensity", "emotion_class", "emotions"):
        assert getattr(a, field) is not None and getattr(a, field) is not getattr(b, field)


async def test_empty_batch_calls_nothing() -> None:
    backend = FakeBackend()
    async with AnnotationEngine(backend, MemoryCache()) as engine:
        assert await engine.annotate([]) == []
    assert backend.calls == []


async def test_event_tasks_narrow_the_result_and_group_backend_calls() -> None:
    backend = FakeBackend()
    events = [ev(1, "a", ["v-reg"]), ev(2, "b"), ev(3, "c", ["v-reg"]), ev(4, "d", ["e-c", "ei-oc"])]
    async with AnnotationEngine(backend, MemoryCache()) as engine:
        out = await engine.annotate(events)
    assert [a.tasks_present() for a in out] == [{T.V_REG}, ALL_TASKS, {T.V_REG}, {T.E_C, T.EI_OC}]
    assert len(backend.calls) == 3  # one backend call per distinct task set
    calls = {task_set: sorted(texts) for texts, task_set in backend.calls}
    assert calls == {frozenset({T.V_REG}): ["a", "c"], ALL_TASKS: ["b"], frozenset({T.E_C, T.EI_OC}): ["d"]}


async def test_default_tasks_apply_to_events_without_tasks() -> None:
    backend = FakeBackend()
    engine = AnnotationEngine(backend, NullCache(), default_tasks=frozenset({T.V_OC}))
    async with engine:
        out = await engine.annotate([ev(1, "a"), ev(2, "b", ["e-c"])])
    assert [a.tasks_present() for a in out] == [{T.V_OC}, {T.E_C}]


async def test_duplicates_inside_a_batch_are_computed_once() -> None:
    backend = FakeBackend()
    events = [
        ev(1, "same text"),
        ev(2, "  same   text "),
        ev(3, "other"),
        ev(4, "same text"),
        ev(5, "same text", ["v-reg"]),
    ]
    async with AnnotationEngine(backend, MemoryCache()) as engine:
        out = await engine.annotate(events)
        assert engine.stats.computed == 3 and engine.stats.deduplicated == 2
    assert sorted(backend.texts_computed) == ["other", "same text", "same text"]  # the v-reg one is a different key
    assert [a.event_id for a in out] == ["1", "2", "3", "4", "5"]
    assert out[0].valence == out[1].valence == out[3].valence
    assert not any(a.cached for a in out)


async def test_concurrent_requests_for_the_same_text_are_computed_once() -> None:
    backend = FakeBackend(delay_s=0.05)
    async with AnnotationEngine(backend, MemoryCache()) as engine:
        batches = [[ev(i, "popular text"), ev(f"u{i}", f"unique {i}")] for i in range(5)]
        outs = await asyncio.gather(*(engine.annotate(b) for b in batches))
        assert engine._inflight == {}
    assert backend.texts_computed.count("popular text") == 1
    assert sorted(t for t in backend.texts_computed if t.startswith("unique")) == [f"unique {i}" for i in range(5)]
    assert len({o[0].valence for o in outs}) == 1


async def test_a_request_arriving_while_the_result_is_being_cached_is_not_recomputed() -> None:
    backend = FakeBackend(delay_s=0.02)
    async with AnnotationEngine(backend, SlowCache(get_delay_s=0.01, set_delay_s=0.3)) as engine:
        first = asyncio.create_task(engine.annotate([ev(1, "shared")]))
        await asyncio.sleep(0.1)  # first has computed and is still writing to the (slow) cache
        second = await engine.annotate([ev(2, "shared")])
        await first
    assert backend.texts_computed == ["shared"]
    assert second[0].valence == fake_scores("shared", ALL_TASKS).valence


async def test_cache_hits_skip_the_backend_and_are_marked_cached() -> None:
    backend = FakeBackend()
    async with AnnotationEngine(backend, MemoryCache()) as engine:
        first = await engine.annotate([ev(1, "a"), ev(2, "b")])
        second = await engine.annotate([ev(3, "b"), ev(4, "c"), ev(5, "a")])
        assert engine.stats.events == 5 and engine.stats.cache_hits == 2
        assert engine.stats.hit_rate == pytest.approx(0.4)
    assert backend.texts_computed == ["a", "b", "c"]
    assert [a.cached for a in second] == [True, False, True]
    assert second[0].valence == first[1].valence and second[2].valence == first[0].valence
    assert [a.event_id for a in second] == ["3", "4", "5"]


async def test_a_different_model_version_never_hits_the_old_entries() -> None:
    cache = MemoryCache()
    v1 = FakeBackend(version="1")
    async with AnnotationEngine(v1, cache) as engine:
        await engine.annotate([ev(1, "text")])
        old = await engine.swap_backend(FakeBackend(version="2"))
        assert old is v1
        out = await engine.annotate([ev(2, "text")])
        assert (out[0].cached, out[0].model_version) == (False, "2")
        again = await engine.annotate([ev(3, "text")])
        assert again[0].cached
    key = cache_key("emostream:ann:", "fake", "1", ALL_TASKS, text_sha256("text"))
    assert (await cache.get_many([key]))[0] is not None  # the old version's entry is still there, unused


async def test_a_corrupt_cache_entry_is_ignored_and_recomputed() -> None:
    cache = MemoryCache()
    key = cache_key("emostream:ann:", "fake", "1", ALL_TASKS, text_sha256("text"))
    await cache.set_many([(key, b'{"valence": 7}')])
    backend = FakeBackend()
    async with AnnotationEngine(backend, cache) as engine:
        out = await engine.annotate([ev(1, "text")])
    assert not out[0].cached and backend.texts_computed == ["text"]
    assert AffectScores.model_validate_json((await cache.get_many([key]))[0] or b"").valence == out[0].valence


async def test_backend_calls_are_chunked_by_max_batch_size() -> None:
    backend = FakeBackend()
    async with AnnotationEngine(backend, NullCache(), EngineSettings(max_batch_size=3)) as engine:
        out = await engine.annotate([ev(i, f"t{i}") for i in range(8)])
    assert [len(texts) for texts, _ in backend.calls] == [3, 3, 2]
    assert len(out) == 8


@pytest.mark.parametrize("error", [RetryableBackendError("overloaded", retry_after_s=1), PermanentBackendError("bad")])
async def test_backend_errors_propagate_and_leave_nothing_in_flight(error: BackendError) -> None:
    backend = FakeBackend()
    cache = MemoryCache()
    async with AnnotationEngine(backend, cache) as engine:
        backend.fail_with = error
        with pytest.raises(type(error)):
            await engine.annotate([ev(1, "a")])
        assert engine._inflight == {} and len(cache) == 0
        backend.fail_with = None
        out = await engine.annotate([ev(1, "a")])  # a later call computes it afresh
    assert not out[0].cached and backend.texts_computed == ["a", "a"]


async def test_concurrent_waiters_see_the_owners_backend_error() -> None:
    backend = FakeBackend(delay_s=0.05)
    backend.fail_with = RetryableBackendError("overloaded")
    async with AnnotationEngine(backend, MemoryCache()) as engine:
        results = await asyncio.gather(*(engine.annotate([ev(i, "same")]) for i in range(3)), return_exceptions=True)
        assert engine._inflight == {}
    assert all(isinstance(r, RetryableBackendError) for r in results)
    assert backend.texts_computed == ["same"]


async def test_a_backend_returning_the_wrong_number_of_results_is_a_permanent_error() -> None:
    async with AnnotationEngine(ShortBackend(), MemoryCache()) as engine:
        with pytest.raises(PermanentBackendError, match="1 results for 2 texts"):
            await engine.annotate([ev(1, "a"), ev(2, "b")])
        assert engine._inflight == {}


async def test_engine_with_the_real_local_backend_dedups_and_caches(local_backend: LocalBackend) -> None:
    counting = CountingBackend(local_backend)
    events = [ev(1, "I love this!"), ev(2, "I love  this!"), ev(3, "This is awful."), ev(4, "I love this!")]
    async with AnnotationEngine(counting, MemoryCache()) as engine:
        out = await engine.annotate(events)
        again = await engine.annotate(events[:1])
    assert counting.calls == [(["I love this!", "This is awful."], ALL_TASKS)]
    assert out[0].model_version == local_backend.model_version
    assert out[0].emotion_intensity == out[1].emotion_intensity == out[3].emotion_intensity
    assert again[0].cached and again[0].emotion_intensity == out[0].emotion_intensity
    assert all(a.tasks_present() == ALL_TASKS for a in out)


async def test_every_backend_is_closed_exactly_once_across_swaps() -> None:
    first, second, third = FakeBackend(version="1"), FakeBackend(version="2"), FakeBackend(version="3")
    async with AnnotationEngine(first, MemoryCache()) as engine:
        await engine.swap_backend(second)
        await engine.swap_backend(third)
        await engine.annotate([ev(1, "text")])
    assert [(b.entered, b.exited) for b in (first, second, third)] == [(1, 1), (1, 1), (1, 1)]


async def test_a_swapped_out_backend_is_closed_only_after_its_in_flight_batch_finishes() -> None:
    old, new = FakeBackend(version="1", delay_s=0.3), FakeBackend(version="2")
    async with AnnotationEngine(old, NullCache()) as engine:
        running = asyncio.create_task(engine.annotate([ev(1, "slow")]))
        await asyncio.sleep(0.05)  # the batch has pinned `old` and is inside its call
        await engine.swap_backend(new)
        assert old.exited == 0, "closed under a running batch"
        out = await running
        await engine.drained()
        assert old.exited == 1 and new.exited == 0
    assert out[0].model_version == "1"
    assert (new.entered, new.exited) == (1, 1)


class _HeldCalls(FakeBackend):
    """Calls return once `release` is set; `log` records each call's start and end by its first text."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.log = log
        self.outstanding = 0
        self.most_outstanding = 0

    async def annotate(self, texts: Sequence[str], tasks: frozenset[TaskFamily]) -> list[AffectScores]:
        self.log.append(f"call {texts[0]}")
        self.outstanding += 1
        self.most_outstanding = max(self.most_outstanding, self.outstanding)
        try:
            await self.release.wait()
            return await super().annotate(texts, tasks)
        finally:
            self.outstanding -= 1
            self.log.append(f"done {texts[0]}")


class _LoggedCache(MemoryCache):
    """Records lookups and write-backs in `log`; write-backs wait for `release_writes`."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log
        self.release_writes = asyncio.Event()

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        self.log.append("lookup")
        return await super().get_many(keys)

    async def set_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        self.log.append("write")
        await self.release_writes.wait()
        await super().set_many(items)


async def test_limited_backend_calls_let_the_next_batch_look_up_first_and_call_before_the_write_back() -> None:
    """With one call slot, a second batch does its cache lookup during the first batch's call, and its
    call starts as soon as that call returns: before the first batch's cache write-back."""
    log: list[str] = []
    backend, cache = _HeldCalls(log), _LoggedCache(log)
    async with AnnotationEngine(backend, cache) as engine:
        engine.limit_backend_calls(1)
        first = asyncio.create_task(engine.annotate([ev(1, "a")]))
        second = asyncio.create_task(engine.annotate([ev(2, "b")]))
        while log.count("lookup") < 2:
            await asyncio.sleep(0)
        assert log == ["lookup", "call a", "lookup"]  # b waits for the slot, looked up already
        backend.release.set()
        while log.count("write") < 2:
            await asyncio.sleep(0)
        assert log[3:5] == ["done a", "call b"]  # b's call before a's write-back
        assert log.index("call b") < log.index("write")
        assert not first.done() and not second.done()  # both still writing back
        cache.release_writes.set()
        a, b = await first, await second
    assert backend.most_outstanding == 1
    assert [x.event_id for x in a + b] == ["1", "2"]


async def test_a_backend_call_limit_below_one_is_refused() -> None:
    async with AnnotationEngine(FakeBackend(), MemoryCache()) as engine:
        with pytest.raises(ValueError):
            engine.limit_backend_calls(0)
